/**
 * Loads the sqlite-wasm module once per thread. The init promise is cached so
 * concurrent callers share one module instead of racing a lazy singleton.
 */
import sqlite3InitModule, { type Sqlite3Static } from '@sqlite.org/sqlite-wasm';

let loading: Promise<Sqlite3Static> | undefined;
let lastQuotaError = 0;

/**
 * True shortly after OPFS refused a write for lack of quota. The sahpool VFS
 * turns that DOMException into a plain SQLITE_IOERR and only logs the cause,
 * so the logger is where the cause can be seen.
 */
export function quotaErrorRecently(withinMs = 10_000): boolean {
  return Date.now() - lastQuotaError < withinMs;
}

export function loadSqlite(): Promise<Sqlite3Static> {
  if (!loading) {
    // The `opfs` VFSes need SharedArrayBuffer plumbing Mnemo does not use;
    // skipping their auto-install shortens cold start (FACTS: 250 → 156 ms).
    (globalThis as { sqlite3ApiConfig?: unknown }).sqlite3ApiConfig = {
      disable: { vfs: { opfs: true, 'opfs-vfs': true, 'opfs-wl': true } },
      warn: () => {},
      error: (...args: unknown[]) => {
        if (args.some((a) => a instanceof Error && a.name === 'QuotaExceededError')) lastQuotaError = Date.now();
        console.error(...args);
      },
      debug: () => {},
      log: () => {},
    };
    loading = sqlite3InitModule();
  }
  return loading;
}
