/**
 * Complete write paths: memories and vector entries in batches (all or
 * nothing), vectors.update, messages.upsert setting every field given (null
 * clears), memories.add({ dedup: false }), and memories tied to a
 * conversation (filter in list and search, deleted with the conversation).
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { ScopedApi } from '../../src/shared/api';
import { count, errorOf, openTest } from './helpers';

const T0 = 1_750_000_000_000;
const A = { userId: 'alice', spaceId: 'home' };
const B = { userId: 'bob', spaceId: 'home' };

let now: number;
let t: Awaited<ReturnType<typeof openTest>>;
let a: ScopedApi;

beforeEach(async () => {
  now = T0;
  t = await openTest({ now: () => now });
  a = t.mnemo.space(A);
  await t.mnemo.embeddings.register({ id: 'ext', dims: 3 });
});

afterEach(async () => {
  await t.mnemo.close();
});

/** Row counts of the tables a failed batch must leave alone. */
function counts(): string {
  return ['messages', 'memories', 'vector_entries', 'embeddings', 'embed_queue', 'search_fts_docsize']
    .map((table) => `${table}:${count(t.sql, `SELECT count(*) FROM ${table}`)}`)
    .join(' ');
}

async function conversation(s: ScopedApi = a): Promise<{ sessionId: string; conversationId: string }> {
  const session = await s.sessions.create({ name: 'chat' });
  const conv = await s.conversations.create({ sessionId: session.id });
  return { sessionId: session.id, conversationId: conv.id };
}

const keyword = async (query: string, kinds: Array<'memory' | 'vector' | 'message'>) =>
  (await a.search({ query, mode: 'keyword', filters: { kinds } })).map((h) => h.text);

describe('memories.insertMany', () => {
  test('each row goes through dedup and reports its action, in order', async () => {
    await a.memories.add({ kind: 'long', content: 'Alice is vegetarian', metadata: { source: 'chat' } });
    const result = await a.memories.insertMany([
      { kind: 'long', content: 'Alice is vegetarian', metadata: { source: 'chat' } },
      { kind: 'long', content: 'alice is VEGETARIAN', importance: 0.9 },
      { kind: 'long', content: 'Alice plays the cello' },
      { kind: 'long', content: 'Alice plays the cello' },
      { kind: 'long', content: 'Alice plays the cello', dedup: false },
      { kind: 'short', content: 'Call the plumber', ttlMs: 60_000 },
    ]);
    expect(result.rows.map((r) => r.action)).toEqual(['ignored', 'updated', 'added', 'ignored', 'added', 'added']);
    expect(result.rows[1]).toMatchObject({ reason: 'exact' });
    expect(result).toMatchObject({ added: 3, updated: 1, ignored: 2 });
    expect(result.rows[3]!.id).toBe(result.rows[2]!.id);
    expect(result.rows[4]!.id).not.toBe(result.rows[2]!.id);
    expect((await a.memories.get(result.rows[1]!.id)).importance).toBe(0.9);
    expect((await a.memories.list({ kind: 'long' })).total).toBe(3);
    expect(await keyword('cello', ['memory'])).toHaveLength(2);
  });

  test('a near duplicate by caller vector, also of a row earlier in the batch, updates instead of adding', async () => {
    const result = await a.memories.insertMany([
      { kind: 'long', content: 'Alice drinks green tea every morning', embedding: [1, 0.05, 0], embeddingModel: 'ext' },
      { kind: 'long', content: 'Every morning Alice drinks green tea', embedding: [1, 0.06, 0], embeddingModel: 'ext' },
      { kind: 'long', content: 'Alice owns a red bicycle', embedding: [0, 0, 1], embeddingModel: 'ext' },
    ]);
    expect(result.rows.map((r) => r.action)).toEqual(['added', 'updated', 'added']);
    expect(result.rows[1]).toMatchObject({ reason: 'similar', id: result.rows[0]!.id });
    expect(result.rows[1]!.similarity).toBeGreaterThan(0.99);
  });

  test('a failing row rejects the whole batch and writes nothing', async () => {
    const { conversationId } = await conversation();
    await a.memories.add({ kind: 'long', content: 'already here' });
    const before = counts();
    const good = { kind: 'long' as const, content: 'would be added' };
    const cases: Array<[unknown[], string, string]> = [
      [[good, { kind: 'long', content: 'x', expiresAt: T0 + 1 }], 'INVALID_INPUT', "'1.expiresAt'"],
      [[good, { kind: 'long', content: 'x', embedding: [1, 2], embeddingModel: 'ext' }], 'INVALID_INPUT', "'1.embedding'"],
      [[good, { kind: 'long', content: '' }], 'INVALID_INPUT', "'1.content'"],
      [[good, { kind: 'long', content: 'x', sourceMessageId: 'no-such-message' }], 'NOT_FOUND', 'message'],
      [[good, { kind: 'long', content: 'x', conversationId: 'no-such-conversation' }], 'NOT_FOUND', 'conversation'],
      [[good, { id: 'same', kind: 'long', content: 'one' }, { id: 'same', kind: 'long', content: 'two' }], 'CONFLICT', 'memories.insertMany'],
    ];
    for (const [rows, code, mention] of cases) {
      const error = await errorOf(a.memories.insertMany(rows as never));
      expect(error.code, error.message).toBe(code);
      expect(error.message).toContain(mention);
      expect(counts()).toBe(before);
    }
    expect(conversationId).toBeTruthy();
    expect(await a.memories.insertMany([])).toEqual({ rows: [], added: 0, updated: 0, ignored: 0 });
  });
});

