/**
 * `MnemoChatMessageHistory`: LangChain's list chat history over one Mnemo
 * conversation — messages in order with their types, tool calls and content
 * blocks round-tripped, clear() empties only that conversation.
 */
import { AIMessage, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { ScopedApi } from '../../src/shared/api';
import { MnemoChatMessageHistory } from '../../src/langchain';
import { openTest } from './helpers';

let t: Awaited<ReturnType<typeof openTest>>;
let s: ScopedApi;
let conversationId: string;
let other: string;

beforeEach(async () => {
  t = await openTest();
  s = t.mnemo.space({ userId: 'alice', spaceId: 'chat' });
  const session = await s.sessions.create({ name: 'lc' });
  conversationId = (await s.conversations.create({ sessionId: session.id })).id;
  other = (await s.conversations.create({ sessionId: session.id })).id;
});

afterEach(async () => {
  await t.mnemo.close();
});

test('messages come back in order with their types and fields', async () => {
  const history = new MnemoChatMessageHistory({ space: s, conversationId });
  await history.addMessage(new SystemMessage('You are terse.'));
  await history.addUserMessage('What is 2 + 2?');
  await history.addMessage(new AIMessage({ content: '', tool_calls: [{ id: 'call-1', name: 'add', args: { a: 2, b: 2 }, type: 'tool_call' }] }));
  await history.addMessage(new ToolMessage({ content: '4', tool_call_id: 'call-1', name: 'add' }));
  await history.addAIMessage('4.');

  const messages = await history.getMessages();
  expect(messages.map((m) => [m.getType(), m.text])).toEqual([
    ['system', 'You are terse.'],
    ['human', 'What is 2 + 2?'],
    ['ai', ''],
    ['tool', '4'],
    ['ai', '4.'],
  ]);
  expect((messages[2] as AIMessage).tool_calls).toEqual([{ id: 'call-1', name: 'add', args: { a: 2, b: 2 }, type: 'tool_call' }]);
  expect(messages[3]).toMatchObject({ tool_call_id: 'call-1', name: 'add' });
  // They are ordinary Mnemo messages too.
  const recent = await s.messages.recent(conversationId, { limit: 1 });
  expect(recent.items[0]).toMatchObject({ role: 'assistant', content: '4.' });
  expect(messages[4]!.id).toBe(recent.items[0]!.id);
});

test('content blocks round-trip; the text is what Mnemo stores and searches', async () => {
  const history = new MnemoChatMessageHistory({ space: s, conversationId });
  const blocks = [{ type: 'text' as const, text: 'Look at ' }, { type: 'text' as const, text: 'this lighthouse' }];
  await history.addMessage(new HumanMessage({ content: blocks }));
  const [message] = await history.getMessages();
  expect(message!.content).toEqual(blocks);
  const hits = await s.search({ query: 'lighthouse', mode: 'keyword' });
  expect(hits.map((h) => h.text)).toEqual(['Look at this lighthouse']);
});

test('addMessages writes all in one call; clear() empties only this conversation', async () => {
  const history = new MnemoChatMessageHistory({ space: s, conversationId });
  await history.addMessages([new HumanMessage('one'), new AIMessage('two'), new HumanMessage('three')]);
  await s.messages.add({ conversationId: other, role: 'user', content: 'elsewhere' });
  expect((await history.getMessages()).map((m) => m.text)).toEqual(['one', 'two', 'three']);
  await history.clear();
  expect(await history.getMessages()).toEqual([]);
  expect(await s.messages.count({ conversationId: other })).toBe(1);
});

test('a long history is read page by page, oldest first', async () => {
  const history = new MnemoChatMessageHistory({ space: s, conversationId });
  await s.messages.insertMany(Array.from({ length: 2_500 }, (_, i) => ({ conversationId, role: 'user' as const, content: `m${i}`, createdAt: 1_000 + i })));
  const messages = await history.getMessages();
  expect(messages).toHaveLength(2_500);
  expect(messages[0]!.text).toBe('m0');
  expect(messages.at(-1)!.text).toBe('m2499');
});
