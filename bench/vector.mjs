// Top-10 vector search over 100k × 384: plain JS float scan vs VectorIndex.
//
//   node bench/vector.mjs [rows] [dims]
//
// Node 20 cannot run TypeScript, so the index is bundled first with rolldown
// (installed with Vite) into a temporary ES module.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rolldown } from 'rolldown';

const ROWS = Number(process.argv[2] ?? 100_000);
const DIMS = Number(process.argv[3] ?? 384);
const K = 10;
const CLUSTERS = 1_000;
/** Per-dimension noise giving a noise vector of length ~1: within-cluster cosine ~0.5. */
const SIGMA = 1 / Math.sqrt(DIMS);
const TIMED_QUERIES = 50;
const RECALL_QUERIES = 100;

const { VectorIndex } = await importIndex();

const random = mulberry32(42);
const gaussian = gaussianFrom(random);
const centres = Array.from({ length: CLUSTERS }, () => unit(Float32Array.from({ length: DIMS }, gaussian)));
const sample = () => {
  const centre = centres[Math.floor(random() * CLUSTERS)];
  return unit(centre.map((c) => c + SIGMA * gaussian()));
};

let t = performance.now();
const matrix = new Float32Array(ROWS * DIMS);
for (let r = 0; r < ROWS; r++) matrix.set(sample(), r * DIMS);
console.log(`generated ${ROWS} × ${DIMS} in ${ms(performance.now() - t)}`);

t = performance.now();
const index = new VectorIndex(DIMS);
for (let r = 0; r < ROWS; r++) index.upsert(String(r), matrix.subarray(r * DIMS, (r + 1) * DIMS));
console.log(`built index (simd: ${index.simd}) in ${ms(performance.now() - t)}`);

const queries = Array.from({ length: Math.max(TIMED_QUERIES, RECALL_QUERIES) }, sample);

let hits = 0;
for (const q of queries.slice(0, RECALL_QUERIES)) {
  const truth = new Set(plainScan(matrix, q, K).map(String));
  for (const hit of index.search(q, K)) if (truth.has(hit.id)) hits++;
}
const recall = hits / (RECALL_QUERIES * K);

const timed = queries.slice(0, TIMED_QUERIES);
const plain = median(timed.map((q) => time(() => plainScan(matrix, q, K))));
const exact = median(timed.map((q) => time(() => index.searchExact(q, K))));
const simd = median(timed.map((q) => time(() => index.search(q, K))));
const filtered = median(
  timed.map((q) => time(() => index.search(q, K, { filter: (id) => id.endsWith('0') }))),
);

console.log(`median top-${K} over ${TIMED_QUERIES} queries:`);
console.log(`  plain JS float scan      ${ms(plain)}`);
console.log(`  index.searchExact        ${ms(exact)}`);
console.log(`  index.search             ${ms(simd)}   ratio ${(simd / plain).toFixed(3)} of plain`);
console.log(`  index.search, 10% filter ${ms(filtered)}`);
console.log(`recall@${K} of index.search vs plain scan over ${RECALL_QUERIES} queries: ${recall.toFixed(4)}`);

/** The baseline: a dot product per row of a contiguous float32 matrix, best k kept in a sorted array. */
function plainScan(data, query, k) {
  const dims = query.length;
  const rows = data.length / dims;
  const bestScores = new Float64Array(k).fill(-Infinity);
  const bestRows = new Int32Array(k).fill(-1);
  for (let r = 0, base = 0; r < rows; r++, base += dims) {
    let s = 0;
    for (let j = 0; j < dims; j++) s += data[base + j] * query[j];
    if (s > bestScores[k - 1]) {
      let i = k - 1;
      while (i > 0 && bestScores[i - 1] < s) {
        bestScores[i] = bestScores[i - 1];
        bestRows[i] = bestRows[i - 1];
        i--;
      }
      bestScores[i] = s;
      bestRows[i] = r;
    }
  }
  return Array.from(bestRows).filter((r) => r >= 0);
}

async function importIndex() {
  const entry = fileURLToPath(new URL('../src/worker/search/vector-index.ts', import.meta.url));
  const bundle = await rolldown({ input: entry, logLevel: 'silent' });
  const { output } = await bundle.generate({ format: 'esm' });
  await bundle.close();
  const dir = await mkdtemp(join(tmpdir(), 'mnemo-bench-'));
  try {
    const file = join(dir, 'vector-index.mjs');
    await writeFile(file, output[0].code);
    return await import(pathToFileURL(file).href);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussianFrom(random) {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function unit(v) {
  let s = 0;
  for (const x of v) s += x * x;
  const inv = 1 / Math.sqrt(s);
  return v.map((x) => x * inv);
}

function time(fn) {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function ms(value) {
  return `${value.toFixed(2)} ms`;
}
