/**
 * Stored vectors, one per (owner row, model). Each row keeps its owner's
 * scope so the in-worker index can filter by scope without a join. A caller's
 * vector is stored exactly (float32); one Mnemo computed is stored compact
 * (engine/vector-codec.ts), and every read decodes either to float32.
 */
import type { Scope } from '../../shared/models';
import { fail } from '../../shared/errors';
import type { Sql } from '../engine/sql';
import { decodeVector, encodeVector } from '../engine/vector-codec';

export const OWNER_TABLES = ['messages', 'memories', 'vector_entries', 'chunks'] as const;
export type OwnerTable = (typeof OWNER_TABLES)[number];

export interface StoredVector extends Scope {
  table: OwnerTable;
  id: string;
  vector: Float32Array;
}

export class EmbeddingsRepo {
  constructor(private readonly sql: Sql) {}

  /** Vectors stored under a model, from the count triggers keep (migration 0007): one row read. */
  count(modelId: string): number {
    return Number(this.sql.value('SELECT n FROM embedding_counts WHERE model_id = ?', [modelId]) ?? 0);
  }

  /** Every vector of one model, with its owner and scope, one at a time (a 1536-d model's vectors can be gigabytes). */
  each(modelId: string, fn: (row: StoredVector) => void): void {
    this.sql.each<{ t: OwnerTable; id: string; userId: string; spaceId: string; dims: number; vector: Uint8Array }>(
      'SELECT owner_table AS t, owner_id AS id, user_id AS userId, space_id AS spaceId, dims, vector FROM embeddings WHERE model_id = ?',
      [modelId],
      (row) => fn({ table: row.t, id: row.id, userId: row.userId, spaceId: row.spaceId, vector: decodeVector(row.vector, Number(row.dims)) }),
    );
  }

  /** Dimensions of the vectors stored under a model (null when it has none). */
  dims(modelId: string): number | null {
    // No index on model_id: the count says whether looking is worth a scan.
    if (this.count(modelId) === 0) return null;
    const dims = this.sql.value('SELECT dims FROM embeddings WHERE model_id = ? LIMIT 1', [modelId]);
    return dims === undefined ? null : Number(dims);
  }

  /** Counts every model's vectors again (rebuildIndex: a repair if the kept counts were ever off). */
  recount(): void {
    this.sql.run('DELETE FROM embedding_counts');
    this.sql.run('INSERT INTO embedding_counts (model_id, n) SELECT model_id, count(*) FROM embeddings GROUP BY model_id');
  }

  /** Models whose kept count differs from the vectors stored, one line each (`recount()` repairs them). */
  countIssues(): string[] {
    const counted = this.countsByModel();
    const issues: string[] = [];
    for (const { model, n } of this.sql.all<{ model: string; n: number }>('SELECT model_id AS model, count(*) AS n FROM embeddings GROUP BY model_id')) {
      const kept = counted.get(String(model)) ?? 0;
      counted.delete(String(model));
      if (kept !== Number(n)) issues.push(`vector counts say ${kept} for model ${String(model)}, ${Number(n)} stored`);
    }
    for (const [model, kept] of counted) issues.push(`vector counts say ${kept} for model ${model}, 0 stored`);
    return issues;
  }

  /** Rows holding a vector, per model. */
  countsByModel(): Map<string, number> {
    const rows = this.sql.all<{ model: string; n: number }>('SELECT model_id AS model, n FROM embedding_counts WHERE n > 0');
    return new Map(rows.map((r) => [String(r.model), Number(r.n)]));
  }