describe('memories.add({ dedup: false })', () => {
  test('stores a copy on purpose', async () => {
    const first = await a.memories.add({ kind: 'long', content: 'Bob likes jazz' });
    const copy = await a.memories.add({ kind: 'long', content: 'Bob likes jazz', dedup: false });
    expect(copy.action).toBe('added');
    expect(copy.memory.id).not.toBe(first.memory.id);
    // Dedup is on by default: the next one updates one of them.
    expect((await a.memories.add({ kind: 'long', content: 'Bob likes jazz' })).action).toBe('updated');
    expect((await a.memories.list()).total).toBe(2);
  });
});

describe('memories tied to a conversation', () => {
  test('filter in list and search, set and clear by update, scope checked, deleted with the conversation', async () => {
    const one = await conversation();
    const two = await conversation();
    const tied = (await a.memories.add({ kind: 'long', content: 'The printer in room 4 is broken', conversationId: one.conversationId, embedding: [1, 0, 0], embeddingModel: 'ext' })).memory;
    const loose = (await a.memories.add({ kind: 'long', content: 'The printer in room 7 works' })).memory;
    expect(tied.conversationId).toBe(one.conversationId);
    expect(loose.conversationId).toBeNull();

    expect((await a.memories.list({ conversationId: one.conversationId })).items.map((m) => m.id)).toEqual([tied.id]);
    expect((await a.memories.list({ conversationId: two.conversationId })).items).toEqual([]);
    const hits = await a.search({ query: 'printer', mode: 'keyword', filters: { conversationId: one.conversationId } });
    expect(hits.map((h) => h.id)).toEqual([tied.id]);
    expect(hits[0]!.ref.conversationId).toBe(one.conversationId);
    expect((await a.search({ vector: [1, 0, 0], model: 'ext', filters: { conversationId: two.conversationId } })).map((h) => h.id)).toEqual([]);

    const bob = t.mnemo.space(B);
    const bobs = await conversation(bob);
    expect((await errorOf(a.memories.add({ kind: 'long', content: 'x', conversationId: bobs.conversationId }))).code).toBe('NOT_FOUND');
    expect((await errorOf(a.memories.update(loose.id, { conversationId: bobs.conversationId }))).code).toBe('NOT_FOUND');
    expect((await errorOf(a.memories.list({ conversationId: bobs.conversationId }))).code).toBe('NOT_FOUND');

    expect((await a.memories.update(loose.id, { conversationId: two.conversationId })).conversationId).toBe(two.conversationId);
    expect((await a.memories.update(loose.id, { conversationId: null })).conversationId).toBeNull();
    expect((await a.memories.update(loose.id, { importance: 0.7 })).conversationId).toBeNull();

    expect(await a.conversations.delete(one.conversationId)).toBe(true);
    expect((await errorOf(a.memories.get(tied.id))).code).toBe('NOT_FOUND');
    expect(count(t.sql, `SELECT count(*) FROM embeddings WHERE owner_id = '${tied.id}'`)).toBe(0);
    expect(await keyword('printer', ['memory'])).toEqual(['The printer in room 7 works']);

    // A session delete reaches them through its conversations.
    const three = await conversation();
    await a.memories.add({ kind: 'short', content: 'Meeting at noon', conversationId: three.conversationId, ttlMs: 3_600_000 });
    await a.sessions.delete(three.sessionId);
    expect((await a.memories.list({ kind: 'short' })).total).toBe(0);
  });
});

