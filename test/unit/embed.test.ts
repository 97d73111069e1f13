import { fileURLToPath } from 'node:url';
import { env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Embedder } from '../../src/shared/embedder';
import { createTestEmbedder } from '../../src/worker/embed/test-embedder';
import { createNodeEmbedder } from '../../src/node/embedder';

const MODELS_DIR = fileURLToPath(new URL('../../public/models/', import.meta.url));

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}

function norm(v: Float32Array): number {
  return Math.sqrt(cosine(v, v));
}

describe('test embedder', () => {
  const embedder = createTestEmbedder();

  it('names its space and size', () => {
    expect(embedder.modelId).toBe('test-hash-64');
    expect(embedder.dims).toBe(64);
    expect(createTestEmbedder(16).modelId).toBe('test-hash-16');
  });

  it('is deterministic and unit length', async () => {
    const [a, b] = await embedder.embed(['The cat sat on the mat', 'The cat sat on the mat']);
    const [c] = await createTestEmbedder().embed(['the CAT sat, on the mat!']);
    expect(a).toEqual(b);
    expect(a).toEqual(c);
    expect(norm(a!)).toBeCloseTo(1, 6);
  });

  it('gives texts sharing words a positive cosine, and unrelated ones less', async () => {
    const [q, shared, other] = await embedder.embed(['cat food', 'my cat likes fish', 'quarterly revenue grew']);
    expect(cosine(q!, shared!)).toBeGreaterThan(0);
    expect(cosine(q!, shared!)).toBeGreaterThan(cosine(q!, other!));
  });

  it('maps text without words to the zero vector', async () => {
    const [v] = await embedder.embed(['  ?! ']);
    expect(norm(v!)).toBe(0);
  });
});

describe('transformers embedder (Node, local model files)', () => {
  const networkAttempts: string[] = [];
  const realFetch = env.fetch;

  beforeAll(() => {
    // Any request is a failure: models must come from public/models/ only.
    const refuse = (input: string | URL | Request) => {
      networkAttempts.push(String(input instanceof Request ? input.url : input));
      return Promise.reject(new Error('network disabled in tests'));
    };
    vi.stubGlobal('fetch', refuse);
    env.fetch = refuse;
  });

  afterAll(() => {
    env.fetch = realFetch;
    vi.unstubAllGlobals();
    expect(networkAttempts).toEqual([]);
  });

  describe('mnemo-test-32d', () => {
    let embedder: Embedder;
    beforeAll(async () => {
      embedder = await createNodeEmbedder({ modelId: 'mnemo-test-32d', modelBaseUrl: MODELS_DIR, batchSize: 3 });
      expect(env.allowRemoteModels).toBe(false);
    });
    afterAll(() => embedder.dispose?.());

    it('reads dims from config.json and returns unit vectors', async () => {
      expect(embedder.modelId).toBe('mnemo-test-32d');
      expect(embedder.dims).toBe(32);
      const vectors = await embedder.embed(['I want to buy a car', 'hello']);
      expect(vectors).toHaveLength(2);
      for (const v of vectors) {
        expect(v).toBeInstanceOf(Float32Array);
        expect(v.length).toBe(32);
        expect(norm(v)).toBeCloseTo(1, 5);
      }
    });

    it('puts synonyms closer than unrelated words', async () => {
      const [car, automobile, vehicle, banana] = await embedder.embed(['car', 'Automobile', 'vehicle', 'banana']);
      expect(cosine(car!, automobile!)).toBeGreaterThan(0.7);
      expect(cosine(car!, vehicle!)).toBeGreaterThan(0.7);
      expect(cosine(car!, automobile!) - cosine(car!, banana!)).toBeGreaterThan(0.4);
      const [happy, glad, physician, doctor] = await embedder.embed(['happy', 'glad', 'physician', 'the doctor']);
      expect(cosine(happy!, glad!)).toBeGreaterThan(cosine(happy!, doctor!));
      expect(cosine(physician!, doctor!)).toBeGreaterThan(cosine(physician!, glad!));
    });

    it('is deterministic and batch results equal single results', async () => {
      const texts = ['begin the meeting', 'start the meeting now please', 'a quick lunch', 'big', 'the huge dog ran fast', 'buy coffee', 'tea'];
      const batched = await embedder.embed(texts); // batchSize 3: three calls, mixed padding
      const again = await embedder.embed(texts);
      const single = await Promise.all(texts.map(async (t) => (await embedder.embed([t]))[0]!));
      expect(again).toEqual(batched);
      single.forEach((v, i) => {
        for (let d = 0; d < v.length; d++) expect(v[d]).toBeCloseTo(batched[i]![d]!, 6);
      });
    });

    it('reports progress per batch', async () => {
      const seen: Array<[number, number]> = [];
      const progressed = await createNodeEmbedder({
        modelId: 'mnemo-test-32d',
        modelBaseUrl: MODELS_DIR,
        batchSize: 2,
        onProgress: (done, total) => seen.push([done, total]),
      });
      await progressed.embed(['car', 'bus', 'train', 'boat', 'plane']);
      await progressed.dispose?.();
      expect(seen).toEqual([[2, 5], [4, 5], [5, 5]]);
    });

    it('maps text without known words to the zero vector', async () => {
      const [unknown, empty] = await embedder.embed(['zzyzx qwertyuiop', '']);
      expect(norm(unknown!)).toBe(0);
      expect(norm(empty!)).toBe(0);
    });

    it('passes the pooling choice through', async () => {
      // The static models' [CLS] row is zero, so CLS pooling yields the zero vector.
      const cls = await createNodeEmbedder({ modelId: 'mnemo-test-32d', modelBaseUrl: MODELS_DIR, pooling: 'cls' });
      const [v] = await cls.embed(['buy a car']);
      await cls.dispose?.();
      expect(norm(v!)).toBe(0);
    });

    it('returns an empty list for no texts', async () => {
      expect(await embedder.embed([])).toEqual([]);
    });
  });

  it('names the model and folder when a model is missing, without trying the hub', async () => {
    await expect(createNodeEmbedder({ modelId: 'no-such-model', modelBaseUrl: MODELS_DIR })).rejects.toThrow(
      /cannot load embedding model "no-such-model" from /,
    );
  });

  describe('mnemo-glove-100d (the shipped default)', () => {
    let embedder: Embedder;
    beforeAll(async () => {
      embedder = await createNodeEmbedder({ modelId: 'mnemo-glove-100d', modelBaseUrl: MODELS_DIR });
    });
    afterAll(() => embedder.dispose?.());

    it('loads with 100 dims and unit vectors', async () => {
      expect(embedder.dims).toBe(100);
      const [v] = await embedder.embed(['remember that my sister lives in Lisbon']);
      expect(v!.length).toBe(100);
      expect(norm(v!)).toBeCloseTo(1, 5);
    });

    it('ranks a paraphrase above an unrelated sentence', async () => {
      const [query, paraphrase, unrelated] = await embedder.embed([
        'the doctor prescribed medicine',
        'a physician gave me pills',
        'the stock market fell',
      ]);
      expect(cosine(query!, paraphrase!)).toBeGreaterThan(cosine(query!, unrelated!) + 0.2);
    });
  });
});
