/**
 * The benchmark page: scripts/bench.mjs drives `window.bench` through
 * Playwright. Every timing here is taken on the page around one awaited call,
 * so Mnemo (through its full client → worker API) and the baselines (each in
 * a worker of its own, reached with one postMessage) pay the same kind of
 * round trip and the same structured clone of their arguments.
 */
import Dexie, { type Table } from 'dexie';
import { openMnemo, type MnemoClient, type ScopedClient } from '../src/client';
import type { MessageInput } from '../src/shared/api';
import { isStopword, toFtsQuorumQuery } from '../src/worker/search/query';
import { generateMessages, generateQueries, vocabularyFrom, type BenchMessage } from './data';
import type { BreakdownHandlers } from './breakdown-worker';
import type { OramaHandlers } from './orama-worker';
import type { InsertVariant, RawHandlers, RawRow } from './raw-worker';
import { connect, type Client } from './rpc';
import type { VectorHandlers } from './vector-worker';

const VOCABULARY = 30_000;
const CONVERSATIONS = 200;
/** messages.insertMany accepts at most this many rows per call (Limits.maxBatchRows). */
const MAX_BATCH = 100_000;
const SCOPE = { userId: 'bench', spaceId: 'bench' };

let words: string[] | undefined;

async function vocabulary(): Promise<string[]> {
  if (!words) {
    const response = await fetch('/models/mnemo-glove-100d/tokenizer.json');
    if (!response.ok) throw new Error(`tokenizer.json: HTTP ${response.status}`);
    words = vocabularyFrom(await response.json(), VOCABULARY);
  }
  return words;
}

const rawWorker = () => connect<RawHandlers>(new Worker(new URL('./raw-worker.ts', import.meta.url), { type: 'module', name: 'raw' }));
const oramaWorker = () => connect<OramaHandlers>(new Worker(new URL('./orama-worker.ts', import.meta.url), { type: 'module', name: 'orama' }));
const breakdownWorker = () =>
  connect<BreakdownHandlers>(new Worker(new URL('./breakdown-worker.ts', import.meta.url), { type: 'module', name: 'breakdown' }));
const vectorWorker = () => connect<VectorHandlers>(new Worker(new URL('./vector-worker.ts', import.meta.url), { type: 'module', name: 'vector' }));

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function elapsed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

interface MnemoDb {
  mnemo: MnemoClient;
  space: ScopedClient;
  conversations: string[];
}

/** Opens Mnemo on OPFS and makes one session with `count` conversations; refuses to measure an in-memory fallback. */
async function openMnemoDb(name: string, count: number): Promise<MnemoDb> {
  const mnemo = await openMnemo({ name, storage: 'opfs' });
  const info = await mnemo.info();
  if (info.vfs !== 'opfs-sahpool' || info.warning) throw new Error(`Mnemo is not on opfs-sahpool (${info.vfs}: ${info.warning})`);
  const space = mnemo.space(SCOPE);
  const session = await space.sessions.create({ name: 'Benchmark' });
  const conversations: string[] = [];
  for (let i = 0; i < count; i++) conversations.push((await space.conversations.create({ sessionId: session.id, title: `Chat ${i}` })).id);
  return { mnemo, space, conversations };
}

/** The same row objects go to Mnemo and to the raw baselines. */
function toInputs(messages: BenchMessage[], conversations: string[]): Array<MessageInput & RawRow> {
  return messages.map((m) => ({ conversationId: conversations[m.conversation % conversations.length]!, role: m.role, content: m.content, createdAt: m.createdAt }));
}

const syntheticConversations = () => Array.from({ length: CONVERSATIONS }, () => crypto.randomUUID());

async function insertMnemo(db: MnemoDb, inputs: MessageInput[]): Promise<number> {
  return elapsed(async () => {
    for (const batch of chunks(inputs, MAX_BATCH)) await db.space.messages.insertMany(batch);
  });
}

