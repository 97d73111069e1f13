import type { Server } from 'node:http';
export declare const HEADERS: Record<string, string>;
export declare function startServer(options?: { root?: string; port?: number; host?: string }): Promise<Server>;
