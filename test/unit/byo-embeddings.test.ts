/**
 * Bring your own embeddings: a model registered by the caller, vectors on
 * every embeddable row (messages, memories, vector entries, chunks), search by
 * a query vector, vectors read back. Bad vectors are INVALID_INPUT naming the
 * field, with nothing written. The last test measures vector search at 1536
 * dimensions against a plain JS float scan and prints the ratio (never fails
 * on time); MNEMO_BYO_ROWS=100000 runs it at the size docs/byo-embeddings.md
 * reports.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { ScopedApi } from '../../src/shared/api';
import { count, errorOf, openTest } from './helpers';

const T0 = 1_750_000_000_000;
const A = { userId: 'alice', spaceId: 'home' };
const B = { userId: 'bob', spaceId: 'home' };

let t: Awaited<ReturnType<typeof openTest>>;
let a: ScopedApi;

beforeEach(async () => {
  t = await openTest({ now: () => T0 });
  a = t.mnemo.space(A);
});

afterEach(async () => {
  await t.mnemo.close();
});

/** A unit vector along axis `i` of `dims`, tilted a little towards axis `j`. */
function axis(dims: number, i: number, j = (i + 1) % dims, tilt = 0): Float32Array {
  const v = new Float32Array(dims);
  v[i] = 1;
  v[j] = (v[j] ?? 0) + tilt;
  return v;
}

/** Every user table's row count: what "nothing was written" compares. */
function counts(): string {
  return ['messages', 'memories', 'vector_entries', 'chunks', 'embeddings', 'embed_queue', 'embedding_models']
    .map((table) => `${table}:${count(t.sql, `SELECT count(*) FROM ${table}`)}`)
    .join(' ');
}

async function conversation(s: ScopedApi = a): Promise<string> {
  const session = await s.sessions.create({ name: 'byo' });
  return (await s.conversations.create({ sessionId: session.id })).id;
}

describe('the model registry', () => {
  test('register, list with counts, register again, conflicts, unregister', async () => {
    const model = await t.mnemo.embeddings.register({ id: 'openai/text-embedding-3-small', dims: 4 });
    expect(model).toEqual({ id: 'openai/text-embedding-3-small', dims: 4, distance: 'cosine', createdAt: T0 });
    expect(await t.mnemo.embeddings.register({ id: 'openai/text-embedding-3-small', dims: 4, distance: 'cosine' })).toEqual(model);
    expect(await errorOf(t.mnemo.embeddings.register({ id: 'openai/text-embedding-3-small', dims: 8 }))).toMatchObject({ code: 'CONFLICT' });
    expect(await errorOf(t.mnemo.embeddings.register({ id: 'openai/text-embedding-3-small', dims: 4, distance: 'dot' }))).toMatchObject({ code: 'CONFLICT' });
    // The ids of models Mnemo runs itself are taken.
    expect(await errorOf(t.mnemo.embeddings.register({ id: 'mnemo-glove-100d', dims: 100 }))).toMatchObject({ code: 'CONFLICT' });
    expect(await errorOf(t.mnemo.embeddings.register({ id: 'x', dims: 0 }))).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining("'dims'") });

    await a.vectors.add({ collection: 'c', content: 'one', embedding: axis(4, 0), embeddingModel: 'openai/text-embedding-3-small' });
    const models = await t.mnemo.embeddings.models();
    expect(models.find((m) => m.id === 'openai/text-embedding-3-small')).toEqual({
      id: 'openai/text-embedding-3-small', dims: 4, distance: 'cosine', source: 'caller', current: false, embedded: 1,
    });
    expect(models.find((m) => m.current)).toMatchObject({ id: 'test-hash-64', source: 'test' });

    expect(await t.mnemo.embeddings.unregister('openai/text-embedding-3-small')).toBe(true);
    expect(await t.mnemo.embeddings.unregister('openai/text-embedding-3-small')).toBe(false);
    expect(count(t.sql, "SELECT count(*) FROM embeddings WHERE model_id = 'openai/text-embedding-3-small'")).toBe(0);
  });

  test('embed() gives the current model’s unit vectors, one per text', async () => {
    const vectors = await t.mnemo.embeddings.embed(['hello world', 'goodbye']);
    expect(vectors).toHaveLength(2);
    expect(vectors[0]).toBeInstanceOf(Float32Array);
    expect(vectors[0]!.length).toBe(64);
    expect(Math.hypot(...vectors[0]!)).toBeCloseTo(1, 5);
    expect((await errorOf(t.mnemo.embeddings.embed([]))).code).toBe('INVALID_INPUT');
  });
});

