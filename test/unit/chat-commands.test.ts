import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { ScopedApi } from '../../src/shared/api';
import { findMemoriesToForget, parseComposer, runCommand, USER_MEMORY_IMPORTANCE, type CommandPort } from '../../src/ui/chat/commands';
import { openTest } from './helpers';

describe('parseComposer', () => {
  test.each([
    ['Hello there', { kind: 'message', text: 'Hello there' }],
    ['  /remember   I like green tea  ', { kind: 'remember', fact: 'I like green tea' }],
    ['/REMEMBER my name is Ana\nand I live in Porto', { kind: 'remember', fact: 'my name is Ana\nand I live in Porto' }],
    ['/forget tea', { kind: 'forget', words: 'tea' }],
    ['/etc/hosts is broken', { kind: 'message', text: '/etc/hosts is broken' }],
    ['//remember is a command', { kind: 'message', text: '/remember is a command' }],
    ['/rememberme', { kind: 'invalid', command: 'rememberme' }],
    ['/remember', { kind: 'invalid', command: 'remember' }],
    ['/forget    ', { kind: 'invalid', command: 'forget' }],
  ])('%j', (text, expected) => {
    expect(parseComposer(text)).toMatchObject(expected);
  });

  test('invalid commands carry a reason to show', () => {
    const usage = parseComposer('/remember');
    expect(usage.kind === 'invalid' && usage.reason).toMatch(/^Usage: \/remember <fact>/);
    const unknown = parseComposer('/summon cats');
    expect(unknown.kind === 'invalid' && unknown.reason).toMatch(/Unknown command \/summon/);
  });
});

describe('runCommand on a real in-memory database', () => {
  let t: Awaited<ReturnType<typeof openTest>>;
  let s: ScopedApi;
  beforeEach(async () => {
    t = await openTest();
    s = t.mnemo.space({ userId: 'u', spaceId: 'chat' });
  });
  afterEach(async () => {
    await t.mnemo.close();
  });

  // The scoped client is a CommandPort as it is.
  const port = (): CommandPort => s;

  test('/remember adds a long-term memory stated by the user, and a repeat updates it', async () => {
    const first = await runCommand(port(), { kind: 'remember', fact: 'I like green tea' });
    expect(first).toMatchObject({ ok: true, command: 'remember', action: 'added', message: 'Remembered: “I like green tea”' });
    const stored = await s.memories.get(first.ok && first.command === 'remember' ? first.memoryId : '');
    expect(stored).toMatchObject({ kind: 'long', content: 'I like green tea', importance: USER_MEMORY_IMPORTANCE, metadata: { source: 'user' } });
    const again = await runCommand(port(), { kind: 'remember', fact: 'I like green tea' });
    expect(again).toMatchObject({ ok: true, action: 'updated' });
    expect((await s.memories.list({ kind: 'long' })).total).toBe(1);
  });

  test('/forget deletes only the memories holding every word', async () => {
    for (const fact of ['I like green tea', 'Green tea after lunch, always', 'I like black coffee', 'Tea is overrated says my brother']) {
      await s.memories.add({ kind: 'long', content: fact });
    }
    await s.memories.add({ kind: 'short', content: 'Drinking green tea today', expiresAt: Date.now() + 60_000 });
    expect((await findMemoriesToForget(port(), 'GREEN tea!')).map((m) => m.text).sort()).toEqual(
      ['Drinking green tea today', 'Green tea after lunch, always', 'I like green tea'],
    );
    const result = await runCommand(port(), { kind: 'forget', words: 'green tea' });
    expect(result).toMatchObject({ ok: true, command: 'forget', message: 'Forgot 3 memories.' });
    const left = [...(await s.memories.list({ kind: 'long' })).items, ...(await s.memories.list({ kind: 'short' })).items].map((m) => m.content).sort();
    expect(left).toEqual(['I like black coffee', 'Tea is overrated says my brother']);
    const none = await runCommand(port(), { kind: 'forget', words: 'green tea' });
    expect(none).toMatchObject({ ok: true, message: 'No memory contains all of: green tea', deleted: [] });
  });

  test('/forget never touches messages that match', async () => {
    const session = await s.sessions.create({ name: 's' });
    const conversation = await s.conversations.create({ sessionId: session.id });
    const message = await s.messages.add({ conversationId: conversation.id, role: 'user', content: 'green tea please' });
    await runCommand(port(), { kind: 'forget', words: 'green tea' });
    expect((await s.messages.get(message.id)).content).toBe('green tea please');
  });

  test('database errors become ok: false with a message', async () => {
    const failing: CommandPort = {
      memories: { add: () => Promise.reject({ code: 'INVALID_INPUT', message: 'content: too long' }), delete: () => Promise.resolve(false) },
      search: () => Promise.reject({ code: 'QUERY_FAILED', message: 'search failed' }),
    };
    expect(await runCommand(failing, { kind: 'remember', fact: 'x' })).toEqual({ ok: false, command: 'remember', message: 'Could not remember that: content: too long' });
    expect(await runCommand(failing, { kind: 'forget', words: 'x' })).toEqual({ ok: false, command: 'forget', message: 'Could not forget: search failed' });
  });
});
