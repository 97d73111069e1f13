/**
 * Stored vectors, one per (owner row, model). Each row keeps its owner's
 * scope so the in-worker index can filter by scope without a join.
 */
import type { Scope } from '../../shared/models';
import type { Sql } from '../engine/sql';

export const OWNER_TABLES = ['messages', 'memories', 'vector_entries', 'chunks'] as const;
export type OwnerTable = (typeof OWNER_TABLES)[number];

export interface StoredVector extends Scope {
  table: OwnerTable;
  id: string;
  vector: Float32Array;
}

function toBlob(vector: Float32Array): Uint8Array {
  return new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength).slice();
}

function fromBlob(blob: Uint8Array): Float32Array {
  const copy = blob.slice();
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}

export class EmbeddingsRepo {
  constructor(private readonly sql: Sql) {}

  count(modelId: string): number {
    return Number(this.sql.value('SELECT count(*) FROM embeddings WHERE model_id = ?', [modelId]) ?? 0);
  }

  /** Every vector of one model, with its owner and scope. */
  all(modelId: string): StoredVector[] {
    const rows = this.sql.all<{ t: OwnerTable; id: string; userId: string; spaceId: string; vector: Uint8Array }>(
      'SELECT owner_table AS t, owner_id AS id, user_id AS userId, space_id AS spaceId, vector FROM embeddings WHERE model_id = ?',
      [modelId],
    );
    return rows.map((row) => ({ table: row.t, id: row.id, userId: row.userId, spaceId: row.spaceId, vector: fromBlob(row.vector) }));
  }

  /** Stores a vector, replacing one of the same owner and model. */
  put(entry: StoredVector, modelId: string, now: number): void {
    this.sql.run(
      'INSERT OR REPLACE INTO embeddings (owner_table, owner_id, model_id, user_id, space_id, dims, vector, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [entry.table, entry.id, modelId, entry.userId, entry.spaceId, entry.vector.length, toBlob(entry.vector), now],
    );
  }

  /** As `put`, but only while the owner is still queued (a delete in between dequeued it). */
  putIfQueued(entry: StoredVector, modelId: string, now: number): void {
    this.sql.run(
      `INSERT OR REPLACE INTO embeddings (owner_table, owner_id, model_id, user_id, space_id, dims, vector, created_at)
       SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM embed_queue WHERE owner_table = ? AND owner_id = ?)`,
      [entry.table, entry.id, modelId, entry.userId, entry.spaceId, entry.vector.length, toBlob(entry.vector), now, entry.table, entry.id],
    );
  }

  deleteModel(modelId: string): number {
    return this.sql.run('DELETE FROM embeddings WHERE model_id = ?', [modelId]);
  }

  deleteOtherModels(modelId: string): number {
    return this.sql.run('DELETE FROM embeddings WHERE model_id <> ?', [modelId]);
  }
}
