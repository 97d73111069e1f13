/**
 * Deterministic benchmark data: chat messages (20–2,000 characters, in
 * conversations of 100) drawn from a Zipf distribution over real English words (the bundled model's vocabulary, which is in corpus
 * frequency order), keyword queries over the same words, and clustered unit
 * vectors like `bench/vector.mjs` uses.
 */

export interface BenchMessage {
  /** Index of the message's conversation: messages i·100 … i·100+99 share one. */
  conversation: number;
  role: 'user' | 'assistant';
  content: string;
  createdAt: number;
}

/** Messages per conversation, as in the workload. */
export const PER_CONVERSATION = 100;
/** Message length in characters: log-uniform between these (mean ≈ 430: many short turns, some long answers). */
export const MIN_CHARS = 20;
export const MAX_CHARS = 2_000;
const ZIPF_EXPONENT = 1;
/** Rank offset of the Zipf–Mandelbrot law: flattens the head a little, as in real text. */
const ZIPF_OFFSET = 2.7;
export const BASE_TIME = Date.UTC(2025, 0, 1);

export const conversationCount = (messages: number) => Math.ceil(messages / PER_CONVERSATION);

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Plain lowercase words of a tokenizer.json vocabulary, most frequent first. */
export function vocabularyFrom(tokenizer: { model: { vocab: Record<string, number> } }, size: number): string[] {
  return Object.entries(tokenizer.model.vocab)
    .filter(([word]) => /^[a-z]{2,}$/.test(word))
    .sort((a, b) => a[1] - b[1])
    .slice(0, size)
    .map(([word]) => word);
}

function zipfSampler(size: number, random: () => number): () => number {
  const cdf = new Float64Array(size);
  let total = 0;
  for (let r = 0; r < size; r++) cdf[r] = total += 1 / (r + ZIPF_OFFSET) ** ZIPF_EXPONENT;
  for (let r = 0; r < size; r++) cdf[r]! /= total;
  return () => {
    const u = random();
    let lo = 0;
    let hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export function generateMessages(words: string[], count: number, seed = 1): BenchMessage[] {
  const random = mulberry32(seed);
  const rank = zipfSampler(words.length, random);
  const out: BenchMessage[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const target = Math.round(MIN_CHARS * (MAX_CHARS / MIN_CHARS) ** random());
    let content = words[rank()]!;
    while (content.length < target) content += ` ${words[rank()]!}`;
    out[i] = {
      conversation: Math.floor(i / PER_CONVERSATION),
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: content.length > MAX_CHARS ? content.slice(0, MAX_CHARS).trimEnd() : content,
      createdAt: BASE_TIME + i * 1000,
    };
  }
  return out;
}

/** Two-word keyword queries as users type them, both words of corpus rank 50–3,000 (tens to thousands of matches each). */
export function generateQueries(words: string[], count: number, seed = 7): string[] {
  const random = mulberry32(seed);
  const pick = () => words[50 + Math.floor(random() * (Math.min(words.length, 3_000) - 50))]!;
  return Array.from({ length: count }, () => `${pick()} ${pick()}`);
}

export function gaussianFrom(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const inv = 1 / Math.sqrt(s);
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}

/**
 * Unit vectors around `clusters` random centres, within-cluster cosine ~0.5
 * (the same distribution as bench/vector.mjs).
 */
export function vectorSampler(dims: number, clusters: number, seed = 42): () => Float32Array {
  const random = mulberry32(seed);
  const gaussian = gaussianFrom(random);
  const sigma = 1 / Math.sqrt(dims);
  const centres = Array.from({ length: clusters }, () => normalize(Float32Array.from({ length: dims }, gaussian)));
  return () => {
    const centre = centres[Math.floor(random() * clusters)]!;
    const v = new Float32Array(dims);
    for (let j = 0; j < dims; j++) v[j] = centre[j]! + sigma * gaussian();
    return normalize(v);
  };
}
