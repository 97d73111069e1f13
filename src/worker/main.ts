/**
 * The database worker entry, one per tab, exposed with Comlink. Only the
 * worker that owns the database (see router.ts) opens SQLite; the others
 * forward their page's calls to it, so every tab sees one database.
 */
import * as Comlink from 'comlink';
import type { MnemoEvent, OpenOptions, ScopedApi } from '../shared/api';
import { fail, type MnemoError } from '../shared/errors';
import type { Scope } from '../shared/models';
import type { Notice, Ownership, WorkerEntry } from '../shared/protocol';
import { checkName, createMnemo, openCore, type Core, type EncryptionHooks } from './core';
import type { MnemoService } from './service';
import { createCipherDriver } from './engine/cipher-driver';
import { opfsKeyStore } from './encryption/key-store';
import { EncryptionManager } from './encryption/manager';
import type { StorageDriver } from './engine/driver';
import { createSahPoolDriver } from './engine/sahpool-driver';
import { bundledMigrations } from './engine/migrations';
import { loadSqlite } from './engine/sqlite';
import { guard, normalizeError } from './edge';
import { browserCatalog } from './embed/catalog';
import { Router, type Backend, type Call } from './router';
import { opfsSyncStore } from './sync/config-store';

const OPFS_UNAVAILABLE =
  'OPFS is not available in this browser context (private window?): data is kept in memory only and is lost when the tab closes.';

/** Most scoped handles kept by the owner; they are cheap to rebuild. */
const MAX_SCOPES = 256;
/** Root members each tab handles itself: handles, events and lifetime are per tab. */
const NOT_FORWARDED = new Set(['space', 'subscribe', 'unsubscribe', 'close']);

async function chooseDriver(storage: OpenOptions['storage']): Promise<{ driver?: StorageDriver; warning: string | null }> {
  if (storage === 'memory') return { warning: null };
  try {
    return { driver: await createSahPoolDriver(await loadSqlite()), warning: null };
  } catch (error) {
    // The pool's files are held elsewhere (another database name of this origin, or a tab of an app
    // version without the lock): serving a memory copy instead would lose acknowledged writes.
    if ((error as { name?: unknown } | null)?.name === 'NoModificationAllowedError') {
      fail('LOCKED', 'mnemo: the OPFS storage of this origin is in use by another database or app version');
    }
    return { warning: OPFS_UNAVAILABLE };
  }
}

