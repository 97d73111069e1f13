import type { VectorEntryInput, VectorEntryPatch, VectorListRequest } from '../../shared/api';
import { uuidv7 } from '../../shared/ids';
import type { Page, Scope, VectorEntry } from '../../shared/models';
import type { Sql, SqlValue } from '../engine/sql';
import { fromJsonObject, notFound, paginate, scopeParams, toJson } from './common';

const COLUMNS = 'id, collection, document_id AS documentId, content, metadata, created_at AS createdAt, updated_at AS updatedAt';

type VectorRow = Omit<VectorEntry, 'metadata'> & { metadata: string };
const toEntry = (row: VectorRow): VectorEntry => ({ ...row, metadata: fromJsonObject(row.metadata) });

export class VectorsRepo {
  constructor(private readonly sql: Sql) {}

  /** Adds an entry; a document id already present in the collection updates that entry instead. */
  add(scope: Scope, input: VectorEntryInput, now: number): { entry: VectorEntry; action: 'added' | 'updated' } {
    if (input.documentId) {
      const existing = this.sql.value(
        'SELECT id FROM vector_entries WHERE user_id = ? AND space_id = ? AND collection = ? AND document_id = ?',
        [...scopeParams(scope), input.collection, input.documentId],
      );
      if (existing !== undefined) {
        this.sql.run('UPDATE vector_entries SET content = ?, metadata = ?, updated_at = ? WHERE id = ?', [
          input.content, toJson(input.metadata ?? {}), now, existing,
        ]);
        return { entry: this.get(scope, String(existing)), action: 'updated' };
      }
    }
    const id = input.id ?? uuidv7(now);
    const createdAt = input.createdAt ?? now;
    this.sql.run(
      `INSERT INTO vector_entries (id, user_id, space_id, collection, document_id, content, metadata, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, ...scopeParams(scope), input.collection, input.documentId ?? null, input.content, toJson(input.metadata ?? {}), createdAt, createdAt],
    );
    return { entry: this.get(scope, id), action: 'added' };
  }

  get(scope: Scope, id: string): VectorEntry {
    const row = this.sql.get<VectorRow>(`SELECT ${COLUMNS} FROM vector_entries WHERE id = ? AND user_id = ? AND space_id = ?`, [id, ...scopeParams(scope)]);
    return row ? toEntry(row) : notFound('vector entry');
  }

  /** Changes content and/or metadata; the content trigger re-indexes and queues a new embedding. */
  update(scope: Scope, id: string, patch: VectorEntryPatch, now: number): VectorEntry {
    const current = this.get(scope, id);
    this.sql.run('UPDATE vector_entries SET content = ?, metadata = ?, updated_at = ? WHERE id = ?', [
      patch.content ?? current.content, toJson(patch.metadata ?? current.metadata), now, id,
    ]);
    return this.get(scope, id);
  }

  getByDocumentId(scope: Scope, collection: string, documentId: string): VectorEntry {
    const row = this.sql.get<VectorRow>(
      `SELECT ${COLUMNS} FROM vector_entries WHERE user_id = ? AND space_id = ? AND collection = ? AND document_id = ?`,
      [...scopeParams(scope), collection, documentId],
    );
    return row ? toEntry(row) : notFound('vector entry');
  }

  list(scope: Scope, args: VectorListRequest): Page<VectorEntry> {
    let where = 'WHERE user_id = ? AND space_id = ?';
    const params: SqlValue[] = [...scopeParams(scope)];
    if (args.collection !== undefined) {
      where += ' AND collection = ?';
      params.push(args.collection);
    }
    return paginate(
      this.sql,
      args,
      { count: `SELECT count(*) FROM vector_entries ${where}`, select: `SELECT ${COLUMNS} FROM vector_entries ${where} ORDER BY created_at DESC, rowid DESC`, params },
      toEntry,
    );
  }

  collections(scope: Scope): Array<{ collection: string; count: number }> {
    return this.sql.all<{ collection: string; count: number }>(
      'SELECT collection, count(*) AS count FROM vector_entries WHERE user_id = ? AND space_id = ? GROUP BY collection ORDER BY collection',
      scopeParams(scope),
    );
  }

  delete(scope: Scope, id: string): boolean {
    return this.sql.run('DELETE FROM vector_entries WHERE id = ? AND user_id = ? AND space_id = ?', [id, ...scopeParams(scope)]) > 0;
  }

  clear(scope: Scope, collection?: string): number {
    if (collection === undefined) return this.sql.run('DELETE FROM vector_entries WHERE user_id = ? AND space_id = ?', scopeParams(scope));
    return this.sql.run('DELETE FROM vector_entries WHERE user_id = ? AND space_id = ? AND collection = ?', [...scopeParams(scope), collection]);
  }
}
