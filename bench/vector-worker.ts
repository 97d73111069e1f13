/**
 * Vector top-10 in one browser worker, all three measured in the same thread
 * on the same data: a plain JS float scan (the baseline), Mnemo's VectorIndex
 * (int8 WebAssembly SIMD scan + float re-rank, src/worker/search/vector-index.ts)
 * and Orama's vector search.
 */
import { create, insertMultiple, search, type Orama } from '@orama/orama';
import { VectorIndex } from '../src/worker/search/vector-index';
import { vectorSampler } from './data';
import { serve } from './rpc';

const K = 10;
const CLUSTERS = 1_000;
/** Orama keeps every row above this cosine, then sorts; low enough that it never cuts into a true top-10 here. */
const ORAMA_SIMILARITY = 0.1;
/** Scopes in the Mnemo-style search (EmbeddingService.nearest filters every candidate by scope). */
const SCOPES = 4;

let dims = 0;
let matrix = new Float32Array(0);
let index: VectorIndex | undefined;
let scopes = new Map<string, string>();
let orama: Orama<{ embedding: 'vector[1]' }> | undefined;
let sample: () => Float32Array = () => new Float32Array(0);

/** The baseline: a dot product per row of a contiguous float32 matrix, best k kept in a sorted array (bench/vector.mjs). */
function plainScan(data: Float32Array, query: Float32Array, k: number): number[] {
  const d = query.length;
  const rows = data.length / d;
  const bestScores = new Float64Array(k).fill(-Infinity);
  const bestRows = new Int32Array(k).fill(-1);
  for (let r = 0, base = 0; r < rows; r++, base += d) {
    let s = 0;
    for (let j = 0; j < d; j++) s += data[base + j]! * query[j]!;
    if (s > bestScores[k - 1]!) {
      let i = k - 1;
      while (i > 0 && bestScores[i - 1]! < s) {
        bestScores[i] = bestScores[i - 1]!;
        bestRows[i] = bestRows[i - 1]!;
        i--;
      }
      bestScores[i] = s;
      bestRows[i] = r;
    }
  }
  return Array.from(bestRows).filter((r) => r >= 0);
}

function timed<T>(fn: () => T): { ms: number; result: T } {
  const started = performance.now();
  const result = fn();
  return { ms: performance.now() - started, result };
}

async function timedAsync<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await fn();
  return { ms: performance.now() - started, result };
}

function overlap(truth: number[], ids: string[]): number {
  const wanted = new Set(truth.map(String));
  return ids.filter((id) => wanted.has(id)).length;
}

const handlers = {
  async setup(rows: number, dimensions: number): Promise<{ generateMs: number; indexMs: number; oramaMs: number; simd: boolean }> {
    dims = dimensions;
    sample = vectorSampler(dims, CLUSTERS);
    const generate = timed(() => {
      matrix = new Float32Array(rows * dims);
      for (let r = 0; r < rows; r++) matrix.set(sample(), r * dims);
    });
    const build = timed(() => {
      index = new VectorIndex(dims);
      scopes = new Map();
      for (let r = 0; r < rows; r++) {
        index.upsert(String(r), matrix.subarray(r * dims, (r + 1) * dims));
        scopes.set(String(r), `user\u0000space${r % SCOPES}`);
      }
      return index;
    });
    const oramaBuild = await timedAsync(async () => {
      // The schema's dimension is a type-level literal; the runtime string carries the real one.
      const schema = { embedding: `vector[${dims}]` } as unknown as { embedding: 'vector[1]' };
      const db = create({ schema });
      // Orama's insert accepts plain arrays only (it stores them as Float32Array).
      const docs = Array.from({ length: rows }, (_, r) => ({ id: String(r), embedding: Array.from(matrix.subarray(r * dims, (r + 1) * dims)) }));
      await insertMultiple(db, docs, 1_000);
      return db;
    });
    orama = oramaBuild.result;
    return { generateMs: generate.ms, indexMs: build.ms, oramaMs: oramaBuild.ms, simd: build.result.simd };
  },

  /** Interleaved per query: plain scan, index.search, index.search as Mnemo calls it, Orama. */
  async run(queries: number, warmup: number): Promise<{
    plain: number[];
    index: number[];
    indexScoped: number[];
    orama: number[];
    recallIndex: number;
    recallOrama: number;
  }> {
    if (!index || !orama) throw new Error('setup first');
    const out = { plain: [] as number[], index: [] as number[], indexScoped: [] as number[], orama: [] as number[] };
    let hitsIndex = 0;
    let hitsOrama = 0;
    const wantedScope = 'user\u0000space0';
    for (let q = 0; q < warmup + queries; q++) {
      const query = sample();
      const plain = timed(() => plainScan(matrix, query, K));
      const fast = timed(() => index!.search(query, K));
      const scoped = timed(() => index!.search(query, K, { filter: (key) => scopes.get(key) === wantedScope, candidates: Math.max(K * 10, 200) }));
      const db = orama!;
      const viaOrama = await timedAsync(async () =>
        search(db, { mode: 'vector', vector: { value: query, property: 'embedding' }, similarity: ORAMA_SIMILARITY, limit: K }),
      );
      if (q < warmup) continue;
      out.plain.push(plain.ms);
      out.index.push(fast.ms);
      out.indexScoped.push(scoped.ms);
      out.orama.push(viaOrama.ms);
      hitsIndex += overlap(plain.result, fast.result.map((h) => h.id));
      hitsOrama += overlap(plain.result, viaOrama.result.hits.map((h) => h.id));
    }
    return { ...out, recallIndex: hitsIndex / (queries * K), recallOrama: hitsOrama / (queries * K) };
  },
};

export type VectorHandlers = typeof handlers;

serve(handlers);
