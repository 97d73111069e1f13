import { beforeEach, describe, expect, test } from 'vitest';
import type { MessageInput } from '../../src/shared/api';
import { count, errorOf, openTest } from './helpers';

type T = Awaited<ReturnType<typeof openTest>>;
let t: T;
const A = { userId: 'alice', spaceId: 'home' };
const B = { userId: 'alice', spaceId: 'work' };

beforeEach(async () => {
  t = await openTest();
});

async function conversation(scope = A) {
  const s = t.mnemo.space(scope);
  const session = await s.sessions.create({ name: 'S' });
  const conv = await s.conversations.create({ sessionId: session.id, title: 'C' });
  return { s, session, conv };
}

describe('spaces', () => {
  test('create, get, list, rename, delete', async () => {
    const created = await t.mnemo.spaces.create({ ...A, name: 'Home' });
    expect(created).toMatchObject({ ...A, name: 'Home' });
    await t.mnemo.spaces.create({ ...B });
    const list = await t.mnemo.spaces.list();
    expect(list.items.map((s) => s.spaceId)).toEqual(['home', 'work']);
    expect(list.total).toBe(2);
    expect((await t.mnemo.spaces.list({ userId: 'bob' })).total).toBe(0);
    expect((await t.mnemo.spaces.rename(A, 'House')).name).toBe('House');
    expect(await t.mnemo.spaces.delete(A)).toBe(true);
    expect((await errorOf(t.mnemo.spaces.get(A))).code).toBe('NOT_FOUND');
    expect(await t.mnemo.spaces.delete(A)).toBe(false);
  });

  test('scoped writes create the space implicitly; deleting a space cascades', async () => {
    const { s, conv } = await conversation();
    await s.messages.add({ conversationId: conv.id, role: 'user', content: 'x' });
    await s.memories.add({ kind: 'long', content: 'remember' });
    expect((await t.mnemo.spaces.get(A)).name).toBe('home');
    await t.mnemo.spaces.delete(A);
    for (const table of ['sessions', 'conversations', 'messages', 'memories']) {
      expect(count(t.sql, `SELECT count(*) FROM ${table}`)).toBe(0);
    }
  });

  test('the global scope is not a listed space and cannot be addressed', async () => {
    expect((await t.mnemo.spaces.list()).total).toBe(0);
    expect((await errorOf(t.mnemo.spaces.get({ userId: '', spaceId: '' }))).code).toBe('INVALID_INPUT');
    expect(() => t.mnemo.space({ userId: '', spaceId: '' })).toThrow();
  });
});

describe('agents', () => {
  test('CRUD with pagination', async () => {
    const s = t.mnemo.space(A);
    const agent = await s.agents.create({ name: 'Helper', model: 'm1', systemPrompt: 'Be kind', isActive: true });
    expect(agent).toMatchObject({ name: 'Helper', model: 'm1', systemPrompt: 'Be kind', isActive: true, description: null });
    const updated = await s.agents.update(agent.id, { isActive: false, description: 'd' });
    expect(updated).toMatchObject({ isActive: false, description: 'd', name: 'Helper' });
    expect(updated.updatedAt).toBeGreaterThanOrEqual(agent.updatedAt);
    for (let i = 0; i < 4; i++) await s.agents.create({ name: `a${i}` });
    const page = await s.agents.list({ page: 2, pageSize: 2 });
    expect(page).toMatchObject({ total: 5, page: 2, pageSize: 2, hasNext: true, hasPrev: true });
    expect(await s.agents.delete(agent.id)).toBe(true);
    expect((await errorOf(s.agents.get(agent.id))).code).toBe('NOT_FOUND');
    expect((await errorOf(s.agents.update(agent.id, { name: 'x' }))).code).toBe('NOT_FOUND');
  });
});

