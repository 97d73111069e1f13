/**
 * The sync change log (migration 0006): per synced row its space, current
 * version and whether this device changed it since the server last
 * acknowledged; the staging of pulled versions; applying them. Column lists
 * come from the schema (PRAGMA table_info), never from pulled data.
 */
import { formatHlc, HybridClock, isLater } from '../../shared/hlc';
import type { Scope } from '../../shared/models';
import type { Sql, SqlValue } from '../engine/sql';
import { decodeVector, encodeVector } from '../engine/vector-codec';

/** Synced tables, parents before children: pulled rows are applied in this order. */
export const SYNC_TABLES = [
  'agents',
  'sessions',
  'conversations',
  'messages',
  'memories',
  'vector_entries',
  'stores',
  'contents',
  'chunks',
  'agent_executions',
] as const;
export type SyncTable = (typeof SYNC_TABLES)[number];
const RANK = new Map<string, number>(SYNC_TABLES.map((t, i) => [t, i]));
/** Tables that carry their scope; the others inherit it from their parent row. */
const ROOTS = new Set<string>(['agents', 'sessions', 'memories', 'vector_entries', 'agent_executions']);
const SCOPE_COLUMNS = new Set(['user_id', 'space_id']);
/** Where a child table's space comes from: its parent's log entry. */
const PARENT: Partial<Record<SyncTable, { table: SyncTable; column: string }>> = {
  conversations: { table: 'sessions', column: 'session_id' },
  messages: { table: 'conversations', column: 'conversation_id' },
  stores: { table: 'sessions', column: 'session_id' },
  contents: { table: 'stores', column: 'store_id' },
  chunks: { table: 'contents', column: 'content_id' },
};

export const isSyncTable = (table: string): table is SyncTable => RANK.has(table);

/** Whether writes are logged (migration 0008): off until the database syncs. Bulk writers ask it too. */
export const syncLogOn = (sql: Sql): boolean => Number(sql.value('SELECT sync_log FROM index_control WHERE id = 1')) === 1;

export interface LogEntry {
  n: number;
  tbl: SyncTable;
  rowId: string;
  hlc: string;
  deleted: boolean;
}

/** A version as pulled from the server. */
export interface RemoteVersion {
  table: SyncTable;
  rowId: string;
  hlc: string;
  device: string;
  deleted: boolean;
  data: Record<string, unknown> | null;
  /** A caller-supplied vector (docs/sync.md): base64 float32 little-endian. */
  embedding?: { model: string; dims: number; vector: string };
}

/** Tables whose rows can carry a caller's vector. */
export const VECTOR_TABLES = new Set<string>(['messages', 'memories', 'vector_entries', 'chunks']);

export interface ApplyOutcome {
  applied: number;
  /** Versions older than the local one (not applied). */
  older: number;
  /** A pending local change met a pulled version: one of them won. */
  conflicts: number;
  /** Could not be applied: a referenced row is missing (deleted meanwhile) or a value is refused. */
  skipped: number;
}

export interface SyncSpaceRow {
  cursor: string;
  conflicts: number;
  lastSyncAt: number | null;
}

export class SyncRepo {
  private clock: HybridClock | undefined;
  private readonly columns = new Map<string, string[]>();

  constructor(
    private readonly sql: Sql,
    private readonly wallClock: () => number = Date.now,
  ) {
    sql.beforeCommit(() => this.stamp());
  }

  private hlc(): HybridClock {
    this.clock ??= new HybridClock(this.wallClock, String(this.sql.value('SELECT clock FROM sync_state WHERE id = 1') ?? formatHlc({ wall: 0, counter: 0 })));
    return this.clock;
  }

  /**
   * Gives every entry the transaction marked (hlc NULL) the transaction's
   * HLC: one statement per transaction, a no-op through a partial index when
   * nothing synced was written.
   */
  stamp(): void {
    if (this.sql.value('SELECT 1 FROM sync_rows WHERE hlc IS NULL LIMIT 1') === undefined) return;
    const hlc = this.hlc().now();
    this.sql.run('UPDATE sync_rows SET hlc = ? WHERE hlc IS NULL', [hlc]);
    this.sql.run('UPDATE sync_state SET clock = ? WHERE id = 1', [hlc]);
  }

  /** Whether writes are logged (migration 0008): off until this database syncs. */
  logging(): boolean {
    return syncLogOn(this.sql);
  }

