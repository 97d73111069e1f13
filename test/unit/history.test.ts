/**
 * Chat history for LLM context: newest-first with a cursor, history across a
 * session or the whole space, scoped counts, clearing a user's history, and
 * pages in either order.
 */
import { beforeEach, describe, expect, test } from 'vitest';
import type { ScopedApi } from '../../src/shared/api';
import { errorOf, openTest } from './helpers';

const ALICE = { userId: 'alice', spaceId: 'chat' };
const BOB = { userId: 'bob', spaceId: 'chat' };
const T0 = Date.UTC(2026, 0, 1);

let s: ScopedApi;
let other: ScopedApi;
let chatA: string;
let chatB: string;
let sessionA: string;

beforeEach(async () => {
  const { mnemo } = await openTest();
  s = mnemo.space(ALICE);
  other = mnemo.space(BOB);
  const session = await s.sessions.create({ name: 'work' });
  const session2 = await s.sessions.create({ name: 'home' });
  sessionA = session.id;
  chatA = (await s.conversations.create({ sessionId: session.id, title: 'a' })).id;
  chatB = (await s.conversations.create({ sessionId: session2.id, title: 'b' })).id;
  // 25 messages in A, one a minute, alternating roles, all with the same timestamp pair twice to test ties.
  await s.messages.insertMany(
    Array.from({ length: 25 }, (_, i) => ({ conversationId: chatA, role: i % 2 ? ('assistant' as const) : ('user' as const), content: `a${i}`, createdAt: T0 + Math.floor(i / 2) * 60_000 })),
  );
  await s.messages.insertMany(Array.from({ length: 5 }, (_, i) => ({ conversationId: chatB, role: 'user' as const, content: `b${i}`, createdAt: T0 + i * 60_000 })));
  const bobSession = await other.sessions.create({ name: 'bob' });
  const bobChat = await other.conversations.create({ sessionId: bobSession.id });
  await other.messages.add({ conversationId: bobChat.id, role: 'user', content: 'bob only' });
});

describe('messages.recent', () => {
  test('newest first, then older pages by cursor, every message exactly once', async () => {
    const first = await s.messages.recent(chatA, { limit: 10 });
    expect(first.items.map((m) => m.content)).toEqual(['a24', 'a23', 'a22', 'a21', 'a20', 'a19', 'a18', 'a17', 'a16', 'a15']);
    expect(first.nextCursor).not.toBeNull();
    const seen = [...first.items];
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await s.messages.recent(chatA, { limit: 10, before: cursor });
      seen.push(...page.items);
      cursor = page.nextCursor;
    }
    expect(seen.map((m) => m.content)).toEqual(Array.from({ length: 25 }, (_, i) => `a${24 - i}`));
  });

  test('a message added after the first page does not shift older pages', async () => {
    const first = await s.messages.recent(chatA, { limit: 5 });
    await s.messages.add({ conversationId: chatA, role: 'user', content: 'newest' });
    const second = await s.messages.recent(chatA, { limit: 5, before: first.nextCursor! });
    expect(second.items.map((m) => m.content)).toEqual(['a19', 'a18', 'a17', 'a16', 'a15']);
    expect((await s.messages.recent(chatA, { limit: 1 })).items[0]!.content).toBe('newest');
  });

  test('defaults to 20 and refuses bad cursors and limits without echoing them', async () => {
    expect((await s.messages.recent(chatA)).items).toHaveLength(20);
    const bad = await errorOf(s.messages.recent(chatA, { before: 'DROP TABLE' }));
    expect(bad.code).toBe('INVALID_INPUT');
    expect(bad.message).not.toContain('DROP');
    expect((await errorOf(s.messages.recent(chatA, { limit: 0 }))).code).toBe('INVALID_INPUT');
    expect((await errorOf(other.messages.recent(chatA))).code).toBe('NOT_FOUND');
  });
});