describe('sessions and conversations', () => {
  test('session CRUD, agent reference must be in scope', async () => {
    const s = t.mnemo.space(A);
    const agent = await s.agents.create({ name: 'A' });
    const session = await s.sessions.create({ name: 'Plan', role: 'pm', goals: 'ship', agentId: agent.id, metadata: { k: [1, 2] } });
    expect(session).toMatchObject({ name: 'Plan', role: 'pm', goals: 'ship', agentId: agent.id, metadata: { k: [1, 2] } });
    expect((await s.sessions.update(session.id, { goals: 'ship v2' })).goals).toBe('ship v2');
    const other = await t.mnemo.space(B).agents.create({ name: 'B' });
    expect((await errorOf(s.sessions.create({ name: 'x', agentId: other.id }))).code).toBe('NOT_FOUND');
    expect((await s.sessions.list()).total).toBe(1);
  });

  test('conversation CRUD, list filters and status check', async () => {
    const { s, session, conv } = await conversation();
    await s.conversations.create({ sessionId: session.id, status: 'archived', channelId: 'discord-1', model: 'gpt' });
    expect((await s.conversations.list({ sessionId: session.id })).total).toBe(2);
    expect((await s.conversations.list({ status: 'archived' })).items[0]).toMatchObject({ channelId: 'discord-1', model: 'gpt' });
    expect((await s.conversations.update(conv.id, { status: 'closed', title: 'Done' }))).toMatchObject({ status: 'closed', title: 'Done' });
    expect((await errorOf(s.conversations.update(conv.id, { status: 'gone' as never }))).code).toBe('INVALID_INPUT');
    expect((await errorOf(s.conversations.create({ sessionId: 'missing' }))).code).toBe('NOT_FOUND');
    expect(await s.conversations.delete(conv.id)).toBe(true);
    expect(await s.conversations.delete(conv.id)).toBe(false);
  });

  test('deleting a session leaves zero orphan rows (checked by SQL)', async () => {
    const { s, session, conv } = await conversation();
    const conv2 = await s.conversations.create({ sessionId: session.id });
    const agent = await s.agents.create({ name: 'A' });
    await s.executions.start(agent.id, session.id);
    await s.messages.insertMany(
      Array.from({ length: 50 }, (_, i) => ({ conversationId: i % 2 ? conv.id : conv2.id, role: 'user' as const, content: `m${i}` })),
    );
    await s.documents.upload(session.id, { name: 'notes.md', bytes: new TextEncoder().encode('# Title\n\nSome text\n') });
    const keep = await s.sessions.create({ name: 'keep' });
    const keepConv = await s.conversations.create({ sessionId: keep.id });
    await s.messages.add({ conversationId: keepConv.id, role: 'user', content: 'stay' });

    expect(await s.sessions.delete(session.id)).toBe(true);
    expect(count(t.sql, `SELECT count(*) FROM conversations WHERE session_id = '${session.id}'`)).toBe(0);
    expect(count(t.sql, 'SELECT count(*) FROM messages WHERE conversation_id NOT IN (SELECT id FROM conversations)')).toBe(0);
    expect(count(t.sql, 'SELECT count(*) FROM messages')).toBe(1);
    expect(count(t.sql, 'SELECT count(*) FROM stores')).toBe(0);
    expect(count(t.sql, 'SELECT count(*) FROM contents')).toBe(0);
    expect(count(t.sql, 'SELECT count(*) FROM chunks')).toBe(0);
    expect(count(t.sql, 'SELECT count(*) FROM agent_executions')).toBe(0);
    expect(t.sql.all('PRAGMA foreign_key_check')).toEqual([]);
  });
});

