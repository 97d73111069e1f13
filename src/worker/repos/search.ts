/**
 * The full-text index and the search-side reads of every searchable kind.
 *
 * One contentless FTS5 table (`search_fts`, migration 0003) holds messages,
 * memories, vector entries and chunks; its rowid is the base rowid * 4 + the
 * kind's code, so one MATCH ranks every kind with one set of BM25 statistics.
 * Candidates are ranked in one statement (scope and filters joined per kind);
 * texts and references are loaded afterwards for the few rows returned.
 */
import type { HitKind, SearchFilters, SearchHit } from '../../shared/api';
import type { JsonObject, Scope } from '../../shared/models';
import type { Sql, SqlValue } from '../engine/sql';
import { syncLogOn } from './sync';

export const KIND_TABLE = {
  message: 'messages',
  memory: 'memories',
  vector: 'vector_entries',
  chunk: 'chunks',
} as const satisfies Record<HitKind, SearchHit['ref']['table']>;

/** The low two bits of a `search_fts` rowid. */
const KIND_CODE: Record<HitKind, number> = { message: 0, memory: 1, vector: 2, chunk: 3 };
const CODE_KIND: HitKind[] = ['message', 'memory', 'vector', 'chunk'];

/** A row found in the index: its kind, base rowid and FTS5 bm25 (lower is better). */
export interface KeywordCandidate {
  kind: HitKind;
  rowid: number;
  bm25: number;
  /** Per term asked about, whether the row holds it (title or body). */
  has: boolean[];
}

/** The candidates, and per term asked about the rows of the whole index holding it (empty without candidates). */
export interface KeywordCandidates {
  candidates: KeywordCandidate[];
  termDocs: number[];
}

/** What `keywordCandidates` ranks by: the MATCH expression, a chunk heading's weight, and terms to report per row. */
export interface CandidateQuery {
  match: string;
  titleWeight: number;
  /** MATCH expressions of single terms; each candidate says which it holds. */
  terms: string[];
}

/** A hit before scoring: what the row is and where it lives. */
export type StoredHit = Omit<SearchHit, 'score' | 'snippet' | 'highlights'> & { rowid: number; title?: string };

interface KindSpec {
  kind: HitKind;
  /** FROM/JOIN clauses; the kind's base table has alias `b`. */
  from: string;
  /** Scope and filter conditions; pushes their parameters. */
  where: (scope: Scope, filters: SearchFilters, now: number, params: SqlValue[]) => string;
  /** Filters this kind can satisfy; any other given filter excludes the kind. */
  supports: Array<keyof SearchFilters>;
  /** Columns loaded for a returned hit. */
  columns: string;
  toHit: (row: Record<string, SqlValue>) => StoredHit;
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

/**
 * The scope of a root table (memories, vector entries) for reads that come
 * with the rows' keys (rowids from the index, ids from the vector index). The
 * unary `+` keeps SQLite from walking the scope's index instead of looking the
 * few keys up: without statistics it chose the scope index, which read every
 * row of the scope (14 ms for 10 hits among 20,000 entries).
 */
const BY_KEY_SCOPE = '+b.user_id = ? AND +b.space_id = ?';

/**
 * `filters.metadata`: per key, the row's top-level metadata value equals one
 * of the given values (compared by JSON type, so 1 never matches "1").
 */
function metadataMatch(filters: SearchFilters, params: SqlValue[]): string {
  let clause = '';
  for (const [key, wanted] of Object.entries(filters.metadata ?? {})) {
    const values: SqlValue[] = [key];
    const tests = (Array.isArray(wanted) ? wanted : [wanted]).map((value) => {
      if (value === null) return "type = 'null'";
      if (typeof value === 'boolean') return value ? "type = 'true'" : "type = 'false'";
      values.push(value);
      return typeof value === 'number' ? "(type IN ('integer', 'real') AND atom = ?)" : "(type = 'text' AND atom = ?)";
    });
    clause += ` AND EXISTS (SELECT 1 FROM json_each(b.metadata) WHERE key = ? AND (${tests.join(' OR ')}))`;
    params.push(...values);
  }
  return clause;
}

const metadataOf = (v: SqlValue | undefined): JsonObject => {
  const parsed: unknown = typeof v === 'string' ? JSON.parse(v) : {};
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as JsonObject) : {};
};

