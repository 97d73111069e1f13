import { afterEach, describe, expect, test } from 'vitest';
import {
  buildExtractionRequest, EXTRACTION_SYSTEM_PROMPT, extractMemories, MAX_EXTRACTED, parseExtraction, toMemoryInputs, validateExtraction,
} from '../../src/ui/chat/extraction';
import { createChatClient } from '../../src/ui/chat/openai';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';

const good = { memories: [{ content: 'The user likes green tea', kind: 'long', importance: 0.6 }, { content: 'The user is in Paris this week', kind: 'short', importance: 0.3 }] };

describe('validateExtraction / parseExtraction', () => {
  test('accepts the exact shape, trimming content; an empty list is fine', () => {
    expect(validateExtraction(good)).toEqual({ ok: true, memories: good.memories });
    expect(validateExtraction({ memories: [{ content: '  padded  ', kind: 'long', importance: 0 }] })).toEqual({ ok: true, memories: [{ content: 'padded', kind: 'long', importance: 0 }] });
    expect(parseExtraction('{"memories":[]}')).toEqual({ ok: true, memories: [] });
  });

  test.each([
    [null, 'the answer: must be an object { "memories": [...] }'],
    [[], 'the answer: must be an object { "memories": [...] }'],
    [{}, 'memories: is missing'],
    [{ memories: [], note: 'hi' }, 'note: is not allowed'],
    [{ memories: 'none' }, 'memories: must be an array'],
    [{ memories: ['tea'] }, 'memories[0]: must be an object { content, kind, importance }'],
    [{ memories: [{ content: 'x', kind: 'forever', importance: 0.5 }] }, 'memories[0].kind: must be "long" or "short"'],
    [{ memories: [good.memories[0], { content: 'x', kind: 'long', importance: 1.5 }] }, 'memories[1].importance: must be between 0 and 1'],
    [{ memories: [{ content: 'x', kind: 'long', importance: '0.5' }] }, 'memories[0].importance: must be a number'],
    [{ memories: [{ content: '   ', kind: 'long', importance: 0.5 }] }, 'memories[0].content: must not be empty'],
    [{ memories: [{ content: 'x'.repeat(501), kind: 'long', importance: 0.5 }] }, 'memories[0].content: must be at most 500 characters'],
    [{ memories: [{ content: 'x', kind: 'long', importance: 0.5, why: 'because' }] }, 'memories[0].why: is not allowed'],
    [{ memories: [{ kind: 'long', importance: 0.5 }] }, 'memories[0].content: is missing'],
    [{ memories: Array.from({ length: MAX_EXTRACTED + 1 }, () => good.memories[0]) }, `memories: must have at most ${MAX_EXTRACTED} items`],
  ])('rejects %j', (value, reason) => {
    expect(validateExtraction(value)).toEqual({ ok: false, reason });
  });

  test('text: strict JSON, one code fence tolerated, prose rejected', () => {
    expect(parseExtraction(`\`\`\`json\n${JSON.stringify(good)}\n\`\`\``)).toMatchObject({ ok: true });
    expect(parseExtraction(`\`\`\`\n${JSON.stringify(good)}\`\`\``)).toMatchObject({ ok: true });
    expect(parseExtraction(`Sure! ${JSON.stringify(good)}`)).toEqual({ ok: false, reason: 'the answer is not JSON' });
    expect(parseExtraction(`${JSON.stringify(good)}\nHope this helps`)).toEqual({ ok: false, reason: 'the answer is not JSON' });
    expect(parseExtraction('  ')).toEqual({ ok: false, reason: 'the answer is empty' });
  });
});

