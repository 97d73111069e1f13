/**
 * The registry of models whose vectors the caller computes (migration 0005):
 * id, dimensions and distance. Their vectors are stored in `embeddings`.
 */
import type { EmbeddingDistance, RegisteredModel } from '../../shared/api';
import type { Sql } from '../engine/sql';

const COLUMNS = 'id, dims, distance, created_at AS createdAt';

export class CallerModelsRepo {
  constructor(private readonly sql: Sql) {}

  get(id: string): RegisteredModel | undefined {
    const row = this.sql.get<RegisteredModel>(`SELECT ${COLUMNS} FROM embedding_models WHERE id = ?`, [id]);
    return row && { ...row, dims: Number(row.dims), createdAt: Number(row.createdAt) };
  }

  list(): RegisteredModel[] {
    return this.sql.all<RegisteredModel>(`SELECT ${COLUMNS} FROM embedding_models ORDER BY id`).map((row) => ({ ...row, dims: Number(row.dims), createdAt: Number(row.createdAt) }));
  }

  insert(id: string, dims: number, distance: EmbeddingDistance, now: number): RegisteredModel {
    this.sql.run('INSERT INTO embedding_models (id, dims, distance, created_at) VALUES (?, ?, ?, ?)', [id, dims, distance, now]);
    return { id, dims, distance, createdAt: now };
  }

  /** Removes the model and every vector stored under it; false when it was not registered. */
  delete(id: string): boolean {
    if (this.sql.run('DELETE FROM embedding_models WHERE id = ?', [id]) === 0) return false;
    this.sql.run('DELETE FROM embeddings WHERE model_id = ?', [id]);
    return true;
  }
}
