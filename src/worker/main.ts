/**
 * The database worker entry: opens storage, builds the API and exposes it
 * with Comlink. Only this worker touches SQLite.
 */
import * as Comlink from 'comlink';
import type { OpenOptions, Scope } from '../shared/api';
import { createMnemo, openCore, type MnemoService } from './core';
import type { StorageDriver } from './engine/driver';
import { createSahPoolDriver } from './engine/sahpool-driver';
import { loadSqlite } from './engine/sqlite';
import { normalizeError } from './edge';

const OPFS_UNAVAILABLE =
  'OPFS is not available in this browser context (private window?): data is kept in memory only and is lost when the tab closes.';

async function chooseDriver(storage: OpenOptions['storage']): Promise<{ driver?: StorageDriver; warning: string | null }> {
  if (storage === 'memory') return { warning: null };
  try {
    return { driver: await createSahPoolDriver(await loadSqlite()), warning: null };
  } catch {
    return { warning: OPFS_UNAVAILABLE };
  }
}

let opening: Promise<void> | undefined;

const entry = {
  /** The API, present once `open` resolved. Comlink resolves call paths like `mnemo.spaces.list` on it. */
  mnemo: undefined as MnemoService | undefined,

  /** Opens the database once; concurrent and later calls share the same promise. */
  async open(options: OpenOptions = {}): Promise<void> {
    opening ??= (async () => {
      const { driver, warning } = await chooseDriver(options.storage);
      const core = await openCore({ ...options, ...(driver ? { driver } : {}), fallbackWarning: warning });
      const api = createMnemo(core);
      // Scoped handles hold functions, so they cross the boundary as proxies.
      entry.mnemo = { ...api, space: (scope: Scope) => Comlink.proxy(api.space(scope)) };
    })();
    try {
      await opening;
    } catch (error) {
      opening = undefined;
      throw normalizeError(error, 'openMnemo');
    }
  },
};

export type WorkerEntry = typeof entry;

Comlink.expose(entry);
