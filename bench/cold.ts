/** What the cold-start pages (cold-*.html) report to scripts/bench.mjs. */
export interface ColdResult {
  /** performance.now() when the first page was answered: milliseconds since navigation start. */
  ms: number;
  /** When the database was open (Mnemo: `openMnemo()` resolved). */
  openedMs?: number;
  rows: number;
  error?: string;
}

declare global {
  interface Window {
    coldResult?: ColdResult;
  }
}

/** `?conversation=<id>`: whose first page to read. */
export const conversationParam = () => new URLSearchParams(location.search).get('conversation') ?? '';