describe('rows with caller vectors', () => {
  beforeEach(async () => {
    await t.mnemo.embeddings.register({ id: 'ext', dims: 4 });
  });

  test('every kind stores its vector and reads it back exactly', async () => {
    const conv = await conversation();
    const odd = [0.1, -0.2, 0.3000001, 1e-30];
    const message = await a.messages.add({ conversationId: conv, role: 'user', content: 'first', embedding: odd, embeddingModel: 'ext' });
    const { ids } = await a.messages.insertMany([
      { conversationId: conv, role: 'user', content: 'second', embedding: axis(4, 1), embeddingModel: 'ext' },
      { conversationId: conv, role: 'assistant', content: 'third' },
    ]);
    const upserted = await a.messages.upsert({ id: 'm-stream', conversationId: conv, role: 'assistant', content: 'streamed', embedding: axis(4, 2), embeddingModel: 'ext' });
    const { memory } = await a.memories.add({ kind: 'long', content: 'Alice likes tea', embedding: axis(4, 3), embeddingModel: 'ext' });
    const entry = await a.vectors.add({ collection: 'docs', content: 'a document', embedding: new Float32Array(odd), embeddingModel: 'ext' });

    const stored = (table: string, id: string) =>
      t.sql.get<{ vector: Uint8Array }>("SELECT vector FROM embeddings WHERE owner_table = ? AND owner_id = ? AND model_id = 'ext'", [table, id]);
    expect(stored('messages', message.id)).toBeDefined();
    expect(stored('messages', ids[0]!)).toBeDefined();
    expect(stored('messages', ids[1]!)).toBeUndefined();
    expect(stored('messages', upserted.id)).toBeDefined();

    const readEntry = await a.vectors.get(entry.id, { withEmbedding: true });
    expect(readEntry).toMatchObject({ ...entry, embeddingModel: 'ext' });
    expect([...readEntry.embedding!]).toEqual([...Float32Array.from(odd)]);
    const readMemory = await a.memories.get(memory.id, { withEmbedding: true, model: 'ext' });
    expect([...readMemory.embedding!]).toEqual([0, 0, 0, 1]);
    // Without the option the row is as before.
    expect(await a.vectors.get(entry.id)).toEqual(entry);

    const doc = await a.documents.upload((await a.sessions.create({ name: 'docs' })).id, { name: 'n.md', type: 'text/markdown', bytes: new TextEncoder().encode('# One\n\nalpha\n\n# Two\n\nbeta\n') });
    const chunks = await a.documents.chunks(doc.id);
    expect(await a.documents.setChunkEmbeddings(doc.id, chunks.map((c, i) => ({ index: c.index, embedding: axis(4, i % 4) })), 'ext')).toBe(chunks.length);
    expect(stored('chunks', chunks[0]!.id)).toBeDefined();
  });

  test('the queue still embeds the rows with Mnemo’s model, and keeps the caller’s vector', async () => {
    const entry = await a.vectors.add({ collection: 'docs', content: 'tea and biscuits', embedding: axis(4, 0), embeddingModel: 'ext' });
    await t.mnemo.embeddings.flush();
    const models = t.sql.all<{ m: string }>('SELECT model_id AS m FROM embeddings WHERE owner_id = ? ORDER BY model_id', [entry.id]).map((r) => r.m);
    expect(models).toEqual(['ext', 'test-hash-64']);
    // Without a model named, the caller's vector is the one read back; the current model's when named.
    expect((await a.vectors.get(entry.id, { withEmbedding: true })).embeddingModel).toBe('ext');
    expect((await a.vectors.get(entry.id, { withEmbedding: true, model: 'test-hash-64' })).embedding).toHaveLength(64);
    // A model change drops the vectors of Mnemo's old model, never a caller's.
    await t.mnemo.embeddings.setModel('mnemo-test-32d');
    expect(count(t.sql, "SELECT count(*) FROM embeddings WHERE model_id = 'ext'")).toBe(1);
    expect(count(t.sql, "SELECT count(*) FROM embeddings WHERE model_id = 'test-hash-64'")).toBe(0);
  });

  test('a row without a vector yet reads back null', async () => {
    const entry = await a.vectors.add({ collection: 'docs', content: 'nothing yet' });
    expect(await a.vectors.get(entry.id, { withEmbedding: true })).toMatchObject({ embedding: null, embeddingModel: null });
    expect(await errorOf(a.vectors.get(entry.id, { withEmbedding: true, model: 'unknown' }))).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining("'model'") });
  });

  test('wrong dimensions, NaN, Infinity, float32 overflow, unknown or missing model: INVALID_INPUT naming the field, nothing written', async () => {
    const conv = await conversation();
    await a.vectors.add({ collection: 'docs', content: 'seed', embedding: axis(4, 0), embeddingModel: 'ext' });
    const before = counts();
    const cases: Array<[Promise<unknown>, string]> = [
      [a.vectors.add({ collection: 'docs', content: 'x', embedding: [1, 2, 3], embeddingModel: 'ext' }), "'embedding'"],
      [a.vectors.add({ collection: 'docs', content: 'x', embedding: [1, Number.NaN, 0, 0], embeddingModel: 'ext' }), "'embedding'"],
      [a.vectors.add({ collection: 'docs', content: 'x', embedding: Float32Array.of(1, Number.POSITIVE_INFINITY, 0, 0), embeddingModel: 'ext' }), "'embedding'"],
      [a.vectors.add({ collection: 'docs', content: 'x', embedding: [1e39, 0, 0, 0], embeddingModel: 'ext' }), "'embedding'"],
      [a.vectors.add({ collection: 'docs', content: 'x', embedding: ['1', 0, 0, 0] as never, embeddingModel: 'ext' }), "'embedding'"],
      [a.vectors.add({ collection: 'docs', content: 'x', embedding: new Float64Array(4) as never, embeddingModel: 'ext' }), "'embedding'"],
      [a.vectors.add({ collection: 'docs', content: 'x', embedding: [], embeddingModel: 'ext' }), "'embedding'"],
      [a.vectors.add({ collection: 'docs', content: 'x', embedding: axis(4, 0), embeddingModel: 'nope' }), "'embeddingModel'"],
      [a.vectors.add({ collection: 'docs', content: 'x', embedding: axis(4, 0) }), "'embeddingModel'"],
      [a.vectors.add({ collection: 'docs', content: 'x', embeddingModel: 'ext' }), "'embedding'"],
      [a.memories.add({ kind: 'long', content: 'x', embedding: [1, 2], embeddingModel: 'ext' }), "'embedding'"],
      [a.messages.add({ conversationId: conv, role: 'user', content: 'x', embedding: [1, 2], embeddingModel: 'ext' }), "'embedding'"],
      [a.messages.upsert({ id: 'u1', conversationId: conv, role: 'user', content: 'x', embedding: axis(4, 0), embeddingModel: 'nope' }), "'embeddingModel'"],
      [
        a.messages.insertMany([
          { conversationId: conv, role: 'user', content: 'fine', embedding: axis(4, 0), embeddingModel: 'ext' },
          { conversationId: conv, role: 'user', content: 'bad', embedding: [0, 0, 0, Number.NaN], embeddingModel: 'ext' },
        ]),
        "'1.embedding'",
      ],
      [a.search({ vector: [1, 2], model: 'ext' }), "'vector'"],
      [a.search({ vector: axis(4, 0), model: 'nope' }), "'model'"],
      [a.search({ vector: axis(4, 0) }), "'model'"],
      [a.search({ model: 'ext', query: 'x' }), "'vector'"],
      [a.search({ vector: axis(4, 0), model: 'ext', mode: 'hybrid' }), "'query'"],
      [a.search({ vector: axis(4, 0), model: 'ext', query: 'x', mode: 'keyword' }), "'vector'"],
    ];
    for (const [call, field] of cases) {
      const error = await errorOf(call);
      expect(error.code, error.message).toBe('INVALID_INPUT');
      expect(error.message).toContain(field);
      expect(error.message).not.toContain('nope');
    }
    expect(counts()).toBe(before);
  });

  test('a caller vector of a cosine model decides memory dedup', async () => {
    const first = await a.memories.add({ kind: 'long', content: 'Alice drinks green tea every morning', embedding: axis(4, 0, 1, 0.05), embeddingModel: 'ext' });
    const again = await a.memories.add({ kind: 'long', content: 'Every morning Alice drinks green tea', embedding: axis(4, 0, 1, 0.06), embeddingModel: 'ext' });
    expect(again).toMatchObject({ action: 'updated', reason: 'similar' });
    expect(again.memory.id).toBe(first.memory.id);
    const other = await a.memories.add({ kind: 'long', content: 'Alice drinks coffee at noon', embedding: axis(4, 2), embeddingModel: 'ext' });
    expect(other.action).toBe('added');
  });
});

