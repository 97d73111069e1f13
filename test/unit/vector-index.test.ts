import { describe, expect, it } from 'vitest';
import { MnemoFailure } from '../../src/shared/errors';
import { simdSupported, VectorIndex, type SearchHit } from '../../src/worker/search/vector-index';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Unit vectors around random cluster centres, with noise of about the centre's
 * length: neighbours within a cluster have cosines near 0.5, like sentence
 * embeddings, so the top-10 is decided by small score gaps.
 */
function clusteredData(seed: number, dims: number, clusters: number) {
  const random = mulberry32(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const unit = (v: Float32Array) => {
    let s = 0;
    for (const x of v) s += x * x;
    return v.map((x) => x / Math.sqrt(s));
  };
  const centres = Array.from({ length: clusters }, () => unit(Float32Array.from({ length: dims }, gaussian)));
  const sigma = 1 / Math.sqrt(dims);
  return () => {
    const centre = centres[Math.floor(random() * clusters)]!;
    return unit(centre.map((c) => c + sigma * gaussian()));
  };
}

function filled(dims: number, count: number, seed = 1, options?: { simd?: boolean }) {
  const sample = clusteredData(seed, dims, Math.max(1, Math.floor(count / 20)));
  const index = new VectorIndex(dims, options);
  const vectors = new Map<string, Float32Array>();
  for (let i = 0; i < count; i++) {
    const v = sample();
    vectors.set(`v${i}`, v);
    index.upsert(`v${i}`, v);
  }
  return { index, vectors, sample };
}

const ids = (hits: SearchHit[]) => hits.map((h) => h.id);

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(aa * bb);
}

function expectSortedDescending(hits: SearchHit[]): void {
  for (let i = 1; i < hits.length; i++) expect(hits[i]!.score).toBeLessThanOrEqual(hits[i - 1]!.score);
}

function expectSameHits(actual: SearchHit[], expected: SearchHit[]): void {
  expect(ids(actual)).toEqual(ids(expected));
  actual.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected[i]!.score, 5));
}