  /**
   * One row's vector: of `modelId` when given; else its newest vector of a
   * registered (caller's) model, else the one of `fallbackModel`.
   */
  read(table: OwnerTable, id: string, modelId: string | undefined, fallbackModel: string): { modelId: string; vector: Float32Array } | undefined {
    const row =
      modelId !== undefined
        ? this.sql.get<{ m: string; d: number; v: Uint8Array }>(
            'SELECT model_id AS m, dims AS d, vector AS v FROM embeddings WHERE owner_table = ? AND owner_id = ? AND model_id = ?',
            [table, id, modelId],
          )
        : this.sql.get<{ m: string; d: number; v: Uint8Array }>(
            `SELECT e.model_id AS m, e.dims AS d, e.vector AS v FROM embeddings e
             WHERE e.owner_table = ? AND e.owner_id = ? AND (e.model_id = ? OR e.model_id IN (SELECT id FROM embedding_models))
             ORDER BY e.model_id = ?, e.created_at DESC LIMIT 1`,
            [table, id, fallbackModel, fallbackModel],
          );
    return row && { modelId: String(row.m), vector: decodeVector(row.v, Number(row.d)) };
  }

  /**
   * Stores a vector, replacing one of the same owner and model (an UPSERT, so
   * the per-model count stays right): exactly when
   * `exact` (a caller's vector), else compact (one Mnemo computed). Returns
   * the vector as a read will return it, for indexes kept in step.
   */
  put(entry: StoredVector, modelId: string, now: number, exact: boolean): Float32Array {
    const blob = encodeVector(entry.vector, exact);
    this.sql.run(
      `INSERT INTO embeddings (owner_table, owner_id, model_id, user_id, space_id, dims, vector, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (owner_table, owner_id, model_id) DO UPDATE SET
         user_id = excluded.user_id, space_id = excluded.space_id, dims = excluded.dims, vector = excluded.vector, created_at = excluded.created_at`,
      [entry.table, entry.id, modelId, entry.userId, entry.spaceId, entry.vector.length, blob, now],
    );
    return exact ? entry.vector : decodeVector(blob, entry.vector.length);
  }

  /**
   * As `put` of computed vectors (one model's batch), but only for owners
   * still queued (a delete in between dequeued them); one statement: the rows
   * travel as JSON, the float16 blobs as one blob cut by `substr`. Returns
   * each vector as stored.
   */
  putQueued(entries: StoredVector[], modelId: string, now: number): Float32Array[] {
    if (entries.length === 0) return [];
    const dims = entries[0]!.vector.length;
    if (entries.some((entry) => entry.vector.length !== dims)) fail('QUERY_FAILED', 'embeddings: a batch mixes vector sizes');
    const blobs = entries.map((entry) => encodeVector(entry.vector, false));
    const size = blobs[0]!.byteLength;
    const packed = new Uint8Array(size * blobs.length);
    blobs.forEach((blob, i) => packed.set(blob, i * size));
    this.sql.run(
      `INSERT INTO embeddings (owner_table, owner_id, model_id, user_id, space_id, dims, vector, created_at)
       SELECT j.value ->> 0, j.value ->> 1, ?1, j.value ->> 2, j.value ->> 3, ?2, substr(?3, j.key * ?4 + 1, ?4), ?5 FROM json_each(?6) j
       WHERE EXISTS (SELECT 1 FROM embed_queue q WHERE q.owner_table = j.value ->> 0 AND q.owner_id = j.value ->> 1)
       ON CONFLICT (owner_table, owner_id, model_id) DO UPDATE SET
         user_id = excluded.user_id, space_id = excluded.space_id, dims = excluded.dims, vector = excluded.vector, created_at = excluded.created_at`,
      [modelId, dims, packed, size, now, JSON.stringify(entries.map((entry) => [entry.table, entry.id, entry.userId, entry.spaceId]))],
    );
    return blobs.map((blob) => decodeVector(blob, dims));
  }

  deleteModel(modelId: string): number {
    return this.sql.run('DELETE FROM embeddings WHERE model_id = ?', [modelId]);
  }

  /** Drops the vectors of every model Mnemo runs except `modelId`; caller vectors (registered models) stay. */
  deleteOtherModels(modelId: string): number {
    return this.sql.run('DELETE FROM embeddings WHERE model_id <> ? AND model_id NOT IN (SELECT id FROM embedding_models)', [modelId]);
  }
}