describe('search by a query vector', () => {
  beforeEach(async () => {
    await t.mnemo.embeddings.register({ id: 'ext', dims: 4 });
    await t.mnemo.embeddings.register({ id: 'ext-dot', dims: 2, distance: 'dot' });
  });

  test('vector mode ranks by cosine across kinds, honours limit, minSimilarity, filters and scope', async () => {
    const conv = await conversation();
    await a.vectors.add({ collection: 'docs', content: 'north', embedding: axis(4, 0), embeddingModel: 'ext' });
    await a.vectors.add({ collection: 'docs', content: 'north-east', embedding: axis(4, 0, 1, 0.5), embeddingModel: 'ext' });
    await a.vectors.add({ collection: 'other', content: 'north, elsewhere', embedding: axis(4, 0, 1, 0.2), embeddingModel: 'ext' });
    await a.messages.add({ conversationId: conv, role: 'user', content: 'east', embedding: axis(4, 1), embeddingModel: 'ext' });
    await a.memories.add({ kind: 'long', content: 'south', embedding: [-1, 0, 0, 0], embeddingModel: 'ext' });
    const b = t.mnemo.space(B);
    await b.vectors.add({ collection: 'docs', content: 'bob north', embedding: axis(4, 0), embeddingModel: 'ext' });

    const hits = await a.search({ vector: axis(4, 0), model: 'ext', limit: 10 });
    expect(hits.map((h) => h.text)).toEqual(['north', 'north, elsewhere', 'north-east']);
    expect(hits[0]!.score.cosine).toBeCloseTo(1, 5);
    expect(hits[0]).toMatchObject({ kind: 'vector', ref: { collection: 'docs' } });
    expect(hits.map((h) => h.score.fused)).toEqual(hits.map((h) => h.score.cosine));
    expect((await a.search({ vector: axis(4, 0), model: 'ext', limit: 1 })).map((h) => h.text)).toEqual(['north']);
    expect((await a.search({ vector: axis(4, 0), model: 'ext', minSimilarity: 0.95 })).map((h) => h.text)).toEqual(['north', 'north, elsewhere']);
    expect((await a.search({ vector: axis(4, 0), model: 'ext', filters: { collection: 'docs' } })).map((h) => h.text)).toEqual(['north', 'north-east']);
    expect((await a.search({ vector: axis(4, 1), model: 'ext', filters: { kinds: ['message'] } })).map((h) => h.text)).toEqual(['east']);
    expect((await a.search({ vector: [-1, 0, 0, 0], model: 'ext', minSimilarity: 0.5 })).map((h) => h.kind)).toEqual(['memory']);
    // Bob's row is only Bob's.
    expect((await b.search({ vector: axis(4, 0), model: 'ext' })).map((h) => h.text)).toEqual(['bob north']);
  });

  test('hybrid fuses the caller vector with the keyword side of the query text', async () => {
    await a.vectors.add({ collection: 'docs', content: 'the invoice is overdue', embedding: axis(4, 3), embeddingModel: 'ext' });
    await a.vectors.add({ collection: 'docs', content: 'payment reminder', embedding: axis(4, 0), embeddingModel: 'ext' });
    const hits = await a.search({ query: 'invoice', vector: axis(4, 0), model: 'ext', limit: 5 });
    expect(hits.map((h) => h.text).sort()).toEqual(['payment reminder', 'the invoice is overdue']);
    expect(hits.find((h) => h.text === 'payment reminder')!.score).toMatchObject({ rankVector: 1 });
    expect(hits.find((h) => h.text === 'the invoice is overdue')!.score).toMatchObject({ rankKeyword: 1 });
  });

  test('a dot-product model ranks by the raw dot product', async () => {
    await a.vectors.add({ collection: 'd', content: 'long and aligned', embedding: [10, 0], embeddingModel: 'ext-dot' });
    await a.vectors.add({ collection: 'd', content: 'short and aligned', embedding: [1, 0], embeddingModel: 'ext-dot' });
    await a.vectors.add({ collection: 'd', content: 'long and tilted', embedding: [6, 6], embeddingModel: 'ext-dot' });
    const hits = await a.search({ vector: [1, 0], model: 'ext-dot' });
    expect(hits.map((h) => h.text)).toEqual(['long and aligned', 'long and tilted', 'short and aligned']);
    expect(hits.map((h) => h.score.cosine)).toEqual([10, 6, 1]);
  });

  test('rows written after the first search are found; a rolled-back batch leaves no hit behind', async () => {
    await a.vectors.add({ collection: 'docs', content: 'first', embedding: axis(4, 0), embeddingModel: 'ext' });
    expect((await a.search({ vector: axis(4, 2), model: 'ext' })).map((h) => h.text)).toEqual([]);
    await a.vectors.add({ collection: 'docs', content: 'second', embedding: axis(4, 2), embeddingModel: 'ext' });
    expect((await a.search({ vector: axis(4, 2), model: 'ext' })).map((h) => h.text)).toEqual(['second']);
    const conv = await conversation();
    const error = await errorOf(
      a.messages.insertMany([
        { conversationId: conv, role: 'user', content: 'ghost', embedding: axis(4, 3), embeddingModel: 'ext' },
        { id: 'dup', conversationId: conv, role: 'user', content: 'x' },
        { id: 'dup', conversationId: conv, role: 'user', content: 'y' },
      ]),
    );
    expect(error.code).toBe('CONFLICT');
    expect(await a.search({ vector: axis(4, 3), model: 'ext' })).toEqual([]);
  });
});