async function insertRaw(raw: Client<RawHandlers>, file: string, variant: InsertVariant, rows: RawRow[]): Promise<{ ms: number; inWorkerMs: number; rows: number }> {
  const created = await raw.call('create', file, variant);
  if (String(created.journalMode).toLowerCase() !== 'wal') throw new Error(`raw database is not in WAL mode (${String(created.journalMode)})`);
  let inWorkerMs = 0;
  let count = 0;
  const ms = await elapsed(async () => {
    for (const batch of chunks(rows, MAX_BATCH)) {
      const result = await raw.call('insert', batch);
      inWorkerMs += result.ms;
      count = result.rows;
    }
  });
  return { ms, inWorkerMs, rows: count };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

// ---- search state, kept between searchSetup and the runs ---------------------------
let searchDb: MnemoDb | undefined;
let searchRaw: Client<RawHandlers> | undefined;
let searchOrama: Client<OramaHandlers> | undefined;

// ---- durable-write state -------------------------------------------------------------
interface DexieMessage {
  id: string;
  conversationId: string;
  role: string;
  content: string;
  metadata: Record<string, never>;
  isStreaming: boolean;
  createdAt: number;
  updatedAt: number;
}
let writeDb: MnemoDb | undefined;
let dexie: (Dexie & { messages: Table<DexieMessage, string> }) | undefined;
let writeTexts: string[] = [];
let dexieSeq = 0;

function dexieRow(conversationId: string, content: string, at: number): DexieMessage {
  // Time-ordered keys, as Mnemo's UUIDv7 ids are.
  const id = `${at.toString(36).padStart(10, '0')}-${(dexieSeq++).toString(36).padStart(8, '0')}`;
  return { id, conversationId, role: 'user', content, metadata: {}, isStreaming: false, createdAt: at, updatedAt: at };
}

const bench = {
  /** One bulk insert of n generated messages into a new database; returns page-side milliseconds. */
  async insert(variant: InsertVariant | 'mnemo', n: number): Promise<{ ms: number; inWorkerMs?: number; rows: number; chars: number }> {
    const messages = generateMessages(await vocabulary(), n, CONVERSATIONS);
    const chars = messages.reduce((sum, m) => sum + m.content.length, 0);
    if (variant === 'mnemo') {
      const db = await openMnemoDb('bench-insert', CONVERSATIONS);
      const ms = await insertMnemo(db, toInputs(messages, db.conversations));
      const stats = await db.mnemo.stats();
      return { ms, rows: stats.totals.messages, chars };
    }
    const raw = rawWorker();
    const result = await insertRaw(raw, `/insert-${variant}.sqlite3`, variant, toInputs(messages, syntheticConversations()));
    return { ...result, chars };
  },

  /** Loads the same n messages into Mnemo, raw SQLite + FTS5 and Orama, then lets Mnemo's embedding queue drain. */
  async searchSetup(n: number, embedTimeoutMs: number): Promise<Record<string, unknown>> {
    const messages = generateMessages(await vocabulary(), n, CONVERSATIONS);
    searchDb = await openMnemoDb('bench-search', CONVERSATIONS);
    const mnemoInsertMs = await insertMnemo(searchDb, toInputs(messages, searchDb.conversations));
    const flushStarted = performance.now();
    const embedding = await searchDb.mnemo.embeddings.flush(embedTimeoutMs);
    const embedMs = performance.now() - flushStarted;
    searchRaw = rawWorker();
    const raw = await insertRaw(searchRaw, '/search.sqlite3', 'batch-fts', toInputs(messages, syntheticConversations()));
    searchOrama = oramaWorker();
    const orama = await searchOrama.call('load', messages);
    return {
      mnemoInsertMs,
      embedMs,
      embedding: { modelId: embedding.modelId, dims: embedding.dims, embedded: embedding.embedded, pending: embedding.pending, error: embedding.error },
      rawInsertMs: raw.ms,
      oramaLoadMs: orama.ms,
    };
  },

  /**
   * Keyword top-10, interleaved per query (rotating order): Mnemo, raw FTS5
   * with Mnemo's MATCH expression, and Orama matching any term (threshold 1),
   * which is what that expression means for these one- and two-word queries.
   */
  async keyword(count: number, warmup: number): Promise<Record<string, unknown>> {
    const db = searchDb;
    const raw = searchRaw;
    const orama = searchOrama;
    if (!db || !raw || !orama) throw new Error('searchSetup first');
    // Without stopwords, search()'s quorum rule needs ceil(n/2) of n words: any one of a two-word query.
    const queries = generateQueries((await vocabulary()).filter((w) => !isStopword(w)), warmup + count);
    const times = { mnemo: [] as number[], raw: [] as number[], orama: [] as number[] };
    const hits = { mnemo: [] as number[], raw: [] as number[], orama: [] as number[] };
    const matching: number[] = [];
    let sameTop10 = 0;
    for (const [i, query] of queries.entries()) {
      // The raw baseline runs the very MATCH expression search() builds (src/worker/search/service.ts).
      const match = toFtsQuorumQuery(query);
      if (!match) throw new Error(`query without terms: ${query}`);
      let mnemoTexts: string[] = [];
      let rawTexts: string[] = [];
      const runs: Record<keyof typeof times, () => Promise<number>> = {
        mnemo: async () => {
          const found = await db.space.search({ query, mode: 'keyword', limit: 10 });
          mnemoTexts = found.map((h) => h.text);
          return found.length;
        },
        raw: async () => {
          const found = await raw.call('search', match);
          rawTexts = found.map((h) => h.text);
          return found.length;
        },
        orama: async () => (await orama.call('search', query)).length,
      };
      const order = (['mnemo', 'raw', 'orama'] as const).map((_, j, all) => all[(i + j) % all.length]!);
      for (const name of order) {
        const started = performance.now();
        const found = await runs[name]();
        const ms = performance.now() - started;
        if (i >= warmup) {
          times[name].push(ms);
          hits[name].push(found);
        }
      }
      if (i < warmup) continue;
      if (mnemoTexts.join('\n') === rawTexts.join('\n')) sameTop10 += 1;
      matching.push(await raw.call('matches', match));
    }
    return {
      times,
      medianHits: { mnemo: median(hits.mnemo), raw: median(hits.raw), orama: median(hits.orama) },
      medianMatchingRows: median(matching),
      sameTop10,
      queries: queries.slice(warmup),
    };
  },

  /** Mnemo's own vector and hybrid search over the embedded messages (its bundled model): informational. */
  async semantic(count: number, warmup: number): Promise<Record<string, number[]>> {
    const db = searchDb;
    if (!db) throw new Error('searchSetup first');
    const queries = generateQueries(await vocabulary(), warmup + count, 11);
    const out = { vector: [] as number[], hybrid: [] as number[] };
    for (const [i, query] of queries.entries()) {
      for (const mode of ['vector', 'hybrid'] as const) {
        const ms = await elapsed(() => db.space.search({ query, mode, limit: 10 }));
        if (i >= warmup) out[mode].push(ms);
      }
    }
    return out;
  },

  /** Prefills Mnemo and a Dexie database (strict durability) with the same rows. */
  async writeSetup(prefill: number, embedTimeoutMs: number): Promise<Record<string, unknown>> {
    const messages = generateMessages(await vocabulary(), prefill + 2_000, 1, 3);
    writeTexts = messages.slice(prefill).map((m) => m.content);
    writeDb = await openMnemoDb('bench-write', 1);
    const conversationId = writeDb.conversations[0]!;
    await insertMnemo(writeDb, toInputs(messages.slice(0, prefill), writeDb.conversations));
    const embedding = await writeDb.mnemo.embeddings.flush(embedTimeoutMs);
    const db = new Dexie('bench-write', { chromeTransactionDurability: 'strict' }) as Dexie & { messages: Table<DexieMessage, string> };
    db.version(1).stores({ messages: 'id, [conversationId+createdAt], createdAt' });
    await db.messages.bulkAdd(messages.slice(0, prefill).map((m) => dexieRow(conversationId, m.content, m.createdAt)));
    dexie = db;
    return { mnemoRows: (await writeDb.mnemo.stats()).totals.messages, dexieRows: await db.messages.count(), embeddingPending: embedding.pending };
  },

  /**
   * Durable single writes, each awaited: alternating blocks of Mnemo
   * messages.add and Dexie add(). Back to back, every add queues an embedding
   * that Mnemo's worker computes and commits while the next writes arrive;
   * with `drain`, each add is followed (untimed) by embeddings.flush(), so it
   * starts on an idle worker, as chat messages seconds apart do.
   */
  async writes(count: number, block: number, warmup: number, drain = false): Promise<Record<'mnemo' | 'dexie' | 'mnemoInfo' | 'rawPing', number[]>> {
    const db = writeDb;
    const store = dexie;
    if (!db || !store) throw new Error('writeSetup first');
    const conversationId = db.conversations[0]!;
    const out = { mnemo: [] as number[], dexie: [] as number[], mnemoInfo: [] as number[], rawPing: [] as number[] };
    const raw = rawWorker();
    let text = 0;
    const next = () => writeTexts[text++ % writeTexts.length]!;
    for (let done = -warmup; done < count; done += block) {
      for (const name of ['mnemo', 'dexie'] as const) {
        for (let i = 0; i < block; i++) {
          const content = next();
          const ms =
            name === 'mnemo'
              ? await elapsed(() => db.space.messages.add({ conversationId, role: 'user', content }))
              : await elapsed(() => store.messages.add(dexieRow(conversationId, content, Date.now())));
          if (done >= 0) out[name].push(ms);
          if (drain && name === 'mnemo') await db.mnemo.embeddings.flush(10_000);
        }
      }
      // The price of a call itself: Mnemo's cheapest call vs a bare postMessage round trip.
      for (let i = 0; i < block; i++) {
        const info = await elapsed(() => db.mnemo.info());
        const ping = await elapsed(() => raw.call('ping'));
        if (done >= 0) {
          out.mnemoInfo.push(info);
          out.rawPing.push(ping);
        }
      }
    }
    raw.terminate();
    return out;
  },

  /** Where Mnemo's time goes (bench/breakdown-worker.ts), each part in a worker of its own. */
  async breakdown(n: number, writes: number, queries: number, opens: number): Promise<Record<string, unknown>> {
    const run = async <T>(fn: (worker: Client<BreakdownHandlers>) => Promise<T>): Promise<T> => {
      const worker = breakdownWorker();
      try {
        return await fn(worker);
      } finally {
        worker.terminate();
      }
    };
    const insert = await run((w) => w.call('insert', n));
    const write = await run((w) => w.call('write', 20_000, writes));
    const keyword = await run((w) => w.call('keyword', n, queries));
    await run((w) => w.call('openSetup', 'bench-open'));
    const open: Array<Record<string, number>> = [];
    for (let i = 0; i < opens; i++) open.push(await run((w) => w.call('open', 'bench-open')));
    return { insert, write, keyword, open };
  },

  /** Vector top-10 in one worker: plain JS float scan, Mnemo's VectorIndex, Orama. */
  async vector(rows: number, dims: number, count: number, warmup: number): Promise<Record<string, unknown>> {
    const worker = vectorWorker();
    try {
      const setup = await worker.call('setup', rows, dims);
      const run = await worker.call('run', count, warmup);
      return { ...setup, ...run };
    } finally {
      worker.terminate();
    }
  },
};

export type Bench = typeof bench;

declare global {
  interface Window {
    bench?: Bench;
  }
}

window.bench = bench;
