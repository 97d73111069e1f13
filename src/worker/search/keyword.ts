/**
 * Keyword search: FTS5 BM25 over messages, memories, vector entries and
 * document chunks, each joined to its scope and filters. Every table has its
 * own external-content index; hits of all four are merged by bm25 (lower is
 * better, as SQLite reports it).
 *
 * Column weights: chunks rank a match in the section heading 2× a match in the
 * body (a heading names what the section is about); the other indexes have one
 * column.
 */
import type { HitKind, SearchFilters, SearchHit } from '../../shared/api';
import type { Scope } from '../../shared/models';
import type { Sql, SqlValue } from '../engine/sql';

/** Private-use characters as highlight markers: they never occur in ordinary text. */
const OPEN = '\uE000';
const CLOSE = '\uE001';
const SNIPPET_TOKENS = 24;

export const KIND_TABLE = {
  message: 'messages',
  memory: 'memories',
  vector: 'vector_entries',
  chunk: 'chunks',
} as const satisfies Record<HitKind, SearchHit['ref']['table']>;

export type CandidateHit = Omit<SearchHit, 'score'> & { bm25?: number };

interface KindQuery {
  kind: HitKind;
  /** SELECT list and FROM/JOIN clauses; `{fts}` is replaced by the FTS table. */
  select: string;
  where: (filters: SearchFilters, now: number, params: SqlValue[]) => string;
  /** Filters this kind can satisfy; any other given filter excludes the kind. */
  supports: Array<keyof SearchFilters>;
  fts: string;
  rank: string;
  snippetColumn: number;
  toHit: (row: Record<string, SqlValue>) => Omit<CandidateHit, 'snippet' | 'highlights' | 'bm25'>;
}

function range(column: string, filters: SearchFilters, params: SqlValue[]): string {
  let clause = '';
  if (filters.from !== undefined) {
    clause += ` AND ${column} >= ?`;
    params.push(filters.from);
  }
  if (filters.to !== undefined) {
    clause += ` AND ${column} < ?`;
    params.push(filters.to);
  }
  return clause;
}

function eq(column: string, value: SqlValue | undefined, params: SqlValue[]): string {
  if (value === undefined) return '';
  params.push(value);
  return ` AND ${column} = ?`;
}

const str = (v: SqlValue | undefined) => (v === null || v === undefined ? undefined : String(v));

export const KIND_QUERIES: KindQuery[] = [
  {
    kind: 'message',
    fts: 'messages_fts',
    rank: 'bm25(messages_fts)',
    snippetColumn: 0,
    supports: ['kinds', 'sessionId', 'conversationId', 'role', 'from', 'to'],
    select: `m.id, m.content AS text, m.created_at AS createdAt, m.role, m.conversation_id AS conversationId, c.session_id AS sessionId
      FROM {from} JOIN messages m ON m.rowid = {rowid}
      JOIN conversations c ON c.id = m.conversation_id JOIN sessions s ON s.id = c.session_id`,
    where: (f, _now, p) =>
      `s.user_id = ? AND s.space_id = ?${eq('c.session_id', f.sessionId, p)}${eq('m.conversation_id', f.conversationId, p)}${eq('m.role', f.role, p)}${range('m.created_at', f, p)}`,
    toHit: (r) => ({
      kind: 'message',
      id: String(r.id),
      text: String(r.text),
      createdAt: Number(r.createdAt),
      ref: { table: 'messages', id: String(r.id), conversationId: str(r.conversationId), sessionId: str(r.sessionId), role: r.role as never },
    }),
  },
  {
    kind: 'memory',
    fts: 'memories_fts',
    rank: 'bm25(memories_fts)',
    snippetColumn: 0,
    supports: ['kinds', 'memoryKind', 'from', 'to'],
    select: `m.id, m.content AS text, m.created_at AS createdAt, m.kind AS memoryKind FROM {from} JOIN memories m ON m.rowid = {rowid}`,
    where: (f, now, p) => {
      p.push(now);
      return `m.user_id = ? AND m.space_id = ? AND (m.expires_at IS NULL OR m.expires_at > ?)${eq('m.kind', f.memoryKind, p)}${range('m.created_at', f, p)}`;
    },
    toHit: (r) => ({
      kind: 'memory',
      id: String(r.id),
      text: String(r.text),
      createdAt: Number(r.createdAt),
      ref: { table: 'memories', id: String(r.id), memoryKind: r.memoryKind as never },
    }),
  },
  {
    kind: 'vector',
    fts: 'vector_entries_fts',
    rank: 'bm25(vector_entries_fts)',
    snippetColumn: 0,
    supports: ['kinds', 'collection', 'from', 'to'],
    select: `v.id, v.content AS text, v.created_at AS createdAt, v.collection, v.document_id AS documentId
      FROM {from} JOIN vector_entries v ON v.rowid = {rowid}`,
    where: (f, _now, p) => `v.user_id = ? AND v.space_id = ?${eq('v.collection', f.collection, p)}${range('v.created_at', f, p)}`,
    toHit: (r) => ({
      kind: 'vector',
      id: String(r.id),
      text: String(r.text),
      createdAt: Number(r.createdAt),
      ref: { table: 'vector_entries', id: String(r.id), collection: str(r.collection), documentId: r.documentId === null ? null : String(r.documentId) },
    }),
  },
  {
    kind: 'chunk',
    fts: 'chunks_fts',
    rank: 'bm25(chunks_fts, 2.0, 1.0)',
    snippetColumn: -1,
    supports: ['kinds', 'sessionId', 'contentId', 'from', 'to'],
    select: `k.id, k.text AS text, k.created_at AS createdAt, k.content_id AS contentId, k.start_line AS startLine, k.end_line AS endLine,
      st.session_id AS sessionId
      FROM {from} JOIN chunks k ON k.rowid = {rowid} JOIN contents d ON d.id = k.content_id
      JOIN stores st ON st.id = d.store_id JOIN sessions s ON s.id = st.session_id`,
    where: (f, _now, p) => `s.user_id = ? AND s.space_id = ?${eq('st.session_id', f.sessionId, p)}${eq('k.content_id', f.contentId, p)}${range('k.created_at', f, p)}`,
    toHit: (r) => ({
      kind: 'chunk',
      id: String(r.id),
      text: String(r.text),
      createdAt: Number(r.createdAt),
      ref: {
        table: 'chunks', id: String(r.id), contentId: str(r.contentId), sessionId: str(r.sessionId),
        startLine: Number(r.startLine), endLine: Number(r.endLine),
      },
    }),
  },
];