describe('speed at 1536 dimensions (printed, never checked)', () => {
  test('search by vector through the API vs a plain JS float scan', async () => {
    const rows = Number(process.env['MNEMO_BYO_ROWS'] ?? 5_000);
    const dims = 1536;
    const random = mulberry32(7);
    const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const centres = Array.from({ length: 200 }, () => Float32Array.from({ length: dims }, gaussian));
    const sample = () => {
      const c = centres[Math.floor(random() * centres.length)]!;
      return Float32Array.from(c, (x) => x + 0.8 * gaussian());
    };
    await t.mnemo.embeddings.register({ id: 'openai-1536', dims });
    const matrix = new Float32Array(rows * dims);
    for (let r = 0; r < rows; r++) matrix.set(sample(), r * dims);
    const ids: string[] = [];
    let started = performance.now();
    for (let from = 0; from < rows; from += 5_000) {
      const batch = Array.from({ length: Math.min(5_000, rows - from) }, (_, i) => ({
        collection: 'bench',
        content: `row ${from + i}`,
        documentId: `d${from + i}`,
        embedding: matrix.subarray((from + i) * dims, (from + i + 1) * dims),
        embeddingModel: 'openai-1536',
      }));
      ids.push(...(await a.vectors.insertMany(batch)).ids);
    }
    const insertMs = performance.now() - started;
    const queries = Array.from({ length: 20 }, sample);
    started = performance.now();
    await a.search({ vector: queries[0]!, model: 'openai-1536', limit: 10 });
    const loadMs = performance.now() - started;

    let recalled = 0;
    const apiTimes: number[] = [];
    const plainTimes: number[] = [];
    for (const q of queries) {
      let t0 = performance.now();
      const hits = await a.search({ vector: q, model: 'openai-1536', limit: 10 });
      apiTimes.push(performance.now() - t0);
      t0 = performance.now();
      const truth = plainScan(matrix, dims, q, 10);
      plainTimes.push(performance.now() - t0);
      const want = new Set(truth.map((r) => ids[r]));
      recalled += hits.filter((h) => want.has(h.id)).length;
    }
    const api = median(apiTimes);
    const plain = median(plainTimes);
    console.log(
      `byo vectors ${rows} × ${dims}: insert ${Math.round(insertMs)} ms, index load ${Math.round(loadMs)} ms; ` +
        `search p50 ${api.toFixed(1)} ms vs plain JS float scan ${plain.toFixed(1)} ms (ratio ${(api / plain).toFixed(3)}); ` +
        `recall@10 ${(recalled / (queries.length * 10)).toFixed(3)}`,
    );
    expect(recalled / (queries.length * 10)).toBeGreaterThan(0.9);
  }, 1_800_000);
});

/** The baseline: cosine per row of a contiguous float32 matrix (rows normalised on the fly), best k by insertion. */
function plainScan(matrix: Float32Array, dims: number, query: Float32Array, k: number): number[] {
  const rows = matrix.length / dims;
  let qn = 0;
  for (let j = 0; j < dims; j++) qn += query[j]! * query[j]!;
  qn = Math.sqrt(qn);
  const best: Array<{ row: number; score: number }> = [];
  for (let r = 0, base = 0; r < rows; r++, base += dims) {
    let dot = 0;
    let norm = 0;
    for (let j = 0; j < dims; j++) {
      const x = matrix[base + j]!;
      dot += x * query[j]!;
      norm += x * x;
    }
    const score = dot / (Math.sqrt(norm) * qn);
    if (best.length < k || score > best[best.length - 1]!.score) {
      best.push({ row: r, score });
      best.sort((x, y) => y.score - x.score);
      if (best.length > k) best.pop();
    }
  }
  return best.map((b) => b.row);
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
