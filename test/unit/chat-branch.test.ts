import { afterEach, beforeEach, expect, test } from 'vitest';
import type { ScopedApi } from '../../src/shared/api';
import { allMessages, branchOff } from '../../src/ui/chat/branch';
import { openTest } from './helpers';

let t: Awaited<ReturnType<typeof openTest>>;
let s: ScopedApi;
beforeEach(async () => {
  t = await openTest();
  s = t.mnemo.space({ userId: 'u', spaceId: 'chat' });
});
afterEach(async () => {
  await t.mnemo.close();
});

async function conversation() {
  const session = await s.sessions.create({ name: 'S' });
  const c = await s.conversations.create({ sessionId: session.id, title: 'Tea' });
  const { ids } = await s.messages.insertMany([
    { conversationId: c.id, role: 'user', content: 'Which tea?', createdAt: 1000 },
    { conversationId: c.id, role: 'assistant', content: 'Green tea.', model: 'chat', tokensUsed: 12, metadata: { replyTo: 'x' }, createdAt: 1001 },
    { conversationId: c.id, role: 'user', content: 'Why?', createdAt: 1002 },
    { conversationId: c.id, role: 'assistant', content: 'It is light.', thinking: 'short', createdAt: 1003 },
  ]);
  return { session, c, ids };
}

test('regenerate: the whole conversation is copied to an archived "· branch 1", the live one keeps the messages up to the user message', async () => {
  const { c, ids } = await conversation();
  const { branch, removed } = await branchOff(s, c.id, ids[2]!, 'after');
  expect(branch).toMatchObject({ title: 'Tea · branch 1', status: 'archived', metadata: { branchOf: c.id, forkedAt: ids[2] } });
  expect(removed).toEqual([ids[3]]);
  expect((await allMessages(s, c.id)).map((m) => m.content)).toEqual(['Which tea?', 'Green tea.', 'Why?']);
  const copied = await allMessages(s, branch.id);
  expect(copied.map((m) => [m.role, m.content, m.createdAt])).toEqual([
    ['user', 'Which tea?', 1000], ['assistant', 'Green tea.', 1001], ['user', 'Why?', 1002], ['assistant', 'It is light.', 1003],
  ]);
  expect(copied[1]).toMatchObject({ model: 'chat', tokensUsed: 12, metadata: { replyTo: 'x', copiedFrom: ids[1] } });
  expect(copied[3]!.thinking).toBe('short');
});

test('edit-and-resend cuts from the edited message; a second branch is numbered 2; streaming answers are refused', async () => {
  const { c, ids } = await conversation();
  await branchOff(s, c.id, ids[2]!, 'after');
  const second = await branchOff(s, c.id, ids[0]!, 'from');
  expect(second.branch.title).toBe('Tea · branch 2');
  expect(await allMessages(s, c.id)).toEqual([]);
  expect((await allMessages(s, second.branch.id)).map((m) => m.content)).toEqual(['Which tea?', 'Green tea.', 'Why?']);
  await s.messages.add({ conversationId: c.id, role: 'assistant', content: 'partial', isStreaming: true });
  await expect(branchOff(s, c.id, (await allMessages(s, c.id))[0]!.id, 'after')).rejects.toMatchObject({ code: 'CONFLICT' });
  expect((await s.conversations.list({ sessionId: c.sessionId })).total).toBe(3);
});