  /**
   * Starts the log (in the caller's transaction): every existing synced row
   * becomes a pending change of its space, versioned by its `updated_at` as
   * migration 0006 did, parents before children so each child finds its
   * space. Returns the entries written; 0 when the log was already on.
   */
  enableLog(): number {
    if (this.logging()) return 0;
    this.sql.run('UPDATE index_control SET sync_log = 1 WHERE id = 1');
    let logged = 0;
    for (const table of SYNC_TABLES) {
      const stamp = `printf('%013d-00000', ${table === 'chunks' ? 'c.created_at' : 'c.updated_at'})`;
      const parent = PARENT[table];
      logged += this.sql.run(
        parent
          ? `INSERT OR IGNORE INTO sync_rows (tbl, row_id, user_id, space_id, hlc)
             SELECT '${table}', c.id, p.user_id, p.space_id, ${stamp} FROM ${table} c JOIN sync_rows p ON p.tbl = '${parent.table}' AND p.row_id = c.${parent.column}`
          : `INSERT OR IGNORE INTO sync_rows (tbl, row_id, user_id, space_id, hlc) SELECT '${table}', c.id, c.user_id, c.space_id, ${stamp} FROM ${table} c`,
      );
    }
    const newest = this.sql.value('SELECT max(hlc) FROM sync_rows');
    if (typeof newest === 'string') this.receive([newest]);
    return logged;
  }

  /** Merges pulled clocks, so later local changes order after everything seen. */
  receive(hlcs: string[]): void {
    if (hlcs.length === 0) return;
    const clock = this.hlc();
    let last = '';
    for (const hlc of hlcs) last = clock.receive(hlc);
    this.sql.run('UPDATE sync_state SET clock = ? WHERE id = 1', [last]);
  }

  pendingCount(scope: Scope): number {
    return Number(this.sql.value('SELECT count(*) FROM sync_rows WHERE pending = 1 AND user_id = ? AND space_id = ?', [scope.userId, scope.spaceId]) ?? 0);
  }

  /** The oldest pending local changes of a space (entries stamped; call inside or after a transaction). */
  pending(scope: Scope, limit: number, afterN = 0): LogEntry[] {
    return this.sql
      .all<{ n: number; tbl: SyncTable; row_id: string; hlc: string; deleted: number }>(
        `SELECT n, tbl, row_id, hlc, deleted FROM sync_rows
         WHERE pending = 1 AND user_id = ? AND space_id = ? AND n > ? AND hlc IS NOT NULL ORDER BY n LIMIT ?`,
        [scope.userId, scope.spaceId, afterN, limit],
      )
      .map((r) => ({ n: Number(r.n), tbl: r.tbl, rowId: r.row_id, hlc: r.hlc, deleted: r.deleted === 1 }));
  }

  /** The row's columns as they sync: everything but its scope (the receiving device sets its own). */
  rowData(table: SyncTable, rowId: string): Record<string, SqlValue> | null {
    const row = this.sql.get<Record<string, SqlValue>>(`SELECT * FROM ${table} WHERE id = ?`, [rowId]);
    if (!row) return null;
    for (const column of SCOPE_COLUMNS) delete row[column];
    return row;
  }

  /** The server holds this version now (or a later one): forget it unless the row changed again since. */
  acknowledge(n: number, hlc: string): void {
    this.sql.run('UPDATE sync_rows SET pending = 0 WHERE n = ? AND hlc = ?', [n, hlc]);
  }

  /**
   * The row's newest vector of a registered (caller's) model, if any: the
   * only vectors that sync. As float32 bytes, whatever its stored format.
   */
  callerVector(table: SyncTable, rowId: string): { model: string; vector: Uint8Array } | undefined {
    if (!VECTOR_TABLES.has(table)) return undefined;
    const row = this.sql.get<{ model: string; dims: number; vector: Uint8Array }>(
      `SELECT e.model_id AS model, e.dims, e.vector FROM embeddings e JOIN embedding_models m ON m.id = e.model_id
       WHERE e.owner_table = ? AND e.owner_id = ? ORDER BY e.created_at DESC LIMIT 1`,
      [table, rowId],
    );
    return row && { model: row.model, vector: encodeVector(decodeVector(row.vector, Number(row.dims)), true) };
  }

  /** A pulled version without a vector: the caller vectors stored for the row described its old content. */
  dropCallerVectors(table: SyncTable, rowId: string): number {
    if (!VECTOR_TABLES.has(table)) return 0;
    return this.sql.run('DELETE FROM embeddings WHERE owner_table = ? AND owner_id = ? AND model_id IN (SELECT id FROM embedding_models)', [table, rowId]);
  }

