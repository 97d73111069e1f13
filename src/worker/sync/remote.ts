/**
 * The sync server's HTTP API as the worker uses it (docs/sync.md). Every
 * failure becomes a `SyncFailure` whose message says what to do, never
 * quoting the token or row contents.
 */
import type { RemoteSpace } from '../../shared/api';
import type { RemoteVersion } from '../repos/sync';

export type FailureKind = 'unreachable' | 'unauthenticated' | 'forbidden' | 'not-found' | 'refused' | 'server';

export class SyncFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

/** A pushed change: a version as the server stores it, under a change id that makes a retry idempotent. */
export interface WireChange extends RemoteVersion {
  id: string;
}

export type PushStatus = 'applied' | 'superseded' | 'duplicate';

export interface PushReply {
  results: Array<{ id: string; status: PushStatus }>;
  seq?: { before: string; after: string };
}

export interface PullPage {
  changes: RemoteVersion[];
  cursor: string;
  hasMore: boolean;
}

/**
 * How long one request may take, reply body included, before it counts as a
 * failure and is retried with the usual backoff (push and pull are
 * idempotent). A push of one batch takes well under a second on a healthy server.
 */
export const REQUEST_TIMEOUT_MS = 60_000;

export class Remote {
  private readonly base: string;

  constructor(
    url: string,
    private readonly token: string,
    private readonly fetchFn: typeof fetch = (...args) => fetch(...args),
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
  ) {
    this.base = url.replace(/\/+$/, '');
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    // A server that accepts the connection and never answers would otherwise hold the sync loop forever.
    const signal = AbortSignal.timeout(this.timeoutMs);
    const timedOut = () => new SyncFailure('unreachable', `sync server did not answer within ${Math.round(this.timeoutMs / 1000)} s: will retry`);
    let response: Response;
    try {
      response = await this.fetchFn(`${this.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal,
      });
    } catch {
      throw signal.aborted ? timedOut() : new SyncFailure('unreachable', 'sync server unreachable (offline, or the server is down)');
    }
    let parsed: unknown = null;
    try {
      parsed = await response.json();
    } catch {
      if (signal.aborted) throw timedOut();
      if (response.ok) throw new SyncFailure('server', `sync server sent an unreadable reply (HTTP ${response.status})`);
    }
    if (response.status === 401) throw new SyncFailure('unauthenticated', 'the sync server refused the token (revoked or unknown): sign in again');
    if (response.status >= 500) throw new SyncFailure('server', `sync server error (HTTP ${response.status})`);
    return { status: response.status, body: parsed as T };
  }

  private static problem(status: number, body: unknown): string {
    const code = typeof body === 'object' && body !== null && 'code' in body ? String((body as { code: unknown }).code) : `HTTP ${status}`;
    return code;
  }

  async spaces(): Promise<RemoteSpace[]> {
    const { status, body } = await this.request<{ spaces?: RemoteSpace[] }>('GET', '/spaces');
    if (status !== 200 || !Array.isArray(body.spaces)) throw new SyncFailure('server', `listing spaces failed (${Remote.problem(status, body)})`);
    return body.spaces.map((s) => ({ id: s.id, name: s.name, access: s.access }));
  }

  /** Creates the space on the server, owned by the caller; false when someone else owns it. */
  async createSpace(id: string, name: string): Promise<boolean> {
    const { status, body } = await this.request('POST', '/spaces', { id, name });
    if (status === 200 || status === 201) return true;
    if (status === 409) return false;
    throw new SyncFailure(status === 400 ? 'refused' : 'server', `creating the space on the server failed (${Remote.problem(status, body)})`);
  }

  /**
   * Sends one batch; per change its status, and the space's last `seq` before
   * and after the batch was written (an older server sends no `seq`).
   */
  async push(spaceId: string, changes: WireChange[]): Promise<PushReply> {
    const { status, body } = await this.request<Partial<PushReply>>('POST', `/spaces/${encodeURIComponent(spaceId)}/push`, { changes });
    if (status === 200 && Array.isArray(body.results)) {
      const seq = body.seq;
      return { results: body.results, ...(seq && typeof seq.before === 'string' && typeof seq.after === 'string' ? { seq } : {}) };
    }
    if (status === 403) throw new SyncFailure('forbidden', 'this account may only read the space (a read grant): local changes stay here');
    if (status === 404) throw new SyncFailure('not-found', 'the space is not shared with this account on the server');
    throw new SyncFailure(status === 400 ? 'refused' : 'server', `the server refused the changes (${Remote.problem(status, body)})`);
  }

  async pull(spaceId: string, after: string, limit: number): Promise<PullPage> {
    const { status, body } = await this.request<PullPage>('GET', `/spaces/${encodeURIComponent(spaceId)}/pull?after=${encodeURIComponent(after)}&limit=${limit}`);
    if (status === 200 && Array.isArray(body.changes)) return body;
    if (status === 404) throw new SyncFailure('not-found', 'the space is not shared with this account on the server');
    throw new SyncFailure(status === 400 ? 'refused' : 'server', `pull failed (${Remote.problem(status, body)})`);
  }
}
