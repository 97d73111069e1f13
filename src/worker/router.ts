/**
 * One owner per database: the worker holding the Web Lock `mnemo-db:<name>`
 * opens the file (opfs-sahpool allows one connection per origin); every other
 * tab's worker forwards calls to it over `BroadcastChannel('mnemo:<name>')`
 * and relays its events. The lock is held for the worker's lifetime, so a
 * closed or crashed owner tab releases it and the next waiting worker takes
 * over.
 *
 * Delivery rule, which is why no call ever runs twice: a request is posted at
 * most once, addressed to one owner id, and a worker only serves requests
 * addressed to itself. Calls made while no owner is known wait and are sent
 * when one announces itself. A call posted to an owner that is replaced before
 * answering may or may not have committed there, so it fails with LOCKED
 * instead of being retried. Every call therefore resolves, fails with the
 * owner's error, or fails with LOCKED; none is dropped.
 */
import type { MnemoEvent } from '../shared/api';
import type { MnemoError } from '../shared/errors';
import type { Scope } from '../shared/models';
import type { Notice, Ownership } from '../shared/protocol';
import { normalizeError } from './edge';

/** One API call: a method path on the API (or on `space(scope)` when scope is set) and its arguments. */
export interface Call {
  path: string[];
  scope: Scope | null;
  args: unknown[];
}

export type Outcome = { ok: true; result: unknown } | { ok: false; error: MnemoError };

/** The one message schema on the channel. Arguments and results are structured clones. */
export type ChannelMessage =
  /** A worker that just started asks who owns the database. */
  | { type: 'who' }
  /** The lock holder announces itself: when it takes the lock, and in answer to 'who'. */
  | { type: 'owner'; ownerId: string }
  | { type: 'request'; id: string; from: string; to: string; call: Call }
  | { type: 'response'; id: string; to: string; outcome: Outcome }
  /** A change or progress event of the owner's database, for every other tab. */
  | { type: 'event'; event: MnemoEvent };

/** The opened database as the owner serves it. */
export interface Backend {
  run(call: Call): Promise<unknown>;
  close(): Promise<void>;
}

interface Pending {
  call: Call;
  /** The owner the request was posted to; null while it waits for one. */
  to: string | null;
  resolve(value: unknown): void;
  reject(error: MnemoError): void;
}

const locked = (message: string): MnemoError => ({ code: 'LOCKED', message });

export class Router {
  readonly tabId = crypto.randomUUID();
  private ownerId: string | null = null;
  /** Set once this worker holds the lock; cached so every call shares one open. */
  private backend: Promise<Backend> | undefined;
  private readonly pending = new Map<string, Pending>();
  /** Calls this owner is running, awaited before it closes the database. */
  private readonly running = new Set<Promise<Outcome>>();
  private readonly channel: BroadcastChannel | null;
  private readonly abort = new AbortController();
  private releaseLock: (() => void) | undefined;
  private nextId = 0;
  private closed = false;
  private readonly ownerKnown: Promise<void>;
  private resolveOwnerKnown!: () => void;

  /**
   * @param name database name, or null for a private database served only to this tab (memory storage)
   * @param open opens the database once this worker owns it; `emit` publishes its events
   * @param notify delivers notices to this worker's page
   */
  constructor(
    name: string | null,
    private readonly open: (emit: (event: MnemoEvent) => void) => Promise<Backend>,
    private readonly notify: (notice: Notice) => void,
  ) {
    this.ownerKnown = new Promise((resolve) => (this.resolveOwnerKnown = resolve));
    if (name === null) {
      this.channel = null;
      void this.lead();
      return;
    }
    this.channel = new BroadcastChannel(`mnemo:${name}`);
    this.channel.onmessage = (event: MessageEvent<ChannelMessage>) => this.receive(event.data);
    navigator.locks
      .request(`mnemo-db:${name}`, { signal: this.abort.signal }, () => this.lead())
      .catch(() => {}); // aborted by close() before this worker ever owned the database
    this.post({ type: 'who' });
  }

  call(call: Call): Promise<unknown> {
    if (this.closed) return Promise.reject(locked('mnemo: the client is closed'));
    return new Promise((resolve, reject) => {
      const id = `${this.tabId}:${this.nextId++}`;
      const pending: Pending = { call, to: null, resolve, reject };
      this.pending.set(id, pending);
      this.send(id, pending);
    });
  }

