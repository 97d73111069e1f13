/**
 * The sync client (docs/sync.md): per configured space, pull the server's
 * changes since the stored cursor (paged, staged, then applied by last writer
 * wins), push the local changes since the last acknowledged one (500 per
 * request), and pull again when a pushed change was superseded. Every step is
 * idempotent: a page is staged together with its cursor, an acknowledged
 * change leaves the log only if the row did not change again, and a retried
 * push comes back `duplicate`. Runs only in the tab that owns the database
 * (the backend exists only there), automatically when configured so: after
 * local changes (debounced), when the browser comes online, every interval,
 * and with exponential backoff after a failure.
 */
import type { MnemoEvent, RegisteredModel, RemoteSpace, SyncConfigInput, SyncReport, SyncSpaceStatus, SyncStatus } from '../../shared/api';
import { fail } from '../../shared/errors';
import { fromHex, toHex } from '../../shared/hex';
import type { Scope } from '../../shared/models';
import { SYNC_ID } from '../../shared/input/sync';
import type { Changes } from '../events';
import type { VectorStore } from '../embed/service';
import type { OwnerTable } from '../repos/embeddings';
import type { Db } from '../repos';
import { isSyncTable, VECTOR_TABLES, type LogEntry, type RemoteVersion, type SyncTable } from '../repos/sync';
import type { SyncConfig, SyncConfigStore } from './config-store';
import { Remote, SyncFailure, type WireChange } from './remote';

export const PULL_PAGE = 500;
export const PUSH_BATCH = 500;
const APPLY_BATCH = 500;
const DEFAULT_INTERVAL_MS = 30_000;
const MAX_BACKOFF_MS = 5 * 60_000;

export interface SyncDeps {
  db: Db;
  events: Changes & { emit(event: MnemoEvent): void };
  now: () => number;
  store: SyncConfigStore;
  /** The database's name: its sync settings are kept per database. */
  name: () => string;
  fetch?: typeof fetch;
  /** Wait after a local change before syncing it (default 1 s). */
  debounceMs?: number;
  /** First retry after a failure (default 2 s), doubling up to five minutes. */
  backoffMs?: number;
  /** Caller-supplied vectors: the registry and the store that keeps loaded indexes in step. */
  vectors?: VectorStore & { callerModel(modelId: string): RegisteredModel | undefined; invalidate(): void };
}

/** The server's limit on a synced vector's length. */
const MAX_SYNCED_DIMS = 4096;

function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text: string): Float32Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Float32Array(bytes.buffer, 0, bytes.byteLength >> 2);
}

/**
 * The longest row id the server takes: `x:` + the hex of an id's UTF-8, at most 3 bytes per UTF-16
 * unit of an id of at most 128 (server/protocol.ts, MAX_ROW_ID), so every id the API accepts fits.
 */
const MAX_WIRE_ID = 2 + 128 * 6;

/** Row ids the server's id rule refuses travel hex-encoded behind `x:` (and so does any id starting with `x:`). */
export function toWireId(id: string): string | null {
  if (SYNC_ID.test(id) && !id.startsWith('x:')) return id;
  const hex = toHex(new TextEncoder().encode(id));
  return hex.length + 2 <= MAX_WIRE_ID ? `x:${hex}` : null;
}

export function fromWireId(wire: string): string {
  if (!wire.startsWith('x:')) return wire;
  return new TextDecoder().decode(fromHex(wire.slice(2)));
}

/** Values of row columns that hold ids of other rows: encoded like row ids on the wire. */
const ID_COLUMNS = new Set(['session_id', 'conversation_id', 'agent_id', 'store_id', 'content_id', 'source_message_id']);

function mapIds(data: Record<string, unknown>, map: (id: string) => string | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) out[key] = ID_COLUMNS.has(key) && typeof value === 'string' ? map(value) : value;
  return out;
}

function randomId(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(12)));
}

const scopeKey = (s: Scope) => JSON.stringify([s.userId, s.spaceId]);

interface SpaceState {
  access: SyncSpaceStatus['access'];
  lastError: string | null;
}

