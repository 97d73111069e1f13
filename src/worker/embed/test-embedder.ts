import type { Embedder } from '../../shared/embedder';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const WORD = /[\p{L}\p{N}]+/gu;

/** FNV-1a over UTF-16 code units: stable across runs and platforms. */
function fnv1a(token: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < token.length; i++) {
    h ^= token.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/**
 * A deterministic embedder that needs no model files: a hashed bag of
 * lowercased words. Each word adds ±1 to one bucket (sign from the hash's top
 * bit, so collisions cancel on average instead of piling up), and the vector is
 * normalised. Texts sharing words have positive cosine; it knows no synonyms.
 */
export function createTestEmbedder(dims = 64): Embedder {
  if (!Number.isInteger(dims) || dims < 1) throw new RangeError(`dims must be a positive integer, got ${dims}`);
  return {
    modelId: `test-hash-${dims}`,
    runtime: 'hash',
    dims,
    embed(texts: string[]): Promise<Float32Array[]> {
      return Promise.resolve(texts.map((text) => embedOne(text, dims)));
    },
  };
}

function embedOne(text: string, dims: number): Float32Array {
  const v = new Float32Array(dims);
  for (const [word] of text.toLowerCase().matchAll(WORD)) {
    const h = fnv1a(word);
    v[h % dims]! += h & 0x80000000 ? -1 : 1;
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  if (norm > 0) {
    const inv = 1 / Math.sqrt(norm);
    for (let i = 0; i < dims; i++) v[i]! *= inv;
  }
  return v;
}