describe('messages.list and count', () => {
  test('across the space, a session, a time window and roles, by cursor', async () => {
    const all = await s.messages.list({ limit: 1000 });
    expect(all.items).toHaveLength(30);
    expect(all.nextCursor).toBeNull();
    expect(all.items.some((m) => m.content === 'bob only')).toBe(false);
    const session = await s.messages.list({ sessionId: sessionA, limit: 1000 });
    expect(session.items.every((m) => m.conversationId === chatA)).toBe(true);
    const window = await s.messages.list({ since: T0 + 60_000, until: T0 + 3 * 60_000, roles: ['user'] });
    expect(window.items.map((m) => m.content)).toEqual(['a2', 'b1', 'a4', 'b2']);
    const pages: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await s.messages.list({ limit: 7, ...(cursor ? { cursor } : {}) });
      pages.push(...page.items.map((m) => m.content));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(pages).toEqual(all.items.map((m) => m.content));
    const desc = await s.messages.list({ order: 'desc', limit: 3 });
    expect(desc.items.map((m) => m.createdAt)).toEqual(desc.items.map((m) => m.createdAt).sort((a, b) => b - a));
  });

  test('counts per conversation, session and space, within the scope only', async () => {
    expect(await s.messages.count()).toBe(30);
    expect(await s.messages.count({ conversationId: chatA })).toBe(25);
    expect(await s.messages.count({ sessionId: sessionA })).toBe(25);
    expect(await other.messages.count()).toBe(1);
    expect((await errorOf(other.messages.count({ conversationId: chatA }))).code).toBe('NOT_FOUND');
  });

  test('page() in either order', async () => {
    const asc = await s.messages.page(chatA, { page: 1, pageSize: 3 });
    const desc = await s.messages.page(chatA, { page: 1, pageSize: 3, order: 'desc' });
    expect(asc.items.map((m) => m.content)).toEqual(['a0', 'a1', 'a2']);
    expect(desc.items.map((m) => m.content)).toEqual(['a24', 'a23', 'a22']);
    expect(desc.total).toBe(25);
  });
});

describe('history.clear', () => {
  test('before a time, then everything, in this scope only; searchable text goes with it', async () => {
    expect(await s.history.clear({ before: T0 + 2 * 60_000 })).toBe(4 + 2);
    expect(await s.messages.count()).toBe(24);
    expect((await s.search({ query: 'a0', mode: 'keyword' })).length).toBe(0);
    expect(await s.history.clear()).toBe(24);
    expect(await s.messages.count()).toBe(0);
    expect(await other.messages.count()).toBe(1);
    expect((await s.conversations.list()).total).toBe(2);
    expect((await errorOf(s.history.clear({ before: -5 } as never))).code).toBe('INVALID_INPUT');
  });
});

describe('messages.add answers from what it wrote', () => {
  test('the returned message equals a fresh read, for every field', async () => {
    const added = await s.messages.add({
      conversationId: chatA,
      role: 'assistant',
      content: 'with everything',
      toolCalls: [{ id: 't1', function: { name: 'f', arguments: '{"a":1}' } }],
      toolCallId: 'call-1',
      toolResults: { ok: true, n: [1, 2] },
      thinking: 'hmm',
      thinkingSignature: 'sig',
      assistantId: 'asst',
      attachments: [{ name: 'a.png' }],
      model: 'm-1',
      tokensUsed: 42,
      isStreaming: true,
      source: 'import',
      error: null,
      metadata: { k: 'v' },
      createdAt: T0 + 5,
    });
    expect(added).toEqual(await s.messages.get(added.id));
    const plain = await s.messages.add({ conversationId: chatA, role: 'user', content: 'plain' });
    expect(plain).toEqual(await s.messages.get(plain.id));
  });
});

describe('the default conversation', () => {
  test('messages.add without a conversation goes to one default conversation per space, made on first use', async () => {
    const first = await other.messages.add({ role: 'user', content: 'flat history one' });
    const second = await other.messages.add({ role: 'assistant', content: 'flat history two' });
    expect(second.conversationId).toBe(first.conversationId);
    const conversation = await other.conversations.get(first.conversationId);
    expect(conversation.title).toBe('History');
    expect((await other.sessions.get(conversation.sessionId)).name).toBe('Default');
    expect((await other.messages.recent(first.conversationId)).items.map((m) => m.content)).toEqual(['flat history two', 'flat history one']);
    // Another space gets its own; this scope cannot reach Bob's.
    const mine = await s.messages.add({ role: 'user', content: 'mine' });
    expect(mine.conversationId).not.toBe(first.conversationId);
    expect((await errorOf(s.messages.recent(first.conversationId))).code).toBe('NOT_FOUND');
    // insertMany still needs a conversation.
    expect((await errorOf(s.messages.insertMany([{ role: 'user', content: 'x' } as never]))).code).toBe('INVALID_INPUT');
  });
});
