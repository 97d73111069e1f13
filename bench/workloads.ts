/**
 * The workloads of `npm run bench`, written once against "contenders": Mnemo
 * (through its public client only) and each baseline implement the calls they
 * take part in, and `measureStore` times them on the same generated data,
 * interleaved call by call with a rotating order, so machine noise falls on
 * all of them alike. The bare page (lab.ts) runs it with Mnemo and every
 * baseline; the app page (console.ts, injected like a console script) with
 * `window.mnemo` alone.
 */
import type { MnemoClient, ScopedClient } from '../src/client';
import { conversationCount, generateMessages, generateQueries, mulberry32, vocabularyFrom, type BenchMessage } from './data';

export const SCOPE = { userId: 'bench', spaceId: 'bench' };
/** The database file the bare page fills and cold-mnemo.html opens again. */
export const MNEMO_NAME_COLD = 'bench';
/** Rows per insert call, for every contender (the issue's batches of 5,000). */
export const BATCH = 5_000;
export const PAGE_SIZE = 50;
const VOCABULARY = 30_000;

export interface StoreConfig {
  n: number;
  /** Conversations whose first and last pages are read (each contender, interleaved). */
  pages: number;
  /** Timed keyword (and hybrid) queries, after `warmup` untimed ones. */
  queries: number;
  warmup: number;
  /** Durable single adds on the full store, per contender, in blocks of 25 rotating contenders. */
  writes: number;
  /** Whole-file exports per contender. */
  exports: number;
  /** Give up waiting for Mnemo's embedding queue after this long. */
  embedTimeoutMs: number;
  /** Baselines left out of the store (`--skip`), e.g. Orama, whose in-memory index does not fit a tab at 1,000,000. */
  skip?: string[];
}

export interface Contender {
  /** Untimed preparation before inserting (Mnemo: session and conversations). */
  prepare?(conversations: number): Promise<void>;
  insertBatch?(rows: BenchMessage[]): Promise<unknown>;
  /** Mnemo: resolves when `embeddings.status()` shows nothing pending. */
  untilSearchable?(timeoutMs: number): Promise<{ pending: number; embedded: number }>;
  /** Stored row count, to check the insert. */
  count?(): Promise<number>;
  page?(conversation: number, page: number): Promise<number>;
  keyword?(query: string): Promise<number>;
  hybrid?(query: string): Promise<number>;
  add?(conversation: number, content: string): Promise<unknown>;
  /** The whole database file; resolves to its size in bytes. */
  exportFile?(): Promise<number>;
}

export type Samples = Record<string, number[]>;

export interface StoreResult {
  n: number;
  chars: number;
  /** Milliseconds per contender for all N rows (batches of BATCH, each awaited). */
  insert: Record<string, number>;
  /** Mnemo: milliseconds from the last batch's answer until nothing is pending. */
  untilSearchable: Record<string, { ms: number; pending: number; embedded: number }>;
  /** Mnemo: keyword queries timed while that queue embeds (one every PROBE_GAP_MS, at least one). */
  keywordWhileEmbedding: Samples;
  pageFirst: Samples;
  pageLast: Samples;
  keyword: Samples;
  hybrid: Samples;
  /** Median hits per keyword query (sanity: every contender finds ten). */
  keywordHits: Record<string, number>;
  add: Samples;
  exportMs: Samples;
  exportBytes: Record<string, number>;
}

let words: Promise<string[]> | undefined;

/** The bundled model's vocabulary in corpus order, served by the app and by the bench pages alike. */
export function vocabulary(): Promise<string[]> {
  words ??= fetch('/models/mnemo-glove-100d/tokenizer.json').then(async (response) => {
    if (!response.ok) throw new Error(`tokenizer.json: HTTP ${response.status}`);
    return vocabularyFrom(await response.json(), VOCABULARY);
  });
  return words;
}

export async function benchData(n: number): Promise<{ messages: BenchMessage[]; queries: (count: number) => string[] }> {
  const all = await vocabulary();
  return { messages: generateMessages(all, n), queries: (count) => generateQueries(all, count) };
}

