/**
 * Where Mnemo's time goes: runs Mnemo's own worker code (core, repositories,
 * search) inside this worker, without the client, Comlink or the router, and
 * times the pieces of a bulk insert, a durable single write, a keyword search
 * and an open, each against the same work done with plain SQL on the same
 * schema. Used by `npm run bench -- --only breakdown` to explain the ratios
 * of the main run; it changes nothing in src/.
 */
import { check, DEFAULT_LIMITS, makeSchemas } from '../src/shared/schemas';
import { browserCatalog } from '../src/worker/embed/catalog';
import { createMnemo, openCore, type Core } from '../src/worker/core';
import type { MnemoService } from '../src/worker/service';
import type { ModelCatalog } from '../src/worker/embed/service';
import { openDatabase } from '../src/worker/engine/database';
import type { StorageDriver } from '../src/worker/engine/driver';
import { bundledMigrations } from '../src/worker/engine/migrations';
import { createSahPoolDriver } from '../src/worker/engine/sahpool-driver';
import type { SqlValue } from '../src/worker/engine/sql';
import { loadSqlite } from '../src/worker/engine/sqlite';
import { snapshotBeforeMigration } from '../src/worker/files/backups';
import { SearchRepo } from '../src/worker/repos/search';
import { keywordSearch } from '../src/worker/search/keyword';
import { isStopword, parseQuery } from '../src/worker/search/query';
import { conversationCount, generateMessages, generateQueries, vocabularyFrom, type BenchMessage } from './data';
import { serve } from './rpc';

const SCOPE = { userId: 'bench', spaceId: 'bench' };
const FEED_BATCH = 5_000;
/** Messages in the store of the with-model write timing. */
const MODEL_PREFILL = 2_000;
/** Rows per insertMany call, as in the main run. */
const BATCH = 5_000;
/** 64 MiB: FTS5's in-memory pending-terms limit before it writes a segment (default 1 MiB). */
const BIG_HASH = 64 * 1024 * 1024;

/** Embedding stays out of these timings (the main run measures Mnemo with its model). */
const noModel: ModelCatalog = {
  defaultModel: 'none',
  models: () => [],
  factory: async () => {
    throw new Error('no embedding model in the breakdown');
  },
};

const INSERT = `INSERT INTO messages (id, conversation_id, role, content, tool_calls, tool_call_id, tool_results, thinking,
  thinking_signature, assistant_id, attachments, model, tokens_used, is_streaming, source, error, metadata, created_at, updated_at)
  VALUES (?, ?, ?, ?, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, '{}', ?, ?)`;

let driver: StorageDriver | undefined;
let words: string[] | undefined;
let core: Core | undefined;
let api: MnemoService | undefined;
let conversations: string[] = [];
let generation = 0;
let nextId = 0;

const rotate = <T>(items: T[], by: number): T[] => items.map((_, i) => items[(i + by) % items.length]!);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const round = (value: number) => Math.round(value * 100) / 100;
const medians = (samples: Record<string, number[]>) => Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, round(median(values))]));

async function vocabulary(): Promise<string[]> {
  words ??= vocabularyFrom(await (await fetch('/models/mnemo-glove-100d/tokenizer.json')).json(), 30_000);
  return words;
}

const SCRATCH = 'breakdown-';

/**
 * A new, empty Mnemo database. Every scratch file is deleted first: the one
 * this worker had open, and any an earlier (terminated) breakdown worker left
 * in the pool, which has few slots and must not hand back an old file.
 */
