/**
 * The bare benchmark page: opens the library with `openMnemo()` (nothing of
 * the app) next to every baseline, and scripts/bench.mjs drives `window.bench`
 * through Playwright. Every timing is taken on this page around one awaited
 * call, so Mnemo (client → worker) and the baselines (each in a worker of its
 * own, one postMessage away; Dexie on this page) pay the same kind of round
 * trip and the same structured clone of their arguments.
 */
import { openMnemo, type MnemoClient } from '../src/client';
import { createWorkerEmbedder } from '../src/worker/embed/remote-embedder';
import { conversationCount } from './data';
import { chatgptExport } from './import-data';
import { dexieContender, oramaContender, rawContender, rawWorker } from './baselines';
import type { BreakdownHandlers } from './breakdown-worker';
import { connect, type Client } from './rpc';
import type { VectorHandlers } from './vector-worker';
import { BATCH, benchData, elapsed, measureStore, MNEMO_NAME_COLD, mnemoContender, SCOPE, type Contender, type StoreConfig, type StoreResult } from './workloads';


const breakdownWorker = () =>
  connect<BreakdownHandlers>(new Worker(new URL('./breakdown-worker.ts', import.meta.url), { type: 'module', name: 'breakdown' }));
const vectorWorker = () => connect<VectorHandlers>(new Worker(new URL('./vector-worker.ts', import.meta.url), { type: 'module', name: 'vector' }));

/** Refuses to measure an in-memory fallback. */
async function openOnOpfs(): Promise<MnemoClient> {
  const mnemo = await openMnemo({ name: MNEMO_NAME_COLD, storage: 'opfs' });
  const info = await mnemo.info();
  if (info.vfs !== 'opfs-sahpool' || info.warning) throw new Error(`Mnemo is not on opfs-sahpool (${info.vfs}: ${info.warning})`);
  return mnemo;
}

let mnemo: MnemoClient | undefined;
const log = (line: string) => console.log(`[bench] ${line}`);

const bench = {
  /** Every contender loaded with the same N messages, then every workload; returns what the cold-start pages need too. */
  async store(config: StoreConfig): Promise<StoreResult & { coldConversation: number; mnemoConversation: string; sqliteVersion: string }> {
    mnemo = await openOnOpfs();
    const mnemoSide = mnemoContender(mnemo);
    const plain = await rawContender('plain');
    const skip = new Set(config.skip ?? []);
    const all: Record<string, Contender | undefined> = {
      'raw-plain': plain,
      raw: skip.has('raw') ? undefined : await rawContender('trigger'),
      dexie: skip.has('dexie') ? undefined : await dexieContender(),
      orama: skip.has('orama') ? undefined : oramaContender(),
      mnemo: mnemoSide,
    };
    const contenders = Object.fromEntries(Object.entries(all).filter((entry): entry is [string, Contender] => entry[1] !== undefined));
    const result = await measureStore(contenders, config, log);
    plain.worker.terminate();
    // Cold starts read the first page of a conversation in the middle of the store.
    const coldConversation = Math.floor(conversationCount(config.n) / 2);
    return { ...result, coldConversation, mnemoConversation: mnemoSide.conversationIds[coldConversation]!, sqliteVersion: (await mnemo.info()).sqliteVersion };
  },

  /** One more insert of the same N rows into a new store (run in a fresh profile): the insert's spread. */
  async insertOnly(name: 'raw-plain' | 'raw' | 'dexie' | 'mnemo', n: number): Promise<{ ms: number }> {
    const { messages } = await benchData(n);
    const contender =
      name === 'mnemo' ? mnemoContender((mnemo = await openOnOpfs())) : name === 'dexie' ? await dexieContender() : await rawContender(name === 'raw' ? 'trigger' : 'plain');
    await contender.prepare?.(conversationCount(n));
    const ms = await elapsed(async () => {
      for (let i = 0; i < messages.length; i += BATCH) await contender.insertBatch!(messages.slice(i, i + BATCH));
    });
    const stored = await contender.count?.();
    if (stored !== n) throw new Error(`${name}: ${stored} rows stored, expected ${n}`);
    return { ms };
  },

  /**
   * The same N messages as a ChatGPT export (run in a fresh profile), through
   * `importConversations` with the model loaded and the queue running, as
   * `insertOnly('mnemo')` does: parse, derive ids, conversations and
   * messages written in batches, full-text indexed.
   */
  async importSpeed(n: number): Promise<{ ms: number; messages: number; bytes: number }> {
    const { messages } = await benchData(n);
    const bytes = chatgptExport(messages);
    mnemo = await openOnOpfs();
    const status = await mnemo.embeddings.status();
    if (!status.ready) throw new Error(`embedding model not ready: ${status.error}`);
    const space = mnemo.space(SCOPE);
    let report: Awaited<ReturnType<typeof space.importConversations>> | undefined;
    const ms = await elapsed(async () => {
      report = await space.importConversations({ name: 'conversations.json', bytes });
    });
    if (report?.messages.imported !== n) throw new Error(`import: ${report?.messages.imported} messages imported, expected ${n}`);
    return { ms, messages: n, bytes: bytes.byteLength };
  },

  /**
   * The bundled model alone, on the same texts: Mnemo's own embedder in its
   * own worker (no database), texts handed over 256 at a time.
   */
  async modelThroughput(n: number): Promise<{ texts: number; ms: number; perSecond: number }> {
    const { messages } = await benchData(n);
    const embedder = await createWorkerEmbedder({ modelId: 'mnemo-glove-100d', modelBaseUrl: '/models/', wasmBaseUrl: '/ort/' });
    try {
      await embedder.embed(messages.slice(0, 64).map((m) => m.content));
      const ms = await elapsed(async () => {
        for (let i = 0; i < messages.length; i += 256) await embedder.embed(messages.slice(i, i + 256).map((m) => m.content));
      });
      return { texts: messages.length, ms, perSecond: (messages.length / ms) * 1000 };
    } finally {
      await embedder.dispose?.();
    }
  },

  /** The price of a call itself: Mnemo's cheapest call vs a bare postMessage round trip. */
  async roundTrips(count: number): Promise<{ mnemoInfo: number[]; rawPing: number[] }> {
    if (!mnemo) throw new Error('store first');
    const raw = rawWorker();
    const out = { mnemoInfo: [] as number[], rawPing: [] as number[] };
    for (let i = 0; i < count + 10; i++) {
      const info = await elapsed(() => mnemo!.info());
      const ping = await elapsed(() => raw.call('ping'));
      if (i >= 10) {
        out.mnemoInfo.push(info);
        out.rawPing.push(ping);
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
    const write = await run((w) => w.call('write', Math.min(n, 20_000), writes));
    const read = await run((w) => w.call('read', n, queries));
    await run((w) => w.call('openSetup', 'bench-open'));
    const open: Array<Record<string, number>> = [];
    for (let i = 0; i < opens; i++) open.push(await run((w) => w.call('open', 'bench-open')));
    return { insert, write, read, open };
  },

  /** Vector top-10 in one worker: plain JS float scan, Mnemo's VectorIndex, Orama (optional phase). */
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