export async function elapsed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** Runs each contender's call once per round in an order rotated every round; samples after `warmup` rounds. */
async function interleave(
  names: string[],
  rounds: number,
  warmup: number,
  call: (name: string, round: number) => Promise<unknown>,
  out: Samples,
  results?: Record<string, unknown[]>,
): Promise<void> {
  for (const name of names) out[name] ??= [];
  for (let round = 0; round < warmup + rounds; round++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(round + j) % names.length]!;
      const started = performance.now();
      const result = await call(name, round);
      const ms = performance.now() - started;
      if (round >= warmup) {
        out[name]!.push(ms);
        (results?.[name] ?? []).push(result);
      }
    }
  }
}

/** The gap between keyword queries timed while the embedding queue runs: a user typing, not a load test. */
const PROBE_GAP_MS = 50;
const PROBE_QUERIES = 50;

const having = (contenders: Record<string, Contender>, method: keyof Contender) => Object.keys(contenders).filter((name) => contenders[name]![method]);

/** Loads N messages into every contender, one after the other, then measures the read and write workloads on the full stores. */
export async function measureStore(contenders: Record<string, Contender>, config: StoreConfig, log: (line: string) => void = () => {}): Promise<StoreResult> {
  const { messages, queries } = await benchData(config.n);
  const conversations = conversationCount(config.n);
  const result: StoreResult = {
    n: config.n,
    chars: messages.reduce((sum, m) => sum + m.content.length, 0),
    insert: {},
    untilSearchable: {},
    keywordWhileEmbedding: {},
    pageFirst: {},
    pageLast: {},
    keyword: {},
    hybrid: {},
    keywordHits: {},
    add: {},
    exportMs: {},
    exportBytes: {},
  };

  for (const name of having(contenders, 'insertBatch')) {
    const c = contenders[name]!;
    await c.prepare?.(conversations);
    result.insert[name] = await elapsed(async () => {
      for (let i = 0; i < messages.length; i += BATCH) await c.insertBatch!(messages.slice(i, i + BATCH));
    });
    if (c.untilSearchable) {
      const started = performance.now();
      // Queries keep answering while the queue runs: one keyword query every PROBE_GAP_MS until it is done.
      let embedding = true;
      const busy: number[] = [];
      const probeQueries = queries(PROBE_QUERIES);
      // The store's first keyword query pays for compiling the search path (16–30 ms here, queue or not);
      // one unrecorded query first, so the probes measure what the queue costs them, as idle queries are
      // measured after warm-up rounds.
      if (c.keyword) await c.keyword(probeQueries[PROBE_QUERIES - 1]!);
      const probe = c.keyword
        ? (async () => {
            do {
              busy.push(await elapsed(() => c.keyword!(probeQueries[busy.length % PROBE_QUERIES]!)));
              await new Promise((resolve) => setTimeout(resolve, PROBE_GAP_MS));
            } while (embedding);
          })()
        : Promise.resolve();
      const status = await c.untilSearchable(config.embedTimeoutMs);
      result.untilSearchable[name] = { ms: performance.now() - started, ...status };
      embedding = false;
      await probe;
      result.keywordWhileEmbedding[name] = busy;
      log(`keyword while embedding (${name}): ${busy.map((ms) => ms.toFixed(1)).join(' ')}`);
    }
    const stored = await c.count?.();
    if (stored !== undefined && stored !== config.n) throw new Error(`${name}: ${stored} rows stored, expected ${config.n}`);
    log(`insert ${name}: ${Math.round(result.insert[name]!)} ms${result.untilSearchable[name] ? `, searchable after ${Math.round(result.untilSearchable[name]!.ms)} ms more` : ''}`);
  }

  // Conversations spread over the whole store, the same for every contender.
  const random = mulberry32(99);
  const picks = Array.from({ length: config.pages + config.warmup }, () => Math.floor(random() * conversations));
  const lastPage = (conversation: number) => {
    const size = Math.min(config.n - conversation * 100, 100);
    return Math.max(1, Math.ceil(size / PAGE_SIZE));
  };
  const pagers = having(contenders, 'page');
  for (const name of pagers) {
    const rows = await contenders[name]!.page!(picks[0]!, 1);
    if (rows !== Math.min(PAGE_SIZE, config.n)) throw new Error(`${name}: the first page has ${rows} rows`);
  }
  await interleave(pagers, config.pages, config.warmup, (name, round) => contenders[name]!.page!(picks[round]!, 1), result.pageFirst);
  await interleave(pagers, config.pages, config.warmup, (name, round) => contenders[name]!.page!(picks[round]!, lastPage(picks[round]!)), result.pageLast);
  log('pages done');

  const keywordQueries = queries(config.warmup + config.queries);
  const hits: Record<string, unknown[]> = Object.fromEntries(having(contenders, 'keyword').map((name) => [name, []]));
  await interleave(having(contenders, 'keyword'), config.queries, config.warmup, (name, round) => contenders[name]!.keyword!(keywordQueries[round]!), result.keyword, hits);
  for (const [name, values] of Object.entries(hits)) result.keywordHits[name] = median(values as number[]);
  // Hybrid, and keyword again right beside it, so their p95 ratio compares like with like.
  const hybridNames = having(contenders, 'hybrid');
  await interleave(
    hybridNames.flatMap((name) => [name, `${name}:keyword`]),
    config.queries,
    config.warmup,
    (name, round) => {
      const [owner, kind] = name.split(':') as [string, string | undefined];
      return kind ? contenders[owner]!.keyword!(keywordQueries[round]!) : contenders[owner]!.hybrid!(keywordQueries[round]!);
    },
    result.hybrid,
  );
  log('search done');

  const texts = generateMessages(await vocabulary(), config.writes + 25, 3).map((m) => m.content);
  const writers = having(contenders, 'add');
  for (const name of writers) result.add[name] = [];
  let written = 0;
  for (let block = 0; written < config.writes + 25; block++) {
    for (let j = 0; j < writers.length; j++) {
      const name = writers[(block + j) % writers.length]!;
      for (let i = 0; i < 25; i++) {
        const ms = await elapsed(() => contenders[name]!.add!(picks[i % picks.length]!, texts[(written + i) % texts.length]!));
        // The first block of each is warm-up.
        if (block > 0) result.add[name]!.push(ms);
      }
    }
    written += 25;
  }
  log('adds done');

  const exporters = having(contenders, 'exportFile');
  await interleave(
    exporters,
    config.exports,
    0,
    async (name) => {
      result.exportBytes[name] = await contenders[name]!.exportFile!();
    },
    result.exportMs,
  );
  log('exports done');
  return result;
}

