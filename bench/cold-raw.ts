/**
 * Cold start of the raw baseline: from navigation to the first answered
 * query, a worker that initialises sqlite-wasm, installs `opfs-sahpool`, opens
 * the file and runs one query. With `?setup` it first creates the database.
 */
import type { RawHandlers } from './raw-worker';
import { connect } from './rpc';

export interface ColdResult {
  /** performance.now() when the first query was answered: milliseconds since navigation start. */
  ms: number;
  /** Mnemo only: when `openMnemo()` resolved. */
  openedMs?: number;
  rows: unknown;
  vfs: string;
  error?: string;
}

declare global {
  interface Window {
    coldResult?: ColdResult;
  }
}

const FILE = '/cold.sqlite3';
const setup = new URLSearchParams(location.search).has('setup');
try {
  const raw = connect<RawHandlers>(new Worker(new URL('./raw-worker.ts', import.meta.url), { type: 'module', name: 'raw' }));
  if (setup) await raw.call('coldSetup', FILE);
  const result = await raw.call('cold', FILE);
  window.coldResult = { ms: performance.now(), rows: result.rows, vfs: result.vfs };
} catch (error) {
  window.coldResult = { ms: Number.NaN, rows: 0, vfs: '', error: String(error) };
}