describe('messages', () => {
  test('add stores every column and get returns it', async () => {
    const { s, conv } = await conversation();
    const input: MessageInput = {
      conversationId: conv.id,
      role: 'assistant',
      content: 'Here is the answer',
      toolCalls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }],
      toolCallId: 'call_0',
      toolResults: { ok: true },
      thinking: 'pondering',
      thinkingSignature: 'sig',
      assistantId: 'asst_1',
      attachments: [{ name: 'a.png', size: 3 }],
      model: 'claude',
      tokensUsed: 42,
      isStreaming: true,
      source: 'discord',
      error: null,
      metadata: { lang: 'en' },
      createdAt: 1_700_000_000_000,
    };
    const added = await s.messages.add(input);
    expect(added).toMatchObject({ ...input, error: null, createdAt: 1_700_000_000_000 });
    expect(await s.messages.get(added.id)).toEqual(added);
    expect(count(t.sql, "SELECT count(*) FROM messages WHERE json_valid(tool_calls) AND is_streaming = 1 AND tokens_used = 42")).toBe(1);
  });

  test('a JSON field given as text must parse', async () => {
    const { s, conv } = await conversation();
    const ok = await s.messages.add({ conversationId: conv.id, role: 'tool', content: 'r', toolResults: '{"a":1}' });
    expect(ok.toolResults).toEqual({ a: 1 });
    const bad = await errorOf(s.messages.add({ conversationId: conv.id, role: 'tool', content: 'r', toolResults: '{"a":' }));
    expect(bad).toEqual({ code: 'INVALID_INPUT', message: "messages.add: field 'toolResults' must be valid JSON text" });
    expect((await errorOf(s.messages.add({ conversationId: conv.id, role: 'user', content: 'r', metadata: '[1]' as never }))).code).toBe('INVALID_INPUT');
  });

  test('invalid role, missing field, wrong type, extra field → INVALID_INPUT naming the field, without the value', async () => {
    const { s, conv } = await conversation();
    const cases: Array<[unknown, string]> = [
      [{ conversationId: conv.id, role: 'wizard', content: 'secret-value-1' }, 'role'],
      [{ conversationId: conv.id, role: 'user' }, 'content'],
      [{ conversationId: conv.id, role: 'user', content: 12 }, 'content'],
      [{ conversationId: conv.id, role: 'user', content: 'x', tokensUsed: -1 }, 'tokensUsed'],
      [{ conversationId: conv.id, role: 'user', content: 'x', tokensUsed: Number.NaN }, 'tokensUsed'],
      [{ conversationId: conv.id, role: 'user', content: 'x', surprise: 'secret-value-2' }, 'surprise'],
      [{ conversationId: 42, role: 'user', content: 'x' }, 'conversationId'],
    ];
    for (const [input, field] of cases) {
      const error = await errorOf(s.messages.add(input as MessageInput));
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.message).toContain(`'${field}'`);
      expect(error.message).not.toContain('secret-value');
    }
    expect(count(t.sql, 'SELECT count(*) FROM messages')).toBe(0);
  });

  test('the role CHECK constraint holds even below the API', () => {
    expect(() =>
      t.sql.run("INSERT INTO messages (id, conversation_id, role, content, created_at, updated_at) VALUES ('x', 'y', 'wizard', 'c', 0, 0)"),
    ).toThrow(/CHECK/);
  });

  test('insertMany inserts all rows in one go, or none when one row is bad', async () => {
    const { s, conv } = await conversation();
    const rows = Array.from({ length: 100 }, (_, i) => ({ conversationId: conv.id, role: 'user' as const, content: `m${i}` }));
    const result = await s.messages.insertMany(rows);
    expect(result.inserted).toBe(100);
    expect(new Set(result.ids).size).toBe(100);

    const bad = [...rows.slice(0, 10), { conversationId: conv.id, role: 'robot', content: 'x' }, ...rows.slice(0, 5)];
    const error = await errorOf(s.messages.insertMany(bad as MessageInput[]));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain("'10.role'");

    // A row that fails only in SQLite (duplicate id) rolls back the rows before it.
    const dup = [{ ...rows[0]!, id: 'dup-1' }, { ...rows[1]!, id: 'fresh-1' }, { ...rows[2]!, id: 'dup-1' }];
    const conflict = await errorOf(s.messages.insertMany(dup));
    expect(conflict.code).toBe('CONFLICT');
    expect(conflict.message).toContain('row 2');
    expect(count(t.sql, 'SELECT count(*) FROM messages')).toBe(100);
    expect(count(t.sql, "SELECT count(*) FROM messages WHERE id IN ('dup-1', 'fresh-1')")).toBe(0);

    const foreign = await conversation(B);
    expect((await errorOf(s.messages.insertMany([{ ...rows[0]!, conversationId: foreign.conv.id }]))).code).toBe('NOT_FOUND');
    expect(await s.messages.insertMany([])).toEqual({ inserted: 0, ids: [] });
  });

  test('upsert twice keeps one row with the latest content', async () => {
    const { s, conv } = await conversation();
    const first = await s.messages.upsert({ id: 'stream-1', conversationId: conv.id, role: 'assistant', content: 'Hel', isStreaming: true });
    expect(first.isStreaming).toBe(true);
    const second = await s.messages.upsert({ id: 'stream-1', conversationId: conv.id, role: 'assistant', content: 'Hello world', isStreaming: false, tokensUsed: 3 });
    expect(second).toMatchObject({ content: 'Hello world', isStreaming: false, tokensUsed: 3, createdAt: first.createdAt });
    expect(second.updatedAt).toBeGreaterThanOrEqual(first.updatedAt);
    expect(count(t.sql, "SELECT count(*) FROM messages WHERE id = 'stream-1'")).toBe(1);

    const other = await s.conversations.create({ sessionId: conv.sessionId });
    const moved = await errorOf(s.messages.upsert({ id: 'stream-1', conversationId: other.id, role: 'assistant', content: 'hijack' }));
    expect(moved.code).toBe('CONFLICT');
    expect((await s.messages.get('stream-1')).content).toBe('Hello world');
    expect((await errorOf(s.messages.upsert({ conversationId: conv.id, role: 'user', content: 'x' } as never))).code).toBe('INVALID_INPUT');
  });

  test('page walks a conversation in creation order with correct totals and flags', async () => {
    const { s, conv } = await conversation();
    const empty = await s.messages.page(conv.id, { page: 1, pageSize: 10 });
    expect(empty).toEqual({ items: [], total: 0, page: 1, pageSize: 10, hasNext: false, hasPrev: false });

    // Same timestamp for all: order must still follow insertion.
    await s.messages.insertMany(Array.from({ length: 25 }, (_, i) => ({ conversationId: conv.id, role: 'user' as const, content: `m${i}`, createdAt: 5 })));
    const first = await s.messages.page(conv.id, { page: 1, pageSize: 10 });
    expect(first).toMatchObject({ total: 25, page: 1, hasNext: true, hasPrev: false });
    expect(first.items.map((m) => m.content)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    const middle = await s.messages.page(conv.id, { page: 2, pageSize: 10 });
    expect(middle).toMatchObject({ hasNext: true, hasPrev: true });
    expect(middle.items[0]!.content).toBe('m10');
    const last = await s.messages.page(conv.id, { page: 3, pageSize: 10 });
    expect(last).toMatchObject({ hasNext: false, hasPrev: true });
    expect(last.items.map((m) => m.content)).toEqual(['m20', 'm21', 'm22', 'm23', 'm24']);
    const beyond = await s.messages.page(conv.id, { page: 4, pageSize: 10 });
    expect(beyond).toMatchObject({ items: [], total: 25, hasNext: false, hasPrev: true });

    await s.messages.add({ conversationId: conv.id, role: 'user', content: 'early', createdAt: 1 });
    expect((await s.messages.page(conv.id, { pageSize: 1 })).items[0]!.content).toBe('early');
    expect((await errorOf(s.messages.page(conv.id, { page: 0 }))).code).toBe('INVALID_INPUT');
    expect((await errorOf(s.messages.page(conv.id, { pageSize: 5000 }))).code).toBe('INVALID_INPUT');
  });

  test('delete one, by conversation and by session', async () => {
    const { s, session, conv } = await conversation();
    const conv2 = await s.conversations.create({ sessionId: session.id });
    const m = await s.messages.add({ conversationId: conv.id, role: 'user', content: 'a' });
    await s.messages.insertMany([1, 2, 3].map((i) => ({ conversationId: conv.id, role: 'user' as const, content: `${i}` })));
    await s.messages.insertMany([1, 2].map((i) => ({ conversationId: conv2.id, role: 'user' as const, content: `${i}` })));
    expect(await s.messages.delete(m.id)).toBe(true);
    expect(await s.messages.delete(m.id)).toBe(false);
    expect(await s.messages.deleteByConversation(conv.id)).toBe(3);
    expect(await s.messages.deleteBySession(session.id)).toBe(2);
    expect(count(t.sql, 'SELECT count(*) FROM messages')).toBe(0);
  });
});