const str = (v: SqlValue | undefined) => (v === null || v === undefined ? undefined : String(v));

const SPECS: KindSpec[] = [
  {
    kind: 'message',
    from: 'messages b JOIN conversations c ON c.id = b.conversation_id JOIN sessions s ON s.id = c.session_id',
    where: (scope, f, _now, p) => {
      p.push(scope.userId, scope.spaceId);
      return `s.user_id = ? AND s.space_id = ?${eq('c.session_id', f.sessionId, p)}${eq('b.conversation_id', f.conversationId, p)}${eq('b.role', f.role, p)}${range('b.created_at', f, p)}${metadataMatch(f, p)}`;
    },
    supports: ['kinds', 'sessionId', 'conversationId', 'role', 'from', 'to', 'metadata'],
    columns: 'b.rowid AS rowid, b.id, b.content AS text, b.created_at AS createdAt, b.role, b.conversation_id AS conversationId, c.session_id AS sessionId, b.metadata',
    toHit: (r) => ({
      kind: 'message',
      rowid: Number(r.rowid),
      id: String(r.id),
      text: String(r.text),
      createdAt: Number(r.createdAt),
      metadata: metadataOf(r.metadata),
      ref: { table: 'messages', id: String(r.id), conversationId: str(r.conversationId), sessionId: str(r.sessionId), role: r.role as never },
    }),
  },
  {
    kind: 'memory',
    from: 'memories b',
    where: (scope, f, now, p) => {
      p.push(scope.userId, scope.spaceId, now);
      return `${BY_KEY_SCOPE} AND (b.expires_at IS NULL OR b.expires_at > ?)${eq('b.kind', f.memoryKind, p)}${eq('b.conversation_id', f.conversationId, p)}${range('b.created_at', f, p)}${metadataMatch(f, p)}`;
    },
    supports: ['kinds', 'memoryKind', 'conversationId', 'from', 'to', 'metadata'],
    columns: 'b.rowid AS rowid, b.id, b.content AS text, b.created_at AS createdAt, b.kind AS memoryKind, b.conversation_id AS conversationId, b.metadata',
    toHit: (r) => ({
      kind: 'memory',
      rowid: Number(r.rowid),
      id: String(r.id),
      text: String(r.text),
      createdAt: Number(r.createdAt),
      metadata: metadataOf(r.metadata),
      ref: { table: 'memories', id: String(r.id), memoryKind: r.memoryKind as never, ...(r.conversationId === null ? {} : { conversationId: String(r.conversationId) }) },
    }),
  },
  {
    kind: 'vector',
    from: 'vector_entries b',
    where: (scope, f, _now, p) => {
      p.push(scope.userId, scope.spaceId);
      return `${BY_KEY_SCOPE}${eq('b.collection', f.collection, p)}${range('b.created_at', f, p)}${metadataMatch(f, p)}`;
    },
    supports: ['kinds', 'collection', 'from', 'to', 'metadata'],
    columns: 'b.rowid AS rowid, b.id, b.content AS text, b.created_at AS createdAt, b.collection, b.document_id AS documentId, b.metadata',
    toHit: (r) => ({
      kind: 'vector',
      rowid: Number(r.rowid),
      id: String(r.id),
      text: String(r.text),
      createdAt: Number(r.createdAt),
      metadata: metadataOf(r.metadata),
      ref: { table: 'vector_entries', id: String(r.id), collection: str(r.collection), documentId: r.documentId === null ? null : String(r.documentId) },
    }),
  },
  {
    kind: 'chunk',
    from: 'chunks b JOIN contents d ON d.id = b.content_id JOIN stores st ON st.id = d.store_id JOIN sessions s ON s.id = st.session_id',
    where: (scope, f, _now, p) => {
      p.push(scope.userId, scope.spaceId);
      return `s.user_id = ? AND s.space_id = ?${eq('st.session_id', f.sessionId, p)}${eq('b.content_id', f.contentId, p)}${range('b.created_at', f, p)}`;
    },
    supports: ['kinds', 'sessionId', 'contentId', 'from', 'to'],
    columns: `b.rowid AS rowid, b.id, b.text AS text, b.heading AS title, b.created_at AS createdAt, b.content_id AS contentId,
      b.start_line AS startLine, b.end_line AS endLine, st.session_id AS sessionId`,
    toHit: (r) => ({
      kind: 'chunk',
      rowid: Number(r.rowid),
      id: String(r.id),
      text: String(r.text),
      title: str(r.title),
      createdAt: Number(r.createdAt),
      ref: {
        table: 'chunks', id: String(r.id), contentId: str(r.contentId), sessionId: str(r.sessionId),
        startLine: Number(r.startLine), endLine: Number(r.endLine),
      },
    }),
  },
];