/** The kinds a request can reach: asked for, and able to satisfy every given filter. */
export function kindsFor(filters: SearchFilters): KindQuery[] {
  const given = (Object.keys(filters) as Array<keyof SearchFilters>).filter((k) => filters[k] !== undefined);
  return KIND_QUERIES.filter((q) => (!filters.kinds || filters.kinds.includes(q.kind)) && given.every((f) => q.supports.includes(f)));
}

/** Splits marker-delimited text into plain text and highlight ranges. */
export function parseMarked(marked: string): { text: string; highlights: Array<[number, number]> } {
  let text = '';
  const highlights: Array<[number, number]> = [];
  let start = -1;
  for (const ch of marked) {
    if (ch === OPEN) start = text.length;
    else if (ch === CLOSE) {
      if (start >= 0 && text.length > start) highlights.push([start, text.length]);
      start = -1;
    } else text += ch;
  }
  return { text, highlights };
}

export function keywordSearch(sql: Sql, scope: Scope, match: string, filters: SearchFilters, limit: number, now: number): CandidateHit[] {
  const hits: CandidateHit[] = [];
  for (const q of kindsFor(filters)) {
    const params: SqlValue[] = [match, scope.userId, scope.spaceId];
    const where = q.where(filters, now, params);
    const select = q.select.replace('{from}', q.fts).replace('{rowid}', `${q.fts}.rowid`);
    const rows = sql.all<Record<string, SqlValue>>(
      `SELECT ${select.replace(/\bFROM\b/, `, ${q.rank} AS bm25, snippet(${q.fts}, ${q.snippetColumn}, char(57344), char(57345), '…', ${SNIPPET_TOKENS}) AS marked FROM`)}
       WHERE ${q.fts} MATCH ? AND ${where} ORDER BY bm25 LIMIT ?`,
      [...params, limit],
    );
    for (const row of rows) {
      const { text, highlights } = parseMarked(String(row.marked ?? ''));
      hits.push({ ...q.toHit(row), snippet: text, highlights, bm25: Number(row.bm25) });
    }
  }
  hits.sort((a, b) => a.bm25! - b.bm25!);
  return hits.slice(0, limit);
}

/**
 * Loads hits by id with the same scope and filters (vector candidates come
 * from the in-memory index and must be checked against what is stored now).
 */
export function hitsByIds(sql: Sql, scope: Scope, kind: HitKind, ids: string[], filters: SearchFilters, now: number): CandidateHit[] {
  const q = kindsFor(filters).find((k) => k.kind === kind);
  if (!q || ids.length === 0) return [];
  const hits: CandidateHit[] = [];
  const table = KIND_TABLE[kind];
  const alias = { message: 'm', memory: 'm', vector: 'v', chunk: 'k' }[kind];
  for (let i = 0; i < ids.length; i += 500) {
    const batch = ids.slice(i, i + 500);
    const params: SqlValue[] = [scope.userId, scope.spaceId];
    const where = q.where(filters, now, params);
    // The FROM placeholder becomes the base table itself here; the join on rowid is then a self-join no-op.
    const select = q.select.replace(`{from} JOIN ${table} ${alias} ON ${alias}.rowid = {rowid}`, `${table} ${alias}`);
    const rows = sql.all<Record<string, SqlValue>>(
      `SELECT ${select} WHERE ${where} AND ${alias}.id IN (${batch.map(() => '?').join(', ')})`,
      [...params, ...batch],
    );
    for (const row of rows) hits.push({ ...q.toHit(row), snippet: '', highlights: [] });
  }
  return hits;
}
