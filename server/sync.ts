import type { Pool, PoolClient } from 'pg';
import type { ChangeRecord } from './protocol.js';

export type Access = 'read' | 'write' | 'owner';
export type PushStatus = 'applied' | 'superseded' | 'duplicate';

/** Namespace of the per-space advisory locks that order pushes (the other key is hashtext(space id)). */
const SPACE_LOCK = 1_836;

/** The caller's grant on a space, or null: a space without a grant is reported as missing, never as forbidden. */
export async function accessOf(db: Pool | PoolClient, spaceId: string, userId: string): Promise<Access | null> {
  const { rows } = await db.query<{ access: Access }>('SELECT access FROM grants WHERE space_id = $1 AND user_id = $2', [spaceId, userId]);
  return rows[0]?.access ?? null;
}

const later = (a: ChangeRecord, b: ChangeRecord) => (a.hlc !== b.hlc ? a.hlc > b.hlc : a.device > b.device);

/**
 * Applies a batch in one transaction. Pushes to one space are serialised by
 * an advisory lock held to commit, so `seq` values become visible in
 * increasing order and a pull cursor never skips a row committed late.
 * Known change ids are duplicates (a retried push); of the new changes, each
 * row keeps the latest by (hlc, device), compared with what the server has.
 */
export async function push(
  pool: Pool,
  userId: string,
  deviceId: string,
  spaceId: string,
  changes: ChangeRecord[],
): Promise<
  { status: 'not-found' } | { status: 'read-only' } | { status: 'ok'; results: Array<{ id: string; status: PushStatus }>; seq: { before: string; after: string } }
> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const access = await accessOf(client, spaceId, userId);
    if (!access) {
      await client.query('ROLLBACK');
      return { status: 'not-found' };
    }
    if (access === 'read') {
      await client.query('ROLLBACK');
      return { status: 'read-only' };
    }
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SPACE_LOCK, spaceId]);
    const lastSeq = async () =>
      (await client.query<{ seq: string }>('SELECT coalesce(max(seq), 0)::text AS seq FROM rows WHERE space_id = $1', [spaceId])).rows[0]!.seq;
    const before = await lastSeq();

    const inserted = await client.query<{ change_id: string }>(
      `INSERT INTO changes (space_id, change_id, table_name, row_id, hlc, device, applied, pushed_by)
       SELECT $1, c.id, c.tbl, c.row_id, c.hlc, c.device, false, $3
       FROM unnest($2::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS c(id, tbl, row_id, hlc, device)
       ON CONFLICT (space_id, change_id) DO NOTHING
       RETURNING change_id`,
      [spaceId, changes.map((c) => c.id), deviceId, changes.map((c) => c.table), changes.map((c) => c.rowId), changes.map((c) => c.hlc), changes.map((c) => c.device)],
    );
    const fresh = new Set(inserted.rows.map((r) => r.change_id));

    // One candidate per row: the batch's latest new change for it.
    const candidates = new Map<string, ChangeRecord>();
    for (const change of changes) {
      if (!fresh.has(change.id)) continue;
      const key = `${change.table}\u0000${change.rowId}`;
      const current = candidates.get(key);
      if (!current || later(change, current)) candidates.set(key, change);
    }
    const winners = [...candidates.values()];
    const applied = new Set<string>();
    if (winners.length > 0) {
      const upserted = await client.query<{ change_id: string }>(
        `WITH input AS (
           SELECT * FROM jsonb_to_recordset($2::jsonb)
             AS x(id text, tbl text, row_id text, hlc text, device text, deleted boolean, data jsonb, model text, vector text)
         ), written AS (
           INSERT INTO rows AS r (space_id, table_name, row_id, hlc, device, deleted, data, embedding_model, embedding, seq)
           SELECT $1, tbl, row_id, hlc, device, deleted, data, model, decode(vector, 'base64'), nextval('row_seq') FROM input
           ON CONFLICT (space_id, table_name, row_id) DO UPDATE SET
             hlc = EXCLUDED.hlc, device = EXCLUDED.device, deleted = EXCLUDED.deleted, data = EXCLUDED.data,
             embedding_model = EXCLUDED.embedding_model, embedding = EXCLUDED.embedding, seq = EXCLUDED.seq
           WHERE (r.hlc, r.device) < (EXCLUDED.hlc, EXCLUDED.device)
           RETURNING table_name, row_id
         )
         SELECT input.id AS change_id FROM written JOIN input ON input.tbl = written.table_name AND input.row_id = written.row_id`,
        [
          spaceId,
          JSON.stringify(
            winners.map((c) => ({
              id: c.id,
              tbl: c.table,
              row_id: c.rowId,
              hlc: c.hlc,
              device: c.device,
              deleted: c.deleted,
              data: c.deleted ? null : c.data,
              model: c.embedding?.model ?? null,
              vector: c.embedding?.vector ?? null,
            })),
          ),
        ],
      );
      for (const row of upserted.rows) applied.add(row.change_id);
      await client.query('UPDATE changes SET applied = true WHERE space_id = $1 AND change_id = ANY($2::text[])', [spaceId, [...applied]]);
    }
    const after = applied.size > 0 ? await lastSeq() : before;
    await client.query('COMMIT');
    return {
      status: 'ok',
      results: changes.map((c) => ({ id: c.id, status: !fresh.has(c.id) ? 'duplicate' : applied.has(c.id) ? 'applied' : 'superseded' })),
      // Under the lock, the space's rows with seq in (before, after] are exactly this push's.
      seq: { before, after },
    };
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/** A row's current version as pull returns it: a change record without its change id, plus the row's seq. */
export type PulledRow = Omit<ChangeRecord, 'id'> & { seq: string };