export class SyncService {
  private config: SyncConfig | null = null;
  private loadedFor: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private syncing = false;
  private applying = false;
  private lastSyncAt: number | null = null;
  private lastError: string | null = null;
  private failures = 0;
  private nextRetryAt: number | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  /** The server refused the token: automatic sync waits for configure() (sync.now() still tries). */
  private refused = false;
  private readonly spaceStates = new Map<string, SpaceState>();
  private readonly removeOnline: () => void;

  constructor(private readonly deps: SyncDeps) {
    const onOnline = () => this.schedule(0);
    const target = globalThis as unknown as Partial<Pick<EventTarget, 'addEventListener' | 'removeEventListener'>>;
    target.addEventListener?.('online', onOnline);
    this.removeOnline = () => target.removeEventListener?.('online', onOnline);
  }

  /** Loads the settings and, when automatic sync is on, starts it. */
  async start(): Promise<void> {
    let config: SyncConfig | null;
    try {
      config = await this.load();
    } catch (error) {
      // Read failures can be transient (a tab taking over storage another is leaving): a
      // swallowed one would leave automatic sync off in this owner until the page reloads.
      this.lastError = `sync settings could not be read: ${error instanceof Error ? error.name : 'unknown error'}`;
      this.failures += 1;
      if (!this.stopped) this.timer = setTimeout(() => void this.start().catch(() => undefined), this.backoff(1_000));
      throw error;
    }
    if (config?.token && config.auto) this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
    this.removeOnline();
  }

  private async load(): Promise<SyncConfig | null> {
    const name = this.deps.name();
    if (this.loadedFor !== name) {
      this.config = await this.deps.store.read(name);
      this.loadedFor = name;
    }
    return this.config;
  }

  private async save(config: SyncConfig): Promise<void> {
    await this.deps.store.write(this.deps.name(), config);
    this.config = config;
    this.loadedFor = this.deps.name();
  }

  async configure(input: SyncConfigInput): Promise<SyncStatus> {
    const previous = await this.load();
    const spaces = input.spaces ?? previous?.spaces ?? [];
    const unique = new Map(spaces.map((s) => [s.spaceId, { userId: s.userId, spaceId: s.spaceId }]));
    if (unique.size !== spaces.length) fail('INVALID_INPUT', "sync.configure: field 'spaces' must not name one spaceId twice (the server knows a space by its id)");
    const token = input.token ?? (previous?.url === input.url ? previous.token : null);
    if (!token) fail('INVALID_INPUT', "sync.configure: field 'token' is required (no token is stored for this URL)");
    await this.save({
      deviceId: previous?.deviceId ?? randomId(),
      url: input.url,
      token,
      spaces: [...unique.values()],
      auto: input.auto ?? true,
      intervalMs: input.intervalMs ?? DEFAULT_INTERVAL_MS,
    });
    // A configured space exists locally from the start, so a device joining a shared space has somewhere to put it.
    const at = this.deps.now();
    this.deps.db.sql.tx(() => {
      for (const scope of unique.values()) this.deps.db.repos.spaces.ensure(scope, at);
      // From now on writes are logged; what was written before becomes pending changes.
      this.deps.db.repos.sync.enableLog();
    });
    this.lastError = null;
    this.failures = 0;
    this.nextRetryAt = null;
    this.spaceStates.clear();
    this.stopped = false;
    this.refused = false;
    if (this.config?.auto) this.schedule(0);
    else this.clearTimer();
    return this.status();
  }

  async disable(): Promise<SyncStatus> {
    const previous = await this.load();
    this.clearTimer();
    if (previous) await this.save({ ...previous, url: null, token: null, spaces: [] });
    this.lastError = null;
    this.nextRetryAt = null;
    this.spaceStates.clear();
    return this.status();
  }

  async remoteSpaces(): Promise<RemoteSpace[]> {
    return this.guarded(() => this.remote().spaces());
  }

  /** Called after every committed write: local changes to synced tables start a debounced sync. */
  written(table: string): void {
    if (this.applying || this.stopped || !this.config?.token || !this.config.auto) return;
    if (table !== '*' && !isSyncTable(table)) return;
    if (this.nextRetryAt !== null) return; // backing off: the retry will carry this change too
    this.schedule(this.deps.debounceMs ?? 1_000);
  }

