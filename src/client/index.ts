/**
 * The library entry: `openMnemo()` starts this tab's database worker once per
 * database name and returns a typed client. The workers of all tabs elect one
 * owner of the file and forward calls to it, so every tab sees the same data.
 * Every method returns a Promise; failures reject with plain `{ code, message }`
 * objects.
 */
import * as Comlink from 'comlink';
import type { Listener, MnemoApi, MnemoEvent, OpenOptions, Progress, ScopedApi } from '../shared/api';
import { fail, type MnemoError } from '../shared/errors';
import type { Scope } from '../shared/models';
import type { Notice, Ownership, WorkerEntry } from '../shared/protocol';

export type * from '../shared/api';
export type * from '../shared/models';
export type { Ownership } from '../shared/protocol';
export { ERROR_CODES, isMnemoError, type ErrorCode, type MnemoError } from '../shared/errors';

/**
 * The client side of a worker API: every method returns a Promise and
 * namespaces are reached synchronously (`client.spaces.list()`).
 */
export type Async<T> = T extends (...args: infer A) => infer R
  ? (...args: A) => Promise<Awaited<R>>
  : T extends object
    ? { [K in keyof T]: Async<T[K]> }
    : T;

export type ScopedClient = Async<Omit<ScopedApi, 'scope'>>;

type Unsubscribe = () => Promise<void>;

export type MnemoClient = Async<Omit<MnemoApi, 'space' | 'subscribe' | 'unsubscribe'>> & {
  /** A handle bound to one scope, usable at once; the scope is checked by the database on every call. */
  space(scope: Scope): ScopedClient;
  /** Receives progress and change events of every tab's writes; resolves to a function that unsubscribes. */
  subscribe(listener: Listener): Promise<Unsubscribe>;
  /** Receives progress of long work (uploads, imports, embedding, backups). */
  onProgress(callback: (progress: Progress) => void): Promise<Unsubscribe>;
  /** Receives a notice after each committed write, whichever tab made it. */
  onChange(callback: (change: Extract<MnemoEvent, { type: 'change' }>) => void): Promise<Unsubscribe>;
  /** Which tab's worker holds the database file, and whether it is this one. */
  ownership(): Promise<Ownership>;
  /** Called whenever the owner changes (another tab took over). */
  onOwnership(callback: (ownership: Ownership) => void): Promise<Unsubscribe>;
  /** Leaves the database (an owner hands it to another tab) and stops the worker. */
  close(): Promise<void>;
  /** Stops the worker at once; calls still waiting fail with LOCKED. */
  terminate(): Promise<void>;
  /** Calls of this client not answered yet (the app waits for 0 before reloading into an update). */
  pendingCalls(): number;
};

type Invoke = (path: string[], args: unknown[]) => Promise<unknown>;

/** A stand-in for the remote API: property reads build a method path, a call sends it. */
function remote<T>(invoke: Invoke, path: string[] = []): T {
  return new Proxy(function () {}, {
    get(_fn, key) {
      // Not thenable: awaiting a handle must give the handle itself. Framework probes
      // (Lit's `_$litDirective$`, `toJSON`) are not API names either.
      if (key === 'then' || typeof key === 'symbol' || key.startsWith('_$') || key === 'toJSON') return undefined;
      return remote(invoke, [...path, key]);
    },
    apply(_fn, _this, args) {
      return invoke(path, args);
    },
  }) as T;
}

const clients = new Map<string, Promise<MnemoClient>>();

/**
 * The asset folders as full URLs (they are fetched from the workers, whose
 * own URL differs from the page's): a folder URL ends with '/'.
 */
function withAssetUrls(options: OpenOptions): OpenOptions {
  const resolved: OpenOptions = { ...options };
  for (const field of ['modelBaseUrl', 'wasmBaseUrl'] as const) {
    const value: unknown = options[field];
    if (value === undefined) continue;
    let url: URL | undefined;
    try {
      if (typeof value === 'string' && value.trim() !== '') url = new URL(value.endsWith('/') ? value : `${value}/`, globalThis.location?.href);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) fail('INVALID_INPUT', `openMnemo: ${field} must be an http(s) URL or a path`);
    resolved[field] = url.href;
  }
  return resolved;
}

async function start(options: OpenOptions): Promise<MnemoClient> {
  const key = options.name ?? 'mnemo';
  options = withAssetUrls(options);
  const worker = new Worker(new URL('../worker/main.ts', import.meta.url), { type: 'module', name: 'mnemo-db' });
  const entry = Comlink.wrap<WorkerEntry>(worker);
  const receivers = new Set<(notice: Notice) => void>();
  await entry.listen(
    Comlink.proxy((notice: Notice) => {
      for (const receive of receivers) {
        try {
          receive(notice);
        } catch (error) {
          console.error('mnemo: a listener failed', error);
        }
      }
    }),
  );
  try {
    await entry.open(options);
  } catch (error) {
    worker.terminate();
    throw error;
  }

  // A stopped worker never answers: calls still waiting, or made later, fail instead of hanging.
  const waiting = new Set<(error: MnemoError) => void>();
  let stopped: MnemoError | null = null;
  const stop = (message: string) => {
    if (stopped) return;
    stopped = { code: 'LOCKED', message };
    worker.terminate();
    clients.delete(key);
    for (const reject of waiting) reject(stopped);
    waiting.clear();
  };
  const invoker =
    (scope: Scope | null): Invoke =>
    (path, args) =>
      new Promise((resolve, reject) => {
        if (stopped) return reject(stopped);
        waiting.add(reject);
        entry.call(path, scope, args).then(resolve, reject).finally(() => waiting.delete(reject));
      });

  const on = <N extends Notice>(accept: (notice: Notice) => notice is N) => async (callback: (notice: N) => void) => {
    const receive = (notice: Notice) => {
      if (accept(notice)) callback(notice);
    };
    receivers.add(receive);
    return async () => {
      receivers.delete(receive);
    };
  };
  const subscribe = on((n): n is MnemoEvent => n.type !== 'ownership');

  const local = {
    space: (scope: Scope): ScopedClient => remote<ScopedClient>(invoker(scope)),
    subscribe: (listener: Listener) => subscribe(listener),
    onProgress: on((n): n is Extract<Notice, { type: 'progress' }> => n.type === 'progress'),
    onChange: on((n): n is Extract<Notice, { type: 'change' }> => n.type === 'change'),
    onOwnership: on((n): n is Extract<Notice, { type: 'ownership' }> => n.type === 'ownership'),
    ownership: (): Promise<Ownership> => (stopped ? Promise.reject(stopped) : entry.ownership()),
    close: async () => {
      if (!stopped) await entry.close();
      stop('mnemo: the client was closed');
    },
    terminate: async () => stop('mnemo: the client was terminated'),
    pendingCalls: () => waiting.size,
  };
  // Everything else is the worker API itself, reached by method path, so new namespaces need no client change.
  const api = remote<Record<string, unknown>>(invoker(null));
  return new Proxy(local, {
    get(target, name) {
      if (name in target) return target[name as keyof typeof target];
      if (name === 'then' || typeof name === 'symbol') return undefined;
      return api[name];
    },
  }) as unknown as MnemoClient;
}

/** Starts (once per database name) this tab's database worker and connects to the database. */
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