describe('VectorIndex', () => {
  it('runs the SIMD kernels on this Node', () => {
    expect(simdSupported()).toBe(true);
    expect(new VectorIndex(8).simd).toBe(true);
  });

  it('has recall@10 of at least 0.99 against the exact scan over 20k × 384', () => {
    const { index, sample } = filled(384, 20_000, 7);
    let found = 0;
    for (let q = 0; q < 100; q++) {
      const query = sample();
      const exact = index.searchExact(query, 10);
      const approx = index.search(query, 10);
      expect(approx).toHaveLength(10);
      expectSortedDescending(approx);
      const truth = new Map(exact.map((h) => [h.id, h.score]));
      for (const hit of approx) {
        const score = truth.get(hit.id);
        if (score !== undefined) {
          found++;
          expect(hit.score).toBeCloseTo(score, 5);
        }
      }
    }
    expect(found / 1000).toBeGreaterThanOrEqual(0.99);
  });

  it('returns the true cosine for vectors and queries that are not unit length', () => {
    const index = new VectorIndex(3);
    index.upsert('x', Float32Array.of(10, 0, 0));
    index.upsert('xy', Float32Array.of(3, 3, 0));
    index.upsert('zero', Float32Array.of(0, 0, 0));
    const query = Float32Array.of(0.5, 0, 0);
    for (const hits of [index.search(query, 3), index.searchExact(query, 3)]) {
      expect(ids(hits)).toEqual(['x', 'xy', 'zero']);
      expect(hits[0]!.score).toBeCloseTo(1, 6);
      expect(hits[1]!.score).toBeCloseTo(Math.SQRT1_2, 6);
      expect(hits[2]!.score).toBe(0);
    }
  });

  it('replaces the vector on upsert of an existing id', () => {
    const index = new VectorIndex(4);
    index.upsert('a', Float32Array.of(1, 0, 0, 0));
    index.upsert('b', Float32Array.of(0, 1, 0, 0));
    index.upsert('a', Float32Array.of(0, 0, 1, 0));
    expect(index.size).toBe(2);
    expect(index.search(Float32Array.of(1, 0, 0, 0), 1)[0]!.score).toBeCloseTo(0, 6);
    const top = index.search(Float32Array.of(0, 0, 1, 0), 1);
    expect(top[0]!.id).toBe('a');
    expect(top[0]!.score).toBeCloseTo(1, 6);
  });

  it('keeps every other row searchable after swap-remove deletes', () => {
    const { index, vectors } = filled(48, 500, 3);
    const deleted = ['v0', 'v499', 'v250', 'v1', 'v498'];
    for (const id of deleted) expect(index.delete(id)).toBe(true);
    expect(index.delete('v0')).toBe(false);
    expect(index.size).toBe(495);
    for (const [id, vector] of vectors) {
      const gone = deleted.includes(id);
      expect(index.has(id)).toBe(!gone);
      const top = index.search(vector, 1)[0]!;
      if (gone) {
        expect(top.id).not.toBe(id);
      } else {
        expect(top.id).toBe(id);
        expect(top.score).toBeCloseTo(1, 5);
      }
    }
    index.upsert('v0', vectors.get('v0')!);
    expect(index.search(vectors.get('v0')!, 1)[0]!.id).toBe('v0');
  });

  it('drops hits below minSimilarity', () => {
    const { index, sample } = filled(64, 2_000, 5);
    for (let q = 0; q < 10; q++) {
      const query = sample();
      const all = index.searchExact(query, 50);
      // Midway between two scores: the SIMD re-rank sums in float32, the exact scan in float64.
      const min = (all[20]!.score + all[21]!.score) / 2;
      const hits = index.search(query, 50, { minSimilarity: min });
      expect(hits.every((h) => h.score >= min - 1e-6)).toBe(true);
      expectSameHits(hits, index.searchExact(query, 50, { minSimilarity: min }));
      expect(index.search(query, 10, { minSimilarity: 1.5 })).toEqual([]);
    }
  });

  it('returns the true top-k among allowed rows however selective the filter', () => {
    const { index, sample } = filled(96, 5_000, 11);
    for (const keepOneIn of [2, 50, 1_000]) {
      const allowed = (id: string) => Number(id.slice(1)) % keepOneIn === 0;
      for (let q = 0; q < 5; q++) {
        const query = sample();
        const calls = new Map<string, number>();
        const hits = index.search(query, 10, {
          filter: (id) => {
            calls.set(id, (calls.get(id) ?? 0) + 1);
            return allowed(id);
          },
        });
        expect(hits.every((h) => allowed(h.id))).toBe(true);
        expect(hits).toHaveLength(Math.min(10, Math.ceil(5_000 / keepOneIn)));
        expect(Math.max(...calls.values())).toBe(1);
        expectSameHits(hits, index.searchExact(query, 10, { filter: allowed }));
      }
    }
    expect(index.search(sample(), 10, { filter: () => false })).toEqual([]);
  });

  it.each([1, 15, 17, 37, 100, 385])('matches the exact scan when dims is %i', (dims) => {
    const { index, vectors, sample } = filled(dims, 300, dims);
    for (let q = 0; q < 10; q++) {
      const query = sample();
      const hits = index.search(query, 5, { candidates: 300 });
      const exact = index.searchExact(query, 5);
      // Compared by score, since with one dimension every score is ±1 and ties order arbitrarily.
      expect(hits).toHaveLength(5);
      hits.forEach((hit, i) => {
        expect(hit.score).toBeCloseTo(exact[i]!.score, 5);
        expect(hit.score).toBeCloseTo(cosine(vectors.get(hit.id)!, query), 5);
      });
    }
  });

  it('returns nothing from an empty or cleared index', () => {
    const index = new VectorIndex(16);
    const query = new Float32Array(16).fill(1);
    expect(index.search(query, 10)).toEqual([]);
    expect(index.searchExact(query, 10)).toEqual([]);
    index.upsert('a', query);
    index.clear();
    expect(index.size).toBe(0);
    expect(index.has('a')).toBe(false);
    expect(index.search(query, 10)).toEqual([]);
    index.upsert('b', query);
    expect(ids(index.search(query, 10))).toEqual(['b']);
  });

  it('returns every row, sorted, when k exceeds the size', () => {
    const { index, sample } = filled(32, 7, 13);
    const query = sample();
    const hits = index.search(query, 100);
    expect(hits).toHaveLength(7);
    expectSortedDescending(hits);
    expectSameHits(hits, index.searchExact(query, 100));
    expect(index.search(query, Number.POSITIVE_INFINITY)).toHaveLength(7);
    expect(index.search(query, 3, { candidates: 1 })).toHaveLength(3);
    expect(index.search(query, 0)).toEqual([]);
    expect(index.search(query, Number.NaN)).toEqual([]);
    expect(index.searchExact(query, -1)).toEqual([]);
  });

  it('gives the same results from the non-SIMD fallback as from the exact scan', () => {
    const simd = filled(384, 3_000, 17);
    const plain = filled(384, 3_000, 17, { simd: false });
    expect(plain.index.simd).toBe(false);
    const filter = (id: string) => id.endsWith('3');
    for (let q = 0; q < 10; q++) {
      const query = simd.sample();
      const expected = simd.index.searchExact(query, 10);
      expect(plain.index.search(query, 10)).toEqual(expected);
      expect(plain.index.searchExact(query, 10)).toEqual(expected);
      expect(plain.index.search(query, 10, { filter, minSimilarity: 0.1 })).toEqual(
        simd.index.searchExact(query, 10, { filter, minSimilarity: 0.1 }),
      );
    }
    plain.index.delete('v5');
    expect(plain.index.has('v5')).toBe(false);
    expect(plain.index.search(plain.vectors.get('v6')!, 1)[0]!.id).toBe('v6');
  });

  it('rejects vectors of the wrong length or with non-finite values', () => {
    const index = new VectorIndex(4);
    expect(() => index.upsert('a', new Float32Array(3))).toThrow(MnemoFailure);
    expect(() => index.upsert('a', Float32Array.of(1, Number.NaN, 0, 0))).toThrow(MnemoFailure);
    expect(() => index.search(new Float32Array(5), 1)).toThrow(MnemoFailure);
    expect(() => new VectorIndex(0)).toThrow(MnemoFailure);
    expect(() => new VectorIndex(2.5)).toThrow(MnemoFailure);
    expect(index.size).toBe(0);
  });
});