describe('vectors.insertMany', () => {
  test('stores every entry in one go; documentIds present or repeated update one entry', async () => {
    const existing = await a.vectors.add({ collection: 'kb', documentId: 'faq', content: 'old answer', metadata: { v: 1 } });
    const result = await a.vectors.insertMany([
      { collection: 'kb', documentId: 'faq', content: 'new answer about refunds', metadata: { v: 2 } },
      { collection: 'kb', documentId: 'guide', content: 'first draft', embedding: [0, 1, 0], embeddingModel: 'ext' },
      { collection: 'kb', content: 'a loose note about shipping' },
      { collection: 'kb', documentId: 'guide', content: 'final guide to returns', embedding: [0, 0, 1], embeddingModel: 'ext' },
      { collection: 'other', documentId: 'faq', content: 'another collection' },
    ]);
    expect(result).toMatchObject({ inserted: 3, updated: 2 });
    expect(result.ids[0]).toBe(existing.id);
    expect(result.ids[1]).toBe(result.ids[3]);
    expect(new Set(result.ids).size).toBe(4);
    expect(await a.vectors.getByDocumentId('kb', 'faq')).toMatchObject({ content: 'new answer about refunds', metadata: { v: 2 } });
    expect(await a.vectors.getByDocumentId('kb', 'guide')).toMatchObject({ content: 'final guide to returns' });
    expect([...(await a.vectors.get(result.ids[1]!, { withEmbedding: true })).embedding!]).toEqual([0, 0, 1]);
    expect(await keyword('refunds', ['vector'])).toEqual(['new answer about refunds']);
    expect(await keyword('old', ['vector'])).toEqual([]);
    expect(await keyword('shipping', ['vector'])).toEqual(['a loose note about shipping']);
    expect(await keyword('draft', ['vector'])).toEqual([]);
    t.core.repos.search.check();
    // Queued for Mnemo's model like single adds.
    expect(count(t.sql, "SELECT count(*) FROM embed_queue WHERE owner_table = 'vector_entries'")).toBe(4);
  });

  test('a failing row rejects the whole batch and writes nothing', async () => {
    await a.vectors.add({ id: 'taken', collection: 'kb', content: 'here first' });
    const before = counts();
    const good = { collection: 'kb', content: 'fine' };
    const cases: Array<[unknown[], string, string]> = [
      [[good, { collection: 'kb', content: '' }], 'INVALID_INPUT', "'1.content'"],
      [[good, { collection: 'kb', content: 'x', embedding: [1, 2], embeddingModel: 'ext' }], 'INVALID_INPUT', "'1.embedding'"],
      [[good, { collection: 'kb', content: 'x', embedding: [1, 2, 3], embeddingModel: 'nope' }], 'INVALID_INPUT', "'1.embeddingModel'"],
      [[good, { id: 'taken', collection: 'kb', content: 'x' }], 'CONFLICT', 'vectors.insertMany'],
    ];
    for (const [rows, code, mention] of cases) {
      const error = await errorOf(a.vectors.insertMany(rows as never));
      expect(error.code, error.message).toBe(code);
      expect(error.message).toContain(mention);
      expect(counts()).toBe(before);
    }
    t.core.repos.search.check();
  });
});

