import type { BrowserContext, LaunchOptions, BrowserContextOptions } from 'playwright-core';
export type BrowserName = 'chromium' | 'firefox';
export type LaunchPersistentOptions = LaunchOptions & BrowserContextOptions & { firefoxUserPrefs?: Record<string, string | number | boolean> };
export interface Engine {
  name: BrowserName;
  debian: string;
  path: string;
  launch(profile: string, options?: LaunchPersistentOptions): Promise<BrowserContext>;
  version(): string;
}
export declare const CHROMIUM: string;
export declare const FIREFOX: string;
export declare const CHROMIUM_ARGS: string[];
export declare const BROWSERS: Record<BrowserName, Engine>;
export declare function selectedBrowser(name?: string): Engine;
