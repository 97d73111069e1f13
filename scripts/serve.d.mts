import type { Server } from 'node:http';
export declare const DEFAULT_CONNECT_SRC: string[];
export declare function connectSrcFromEnv(value?: string): string[];
export declare function contentSecurityPolicy(connectSrc?: readonly string[]): string;
export declare function appHeaders(connectSrc?: readonly string[]): Record<string, string>;
export declare const HEADERS: Record<string, string>;
export declare function startServer(options?: { root?: string; port?: number; host?: string; connectSrc?: readonly string[] }): Promise<Server>;