describe('settings and executions', () => {
  test('settings per space and global, any JSON value', async () => {
    const s = t.mnemo.space(A);
    await s.settings.set('weights', { text: 0.4, vector: 0.6 });
    await s.settings.set('theme', 'dark');
    await t.mnemo.settings.set('theme', 'light');
    expect(await s.settings.get('weights')).toEqual({ text: 0.4, vector: 0.6 });
    expect(await s.settings.get('theme')).toBe('dark');
    expect(await t.mnemo.settings.get('theme')).toBe('light');
    expect(await t.mnemo.space(B).settings.get('theme')).toBeNull();
    expect(await s.settings.list()).toEqual({ theme: 'dark', weights: { text: 0.4, vector: 0.6 } });
    await s.settings.set('theme', 'solarized');
    expect(await s.settings.get('theme')).toBe('solarized');
    expect(await s.settings.delete('theme')).toBe(true);
    expect(await s.settings.get('theme')).toBeNull();
    expect((await errorOf(s.settings.set('bad', Number.NaN))).code).toBe('INVALID_INPUT');
    expect((await errorOf(s.settings.set('', 1))).code).toBe('INVALID_INPUT');
  });

  test('executions record status transitions', async () => {
    const { s, session } = await conversation();
    const agent = await s.agents.create({ name: 'runner' });
    const queued = await s.executions.start(agent.id, session.id, { queued: true, metadata: { job: 1 } });
    expect(queued).toMatchObject({ status: 'queued', startedAt: null, finishedAt: null, metadata: { job: 1 } });
    const running = await s.executions.run(queued.id);
    expect(running.status).toBe('running');
    expect(running.startedAt).not.toBeNull();
    const done = await s.executions.finish(queued.id, 'failed', 'timeout');
    expect(done).toMatchObject({ status: 'failed', error: 'timeout' });
    expect(done.finishedAt).not.toBeNull();
    expect((await errorOf(s.executions.finish(queued.id, 'succeeded'))).code).toBe('CONFLICT');
    const direct = await s.executions.start(agent.id);
    expect(direct.status).toBe('running');
    await s.executions.finish(direct.id, 'succeeded');
    expect((await s.executions.list({ status: 'succeeded' })).total).toBe(1);
    expect((await s.executions.list({ agentId: agent.id })).total).toBe(2);
    expect((await errorOf(s.executions.finish(direct.id, 'running' as never))).code).toBe('INVALID_INPUT');
    expect((await errorOf(s.executions.start('nope'))).code).toBe('NOT_FOUND');
  });
});