  async ownership(): Promise<Ownership> {
    await this.ownerKnown;
    return this.snapshot();
  }

  /** Stops serving and forwarding; an owner finishes running calls, closes the file, then releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(locked('mnemo: the client was closed before the call finished'));
    }
    try {
      if (this.backend) {
        await Promise.allSettled(this.running);
        await this.backend.then((backend) => backend.close(), () => {}); // a file that never opened needs no closing
      }
    } finally {
      this.channel?.close();
      this.releaseLock?.();
    }
  }

  /** Runs while this worker holds the lock; the returned promise keeps it held. */
  private lead(): Promise<void> {
    this.backend = this.open((event) => {
      this.notify(event);
      this.post({ type: 'event', event });
    });
    this.backend.catch(() => {}); // the failure reaches every call through serve()
    this.setOwner(this.tabId);
    this.post({ type: 'owner', ownerId: this.tabId });
    return new Promise((resolve) => (this.releaseLock = resolve));
  }

  private send(id: string, pending: Pending): void {
    const owner = this.ownerId;
    if (owner === null) return; // sent by setOwner() once an owner announces itself
    if (owner === this.tabId) {
      this.pending.delete(id);
      void this.serve(pending.call).then((outcome) => settle(pending, outcome));
      return;
    }
    try {
      this.post({ type: 'request', id, from: this.tabId, to: owner, call: pending.call });
      pending.to = owner;
    } catch {
      this.pending.delete(id);
      pending.reject({ code: 'INVALID_INPUT', message: `mnemo.${pending.call.path.join('.')}: arguments must be structured-cloneable (no functions)` });
    }
  }

  private serve(call: Call): Promise<Outcome> {
    const run = (async (): Promise<Outcome> => {
      const backend = await this.backend!;
      return { ok: true, result: await backend.run(call) };
    })().catch((error: unknown): Outcome => ({ ok: false, error: normalizeError(error, `mnemo.${call.path.join('.')}`) }));
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return run;
  }

  private setOwner(ownerId: string): void {
    if (ownerId === this.ownerId) return;
    this.ownerId = ownerId;
    for (const [id, pending] of this.pending) {
      if (pending.to === null) {
        this.send(id, pending);
      } else {
        this.pending.delete(id);
        pending.reject(locked('mnemo: the tab that owned the database closed before answering; the call may or may not have been applied'));
      }
    }
    this.resolveOwnerKnown();
    this.notify({ type: 'ownership', ...this.snapshot() });
  }

  private receive(message: ChannelMessage): void {
    if (this.closed) return;
    switch (message.type) {
      case 'who':
        if (this.backend) this.post({ type: 'owner', ownerId: this.tabId });
        break;
      case 'owner':
        // The lock holder knows it is the owner; any other announcement it sees is stale.
        if (!this.backend) this.setOwner(message.ownerId);
        break;
      case 'request':
        if (this.backend && message.to === this.tabId) {
          void this.serve(message.call).then((outcome) => this.reply(message.id, message.from, outcome));
        }
        break;
      case 'response': {
        const pending = message.to === this.tabId ? this.pending.get(message.id) : undefined;
        if (pending) {
          this.pending.delete(message.id);
          settle(pending, message.outcome);
        }
        break;
      }
      case 'event':
        if (!this.backend) this.notify(message.event);
        break;
    }
  }

  private reply(id: string, to: string, outcome: Outcome): void {
    try {
      this.post({ type: 'response', id, to, outcome });
    } catch {
      // A result that cannot be cloned: tell the caller rather than leave it waiting.
      const error: MnemoError = { code: 'QUERY_FAILED', message: 'mnemo: the result could not be sent to the calling tab' };
      try {
        this.post({ type: 'response', id, to, outcome: { ok: false, error } });
      } catch {
        // The channel is closed: this owner is gone, and the caller learns it from the next owner.
      }
    }
  }

  private post(message: ChannelMessage): void {
    this.channel?.postMessage(message);
  }

  private snapshot(): Ownership {
    return { isOwner: this.ownerId === this.tabId, ownerId: this.ownerId ?? '', tabId: this.tabId };
  }
}

function settle(pending: Pending, outcome: Outcome): void {
  if (outcome.ok) pending.resolve(outcome.result);
  else pending.reject(outcome.error);
}