/** The kinds a request can reach: asked for, and able to satisfy every given filter. */
export function kindsFor(filters: SearchFilters): HitKind[] {
  const given = (Object.keys(filters) as Array<keyof SearchFilters>).filter((k) => filters[k] !== undefined);
  return SPECS.filter((q) => (!filters.kinds || filters.kinds.includes(q.kind)) && given.every((f) => q.supports.includes(f))).map((q) => q.kind);
}

const spec = (kind: HitKind) => SPECS[KIND_CODE[kind]]!;

/** The table whose (user_id, space_id) decides a kind's scope: messages and chunks hang under sessions. */
const SCOPE_TABLE: Record<HitKind, 'sessions' | 'memories' | 'vector_entries'> = {
  message: 'sessions',
  memory: 'memories',
  vector: 'vector_entries',
  chunk: 'sessions',
};

export type BulkTable = 'messages' | 'memories' | 'vector_entries';

/** A bulk-written row's sync log entry: pending, stamped at commit (as the trigger of migration 0006 would). */
const SYNC_CHANGED = `ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1`;

/** Rows per INSERT … SELECT when bulk writers feed the index. */
const FEED_BATCH = 5_000;

/**
 * Runs `insert` (which must only INSERT rows into `table`) with the insert
 * triggers off, then feeds the index and the embedding queue per 5,000 rows:
 * per-row FTS triggers flush FTS5's pending terms at every row's savepoint
 * (19.9 s vs 8.1 s per 100k messages). The caller provides the transaction,
 * so the flag can never stay set: a rollback restores it with everything else.
 */
export function withBulkIndex<T>(sql: Sql, table: BulkTable, insert: () => T): T {
  const repo = new SearchRepo(sql);
  const lo = repo.maxRowid(table) + 1;
  repo.setBulk(true);
  const result = insert();
  const hi = repo.maxRowid(table);
  repo.setBulk(false);
  for (let from = lo; from <= hi; from += FEED_BATCH) repo.feed(table, from, Math.min(hi, from + FEED_BATCH - 1));
  return result;
}
const BULK_KIND: Record<BulkTable, HitKind> = { messages: 'message', memories: 'memory', vector_entries: 'vector' };

export class SearchRepo {
  constructor(private readonly sql: Sql) {}

  /**
   * Every row of the scope matching `match`, best BM25 first, at most `limit`.
   * `titleWeight` multiplies matches in a chunk's heading.
   */
  keywordCandidates(scope: Scope, query: CandidateQuery, filters: SearchFilters, limit: number, now: number): KeywordCandidates {
    const kinds = kindsFor(filters);
    if (kinds.length === 0) return { candidates: [], termDocs: [] };
    const narrowed = (Object.keys(filters) as Array<keyof SearchFilters>).some((k) => k !== 'kinds' && filters[k] !== undefined);
    // The common case, one scope holding every row of the kinds asked for: no row needs a join at all.
    if (!narrowed && this.holdsAll(scope, kinds, now)) {
      const params: SqlValue[] = [query.titleWeight, query.match];
      const only = kinds.length < CODE_KIND.length ? ` AND (rowid & 3) IN (${kinds.map((k) => KIND_CODE[k]).join(', ')})` : '';
      return this.ranked(`SELECT rowid AS f, bm25(search_fts, ?, 1.0) AS score FROM search_fts WHERE search_fts MATCH ?${only} ORDER BY score LIMIT ?`, params, query, limit);
    }
    // Scope and filters cost a join per matching row; ranking first and joining only the best few is
    // exact whenever enough of them are in scope (an in-scope row further down ranks below all of them),
    // so the whole match set is joined only when the first pass comes back short.
    if (!narrowed) {
      const best = this.scopedCandidates(scope, kinds, query, filters, limit, now, Math.max(limit * 4, 200));
      if (best.candidates.length >= limit) return best;
    }
    return this.scopedCandidates(scope, kinds, query, filters, limit, now, null);
  }