  /** Stops sending a change the server can never take (a row id outside its id rule). */
  drop(n: number): void {
    this.sql.run('UPDATE sync_rows SET pending = 0 WHERE n = ?', [n]);
  }

  space(scope: Scope): SyncSpaceRow {
    const row = this.sql.get<{ cursor: string; conflicts: number; last_sync_at: number | null }>(
      'SELECT cursor, conflicts, last_sync_at FROM sync_spaces WHERE user_id = ? AND space_id = ?',
      [scope.userId, scope.spaceId],
    );
    return { cursor: row?.cursor ?? '0', conflicts: Number(row?.conflicts ?? 0), lastSyncAt: row?.last_sync_at == null ? null : Number(row.last_sync_at) };
  }

  private touchSpace(scope: Scope): void {
    this.sql.run('INSERT INTO sync_spaces (user_id, space_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [scope.userId, scope.spaceId]);
  }

  addConflicts(scope: Scope, count: number): void {
    if (count === 0) return;
    this.touchSpace(scope);
    this.sql.run('UPDATE sync_spaces SET conflicts = conflicts + ? WHERE user_id = ? AND space_id = ?', [count, scope.userId, scope.spaceId]);
  }

  synced(scope: Scope, at: number): void {
    this.touchSpace(scope);
    this.sql.run('UPDATE sync_spaces SET last_sync_at = ? WHERE user_id = ? AND space_id = ?', [at, scope.userId, scope.spaceId]);
  }

  /** Stages one pulled page and moves the cursor past it (the caller's transaction makes both one step). */
  stage(scope: Scope, versions: RemoteVersion[], cursor: string): void {
    this.sql.runEach(
      'INSERT INTO sync_inbox (user_id, space_id, rank, tbl, row_id, hlc, device, deleted, data, vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      versions.map((c) => [
        scope.userId,
        scope.spaceId,
        RANK.get(c.table)!,
        c.table,
        c.rowId,
        c.hlc,
        c.device,
        c.deleted ? 1 : 0,
        c.deleted ? null : JSON.stringify(c.data),
        c.embedding && !c.deleted ? JSON.stringify(c.embedding) : null,
      ]),
    );
    this.touchSpace(scope);
    this.sql.run('UPDATE sync_spaces SET cursor = ? WHERE user_id = ? AND space_id = ?', [cursor, scope.userId, scope.spaceId]);
  }

  /** Moves the pull cursor from `from` to `to`, only if it is still at `from`. */
  advanceCursor(scope: Scope, from: string, to: string): void {
    this.sql.run('UPDATE sync_spaces SET cursor = ? WHERE user_id = ? AND space_id = ? AND cursor = ?', [to, scope.userId, scope.spaceId, from]);
  }

  inboxCount(scope: Scope): number {
    return Number(this.sql.value('SELECT count(*) FROM sync_inbox WHERE user_id = ? AND space_id = ?', [scope.userId, scope.spaceId]) ?? 0);
  }

  /** The next staged versions in apply order (parents first), removed from the inbox by `applyStaged`. */
  staged(scope: Scope, limit: number): Array<RemoteVersion & { n: number }> {
    return this.sql
      .all<{ n: number; tbl: SyncTable; row_id: string; hlc: string; device: string; deleted: number; data: string | null; vector: string | null }>(
        'SELECT n, tbl, row_id, hlc, device, deleted, data, vector FROM sync_inbox WHERE user_id = ? AND space_id = ? ORDER BY rank, n LIMIT ?',
        [scope.userId, scope.spaceId, limit],
      )
      .map((r) => ({
        n: Number(r.n),
        table: r.tbl,
        rowId: r.row_id,
        hlc: r.hlc,
        device: r.device,
        deleted: r.deleted === 1,
        data: r.data === null ? null : (JSON.parse(r.data) as Record<string, unknown>),
        ...(r.vector === null ? {} : { embedding: JSON.parse(r.vector) as NonNullable<RemoteVersion['embedding']> }),
      }));
  }

  unstage(ns: number[]): void {
    this.sql.runEach('DELETE FROM sync_inbox WHERE n = ?', ns.map((n) => [n]));
  }

  private columnsOf(table: SyncTable): string[] {
    let columns = this.columns.get(table);
    if (!columns) {
      columns = this.sql.all<{ name: string }>(`SELECT name FROM pragma_table_info('${table}')`).map((c) => c.name);
      this.columns.set(table, columns);
    }
    return columns;
  }

  /**
   * Applies pulled versions to `scope` (call inside a transaction), each by
   * last writer wins against the local entry: (hlc, device) compared
   * byte-wise, '' standing for `device` (this one). The entry then holds the
   * remote version and is not pending, so it is never pushed back; rows a
   * remote delete cascades to become local tombstones, pushed like any.
   */
  apply(scope: Scope, versions: RemoteVersion[], device: string, onApplied?: (change: RemoteVersion) => void): ApplyOutcome {
    const outcome: ApplyOutcome = { applied: 0, older: 0, conflicts: 0, skipped: 0 };
    for (const change of versions) {
      const local = this.sql.get<{ hlc: string | null; device: string; pending: number; user_id: string; space_id: string }>(
        'SELECT hlc, device, pending, user_id, space_id FROM sync_rows WHERE tbl = ? AND row_id = ?',
        [change.table, change.rowId],
      );
      if (local && (local.user_id !== scope.userId || local.space_id !== scope.spaceId)) {
        // The same row id lives in another local space: never let a pulled change cross scopes.
        outcome.skipped += 1;
        continue;
      }
      const remoteDevice = change.device === device ? '' : change.device;
      if (local?.hlc) {
        const mine = { hlc: local.hlc, device: local.device || device };
        if (local.pending === 1 && (mine.hlc !== change.hlc || mine.device !== change.device)) outcome.conflicts += 1;
        if (!isLater(change, mine)) {
          outcome.older += 1;
          continue;
        }
      }
      if (!this.write(scope, change)) {
        outcome.skipped += 1;
        continue;
      }
      this.sql.run(
        `INSERT INTO sync_rows (tbl, row_id, user_id, space_id, hlc, device, deleted, pending) VALUES (?, ?, ?, ?, ?, ?, ?, 0)
         ON CONFLICT (tbl, row_id) DO UPDATE SET hlc = excluded.hlc, device = excluded.device, deleted = excluded.deleted, pending = 0`,
        [change.table, change.rowId, scope.userId, scope.spaceId, change.hlc, remoteDevice, change.deleted ? 1 : 0],
      );
      outcome.applied += 1;
      if (!change.deleted) onApplied?.(change);
    }
    return outcome;
  }

  /** Writes one version into its table; false when SQLite refuses it (a missing parent, a bad value). */
  private write(scope: Scope, change: RemoteVersion): boolean {
    const table = change.table;
    if (change.deleted || !change.data) {
      this.sql.run(`DELETE FROM ${table} WHERE id = ?`, [change.rowId]);
      return true;
    }
    const data = change.data;
    const columns = this.columnsOf(table).filter((c) => !SCOPE_COLUMNS.has(c) && c !== 'id' && c in data);
    const values: SqlValue[] = columns.map((c) => toSqlValue(data[c]));
    const names = ['id', ...columns];
    const params: SqlValue[] = [change.rowId, ...values];
    if (ROOTS.has(table)) {
      names.push('user_id', 'space_id');
      params.push(scope.userId, scope.spaceId);
    } else if (!this.parentInScope(change, scope)) {
      return false;
    }
    const updates = columns.map((c) => `${c} = excluded.${c}`).join(', ');
    try {
      this.sql.run(
        `INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})
         ON CONFLICT (id) DO ${updates ? `UPDATE SET ${updates}` : 'NOTHING'}`,
        params,
      );
      return true;
    } catch {
      return false;
    }
  }

  /** A child row may only attach to a parent of the same local space. */
  private parentInScope(change: RemoteVersion, scope: Scope): boolean {
    const parent = PARENTS[change.table];
    if (!parent) return true;
    const parentId = change.data?.[parent.column];
    if (typeof parentId !== 'string') return false;
    const row = this.sql.get<{ user_id: string; space_id: string }>('SELECT user_id, space_id FROM sync_rows WHERE tbl = ? AND row_id = ? AND deleted = 0', [
      parent.table,
      parentId,
    ]);
    return row !== undefined && row.user_id === scope.userId && row.space_id === scope.spaceId;
  }
}

const PARENTS: Partial<Record<SyncTable, { table: SyncTable; column: string }>> = {
  conversations: { table: 'sessions', column: 'session_id' },
  messages: { table: 'conversations', column: 'conversation_id' },
  stores: { table: 'sessions', column: 'session_id' },
  contents: { table: 'stores', column: 'store_id' },
  chunks: { table: 'contents', column: 'content_id' },
};

function toSqlValue(value: unknown): SqlValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  // A JSON column arrives as its text; anything else structured is stored as JSON text.
  return JSON.stringify(value);
}