/** One page of a space's rows changed after `after`, in seq order, scoped by the caller's grant in the query itself. */
export async function pull(
  pool: Pool,
  userId: string,
  spaceId: string,
  after: string,
  limit: number,
): Promise<{ changes: PulledRow[]; cursor: string; hasMore: boolean } | null> {
  if (!(await accessOf(pool, spaceId, userId))) return null;
  const { rows } = await pool.query<{
    seq: string;
    table_name: string;
    row_id: string;
    hlc: string;
    device: string;
    deleted: boolean;
    data: Record<string, unknown> | null;
    embedding_model: string | null;
    vector: string | null;
    dims: number | null;
  }>(
    `SELECT r.seq::text AS seq, r.table_name, r.row_id, r.hlc, r.device, r.deleted, r.data, r.embedding_model,
            translate(encode(r.embedding, 'base64'), E'\\n', '') AS vector, length(r.embedding) / 4 AS dims
     FROM rows r JOIN grants g ON g.space_id = r.space_id AND g.user_id = $2
     WHERE r.space_id = $1 AND r.seq > $3::bigint
     ORDER BY r.seq
     LIMIT $4`,
    [spaceId, userId, after, limit + 1],
  );
  const page = rows.slice(0, limit);
  return {
    changes: page.map((r) => ({
      seq: r.seq,
      table: r.table_name as ChangeRecord['table'],
      rowId: r.row_id,
      hlc: r.hlc,
      device: r.device,
      deleted: r.deleted,
      data: r.data,
      ...(r.embedding_model && r.vector !== null && r.dims !== null ? { embedding: { model: r.embedding_model, dims: r.dims, vector: r.vector } } : {}),
    })),
    cursor: page.at(-1)?.seq ?? after,
    hasMore: rows.length > limit,
  };
}

export interface SearchHit {
  table: string;
  rowId: string;
  score: number;
  data: Record<string, unknown>;
}

/**
 * Keyword search over a space's live rows (PostgreSQL full text, websearch
 * syntax: words, "phrases", -exclusions, OR), best first; null without a grant.
 */
export async function search(pool: Pool, userId: string, spaceId: string, query: string, limit: number): Promise<SearchHit[] | null> {
  if (!(await accessOf(pool, spaceId, userId))) return null;
  const { rows } = await pool.query<{ table_name: string; row_id: string; score: number; data: Record<string, unknown> }>(
    `SELECT r.table_name, r.row_id, ts_rank(r.search, q)::float8 AS score, r.data
     FROM rows r JOIN grants g ON g.space_id = r.space_id AND g.user_id = $2,
          websearch_to_tsquery('simple', $3) AS q
     WHERE r.space_id = $1 AND NOT r.deleted AND r.search @@ q
     ORDER BY score DESC, r.table_name, r.row_id
     LIMIT $4`,
    [spaceId, userId, query, limit],
  );
  return rows.map((r) => ({ table: r.table_name, rowId: r.row_id, score: r.score, data: r.data }));
}