  /**
   * Whether every row of these kinds in the database belongs to `scope` (and,
   * for memories, none has expired): one statement of two index seeks per
   * table, at each end of the scope order. Foreign keys tie messages and
   * chunks to a session, so the sessions decide for them.
   */
  private holdsAll(scope: Scope, kinds: HitKind[], now: number): boolean {
    const tests = [...new Set(kinds.map((kind) => SCOPE_TABLE[kind]))].map(
      (table) => `EXISTS (SELECT 1 FROM ${table} WHERE (user_id, space_id) < (?1, ?2)) OR EXISTS (SELECT 1 FROM ${table} WHERE (user_id, space_id) > (?1, ?2))`,
    );
    if (kinds.includes('memory')) tests.push('EXISTS (SELECT 1 FROM memories WHERE expires_at IS NOT NULL AND expires_at <= ?3)');
    return Number(this.sql.value(`SELECT ${tests.join(' OR ')}`, kinds.includes('memory') ? [scope.userId, scope.spaceId, now] : [scope.userId, scope.spaceId])) === 0;
  }

  /** `keywordCandidates` over the `prefilter` best matches of the whole index (null: every match), each joined to its scope. */
  private scopedCandidates(
    scope: Scope,
    kinds: HitKind[],
    query: CandidateQuery,
    filters: SearchFilters,
    limit: number,
    now: number,
    prefilter: number | null,
  ): KeywordCandidates {
    const params: SqlValue[] = [query.titleWeight, query.match];
    if (prefilter !== null) params.push(prefilter);
    // One pass over the matches: each row's kind picks the one scope test it needs. A UNION ALL of one
    // arm per kind re-read the materialized matches once per arm (2.0 vs 1.6 ms over 10k messages).
    const tests = kinds.map((kind) => {
      const s = spec(kind);
      return `WHEN ${KIND_CODE[kind]} THEN EXISTS (SELECT 1 FROM ${s.from} WHERE b.rowid = h.r >> 2 AND ${s.where(scope, filters, now, params)})`;
    });
    return this.ranked(
      `WITH h AS MATERIALIZED (SELECT rowid AS r, bm25(search_fts, ?, 1.0) AS score FROM search_fts WHERE search_fts MATCH ?${prefilter === null ? '' : ' ORDER BY score LIMIT ?'})
       SELECT h.r AS f, h.score AS score FROM h WHERE CASE h.r & 3 ${tests.join(' ')} ELSE 0 END ORDER BY h.score LIMIT ?`,
      params,
      query,
      limit,
    );
  }

  /**
   * Runs `candidates` (a SELECT of index rowid `f` and `score`, best first, whose last parameter is
   * the limit) and flags which of the query's terms each row holds.
   */
  private ranked(candidates: string, params: SqlValue[], query: CandidateQuery, limit: number): KeywordCandidates {
    // Each term's doclist is read once into a temporary table; the returned rows are looked up in it.
    const termTables = query.terms.map((_, t) => `, t${t} AS MATERIALIZED (SELECT rowid AS f FROM search_fts WHERE search_fts MATCH ?)`).join('');
    const has = query.terms.map((_, t) => `, c.f IN (SELECT f FROM t${t}) AS t${t}, (SELECT count(*) FROM t${t}) AS n${t}`).join('');
    const rows = this.sql.all<Record<string, number>>(
      `WITH c AS MATERIALIZED (${candidates})${termTables}
       SELECT c.f & 3 AS k, c.f >> 2 AS r, c.score${has} FROM c ORDER BY c.score`,
      [...params, limit, ...query.terms],
    );
    return {
      candidates: rows.map((row) => ({
        kind: CODE_KIND[row.k!]!,
        rowid: Number(row.r),
        bm25: Number(row.score),
        has: query.terms.map((_, t) => row[`t${t}`] === 1),
      })),
      termDocs: rows.length === 0 ? [] : query.terms.map((_, t) => Number(rows[0]![`n${t}`])),
    };
  }

