/**
 * Loads the sqlite-wasm module once per thread. The init promise is cached so
 * concurrent callers share one module instead of racing a lazy singleton.
 */
import sqlite3InitModule, { type Sqlite3Static } from '@sqlite.org/sqlite-wasm';

let loading: Promise<Sqlite3Static> | undefined;

export function loadSqlite(): Promise<Sqlite3Static> {
  if (!loading) {
    // The `opfs` VFSes need SharedArrayBuffer plumbing Mnemo does not use;
    // skipping their auto-install shortens cold start (FACTS: 250 → 156 ms).
    (globalThis as { sqlite3ApiConfig?: unknown }).sqlite3ApiConfig = {
      disable: { vfs: { opfs: true, 'opfs-vfs': true, 'opfs-wl': true } },
      warn: () => {},
      debug: () => {},
      log: () => {},
    };
    loading = sqlite3InitModule();
  }
  return loading;
}
