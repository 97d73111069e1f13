import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { ScopedApi } from '../../src/shared/api';
import { uuidv7 } from '../../src/shared/ids';
import { runCommand } from '../../src/ui/chat/commands';
import { decideMemory, MEMORY_METADATA_KEY, MEMORY_SETTING, readMemory, withConversationMemory } from '../../src/ui/chat/memory';
import { createChatClient } from '../../src/ui/chat/openai';
import { RECALL_HEADING } from '../../src/ui/chat/recall';
import { recallOf, runTurn, type TurnPort } from '../../src/ui/chat/turn';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { openTest } from './helpers';

describe('decideMemory: conversation override > space default > on', () => {
  test.each([
    // [conversation metadata, space setting, on, decided by]
    [{}, null, true, 'default'],
    [{}, true, true, 'default'],
    [{}, false, false, 'space'],
    [{ memory: false }, null, false, 'conversation'],
    [{ memory: false }, true, false, 'conversation'],
    [{ memory: true }, false, true, 'conversation'],
    [{ memory: false }, false, false, 'conversation'],
    // Anything but a boolean is no override, and anything but false keeps the space on.
    [{ memory: 'off' }, false, false, 'space'],
    [{ memory: null }, 'off', true, 'default'],
  ] as const)('conversation %j, space %j → on %s by %s', (metadata, setting, on, by) => {
    expect(decideMemory(metadata, setting)).toEqual({ on, by });
  });

  test('withConversationMemory sets or removes the override and keeps the other metadata', () => {
    const metadata = { branchOf: 'c1', memory: true };
    expect(withConversationMemory(metadata, false)).toEqual({ branchOf: 'c1', memory: false });
    expect(withConversationMemory(metadata, null)).toEqual({ branchOf: 'c1' });
    expect(metadata).toEqual({ branchOf: 'c1', memory: true });
  });
});

describe('memory off on a real in-memory database and the fake server', () => {
  let fake: FakeOpenAI;
  let t: Awaited<ReturnType<typeof openTest>>;
  let s: ScopedApi;
  let conversationId: string;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(async () => {
    t = await openTest();
    s = t.mnemo.space({ userId: 'u', spaceId: 'memory' });
    const session = await s.sessions.create({ name: 'S' });
    conversationId = (await s.conversations.create({ sessionId: session.id, metadata: { branchOf: 'x' } })).id;
    await runCommand(s, { kind: 'remember', fact: 'My cat is called Miso' });
  });
  afterEach(async () => {
    await t.mnemo.close();
  });

  /** One turn; counts the port's searches and memory reads. */
  const ask = async (content: string) => {
    const state = await readMemory(s, conversationId);
    const calls = { search: 0, memories: 0 };
    const port: TurnPort = {
      messages: s.messages,
      memories: { get: (id) => (calls.memories++, s.memories.get(id)) },
      conversations: s.conversations,
      search: (request) => (calls.search++, s.search(request)),
    };
    const user = await s.messages.add({ conversationId, role: 'user', content });
    const before = fake.chatBodies().length;
    const result = await runTurn({
      port, client: createChatClient({ baseUrl: fake.baseUrl }), model: 'chat', endpointName: 'Fake', user, assistantId: uuidv7(),
      systemPrompt: 'You are Mnemo.', budgetTokens: 1500, throttleMs: 0, memory: state.decision,
    });
    const sent = fake.chatBodies().slice(before);
    expect(sent).toHaveLength(1);
    return { state, calls, result, body: JSON.stringify(sent[0]), system: String(sent[0]!.messages![0]!.content) };
  };

  test('on by default: the remembered fact is searched for and recalled into the prompt', async () => {
    const on = await ask('What is my cat called?');
    expect(on.state).toEqual({ decision: { on: true, by: 'default' }, conversation: null, space: true });
    expect(on.calls.search).toBe(1);
    expect(on.system).toContain(RECALL_HEADING);
    expect(on.body).toContain('My cat is called Miso');
    expect(recallOf(on.result.message)!.included).toHaveLength(1);
    expect(recallOf(on.result.message)!.memoryOff).toBeUndefined();
  });

  test('off in the space: no search, nothing recalled, and the answer records why', async () => {
    await s.settings.set(MEMORY_SETTING, false);
    const off = await ask('What is my cat called?');
    expect(off.state.decision).toEqual({ on: false, by: 'space' });
    expect(off.calls).toEqual({ search: 0, memories: 0 });
    expect(off.system).toBe('You are Mnemo.');
    expect(off.body).not.toContain('Miso');
    expect(off.body).not.toContain(RECALL_HEADING);
    expect(recallOf(off.result.message)).toMatchObject({ included: [], excluded: [], memoryOff: 'space' });
    // No memory was read, so none counts as accessed.
    const [memory] = (await s.memories.list({ kind: 'long' })).items;
    expect(memory!.accessCount).toBe(0);
  });

  test('the conversation overrides the space both ways, through its metadata', async () => {
    const set = async (on: boolean | null) => {
      const conversation = await s.conversations.get(conversationId);
      await s.conversations.update(conversationId, { metadata: withConversationMemory(conversation.metadata, on) });
    };
    await set(false);
    expect((await s.conversations.get(conversationId)).metadata).toEqual({ branchOf: 'x', [MEMORY_METADATA_KEY]: false });
    const off = await ask('What is my cat called?');
    expect(off.state).toEqual({ decision: { on: false, by: 'conversation' }, conversation: false, space: true });
    expect(off.calls.search).toBe(0);
    expect(off.body).not.toContain('Miso');
    expect(recallOf(off.result.message)!.memoryOff).toBe('conversation');

    await s.settings.set(MEMORY_SETTING, false);
    await set(true);
    const on = await ask('And what is my cat called again?');
    expect(on.state.decision).toEqual({ on: true, by: 'conversation' });
    expect(on.body).toContain('My cat is called Miso');

    await set(null);
    const back = await ask('Once more: my cat?');
    expect(back.state.decision).toEqual({ on: false, by: 'space' });
    expect(back.body).not.toContain('Miso');
  });
});