async function fresh(messages: number, withModel = false): Promise<Core> {
  driver ??= await createSahPoolDriver(await loadSqlite());
  await core?.close();
  for (const path of driver.listFiles()) {
    const name = path.replace(/^\//, '');
    if (name.startsWith(SCRATCH)) driver.deleteFile(name);
  }
  core = await openCore({ name: `${SCRATCH}${generation++}`, storage: 'opfs', driver, catalog: withModel ? browserCatalog({ baseUrl: self.location.origin }) : noModel });
  api = createMnemo(core);
  const space = api.space(SCOPE);
  const session = await space.sessions.create({ name: 'Benchmark' });
  conversations = [];
  for (let i = 0; i < conversationCount(messages); i++) conversations.push((await space.conversations.create({ sessionId: session.id })).id);
  return core;
}

const inputs = (messages: BenchMessage[]) =>
  messages.map((m) => ({ conversationId: conversations[m.conversation % conversations.length]!, role: m.role, content: m.content, createdAt: m.createdAt }));

/** Mnemo's bindings for the columns a chat message uses; ids shaped like UUIDs, in order, as UUIDv7 are. */
const bind = (m: { conversationId: string; role: string; content: string; createdAt: number }): SqlValue[] => [
  `0190${(nextId++).toString(16).padStart(28, '0')}`.replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-'),
  m.conversationId,
  m.role,
  m.content,
  m.createdAt,
  m.createdAt,
];

/** Feeds FTS and/or the embedding queue from the rows after `after` (rowid), 5,000 at a time. */
function feed(c: Core, fts: string | null, queue: boolean, after: number): void {
  const hi = Number(c.sql.value('SELECT max(rowid) FROM messages') ?? 0);
  for (let from = after + 1; from <= hi; from += FEED_BATCH) {
    const range = [from, Math.min(hi, from + FEED_BATCH - 1)];
    if (fts) c.sql.run(`INSERT INTO ${fts} (rowid, title, body) SELECT rowid * 4, NULL, content FROM messages WHERE rowid BETWEEN ? AND ?`, range);
    if (queue) {
      c.sql.run(
        `INSERT OR REPLACE INTO embed_queue (owner_table, owner_id, token) SELECT 'messages', id, random() FROM messages WHERE rowid BETWEEN ? AND ?`,
        range,
      );
    }
  }
}

const handlers = {
  /** One bulk insert of n messages per variant, each into a new database, all in-worker. */
  async insert(n: number): Promise<Record<string, number>> {
    const messages = generateMessages(await vocabulary(), n);
    const out: Record<string, number> = {};
    const time = (name: string, fn: () => void) => {
      const started = performance.now();
      fn();
      out[name] = Math.round(performance.now() - started);
    };
    // Conversation ids are new with every fresh() database.
    const batches = () => Array.from({ length: Math.ceil(n / BATCH) }, (_, i) => inputs(messages.slice(i * BATCH, (i + 1) * BATCH)));
    // Like insertMany: one transaction per batch of 5,000, triggers off, then the batch fed on.
    const rowsOnly = (c: Core, after: (lastRowid: number) => void) => {
      for (const batch of batches()) {
        c.sql.tx(() => {
          const last = Number(c.sql.value('SELECT coalesce(max(rowid), 0) FROM messages'));
          c.sql.run('UPDATE index_control SET bulk = 1 WHERE id = 1');
          c.sql.runEach(INSERT, batch.map(bind));
          c.sql.run('UPDATE index_control SET bulk = 0 WHERE id = 1');
          after(last);
        });
      }
    };

    let c = await fresh(n);
    const all = batches();
    const started = performance.now();
    for (const batch of all) await api!.space(SCOPE).messages.insertMany(batch);
    out['messages.insertMany, batches of 5,000 (in worker, no client, no model)'] = Math.round(performance.now() - started);
    time('  input validation (valibot)', () => all.forEach((batch) => check(c.schemas.messageBatch, batch, 'breakdown')));
    c = await fresh(n);
    time('  rows into Mnemo schema (3 B-trees + 2 indexes, triggers off)', () => rowsOnly(c, () => {}));
    c = await fresh(n);
    time('  rows + embed_queue feed', () => rowsOnly(c, (last) => feed(c, null, true, last)));
    c = await fresh(n);
    time('  rows + FTS feed (porter, prefix 2 3: as migrations/0003)', () => rowsOnly(c, (last) => feed(c, 'search_fts', false, last)));
    c = await fresh(n);
    c.sql.exec(`INSERT INTO search_fts (search_fts, rank) VALUES ('hashsize', ${BIG_HASH})`);
    time("  rows + FTS feed with 'hashsize' 64 MiB", () => rowsOnly(c, (last) => feed(c, 'search_fts', false, last)));
    c = await fresh(n);
    c.sql.exec(`CREATE VIRTUAL TABLE noprefix_fts USING fts5 (title, body, content = '', contentless_delete = 1,
      tokenize = 'porter unicode61 remove_diacritics 2')`);
    time('  rows + FTS feed without prefix indexes', () => rowsOnly(c, (last) => feed(c, 'noprefix_fts', false, last)));
    return out;
  },

  /** Durable single writes on a database of `prefill` messages: the API call and its SQL, piece by piece. */
  async write(prefill: number, count: number): Promise<Record<string, number>> {
    const messages = generateMessages(await vocabulary(), prefill + count, 3);
    const c = await fresh(prefill);
    const space = api!.space(SCOPE);
    for (let i = 0; i < prefill; i += BATCH) await space.messages.insertMany(inputs(messages.slice(i, Math.min(prefill, i + BATCH))));
    const texts = messages.slice(prefill).map((m) => m.content);
    const conversationId = conversations[0]!;
    let i = 0;
    const row = () => ({ conversationId, role: 'user' as const, content: texts[i++ % texts.length]!, createdAt: Date.now() });
    const sql = c.sql;
    sql.exec(`CREATE TABLE plain (id INTEGER PRIMARY KEY, conversation_id TEXT NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL, created_at INTEGER NOT NULL)`);
    const variants: Record<string, () => unknown> = {
      'messages.add (in worker, no client)': () => space.messages.add(row()),
      '  floor: plain-table insert, own transaction': () =>
        sql.tx(() => {
          const r = row();
          sql.run('INSERT INTO plain (conversation_id, role, content, created_at) VALUES (?, ?, ?, ?)', [r.conversationId, r.role, r.content, r.createdAt]);
        }),
      '  messages row only (triggers off)': () =>
        sql.tx(() => {
          sql.run('UPDATE index_control SET bulk = 1 WHERE id = 1');
          sql.run(INSERT, bind(row()));
          sql.run('UPDATE index_control SET bulk = 0 WHERE id = 1');
        }),
      '  + AFTER INSERT trigger (FTS + embed_queue)': () => sql.tx(() => sql.run(INSERT, bind(row()))),
      '  + conversation touch, scope check, read-back (the SQL of add)': () =>
        sql.tx(() => {
          const r = row();
          sql.value('SELECT 1 FROM conversations c JOIN sessions s ON s.id = c.session_id WHERE c.id = ? AND s.user_id = ? AND s.space_id = ?', [
            conversationId,
            SCOPE.userId,
            SCOPE.spaceId,
          ]);
          const values = bind(r);
          sql.run(INSERT, values);
          sql.run('UPDATE conversations SET updated_at = max(updated_at, ?) WHERE id = ?', [r.createdAt, conversationId]);
          sql.get('SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN sessions s ON s.id = c.session_id WHERE s.user_id = ? AND s.space_id = ? AND m.id = ?', [
            SCOPE.userId,
            SCOPE.spaceId,
            values[0]!,
          ]);
        }),
    };
    const samples: Record<string, number[]> = {};
    const entries = Object.entries(variants);
    for (let round = 0; round < count; round++) {
      // Rotated so no variant always runs first (and pays the page-cache misses).
      for (const [name, fn] of rotate(entries, round)) {
        const started = performance.now();
        await fn();
        (samples[name] ??= []).push(performance.now() - started);
      }
    }
    // The same SQL without the flush at commit: what durability costs.
    sql.exec('PRAGMA synchronous = NORMAL');
    for (let round = 0; round < count; round++) {
      const started = performance.now();
      sql.tx(() => sql.run(INSERT, bind(row())));
      (samples['  + trigger, synchronous=NORMAL (not durable)'] ??= []).push(performance.now() - started);
    }
    sql.exec('PRAGMA synchronous = FULL');

    // With the bundled model, as in the app: each add also starts the embedding runner (drained, untimed, after each add).
    // A smaller store: its whole embedding queue is drained first, which takes minutes at 20,000.
    const modelPrefill = Math.min(prefill, MODEL_PREFILL);
    await fresh(modelPrefill, true);
    const withModel = api!.space(SCOPE);
    await withModel.messages.insertMany(inputs(messages.slice(0, modelPrefill)));
    await api!.embeddings.flush(600_000);
    const modelConversation = conversations[0]!;
    for (let round = 0; round < count; round++) {
      const started = performance.now();
      await withModel.messages.add({ conversationId: modelConversation, role: 'user', content: texts[round % texts.length]! });
      (samples[`messages.add with the bundled model, ${modelPrefill} messages (queue drained between adds)`] ??= []).push(performance.now() - started);
      await api!.embeddings.flush(10_000);
    }
    return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, round(median(values))]));
  },

  /**
   * Reads over n messages: keyword top-10 through search() and its SQL, and
   * the same query written other ways; a page of 50 through messages.page()
   * and its SQL.
   */
  async read(n: number, count: number): Promise<{ keyword: Record<string, number | string>; page: Record<string, number> }> {
    const all = await vocabulary();
    const c = await fresh(n);
    const messages = inputs(generateMessages(all, n));
    for (let i = 0; i < n; i += BATCH) await api!.space(SCOPE).messages.insertMany(messages.slice(i, i + BATCH));
    const sql = c.sql;
    const queries = generateQueries(all.filter((w) => !isStopword(w)), count);
    const joins = `FROM search_fts JOIN messages m ON m.rowid = search_fts.rowid >> 2
      JOIN conversations c ON c.id = m.conversation_id JOIN sessions s ON s.id = c.session_id
      WHERE search_fts MATCH ? AND (search_fts.rowid & 3) = 0 AND s.user_id = ? AND s.space_id = ?`;
    const scope = [SCOPE.userId, SCOPE.spaceId];
    const space = api!.space(SCOPE);
    const repo = new SearchRepo(sql);
    const variants: Record<string, (match: string, query: string) => unknown> = {
      'search({mode: keyword}) (in worker, no client)': (_m, query) => space.search({ query, mode: 'keyword', limit: 10 }),
      '  keywordSearch(), all four kinds': (_m, query) => keywordSearch(repo, SCOPE, parseQuery(query), {}, 10, Date.now()),
      '  keywordSearch(), messages only': (_m, query) => keywordSearch(repo, SCOPE, parseQuery(query), { kinds: ['message'] }, 10, Date.now()),
      '  its candidate statement alone (top 50, every kind, terms flagged)': (m, query) =>
        repo.keywordCandidates(SCOPE, { match: m, titleWeight: 2, terms: parseQuery(query).terms.map((t) => t.match) }, {}, 50, Date.now()),
      '  messages only, scope joined, ORDER BY bm25 LIMIT 10': (m) => sql.all(`SELECT m.id, m.content, bm25(search_fts) AS bm25 ${joins} ORDER BY bm25 LIMIT 10`, [m, ...scope]),
      '  raw baseline: MATCH … ORDER BY bm25 LIMIT 10, then 10 rows': (m) =>
        sql.all(
          `SELECT m.rowid AS id, m.content AS text, t.score FROM (SELECT rowid, bm25(search_fts) AS score FROM search_fts
           WHERE search_fts MATCH ? ORDER BY score LIMIT 10) t JOIN messages m ON m.rowid = t.rowid >> 2 ORDER BY t.score`,
          [m],
        ),
    };
    const samples: Record<string, number[]> = {};
    const matches: number[] = [];
    const entries = Object.entries(variants);
    for (const [i, query] of queries.entries()) {
      const match = parseQuery(query).match!;
      matches.push(Number(sql.value('SELECT count(*) FROM search_fts WHERE search_fts MATCH ?', [match])));
      for (const [name, fn] of rotate(entries, i)) {
        const started = performance.now();
        await fn(match, query);
        (samples[name] ??= []).push(performance.now() - started);
      }
    }
    const keyword = { ...medians(samples), 'median matching rows': `${median(matches)} rows` };

    // A page of 50 (first and last of a conversation of 100): the API call, its three statements, the raw query.
    const pages: Record<string, (conversationId: string, page: number) => unknown> = {
      'messages.page() (in worker, no client)': (id, page) => space.messages.page(id, { page, pageSize: 50 }),
      '  its scope check (conversation → session → space)': (id) =>
        sql.value('SELECT 1 FROM conversations c JOIN sessions s ON s.id = c.session_id WHERE c.id = ? AND s.user_id = ? AND s.space_id = ?', [id, ...scope]),
      '  its count(*) for total': (id) => sql.value('SELECT count(*) FROM messages WHERE conversation_id = ?', [id]),
      '  its SELECT m.* … LIMIT 50 OFFSET, rows mapped by nothing': (id, page) =>
        sql.all('SELECT m.* FROM messages m WHERE m.conversation_id = ? ORDER BY m.created_at, m.rowid LIMIT 50 OFFSET ?', [id, (page - 1) * 50]),
      '  raw baseline: SELECT * … LIMIT 50 OFFSET (same index)': (id, page) =>
        sql.all('SELECT * FROM messages WHERE conversation_id = ? ORDER BY created_at, rowid LIMIT 50 OFFSET ?', [id, (page - 1) * 50]),
    };
    const pageSamples: Record<string, number[]> = {};
    const pageEntries = Object.entries(pages);
    for (let i = 0; i < count; i++) {
      const id = conversations[(i * 7919) % conversations.length]!;
      for (const [name, fn] of rotate(pageEntries, i)) {
        const started = performance.now();
        await fn(id, (i % 2) + 1);
        (pageSamples[name] ??= []).push(performance.now() - started);
      }
    }
    return { keyword, page: medians(pageSamples) };
  },

  /** Creates the database `open` measures (a separate worker, so that one starts cold). */
  async openSetup(name: string): Promise<void> {
    driver ??= await createSahPoolDriver(await loadSqlite());
    const opened = await openCore({ name, storage: 'opfs', driver, catalog: noModel });
    await createMnemo(opened).space(SCOPE).sessions.create({ name: 'Benchmark' });
    await opened.close();
  },

  /** Mnemo's open of an existing file, step by step, in a fresh worker. */
  async open(name: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    let last = performance.now();
    const mark = (step: string) => {
      const now = performance.now();
      out[step] = round(now - last);
      last = now;
    };
    const sqlite3 = await loadSqlite();
    mark('sqlite-wasm init');
    const pool = await createSahPoolDriver(sqlite3);
    mark('install opfs-sahpool');
    const migrations = await bundledMigrations();
    mark('hash bundled migrations');
    const file = `${name}.sqlite3`;
    await snapshotBeforeMigration(pool, name, file, migrations);
    mark('snapshotBeforeMigration (opens and closes the file)');
    openDatabase(pool, file, migrations).sql.close();
    mark('openDatabase (version gate, pragmas, migrate)');
    makeSchemas(DEFAULT_LIMITS);
    mark('makeSchemas (valibot schemas, built by new Core)');
    await browserCatalog({ baseUrl: self.location.origin }).ready;
    mark('browserCatalog + its model store ready (new Core)');
    const opened = await openCore({ name, storage: 'opfs', driver: pool, migrations, catalog: browserCatalog({ baseUrl: self.location.origin }) });
    mark('openCore again (snapshot check + openDatabase + new Core)');
    const service = createMnemo(opened);
    mark('createMnemo');
    await service.space(SCOPE).sessions.list();
    mark('first sessions.list()');
    await opened.close();
    return out;
  },
};

export type BreakdownHandlers = typeof handlers;

serve(handlers);