describe('buildExtractionRequest', () => {
  test('system prompt, known facts, newest turns within the limit, structured output', () => {
    const turns = [
      { role: 'user', content: 'old turn that will not fit' },
      { role: 'tool', content: 'tool output is skipped' },
      { role: 'assistant', content: 'Noted.' },
      { role: 'user', content: 'I   like green tea' },
    ];
    const { messages, extra } = buildExtractionRequest({ turns, known: ['The user\nlives in Porto'], maxTranscriptChars: 45 });
    expect(messages[0]).toEqual({ role: 'system', content: EXTRACTION_SYSTEM_PROMPT });
    expect(messages[1]?.content).toBe('Facts already known:\n- The user lives in Porto\n\nConversation:\nassistant: Noted.\nuser: I   like green tea');
    expect(extra).toMatchObject({ response_format: { type: 'json_schema', json_schema: { name: 'memories', strict: true } } });
    expect(buildExtractionRequest({ turns, responseFormat: 'none' }).extra).toEqual({});
    expect(buildExtractionRequest({ turns: [], responseFormat: 'json_object' }).messages[1]?.content).toBe('Facts already known:\n(none)\n\nConversation:');
  });
});

describe('extractMemories against the fake server', () => {
  let fake: FakeOpenAI | undefined;
  afterEach(async () => {
    await fake?.close();
  });
  const turns = [{ role: 'user', content: 'I like green tea, and I am in Paris this week.' }];

  test('valid answer: memories, sent non-streaming with temperature 0 and the schema', async () => {
    fake = await startFakeOpenAI({ reply: JSON.stringify(good) });
    const result = await extractMemories(createChatClient({ baseUrl: fake.baseUrl }), { model: 'chat', turns });
    expect(result).toEqual({ ok: true, memories: good.memories });
    const body = fake.chatBodies()[0]!;
    expect(body).toMatchObject({ model: 'chat', stream: false, temperature: 0, response_format: { type: 'json_schema' } });
    expect(body.messages?.[1]?.content).toContain('user: I like green tea, and I am in Paris this week.');
  });

  test('a server without response_format: retried once without it', async () => {
    fake = await startFakeOpenAI({ reply: JSON.stringify(good), rejectResponseFormat: true });
    const result = await extractMemories(createChatClient({ baseUrl: fake.baseUrl }), { model: 'chat', turns });
    expect(result.ok).toBe(true);
    const bodies = fake.chatBodies();
    expect(bodies).toHaveLength(2);
    expect(bodies[0]?.['response_format']).toBeDefined();
    expect(bodies[1]?.['response_format']).toBeUndefined();
  });

  test('an answer of the wrong shape is rejected with the reason', async () => {
    fake = await startFakeOpenAI({ reply: '{"memories":[{"content":"likes tea","kind":"medium","importance":0.5}]}' });
    const result = await extractMemories(createChatClient({ baseUrl: fake.baseUrl }), { model: 'chat', turns });
    expect(result).toEqual({ ok: false, reason: 'The model’s answer was not usable: memories[0].kind: must be "long" or "short".' });
  });

  test('a transport failure carries the typed error', async () => {
    fake = await startFakeOpenAI();
    const result = await extractMemories(createChatClient({ baseUrl: fake.baseUrl }), { model: 'rate-limited', turns });
    expect(result).toMatchObject({ ok: false, error: { code: 'rate_limited', retryAfterSeconds: 7 } });
    expect(fake.chatBodies()).toHaveLength(1);
  });
});

describe('toMemoryInputs', () => {
  test('short-term memories expire after the TTL; all tagged as extracted', () => {
    const inputs = toMemoryInputs(good.memories as never, { now: 1000, shortTtlMs: 500, sourceMessageId: 'm1' });
    expect(inputs).toEqual([
      { kind: 'long', content: 'The user likes green tea', importance: 0.6, expiresAt: null, metadata: { source: 'extraction' }, sourceMessageId: 'm1' },
      { kind: 'short', content: 'The user is in Paris this week', importance: 0.3, expiresAt: 1500, metadata: { source: 'extraction' }, sourceMessageId: 'm1' },
    ]);
  });
});