  /** Loads rows of one kind by base rowid, checked against scope and filters again. */
  load(scope: Scope, kind: HitKind, rowids: number[], filters: SearchFilters, now: number): StoredHit[] {
    const s = spec(kind);
    return this.byKeys(scope, kind, 'rowid', rowids, filters, now, s.columns).map((row) => s.toHit(row));
  }

  /** The rowids of the rows of one kind with these ids that are in scope and pass the filters. */
  keys(scope: Scope, kind: HitKind, ids: string[], filters: SearchFilters, now: number): Array<{ rowid: number; id: string }> {
    return this.byKeys(scope, kind, 'id', ids, filters, now, 'b.rowid AS rowid, b.id AS id').map((row) => ({ rowid: Number(row.rowid), id: String(row.id) }));
  }

  private byKeys(
    scope: Scope,
    kind: HitKind,
    by: 'rowid' | 'id',
    keys: Array<string | number>,
    filters: SearchFilters,
    now: number,
    columns: string,
  ): Array<Record<string, SqlValue>> {
    if (keys.length === 0 || !kindsFor(filters).includes(kind)) return [];
    const s = spec(kind);
    const rows: Array<Record<string, SqlValue>> = [];
    for (let i = 0; i < keys.length; i += 500) {
      const batch = keys.slice(i, i + 500);
      const params: SqlValue[] = [];
      const where = s.where(scope, filters, now, params);
      rows.push(...this.sql.all<Record<string, SqlValue>>(`SELECT ${columns} FROM ${s.from} WHERE ${where} AND b.${by} IN (${batch.map(() => '?').join(', ')})`, [...params, ...batch]));
    }
    return rows;
  }

  /**
   * Rows in the index and, per indexed term (Porter stem) or `prefix*`, the
   * rows holding it — the statistics BM25's IDF uses.
   */
  termStats(terms: Array<{ term: string; prefix: boolean }>): { rows: number; docs: number[] } {
    const rows = Number(this.sql.value('SELECT count(*) FROM search_fts_docsize') ?? 0);
    const docs = terms.map(({ term, prefix }) =>
      Number(
        (prefix
          ? this.sql.value('SELECT coalesce(max(doc), 0) FROM search_vocab WHERE term >= ? AND term < ?', [term, `${term}\u{10FFFF}`])
          : this.sql.value('SELECT doc FROM search_vocab WHERE term = ?', [term])) ?? 0,
      ),
    );
    return { rows, docs };
  }

  /** Highest rowid of a bulk-written table (0 when empty). */
  maxRowid(table: BulkTable): number {
    return Number(this.sql.value(`SELECT coalesce(max(rowid), 0) FROM ${table}`) ?? 0);
  }

  setBulk(on: boolean): void {
    this.sql.run('UPDATE index_control SET bulk = ? WHERE id = 1', [on ? 1 : 0]);
  }

  /** Indexes rows `from`..`to` of `table` and queues them for embedding (bulk writes). */
  feed(table: BulkTable, from: number, to: number): void {
    const code = KIND_CODE[BULK_KIND[table]];
    this.sql.run(`INSERT INTO search_fts (rowid, title, body) SELECT rowid * 4 + ${code}, NULL, content FROM ${table} WHERE rowid BETWEEN ? AND ?`, [from, to]);
    this.sql.run(
      `INSERT OR REPLACE INTO embed_queue (owner_table, owner_id, token) SELECT '${table}', id, random() FROM ${table} WHERE rowid BETWEEN ? AND ?`,
      [from, to],
    );
    // The sync log's insert triggers are off with the others (migration 0006): one statement logs the batch,
    // once the log is on (migration 0008).
    if (!syncLogOn(this.sql)) return;
    this.sql.run(
      table === 'messages'
        ? `INSERT INTO sync_rows (tbl, row_id, user_id, space_id) SELECT 'messages', m.id, p.user_id, p.space_id
           FROM messages m JOIN sync_rows p ON p.tbl = 'conversations' AND p.row_id = m.conversation_id WHERE m.rowid BETWEEN ? AND ? ${SYNC_CHANGED}`
        : `INSERT INTO sync_rows (tbl, row_id, user_id, space_id) SELECT '${table}', id, user_id, space_id FROM ${table} WHERE rowid BETWEEN ? AND ? ${SYNC_CHANGED}`,
      [from, to],
    );
  }

