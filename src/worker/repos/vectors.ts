import type { VectorEntryInput, VectorEntryPatch, VectorListRequest } from '../../shared/api';
import { MnemoFailure } from '../../shared/errors';
import { uuidv7 } from '../../shared/ids';
import type { Page, Scope, VectorEntry } from '../../shared/models';
import type { Sql, SqlValue } from '../engine/sql';
import { toFailure } from '../engine/sql';
import { fromJsonObject, notFound, paginate, scopeParams, toJson } from './common';
import { withBulkIndex } from './search';

const INSERT = `INSERT INTO vector_entries (id, user_id, space_id, collection, document_id, content, metadata, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const COLUMNS = 'id, collection, document_id AS documentId, content, metadata, created_at AS createdAt, updated_at AS updatedAt';

type VectorRow = Omit<VectorEntry, 'metadata'> & { metadata: string };
const toEntry = (row: VectorRow): VectorEntry => ({ ...row, metadata: fromJsonObject(row.metadata) });

function insertValues(scope: Scope, input: VectorEntryInput, id: string, now: number): SqlValue[] {
  const createdAt = input.createdAt ?? now;
  return [id, ...scopeParams(scope), input.collection, input.documentId ?? null, input.content, toJson(input.metadata ?? {}), createdAt, createdAt];
}

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
    this.sql.run(INSERT, insertValues(scope, input, id, now));
    return { entry: this.get(scope, id), action: 'added' };
  }

  /**
   * Stores a batch in the caller's transaction, as `add` would one by one: a
   * documentId already in its collection (or repeated in the batch, the last
   * row winning) updates one entry. Updates go first through the triggers;
   * the new rows then go in with the bulk index feed. Returns the entry each
   * row ended in.
   */
  insertMany(scope: Scope, inputs: VectorEntryInput[], now: number): { ids: string[]; inserted: number; updated: number } {
    const ids: string[] = new Array(inputs.length);
    const finalRow = new Map<string, number>();
    const docKey = (input: VectorEntryInput) => (input.documentId ? JSON.stringify([input.collection, input.documentId]) : null);
    inputs.forEach((input, i) => {
      const key = docKey(input);
      if (key) finalRow.set(key, i);
    });
    const updates: Array<{ id: string; input: VectorEntryInput }> = [];
    const inserts: number[] = [];
    for (const [key, i] of finalRow) {
      const [collection, documentId] = JSON.parse(key) as [string, string];
      const existing = this.sql.value('SELECT id FROM vector_entries WHERE user_id = ? AND space_id = ? AND collection = ? AND document_id = ?', [
        ...scopeParams(scope), collection, documentId,
      ]);
      if (existing === undefined) inserts.push(i);
      else updates.push({ id: String(existing), input: inputs[i]! });
      ids[i] = existing === undefined ? (inputs[i]!.id ?? uuidv7(now)) : String(existing);
    }
    inputs.forEach((input, i) => {
      const key = docKey(input);
      if (key === null) {
        ids[i] = input.id ?? uuidv7(now);
        inserts.push(i);
      } else ids[i] = ids[finalRow.get(key)!]!;
    });
    for (const { id, input } of updates) {
      this.sql.run('UPDATE vector_entries SET content = ?, metadata = ?, updated_at = ? WHERE id = ?', [input.content, toJson(input.metadata ?? {}), now, id]);
    }
    inserts.sort((x, y) => x - y);
    let index = 0;
    try {
      withBulkIndex(this.sql, 'vector_entries', () =>
        this.sql.runEach(
          INSERT,
          (function* () {
            for (const i of inserts) {
              index = i;
              yield insertValues(scope, inputs[i]!, ids[i]!, now);
            }
          })(),
        ),
      );
    } catch (error) {
      const failure = toFailure(error, `vectors.insertMany: row ${index}`);
      throw new MnemoFailure(failure.code, `${failure.message}; nothing was stored`);
    }
    return { ids, inserted: inserts.length, updated: inputs.length - inserts.length };
  }

  /** Changes content and/or metadata (replaced whole) of one entry of the scope. */
  update(scope: Scope, id: string, patch: VectorEntryPatch, now: number): VectorEntry {
    const current = this.get(scope, id);
    this.sql.run('UPDATE vector_entries SET content = ?, metadata = ?, updated_at = ? WHERE id = ?', [
      patch.content ?? current.content, toJson(patch.metadata ?? current.metadata), now, id,
    ]);
    return this.get(scope, id);
  }

  get(scope: Scope, id: string): VectorEntry {
    const row = this.sql.get<VectorRow>(`SELECT ${COLUMNS} FROM vector_entries WHERE id = ? AND user_id = ? AND space_id = ?`, [id, ...scopeParams(scope)]);
    return row ? toEntry(row) : notFound('vector entry');
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

  deleteByDocumentIds(scope: Scope, collection: string, documentIds: string[]): number {
    let deleted = 0;
    for (let i = 0; i < documentIds.length; i += 500) {
      const batch = documentIds.slice(i, i + 500);
      deleted += this.sql.run(
        `DELETE FROM vector_entries WHERE user_id = ? AND space_id = ? AND collection = ? AND document_id IN (${batch.map(() => '?').join(', ')})`,
        [...scopeParams(scope), collection, ...batch],
      );
    }
    return deleted;
  }

  clear(scope: Scope, collection?: string): number {
    if (collection === undefined) return this.sql.run('DELETE FROM vector_entries WHERE user_id = ? AND space_id = ?', scopeParams(scope));
    return this.sql.run('DELETE FROM vector_entries WHERE user_id = ? AND space_id = ? AND collection = ?', [...scopeParams(scope), collection]);
  }
}