/** Mnemo as a contender, through nothing but its public client (`openMnemo()` or the app's `window.mnemo`). */
export function mnemoContender(mnemo: MnemoClient): Contender & { conversationIds: string[] } {
  const space: ScopedClient = mnemo.space(SCOPE);
  const conversationIds: string[] = [];
  return {
    conversationIds,
    async prepare(count) {
      // status() resolves once the model is loaded. Loaded, the embedding queue runs beside every insert batch, as in
      // a store open for a while; an insert that beats the model's load measured 2–3× faster than that.
      const status = await mnemo.embeddings.status();
      if (!status.ready) throw new Error(`embedding model not ready: ${status.error}`);
      const session = await space.sessions.create({ name: 'Benchmark' });
      for (let i = 0; i < count; i++) conversationIds.push((await space.conversations.create({ sessionId: session.id, title: `Chat ${i}` })).id);
    },
    insertBatch: (rows) =>
      space.messages.insertMany(rows.map((m) => ({ conversationId: conversationIds[m.conversation]!, role: m.role, content: m.content, createdAt: m.createdAt }))),
    async untilSearchable(timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const status = await mnemo.embeddings.status();
        if (status.error) throw new Error(`embedding failed: ${status.error}`);
        if (status.pending === 0 || performance.now() > deadline) return { pending: status.pending, embedded: status.embedded };
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    count: async () => (await mnemo.stats()).totals.messages,
    page: async (conversation, page) => (await space.messages.page(conversationIds[conversation]!, { page, pageSize: PAGE_SIZE })).items.length,
    keyword: async (query) => (await space.search({ query, mode: 'keyword', limit: 10 })).length,
    hybrid: async (query) => (await space.search({ query, mode: 'hybrid', limit: 10 })).length,
    add: (conversation, content) => space.messages.add({ conversationId: conversationIds[conversation]!, role: 'user', content }),
    exportFile: async () => (await mnemo.files.export()).byteLength,
  };
}