  async status(): Promise<SyncStatus> {
    const config = await this.load();
    const repo = this.deps.db.repos.sync;
    const spaces: SyncSpaceStatus[] = (config?.spaces ?? []).map((scope) => {
      const row = repo.space(scope);
      const state = this.spaceStates.get(scopeKey(scope));
      return {
        ...scope,
        pending: repo.pendingCount(scope),
        conflictsResolved: row.conflicts,
        lastSyncAt: row.lastSyncAt,
        access: state?.access ?? null,
        lastError: state?.lastError ?? null,
      };
    });
    return {
      configured: Boolean(config?.token && config.url),
      url: config?.url ?? null,
      deviceId: config?.deviceId ?? null,
      auto: Boolean(config?.token && config.auto),
      syncing: this.syncing,
      lastSyncAt: this.lastSyncAt,
      lastError: this.lastError,
      nextRetryAt: this.nextRetryAt,
      pending: spaces.reduce((sum, s) => sum + s.pending, 0),
      conflictsResolved: spaces.reduce((sum, s) => sum + s.conflictsResolved, 0),
      spaces,
    };
  }

  /** One sync of every configured space; calls made while one runs wait for it and then run their own. */
  now(): Promise<SyncReport> {
    const run = this.queue.then(() => this.round());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.refused) return;
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      const online = (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine !== false;
      if (!online) return; // the 'online' event starts the next one
      this.now().catch(() => undefined); // the failure is in status() and has scheduled the retry
    }, delayMs);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private remote(): Remote {
    const config = this.config;
    if (!config?.url || !config.token) fail('SYNC_FAILED', 'sync is not configured: call sync.configure({ url, token }) first');
    return new Remote(config.url, config.token, this.deps.fetch);
  }

  private async guarded<T>(fn: () => Promise<T>): Promise<T> {
    await this.load();
    try {
      return await fn();
    } catch (error) {
      if (error instanceof SyncFailure) fail('SYNC_FAILED', `sync: ${error.message}`);
      throw error;
    }
  }

  private async round(): Promise<SyncReport> {
    const config = await this.load();
    const report = { pushed: 0, pulled: 0, applied: 0, conflictsResolved: 0, skipped: 0 };
    this.syncing = true;
    this.clearTimer();
    try {
      const remote = this.remote();
      // A database imported or cleared since configure() has its log off: start it before pushing.
      const { sql, repos } = this.deps.db;
      if (!repos.sync.logging()) sql.tx(() => repos.sync.enableLog());
      const reachable = await remote.spaces();
      let firstError: SyncFailure | null = null;
      for (const scope of config?.spaces ?? []) {
        const state: SpaceState = this.spaceStates.get(scopeKey(scope)) ?? { access: null, lastError: null };
        this.spaceStates.set(scopeKey(scope), state);
        try {
          await this.syncSpace(remote, reachable, scope, state, report);
          state.lastError = null;
        } catch (error) {
          if (!(error instanceof SyncFailure)) throw error;
          state.lastError = error.message;
          // Without the server or the token no other space can sync either.
          if (error.kind === 'unreachable' || error.kind === 'unauthenticated') throw error;
          firstError ??= error;
        }
      }
      if (firstError) throw firstError;
      this.lastSyncAt = this.deps.now();
      this.lastError = null;
      this.refused = false;
      this.failures = 0;
      this.nextRetryAt = null;
      if (config?.auto) this.schedule(config.intervalMs);
      return { ...report, status: await this.status() };
    } catch (error) {
      this.failed(error);
      if (error instanceof SyncFailure) fail('SYNC_FAILED', `sync: ${error.message}`);
      throw error;
    } finally {
      this.syncing = false;
    }
  }

  /** Exponential backoff from `baseMs` after the failures so far, capped. */
  private backoff(baseMs: number): number {
    return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** (this.failures - 1));
  }

  private failed(error: unknown): void {
    this.lastError = error instanceof SyncFailure ? error.message : error instanceof Error ? error.message : 'sync failed';
    this.failures += 1;
    const config = this.config;
    // A refused token will not start working by itself: wait for configure() instead of retrying.
    if (error instanceof SyncFailure && error.kind === 'unauthenticated') this.refused = true;
    if (!config?.auto || this.refused) {
      this.nextRetryAt = null;
      this.clearTimer();
      return;
    }
    const delay = this.backoff(this.deps.backoffMs ?? 2_000) * (0.75 + Math.random() * 0.5);
    this.nextRetryAt = this.deps.now() + Math.round(delay);
    this.schedule(delay);
  }

  private async syncSpace(remote: Remote, reachable: RemoteSpace[], scope: Scope, state: SpaceState, report: Omit<SyncReport, 'status'>): Promise<void> {
    let access = reachable.find((s) => s.id === scope.spaceId)?.access ?? null;
    if (!access) {
      const name = this.deps.db.repos.spaces.get(scope).name;
      if (!(await remote.createSpace(scope.spaceId, name))) {
        state.access = null;
        throw new SyncFailure('not-found', `space '${scope.spaceId}' belongs to another account on the server and is not shared with this one`);
      }
      access = 'owner';
    }
    state.access = access;
    await this.pull(remote, scope, report);
    if (access === 'read') {
      const pending = this.deps.db.repos.sync.pendingCount(scope);
      if (pending > 0) throw new SyncFailure('forbidden', `read-only access to space '${scope.spaceId}': ${pending} local changes stay on this device`);
    } else if (await this.push(remote, scope, report)) {
      // A pushed change lost to a later one: fetch the winner now rather than at the next sync.
      await this.pull(remote, scope, report);
    }
    this.deps.db.sql.tx(() => this.deps.db.repos.sync.synced(scope, this.deps.now()));
  }

  /** Stages every page since the cursor (each page with its cursor, in one transaction), then applies the inbox. */
  private async pull(remote: Remote, scope: Scope, report: Omit<SyncReport, 'status'>): Promise<void> {
    const { db, events } = this.deps;
    const repo = db.repos.sync;
    let cursor = repo.space(scope).cursor;
    let pulled = 0;
    for (;;) {
      const page = await remote.pull(scope.spaceId, cursor, PULL_PAGE);
      const versions: RemoteVersion[] = [];
      for (const change of page.changes) {
        if (!isSyncTable(change.table)) continue; // a table this version does not sync (a newer client's)
        versions.push({ ...change, rowId: fromWireId(change.rowId), data: change.data ? mapIds(change.data, fromWireId) : null });
      }
      db.sql.tx(() => repo.stage(scope, versions, page.cursor));
      cursor = page.cursor;
      pulled += page.changes.length;
      report.pulled += page.changes.length;
      events.emit({ type: 'progress', task: 'sync', done: pulled, total: pulled + (page.hasMore ? PULL_PAGE : 0), detail: `pulling ${scope.spaceId}` });
      if (!page.hasMore) break;
    }
    await this.applyInbox(scope, report);
  }

  private async applyInbox(scope: Scope, report: Omit<SyncReport, 'status'>): Promise<void> {
    const { db, events } = this.deps;
    const repo = db.repos.sync;
    const total = repo.inboxCount(scope);
    if (total === 0) return;
    const device = this.config!.deviceId;
    let done = 0;
    this.applying = true;
    try {
      for (;;) {
        const batch = repo.staged(scope, APPLY_BATCH);
        if (batch.length === 0) break;
        const vectors = this.deps.vectors;
        let dropped = 0;
        const onApplied = (change: RemoteVersion) => {
          if (!VECTOR_TABLES.has(change.table)) return;
          const model = change.embedding && vectors?.callerModel(change.embedding.model);
          if (model && change.embedding && model.dims === change.embedding.dims) {
            const vector = fromBase64(change.embedding.vector);
            if (vector.length === model.dims) {
              vectors!.storeVector(change.table as OwnerTable, change.rowId, scope, model.id, vector);
              return;
            }
          }
          // No vector of a model registered here: the caller's old vector described the old content.
          dropped += repo.dropCallerVectors(change.table, change.rowId);
        };
        const run = () =>
          db.sql.tx(() => {
            repo.receive(batch.map((c) => c.hlc));
            const result = repo.apply(scope, batch, device, onApplied);
            repo.addConflicts(scope, result.conflicts);
            repo.unstage(batch.map((c) => c.n));
            return result;
          });
        const outcome = vectors ? vectors.vectorWrite(run) : run();
        if (dropped > 0) vectors?.invalidate();
        report.applied += outcome.applied;
        report.conflictsResolved += outcome.conflicts;
        report.skipped += outcome.skipped;
        done += batch.length;
        events.changed('*', scope);
        events.emit({ type: 'progress', task: 'sync', done, total, detail: `applying ${scope.spaceId}` });
        // Let other calls of this tab in between batches of a large first sync.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    } finally {
      this.applying = false;
    }
  }

  /** Pushes every pending change of the space; true when one was superseded by a later version on the server. */
  private async push(remote: Remote, scope: Scope, report: Omit<SyncReport, 'status'>): Promise<boolean> {
    const { db } = this.deps;
    const repo = db.repos.sync;
    const device = this.config!.deviceId;
    db.sql.tx(() => undefined); // stamps entries left unstamped by a write outside a transaction
    let superseded = 0;
    let after = 0;
    for (;;) {
      const entries = repo.pending(scope, PUSH_BATCH, after);
      if (entries.length === 0) break;
      after = entries.at(-1)!.n;
      const changes: Array<{ entry: LogEntry; wire: WireChange }> = [];
      const unsendable: number[] = [];
      for (const entry of entries) {
        const wire = this.toWire(entry, device);
        if (wire) changes.push({ entry, wire });
        else unsendable.push(entry.n);
      }
      if (unsendable.length > 0) db.sql.tx(() => unsendable.forEach((n) => repo.drop(n)));
      if (changes.length === 0) continue;
      const { results, seq } = await remote.push(scope.spaceId, changes.map((c) => c.wire));
      const byId = new Map(results.map((r) => [r.id, r.status]));
      let lost = 0;
      db.sql.tx(() => {
        // Nobody wrote to the space since this device's cursor, so the rows up to `after` are
        // the ones just pushed: the next pull starts after them instead of fetching them back.
        if (seq) repo.advanceCursor(scope, seq.before, seq.after);
        for (const { entry, wire } of changes) {
          const status = byId.get(wire.id);
          if (!status) continue;
          if (status === 'superseded') lost += 1;
          repo.acknowledge(entry.n, entry.hlc);
        }
        repo.addConflicts(scope, lost);
      });
      superseded += lost;
      report.conflictsResolved += lost;
      report.pushed += changes.length;
    }
    return superseded > 0;
  }

  private toWire(entry: LogEntry, device: string): WireChange | null {
    const rowId = toWireId(entry.rowId);
    if (!rowId) return null;
    const data = entry.deleted ? null : this.deps.db.repos.sync.rowData(entry.tbl, entry.rowId);
    let wireData: Record<string, unknown> | null = null;
    if (data) {
      wireData = mapIds(data, toWireId);
      if (Object.entries(wireData).some(([key, value]) => ID_COLUMNS.has(key) && value === null && data[key] !== null)) return null;
    }
    const embedding = data ? this.callerVector(entry.tbl, entry.rowId) : undefined;
    return {
      // Deterministic, so a retried push of the same version is recognised as a duplicate.
      id: `${device}.${entry.hlc}.${entry.n}`,
      table: entry.tbl,
      rowId,
      hlc: entry.hlc,
      device,
      deleted: data === null,
      data: wireData,
      ...(embedding ? { embedding } : {}),
    };
  }

  /** Only a vector the caller supplied travels (docs/sync.md); Mnemo's own model runs on every device. */
  private callerVector(table: SyncTable, rowId: string): WireChange['embedding'] {
    const stored = this.deps.db.repos.sync.callerVector(table, rowId);
    if (!stored || stored.model.length > 200) return undefined;
    const dims = stored.vector.byteLength / 4;
    if (dims < 1 || dims > MAX_SYNCED_DIMS) return undefined;
    return { model: stored.model, dims, vector: toBase64(stored.vector) };
  }
}