describe('scope isolation for every read method', () => {
  test('a row in space A is invisible from space B', async () => {
    const a = await conversation(A);
    const agent = await a.s.agents.create({ name: 'agent' });
    const message = await a.s.messages.add({ conversationId: a.conv.id, role: 'user', content: 'private' });
    const execution = await a.s.executions.start(agent.id, a.session.id);
    await a.s.settings.set('k', 1);
    const b = t.mnemo.space(B);
    const notFound = async (p: Promise<unknown>) => expect((await errorOf(p)).code).toBe('NOT_FOUND');
    await notFound(b.agents.get(agent.id));
    await notFound(b.sessions.get(a.session.id));
    await notFound(b.conversations.get(a.conv.id));
    await notFound(b.messages.get(message.id));
    await notFound(b.messages.page(a.conv.id));
    await notFound(b.executions.get(execution.id));
    expect((await b.agents.list()).total).toBe(0);
    expect((await b.sessions.list()).total).toBe(0);
    expect((await b.conversations.list()).total).toBe(0);
    expect((await b.conversations.list({ sessionId: a.session.id })).total).toBe(0);
    expect((await b.executions.list()).total).toBe(0);
    expect(await b.settings.get('k')).toBeNull();
    expect(await b.messages.delete(message.id)).toBe(false);
    expect(await b.sessions.delete(a.session.id)).toBe(false);
    await notFound(b.messages.deleteByConversation(a.conv.id));
    await notFound(b.messages.add({ conversationId: a.conv.id, role: 'user', content: 'intrude' }));
    expect((await a.s.messages.page(a.conv.id)).total).toBe(1);
  });

  test('the scope of a handle cannot be changed after creation', async () => {
    const handle = t.mnemo.space(A);
    expect(Object.isFrozen(handle.scope)).toBe(true);
    expect(() => ((handle.scope as { spaceId: string }).spaceId = 'work')).toThrow();
  });
});

describe('errors at the edge', () => {
  test('errors are plain {code, message} objects', async () => {
    const s = t.mnemo.space(A);
    const error = await errorOf(s.sessions.get('missing'));
    expect(error).toEqual({ code: 'NOT_FOUND', message: 'session not found' });
    expect(Object.getPrototypeOf(error)).toBe(Object.prototype);
  });

  test('scope validation', () => {
    expect(() => t.mnemo.space({ userId: 'a' } as never)).toThrow();
    expect(() => t.mnemo.space({ userId: 'a', spaceId: 'b', extra: 1 } as never)).toThrow();
  });
});