describe('vectors.update', () => {
  test('changes content, metadata and the caller vector; keyword and vector search follow', async () => {
    const entry = await a.vectors.add({ collection: 'kb', content: 'about cats', metadata: { a: 1 }, embedding: [1, 0, 0], embeddingModel: 'ext' });
    now = T0 + 5;
    const updated = await a.vectors.update(entry.id, { content: 'about dogs', metadata: { b: 2 } });
    expect(updated).toMatchObject({ id: entry.id, content: 'about dogs', metadata: { b: 2 }, createdAt: T0, updatedAt: T0 + 5 });
    expect(await keyword('dogs', ['vector'])).toEqual(['about dogs']);
    expect(await keyword('cats', ['vector'])).toEqual([]);
    // The caller's vector stays until a new one is given.
    expect((await a.search({ vector: [1, 0, 0], model: 'ext' })).map((h) => h.id)).toEqual([entry.id]);
    await a.vectors.update(entry.id, { embedding: [0, 1, 0], embeddingModel: 'ext' });
    expect(await a.search({ vector: [1, 0, 0], model: 'ext' })).toEqual([]);
    expect((await a.search({ vector: [0, 1, 0], model: 'ext' })).map((h) => h.id)).toEqual([entry.id]);
    expect((await a.vectors.update(entry.id, {})).content).toBe('about dogs');

    expect((await errorOf(a.vectors.update(entry.id, { embedding: [1, 2], embeddingModel: 'ext' }))).message).toContain("'embedding'");
    expect((await errorOf(a.vectors.update(entry.id, { content: '' }))).code).toBe('INVALID_INPUT');
    expect((await errorOf(t.mnemo.space(B).vectors.update(entry.id, { content: 'mine now' }))).code).toBe('NOT_FOUND');
  });
});

describe('messages.upsert', () => {
  test('sets every field given, null clears, fields left out keep their value', async () => {
    const { conversationId } = await conversation();
    const id = 'reply-1';
    await a.messages.upsert({
      id, conversationId, role: 'assistant', content: 'Thinking', isStreaming: true, model: 'gpt', source: 'chat',
      error: 'timeout', attachments: [{ name: 'a.png' }], toolCallId: 'call-1', assistantId: 'helper', metadata: { try: 1 },
    });
    now = T0 + 10;
    const retried = await a.messages.upsert({ id, conversationId, role: 'tool', content: 'Done', error: null, attachments: null, source: 'retry', assistantId: 'other' });
    expect(retried).toMatchObject({
      role: 'tool', content: 'Done', error: null, attachments: null, source: 'retry', assistantId: 'other',
      // left out: kept
      isStreaming: true, model: 'gpt', toolCallId: 'call-1', metadata: { try: 1 }, createdAt: T0, updatedAt: T0 + 10,
    });
    const finished = await a.messages.upsert({ id, conversationId, role: 'tool', content: 'Done', isStreaming: false, toolCallId: null, metadata: {}, createdAt: T0 - 5 });
    expect(finished).toMatchObject({ isStreaming: false, toolCallId: null, metadata: {}, createdAt: T0 - 5, model: 'gpt' });
    expect(await a.messages.get(id)).toEqual(finished);
    expect(await keyword('done', ['message'])).toEqual(['Done']);
    expect(await keyword('thinking', ['message'])).toEqual([]);

    const other = await conversation();
    expect((await errorOf(a.messages.upsert({ id, conversationId: other.conversationId, role: 'user', content: 'hijack' }))).code).toBe('CONFLICT');
    expect((await a.messages.get(id)).content).toBe('Done');
  });
});