  /** Empties the index and fills it again from the base tables; returns rows per table. */
  rebuild(): Record<string, number> {
    this.sql.exec("INSERT INTO search_fts (search_fts) VALUES ('delete-all')");
    const rows: Record<string, number> = {};
    for (const kind of CODE_KIND) {
      const table = KIND_TABLE[kind];
      const [title, body] = kind === 'chunk' ? ['heading', 'text'] : ['NULL', 'content'];
      rows[table] = this.sql.run(`INSERT INTO search_fts (rowid, title, body) SELECT rowid * 4 + ${KIND_CODE[kind]}, ${title}, ${body} FROM ${table}`);
    }
    return rows;
  }

  /**
   * Throws when the index is damaged (FTS5 'integrity-check') or does not
   * hold exactly one entry per base row of each kind.
   */
  check(): void {
    this.sql.exec("INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)");
    for (const kind of CODE_KIND) {
      const table = KIND_TABLE[kind];
      const code = KIND_CODE[kind];
      const missing = Number(
        this.sql.value(`SELECT count(*) FROM ${table} b WHERE NOT EXISTS (SELECT 1 FROM search_fts f WHERE f.rowid = b.rowid * 4 + ${code})`) ?? 0,
      );
      const extra = Number(
        this.sql.value(`SELECT count(*) FROM search_fts f WHERE (f.rowid & 3) = ${code} AND NOT EXISTS (SELECT 1 FROM ${table} b WHERE b.rowid = f.rowid >> 2)`) ?? 0,
      );
      if (missing || extra) throw new Error(`search index out of step with ${table}: ${missing} missing, ${extra} extra`);
    }
  }

  /** Index entries of one kind matching an FTS5 expression (tests and diagnostics). */
  countMatches(kind: HitKind, match: string): number {
    return Number(this.sql.value(`SELECT count(*) FROM search_fts WHERE search_fts MATCH ? AND (rowid & 3) = ${KIND_CODE[kind]}`, [match]) ?? 0);
  }

  /** Seeds' index bookkeeping per session: documents indexed and when. */
  /** Kinds whose row count in the index differs from their table's, one line each (`rebuildIndex()` repairs them). */
  countIssues(): string[] {
    const indexed = new Map(
      this.sql.all<{ k: number; n: number }>('SELECT id & 3 AS k, count(*) AS n FROM search_fts_docsize GROUP BY k').map((r) => [Number(r.k), Number(r.n)]),
    );
    return CODE_KIND.flatMap((kind, code) => {
      const table = KIND_TABLE[kind];
      const rows = Number(this.sql.value(`SELECT count(*) FROM ${table}`) ?? 0);
      const inIndex = indexed.get(code) ?? 0;
      return rows === inIndex ? [] : [`the search index holds ${inIndex} ${table.replace('_', ' ')} for ${rows} stored`];
    });
  }

  refreshIndexMeta(now: number, durationMs: number): void {
    this.sql.run(
      `INSERT INTO index_meta (session_id, last_indexed_at, doc_count, last_rebuild_duration_ms)
       SELECT s.id, ?,
         (SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.session_id = s.id)
         + (SELECT count(*) FROM chunks k JOIN contents d ON d.id = k.content_id JOIN stores st ON st.id = d.store_id WHERE st.session_id = s.id),
         ?
       FROM sessions s
       WHERE true
       ON CONFLICT (session_id) DO UPDATE SET last_indexed_at = excluded.last_indexed_at, doc_count = excluded.doc_count,
         last_rebuild_duration_ms = excluded.last_rebuild_duration_ms`,
      [now, durationMs],
    );
  }
}
