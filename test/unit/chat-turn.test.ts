import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { ScopedApi } from '../../src/shared/api';
import type { Message } from '../../src/shared/models';
import { uuidv7 } from '../../src/shared/ids';
import { runCommand } from '../../src/ui/chat/commands';
import { createChatClient } from '../../src/ui/chat/openai';
import { RECALL_HEADING } from '../../src/ui/chat/recall';
import { chatErrorOf, finishInterruptedRun, historyFor, INTERRUPTED, isInterrupted, markInterrupted, recallOf, runTurn, streamLockName, type TurnPort } from '../../src/ui/chat/turn';
import { FAKE_ANSWER, FAKE_REASONING, FAKE_TOOL_CALLS, startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { openTest } from './helpers';

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
});

const message = (fields: Partial<Message> & Pick<Message, 'id' | 'role' | 'content' | 'createdAt'>): Message => ({
  conversationId: 'c', toolCalls: null, toolCallId: null, toolResults: null, thinking: null, thinkingSignature: null, assistantId: null,
  attachments: null, model: null, tokensUsed: null, isStreaming: false, source: null, error: null, metadata: {}, updatedAt: fields.createdAt, ...fields,
});

describe('historyFor', () => {
  test('the conversation up to the answered message, without failed or unfinished answers', () => {
    const items = [
      message({ id: 'u1', role: 'user', content: 'Hi', createdAt: 1 }),
      message({ id: 'a1', role: 'assistant', content: 'Hello', createdAt: 2 }),
      message({ id: 'u2', role: 'user', content: 'Tea?', createdAt: 3 }),
      message({ id: 'a2', role: 'assistant', content: 'Half', createdAt: 4, error: INTERRUPTED }),
      message({ id: 'a3', role: 'assistant', content: '', createdAt: 5, error: 'The server refused the API key.' }),
      message({ id: 's', role: 'system', content: 'note', createdAt: 6 }),
      message({ id: 'u3', role: 'user', content: 'Later', createdAt: 7 }),
    ];
    expect(historyFor([...items].reverse(), 'u2', 'Be kind.')).toEqual([
      { role: 'system', content: 'Be kind.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: 'Tea?' },
    ]);
    expect(historyFor(items, 'u3', '').map((m) => m.content)).toEqual(['Hi', 'Hello', 'Tea?', 'Later']);
  });

  test('interrupted means streaming with nobody holding its lock', () => {
    const streaming = message({ id: 'a', role: 'assistant', content: 'par', createdAt: 1, isStreaming: true });
    expect(isInterrupted(streaming, new Set())).toBe(true);
    expect(isInterrupted(streaming, new Set([streamLockName('a')]))).toBe(false);
    expect(isInterrupted({ ...streaming, isStreaming: false }, new Set())).toBe(false);
  });
});

describe('runTurn on a real in-memory database and the fake server', () => {
  let t: Awaited<ReturnType<typeof openTest>>;
  let s: ScopedApi;
  let conversationId: string;
  beforeEach(async () => {
    t = await openTest();
    s = t.mnemo.space({ userId: 'u', spaceId: 'chat' });
    const session = await s.sessions.create({ name: 'S' });
    conversationId = (await s.conversations.create({ sessionId: session.id })).id;
  });
  afterEach(async () => {
    await t.mnemo.close();
  });

  const port = (): TurnPort => s;
  const ask = async (content: string, model: string, extra: { exclude?: string[]; signal?: AbortSignal; throttleMs?: number; apiKey?: string; onWrite?: (m: Message) => void } = {}) => {
    const user = await s.messages.add({ conversationId, role: 'user', content });
    const client = createChatClient({ baseUrl: fake.baseUrl, ...(extra.apiKey ? { apiKey: extra.apiKey } : {}) });
    const writes: Message[] = [];
    const spy: TurnPort = { ...port(), messages: { ...s.messages, upsert: async (m) => { const w = await s.messages.upsert(m); writes.push(w); extra.onWrite?.(w); return w; } } };
    const result = await runTurn({
      port: spy, client, model, endpointName: 'Fake', user, assistantId: uuidv7(), systemPrompt: 'You are Mnemo.', budgetTokens: 1500,
      ...(extra.exclude ? { exclude: extra.exclude } : {}), ...(extra.signal ? { signal: extra.signal } : {}), throttleMs: extra.throttleMs ?? 0,
    });
    return { user, result, writes };
  };

  test('recalls a remembered fact into the system prompt and stores the streamed answer with its recall', async () => {
    const remembered = await runCommand(s, { kind: 'remember', fact: 'I like green tea' });
    const before = fake.chatBodies().length;
    const { result, writes } = await ask('What tea do I like?', 'chat');
    const body = fake.chatBodies()[before]!;
    const system = body.messages![0]!;
    expect(system.role).toBe('system');
    expect(String(system.content)).toContain(RECALL_HEADING);
    expect(String(system.content)).toContain('I like green tea (the user told you');
    expect(body.messages!.at(-1)).toEqual({ role: 'user', content: 'What tea do I like?' });
    // The question itself is not recalled back to the model.
    expect(String(system.content)).not.toContain('What tea do I like?');

    expect(result.ok).toBe(true);
    expect(result.message).toMatchObject({ role: 'assistant', content: FAKE_ANSWER, isStreaming: false, model: 'chat', tokensUsed: 51, error: null });
    expect(writes[0]).toMatchObject({ isStreaming: true, content: '' });
    expect(writes.at(-1)).toMatchObject({ isStreaming: false });
    const recall = recallOf(result.message)!;
    expect(recall.included).toEqual([expect.objectContaining({ kind: 'memory', id: remembered.ok && remembered.command === 'remember' ? remembered.memoryId : '', source: 'the user told you' })]);
    expect((await s.memories.get(recall.included[0]!.id)).accessCount).toBe(1);
  });

  test('an excluded item is left out of the prompt and reported', async () => {
    const remembered = await runCommand(s, { kind: 'remember', fact: 'I like green tea' });
    const key = `memory:${remembered.ok && remembered.command === 'remember' ? remembered.memoryId : ''}`;
    const before = fake.chatBodies().length;
    const { result } = await ask('What tea do I like?', 'chat', { exclude: [key] });
    expect(String(fake.chatBodies()[before]!.messages![0]!.content)).not.toContain('green tea');
    expect(recallOf(result.message)!.excluded).toEqual([expect.objectContaining({ key, reason: 'excluded-by-user' })]);
  });

  test("this conversation's branches and its original are not recalled; another conversation is", async () => {
    const sessionId = (await s.conversations.get(conversationId)).sessionId;
    const says = async (id: string, content: string) => s.messages.add({ conversationId: id, role: 'assistant', content });
    // A branch of this conversation (a regenerated answer), the conversation this one's original would be, and a sibling.
    const branch = await s.conversations.create({ sessionId, title: 'b1', status: 'archived', metadata: { branchOf: conversationId, forkedAt: 'x' } });
    const grand = await s.conversations.create({ sessionId, title: 'b1.1', status: 'archived', metadata: { branchOf: branch.id, forkedAt: 'y' } });
    const other = await s.conversations.create({ sessionId, title: 'another chat' });
    await says(branch.id, 'Your heron sightings: three by the canal in May');
    await says(grand.id, 'Your heron sightings: four by the canal in May');
    await says(other.id, 'Heron nests are built high in trees near the canal');
    const before = fake.chatBodies().length;
    const { result } = await ask('Where did I see herons by the canal?', 'chat');
    const system = String(fake.chatBodies()[before]!.messages![0]!.content);
    expect(system).toContain('Heron nests are built high');
    expect(system).not.toContain('sightings');
    expect(recallOf(result.message)!.included.map((i) => i.line).join(' ')).not.toContain('sightings');

    // Seen from the branch, the original is the same thread too.
    const fromBranch = await s.messages.add({ conversationId: branch.id, role: 'user', content: 'Heron sightings by the canal?' });
    await says(conversationId, 'Your heron sightings: two by the canal in May');
    const at = fake.chatBodies().length;
    await runTurn({ port: port(), client: createChatClient({ baseUrl: fake.baseUrl }), model: 'chat', endpointName: 'Fake', user: fromBranch, assistantId: uuidv7(), systemPrompt: 'You are Mnemo.', budgetTokens: 1500, throttleMs: 0 });
    expect(String(fake.chatBodies()[at]!.messages![0]!.content)).not.toContain('sightings');
  });

  test('thinking and tool calls are stored', async () => {
    expect((await ask('Hi', 'reasoning')).result.message.thinking).toBe(FAKE_REASONING);
    const tools = (await ask('Hi', 'tools')).result.message;
    expect(tools.toolCalls).toEqual(FAKE_TOOL_CALLS);
    expect(tools.metadata['finishReason']).toBe('tool_calls');
  });

  test('a 401 is stored as a typed error on an empty answer; the user message stays', async () => {
    const { user, result } = await ask('Hi', 'unauthorized');
    expect(result.ok).toBe(false);
    expect(result.message).toMatchObject({ content: '', isStreaming: false, error: 'The server refused the API key.' });
    expect(chatErrorOf(result.message)).toMatchObject({ code: 'unauthorized', status: 401, retryable: false });
    expect(await s.messages.get(user.id)).toMatchObject({ content: 'Hi' });
  });

  test('a 429 keeps the retry delay; a cut stream keeps the partial answer', async () => {
    expect(chatErrorOf((await ask('Hi', 'rate-limited')).result.message)).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 7 });
    const cut = (await ask('Hi', 'cut')).result.message;
    expect(cut.content.length).toBeGreaterThan(0);
    expect(FAKE_ANSWER.startsWith(cut.content)).toBe(true);
    expect(chatErrorOf(cut)).toMatchObject({ code: 'broken_stream' });
  });

  test('stopping keeps the partial answer without an error; throttled writes stay in order', async () => {
    const controller = new AbortController();
    // Stop a little after the first text is written, whatever the machine's speed.
    let stopping = false;
    const onWrite = (m: Message) => {
      if (stopping || m.content.length === 0) return;
      stopping = true;
      setTimeout(() => controller.abort(), 150);
    };
    const pending = ask('Hi', 'slow', { signal: controller.signal, throttleMs: 50, onWrite });
    const { result, writes } = await pending;
    expect(result.message).toMatchObject({ isStreaming: false, error: null, metadata: expect.objectContaining({ stopped: true }) });
    expect(result.message.content.length).toBeGreaterThan(0);
    const lengths = writes.map((w) => w.content.length);
    expect(lengths).toEqual([...lengths].sort((a, b) => a - b));
  });

  test('a page going away finishes the answer as interrupted, not as stopped', async () => {
    const controller = new AbortController();
    const pending = ask('Hi', 'hang', { signal: controller.signal, throttleMs: 10 });
    setTimeout(() => controller.abort(INTERRUPTED), 300);
    const { result } = await pending;
    expect(result.message).toMatchObject({ isStreaming: false, error: INTERRUPTED });
    expect(result.message.content.length).toBeGreaterThan(0);
    expect(result.message.metadata['stopped']).toBeUndefined();
  });

  test('an unfinished answer is marked interrupted, its text kept', async () => {
    const user = await s.messages.add({ conversationId, role: 'user', content: 'Hi' });
    const left = await s.messages.upsert({ id: uuidv7(), conversationId, role: 'assistant', content: 'Hello! You', isStreaming: true, metadata: { replyTo: user.id } });
    const marked = await markInterrupted(s, left);
    expect(marked).toMatchObject({ content: 'Hello! You', isStreaming: false, error: INTERRUPTED, metadata: { replyTo: user.id } });
    expect(chatErrorOf(marked)).toMatchObject({ retryable: true, message: expect.stringMatching(/^Interrupted/) });
  });

  test("the interrupted answer's execution is finished as cancelled; other runs stay running", async () => {
    const agent = await s.agents.create({ name: 'Helper' });
    const answerId = uuidv7();
    const mine = await s.executions.start(agent.id, null, { metadata: { messageId: answerId } });
    const other = await s.executions.start(agent.id, null, { metadata: { messageId: uuidv7() } });
    const plain = await s.executions.start(agent.id);
    // More running executions than one page of the lookup.
    for (let i = 0; i < 120; i += 1) await s.executions.start(agent.id, null, { metadata: { messageId: `x${i}` } });
    const late = await s.executions.start(agent.id, null, { metadata: { messageId: answerId } });
    expect(await finishInterruptedRun(s, answerId)).toBe(2);
    for (const id of [mine.id, late.id]) expect(await s.executions.get(id)).toMatchObject({ status: 'cancelled', error: expect.stringMatching(/^interrupted/) });
    for (const id of [other.id, plain.id]) expect((await s.executions.get(id)).status).toBe('running');
    expect(await finishInterruptedRun(s, answerId)).toBe(0);
  });
});