/** Opens the database for the owner and serves calls by path on its API. */
async function openBackend(options: OpenOptions, emit: (event: MnemoEvent) => void): Promise<Backend> {
  const { driver, warning } = await chooseDriver(options.storage);
  const catalog = browserCatalog({
    baseUrl: new URL(import.meta.env.BASE_URL, self.location.origin).href,
    ...(options.modelBaseUrl ? { modelBaseUrl: options.modelBaseUrl } : {}),
    ...(options.wasmBaseUrl ? { wasmBaseUrl: options.wasmBaseUrl } : {}),
  });
  const cores = new WeakMap<MnemoService, Core>();
  const reposOf = (api: MnemoService) => cores.get(api)?.repos;
  const openOn = async (storage: StorageDriver | undefined, hooks?: EncryptionHooks): Promise<MnemoService> => {
    const core = await openCore({
      ...options,
      ...(storage ? { driver: storage } : {}),
      // The token lives in OPFS beside the pools, never inside the database file.
      ...(driver ? { syncStore: opfsSyncStore() } : {}),
      fallbackWarning: warning,
      catalog,
    });
    const api = createMnemo(core, hooks);
    cores.set(api, core);
    await api.subscribe(emit);
    return api;
  };

  // In memory (asked for, or no OPFS) there is nothing at rest to encrypt.
  let manager: EncryptionManager | undefined;
  let plainApi: MnemoService | undefined;
  if (driver) {
    manager = new EncryptionManager({
      name: checkName(options.name ?? 'mnemo', 'openMnemo'),
      keys: opfsKeyStore(),
      plain: driver,
      cipher: createCipherDriver,
      open: (storage, sealer, encryption) => openOn(storage, { sealer, encryption }),
      emit,
    });
    await manager.start();
  } else {
    plainApi = await openOn(undefined);
  }
  const encryption = manager ? guard(manager.api, 'mnemo.encryption') : undefined;
  const current = (): MnemoService => manager?.current() ?? plainApi!;

  // Scoped handles are validated by `space(scope)` and cached per scope. A
  // handle closes over the repositories, so reopening the file drops them.
  const scopes = new Map<string, ScopedApi>();
  let owner: MnemoService | undefined;
  let repos: unknown;
  const scoped = (api: MnemoService, scope: Scope): ScopedApi => {
    if (api !== owner || reposOf(api) !== repos) {
      scopes.clear();
      owner = api;
      repos = reposOf(api);
    }
    const key = JSON.stringify(scope); // the whole input, so a scope with stray fields is still refused
    let handle = scopes.get(key);
    if (!handle) {
      handle = api.space(scope); // throws INVALID_INPUT for a bad scope, which is not cached
      if (scopes.size >= MAX_SCOPES) scopes.delete(scopes.keys().next().value!);
      scopes.set(key, handle);
    }
    return handle;
  };

  return {
    run: async ({ path, scope, args }: Call) => {
      if (scope === null && NOT_FORWARDED.has(path[0] ?? '')) fail('INVALID_INPUT', `mnemo.${path.join('.')} is handled by each tab's client`);
      if (scope === null && manager && encryption) {
        if (path[0] === 'encryption') return invoke({ encryption }, path, args);
        if (path.length === 1 && path[0] === 'info') return manager.info();
        // Encryption belongs to the database opened here; another name would open in the cipher pool without a key record.
        if (path[0] === 'initDatabase' && manager.status().encrypted) fail('ENCRYPTED', 'initDatabase: the database is encrypted; remove encryption before switching databases');
      }
      return invoke(scope === null ? current() : scoped(current(), scope), path, args);
    },
    close: () => (manager ? manager.close() : plainApi!.close()),
  };
}

/** Calls the method at `path`, walking own properties only (never the prototype chain). */
function invoke(root: object, path: string[], args: unknown[]): unknown {
  let holder: unknown;
  let value: unknown = root;
  for (const key of path) {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function') || !Object.hasOwn(value, key)) {
      value = undefined;
      break;
    }
    holder = value;
    value = (value as Record<string, unknown>)[key];
  }
  if (typeof value !== 'function') fail('INVALID_INPUT', `mnemo.${path.join('.')} is not an API method`);
  return (value as (...a: unknown[]) => unknown).apply(holder, args);
}

let router: Router | undefined;
let opening: Promise<void> | undefined;
let listener: ((notice: Notice) => void) | undefined;

const notify = (notice: Notice) => {
  // A page that went away must not break the call that produced the notice.
  Promise.resolve(listener?.(notice)).catch(() => {});
};

function connected(): Router {
  // Thrown as a plain object: Comlink would keep only name and message of an Error.
  if (!router) throw { code: 'INVALID_INPUT', message: 'mnemo: call open() first' } satisfies MnemoError;
  return router;
}

const entry: WorkerEntry = {
  listen(callback: (notice: Notice) => void): void {
    listener = callback;
  },

  async open(options: OpenOptions = {}): Promise<void> {
    opening ??= (async () => {
      const name = options.storage === 'memory' ? null : checkName(options.name ?? 'mnemo', 'openMnemo');
      // Warm standby: a tab that may take over later loads the engine now, so a takeover only opens the file.
      if (name !== null) void Promise.all([loadSqlite(), bundledMigrations()]).catch(() => {});
      router = new Router(name, (emit) => openBackend(options, emit), notify);
      await router.call({ path: ['info'], scope: null, args: [] });
    })();
    try {
      await opening;
    } catch (error) {
      throw normalizeError(error, 'openMnemo');
    }
  },

  call(path: string[], scope: Scope | null, args: unknown[]): Promise<unknown> {
    return connected().call({ path, scope, args });
  },

  ownership(): Promise<Ownership> {
    return connected().ownership();
  },

  async close(): Promise<void> {
    await router?.close();
  },
};

Comlink.expose(entry);
