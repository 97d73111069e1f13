/**
 * The library entry: `openMnemo()` starts the database worker once per
 * database name and returns a typed client. Every method returns a Promise;
 * failures reject with plain `{ code, message }` objects.
 */
import * as Comlink from 'comlink';
import type { Listener, MnemoEvent, OpenOptions, Progress, ScopedApi } from '../shared/api';
import type { Scope } from '../shared/models';
import type { MnemoService } from '../worker/core';
import type { WorkerEntry } from '../worker/main';

export type { MnemoEvent, OpenOptions, Progress, ScopedApi } from '../shared/api';
export type * from '../shared/models';
export { ERROR_CODES, isMnemoError, type ErrorCode, type MnemoError } from '../shared/errors';

/**
 * The client side of a worker API: every method returns a Promise and
 * namespaces are reached synchronously (`client.spaces.list()`), which is how
 * Comlink resolves call paths.
 */
export type Async<T> = T extends (...args: infer A) => infer R
  ? (...args: A) => Promise<Awaited<R>>
  : T extends object
    ? { [K in keyof T]: Async<T[K]> }
    : T;

export type ScopedClient = Async<Omit<ScopedApi, 'scope'>>;

export type MnemoClient = Async<Omit<MnemoService, 'space' | 'subscribe' | 'unsubscribe'>> & {
  /** A handle bound to one scope. Usable at once: calls wait for the handle to be ready. */
  space(scope: Scope): ScopedClient;
  /** Receives progress and change events; resolves to a function that unsubscribes. */
  subscribe(listener: Listener): Promise<() => Promise<void>>;
  /** Receives progress of long work (uploads, imports, embedding, backups). */
  onProgress(callback: (progress: Progress) => void): Promise<() => Promise<void>>;
  /** Receives a notice after each committed write. */
  onChange(callback: (change: Extract<MnemoEvent, { type: 'change' }>) => void): Promise<() => Promise<void>>;
  /** Stops the worker; the client is unusable afterwards. */
  terminate(): Promise<void>;
};

/**
 * A stand-in for a remote object that is still being fetched: property reads
 * build a path, a call awaits the target and applies the path to it.
 */
function deferred<T>(target: Promise<unknown>, path: string[] = []): T {
  const apply = async (args: unknown[]) => {
    let value: unknown = await target;
    for (const key of path.slice(0, -1)) value = (value as Record<string, unknown>)[key];
    const method = (value as Record<string, (...a: unknown[]) => unknown>)[path.at(-1)!]!;
    return method(...args);
  };
  return new Proxy(function () {}, {
    get(_fn, key) {
      // Not thenable: awaiting a handle must give the handle itself.
      if (key === 'then' || typeof key === 'symbol') return undefined;
      return deferred(target, [...path, key]);
    },
    apply(_fn, _this, args) {
      return apply(args);
    },
  }) as T;
}

const clients = new Map<string, Promise<MnemoClient>>();

function start(options: OpenOptions): Promise<MnemoClient> {
  return (async () => {
    const worker = new Worker(new URL('../worker/main.ts', import.meta.url), { type: 'module', name: 'mnemo-db' });
    const entry = Comlink.wrap<WorkerEntry>(worker);
    try {
      await entry.open(options);
    } catch (error) {
      worker.terminate();
      throw error;
    }
    const remote = entry.mnemo as unknown as Async<MnemoService>;
    const subscribe = async (listener: Listener) => {
      const id = await remote.subscribe(Comlink.proxy(listener));
      return async () => {
        await remote.unsubscribe(id);
      };
    };
    const client = {
      spaces: remote.spaces,
      settings: remote.settings,
      info: remote.info,
      initDatabase: remote.initDatabase,
      getDatabasePath: remote.getDatabasePath,
      stats: remote.stats,
      healthCheck: remote.healthCheck,
      verifySchema: remote.verifySchema,
      cleanupOldConversations: remote.cleanupOldConversations,
      clearAll: remote.clearAll,
      close: async () => {
        await remote.close();
        worker.terminate();
        clients.delete(options.name ?? 'mnemo');
      },
      space(scope: Scope): ScopedClient {
        const handle = remote.space(scope);
        // The error reaches whichever call uses the handle; an unused bad handle is not an unhandled rejection.
        handle.catch(() => {});
        return deferred<ScopedClient>(handle);
      },
      subscribe,
      onProgress: (callback: (progress: Progress) => void) =>
        subscribe((event) => {
          if (event.type === 'progress') callback(event);
        }),
      onChange: (callback: (change: Extract<MnemoEvent, { type: 'change' }>) => void) =>
        subscribe((event) => {
          if (event.type === 'change') callback(event);
        }),
      terminate: async () => {
        worker.terminate();
        clients.delete(options.name ?? 'mnemo');
      },
    } satisfies MnemoClient;
    return client;
  })();
}

/** Starts (once per database name) the database worker and connects to it. */
export function openMnemo(options: OpenOptions = {}): Promise<MnemoClient> {
  const key = options.name ?? 'mnemo';
  let client = clients.get(key);
  if (!client) {
    client = start(options);
    clients.set(key, client);
    client.catch(() => clients.delete(key));
  }
  return client;
}
