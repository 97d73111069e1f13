import { uuidv7 } from '../../shared/ids';
import type { DocumentChunk, DocumentContent, DocumentWithText, JsonObject, Page, Scope } from '../../shared/models';
import type { Sql } from '../engine/sql';
import { fromJsonObject, notFound, paginate, scopeParams, toJson, type PageArgs } from './common';

const COLUMNS = `d.id, st.session_id AS sessionId, d.filename, d.mime_type AS mimeType, d.size, d.line_count AS lineCount,
  d.preview, d.chunk_count AS chunkCount, d.metadata, d.last_accessed_at AS lastAccessedAt, d.created_at AS createdAt,
  d.updated_at AS updatedAt`;
/** Documents inherit scope through store → session. */
const SCOPED = `FROM contents d JOIN stores st ON st.id = d.store_id JOIN sessions s ON s.id = st.session_id
  WHERE s.user_id = ? AND s.space_id = ?`;

type ContentRow = Omit<DocumentContent, 'metadata'> & { metadata: string };
const toContent = (row: ContentRow): DocumentContent => ({ ...row, metadata: fromJsonObject(row.metadata) });

export interface NewDocument {
  filename: string;
  mimeType: string;
  size: number;
  lineCount: number;
  preview: string;
  fullText: string;
  metadata: JsonObject;
  chunks: Array<{ index: number; text: string; startLine: number; endLine: number; heading?: string }>;
}

export class DocumentsRepo {
  constructor(private readonly sql: Sql) {}

  private ensureStore(sessionId: string, now: number): string {
    const existing = this.sql.value('SELECT id FROM stores WHERE session_id = ?', [sessionId]);
    if (existing !== undefined) return String(existing);
    const id = uuidv7(now);
    this.sql.run('INSERT INTO stores (id, session_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', [id, sessionId, 'documents', now, now]);
    return id;
  }

  /** Stores a parsed document and its chunks; the caller runs this in one transaction. */
  insert(sessionId: string, doc: NewDocument, now: number): { id: string; chunkRowids: number[] } {
    const storeId = this.ensureStore(sessionId, now);
    const id = uuidv7(now);
    this.sql.run(
      `INSERT INTO contents (id, store_id, filename, mime_type, size, line_count, preview, full_text, chunk_count, metadata, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, storeId, doc.filename, doc.mimeType, doc.size, doc.lineCount, doc.preview, doc.fullText, doc.chunks.length, toJson(doc.metadata), now, now],
    );
    const chunkRowids: number[] = [];
    for (const chunk of doc.chunks) {
      this.sql.run(
        'INSERT INTO chunks (id, content_id, chunk_index, text, start_line, end_line, heading, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [uuidv7(now), id, chunk.index, chunk.text, chunk.startLine, chunk.endLine, chunk.heading ?? null, now],
      );
      chunkRowids.push(Number(this.sql.value('SELECT last_insert_rowid()')));
    }
    return { id, chunkRowids };
  }

  list(scope: Scope, sessionId: string, args: PageArgs): Page<DocumentContent> {
    return paginate(
      this.sql,
      args,
      {
        count: `SELECT count(*) ${SCOPED} AND st.session_id = ?`,
        select: `SELECT ${COLUMNS} ${SCOPED} AND st.session_id = ? ORDER BY d.created_at DESC, d.rowid DESC`,
        params: [...scopeParams(scope), sessionId],
      },
      toContent,
    );
  }

  find(scope: Scope, id: string): DocumentContent | undefined {
    const row = this.sql.get<ContentRow>(`SELECT ${COLUMNS} ${SCOPED} AND d.id = ?`, [...scopeParams(scope), id]);
    return row && toContent(row);
  }

  /** Returns the document with its full text and records the access. */
  get(scope: Scope, id: string, now: number): DocumentWithText {
    if (!this.find(scope, id)) notFound('document');
    this.sql.run('UPDATE contents SET last_accessed_at = ? WHERE id = ?', [now, id]);
    const content = this.find(scope, id) ?? notFound('document');
    return { ...content, fullText: this.fullText(id) };
  }

  /** The stored text of a document, without recording an access (exports must not change the data). */
  fullText(id: string): string {
    return String(this.sql.value('SELECT full_text FROM contents WHERE id = ?', [id]) ?? '');
  }

  chunks(scope: Scope, contentId: string): DocumentChunk[] {
    if (!this.find(scope, contentId)) notFound('document');
    return this.sql.all<DocumentChunk>(
      `SELECT id, content_id AS contentId, chunk_index AS "index", text, start_line AS startLine, end_line AS endLine, heading
       FROM chunks WHERE content_id = ? ORDER BY chunk_index`,
      [contentId],
    );
  }

  /** Ids of a document's chunks by chunk index (NOT_FOUND outside the scope). */
  chunkIds(scope: Scope, contentId: string): Map<number, string> {
    if (!this.find(scope, contentId)) notFound('document');
    const rows = this.sql.all<{ i: number; id: string }>('SELECT chunk_index AS i, id FROM chunks WHERE content_id = ?', [contentId]);
    return new Map(rows.map((row) => [Number(row.i), String(row.id)]));
  }

  delete(scope: Scope, id: string): boolean {
    if (!this.find(scope, id)) return false;
    return this.sql.run('DELETE FROM contents WHERE id = ?', [id]) > 0;
  }
}
