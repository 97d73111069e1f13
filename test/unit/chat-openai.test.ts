import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createChatClient, normalizeBaseUrl, retryAfterSeconds, type ChatMessage, type ChatResult, type ChatUpdate } from '../../src/ui/chat/openai';
import { FAKE_ANSWER, FAKE_REASONING, FAKE_TOOL_CALLS, SCENARIOS, startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
});

const messages: ChatMessage[] = [
  { role: 'system', content: 'You are helpful.' },
  { role: 'user', content: 'Hi, I like green tea.' },
];

function failed(result: ChatResult) {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result.error;
}

async function chat(model: string, options: { idleTimeoutMs?: number; signal?: AbortSignal; headers?: Record<string, string> } = {}) {
  const client = createChatClient({ baseUrl: fake.baseUrl, ...(options.headers ? { headers: options.headers } : {}) });
  const updates: ChatUpdate[] = [];
  const result = await client.streamChat({
    model,
    messages,
    onDelta: (u) => updates.push({ ...u, output: { ...u.output } }),
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { result, updates, streamed: updates.map((u) => u.content).join('') };
}

describe('streamChat against the fake server', () => {
  test('a normal answer: content, model, finish reason, usage from the last chunk, and the prompt as sent', async () => {
    const before = fake.requests.length;
    const { result, updates, streamed } = await chat('chat');
    expect(result).toMatchObject({ ok: true, content: FAKE_ANSWER, model: 'chat', finishReason: 'stop', responseId: 'chatcmpl-fake' });
    expect(result.usage).toEqual({ promptTokens: 42, completionTokens: 9, totalTokens: 51, reasoningTokens: 3 });
    expect(updates.length).toBeGreaterThan(2);
    expect(streamed).toBe(FAKE_ANSWER);
    expect(updates.at(-1)?.output.content).toBe(FAKE_ANSWER);
    const sent = fake.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.headers.authorization).toBeUndefined();
    expect(sent[0]?.body).toEqual({ model: 'chat', messages, stream: true, stream_options: { include_usage: true } });
  });

  test('includeUsage: false sends no stream_options and reports no usage', async () => {
    const client = createChatClient({ baseUrl: fake.baseUrl });
    const result = await client.streamChat({ model: 'chat', messages, includeUsage: false, temperature: 0.2, maxTokens: 64 });
    expect(result.ok).toBe(true);
    expect(result.usage).toBeNull();
    expect(fake.chatBodies().at(-1)).toEqual({ model: 'chat', messages, stream: true, temperature: 0.2, max_tokens: 64 });
  });

  test.each(['reasoning', 'reasoning-field'])('thinking in %s is kept apart from the answer', async (model) => {
    const { result, updates } = await chat(model);
    expect(result).toMatchObject({ ok: true, content: FAKE_ANSWER, reasoning: FAKE_REASONING });
    expect(updates.map((u) => u.reasoning).join('')).toBe(FAKE_REASONING);
    // Thinking arrives before the answer.
    expect(updates.findIndex((u) => u.content !== '')).toBeGreaterThan(updates.findIndex((u) => u.reasoning !== ''));
  });

  test('tool calls assembled from interleaved id/name/argument fragments', async () => {
    const { result, updates } = await chat('tools');
    expect(result.ok).toBe(true);
    expect(result.finishReason).toBe('tool_calls');
    expect(result.content).toBe('');
    expect(result.toolCalls).toEqual(FAKE_TOOL_CALLS);
    expect(JSON.parse(result.toolCalls[0]!.function.arguments)).toEqual({ query: 'tea', limit: 3 });
    expect(updates.filter((u) => u.toolCalls)).toHaveLength(5);
  });

  test('ragged stream: 1–5 byte writes splitting UTF-8, CRLF, comments, multi-line data', async () => {
    const { result, streamed } = await chat('ragged');
    expect(result).toMatchObject({ ok: true, content: FAKE_ANSWER, finishReason: 'stop' });
    expect(streamed).toBe(FAKE_ANSWER);
  });

  test('a JSON completion to a stream request is accepted and reported once', async () => {
    const { result, updates } = await chat('json-instead');
    expect(result).toMatchObject({ ok: true, content: FAKE_ANSWER, finishReason: 'stop' });
    expect(updates).toHaveLength(1);
  });

  test('the scenario header wins over the model name', async () => {
    const { result } = await chat('chat', { headers: { 'x-fake-scenario': 'server-error' } });
    expect(failed(result).code).toBe('server');
  });

  test('slow chunks re-arm the idle timer: total time may exceed it', async () => {
    const started = Date.now();
    const { result } = await chat('slow', { idleTimeoutMs: 600 });
    expect(result).toMatchObject({ ok: true, content: FAKE_ANSWER });
    expect(Date.now() - started).toBeGreaterThan(600);
  });
});

describe('failures are typed, with the partial answer kept', () => {
  test('401: check the key; not retryable; the provider reason in detail', async () => {
    const error = failed((await chat('unauthorized')).result);
    expect(error).toMatchObject({ code: 'unauthorized', status: 401, retryable: false, detail: 'Incorrect API key provided.' });
    expect(error.hint).toMatch(/API key/);
  });

  test('404 for an unknown model, and 404 for a wrong base URL, are told apart', async () => {
    const model = failed((await chat('gpt-nonexistent')).result);
    expect(model).toMatchObject({ code: 'model_not_found', status: 404, retryable: false });
    const wrong = await createChatClient({ baseUrl: `${fake.baseUrl}/wrong` }).streamChat({ model: 'chat', messages });
    expect(failed(wrong)).toMatchObject({ code: 'endpoint_not_found', status: 404 });
    expect(failed(wrong).hint).toMatch(/base URL/);
  });

  test('429: retry after the server’s Retry-After', async () => {
    const error = failed((await chat('rate-limited')).result);
    expect(error).toMatchObject({ code: 'rate_limited', status: 429, retryable: true, retryAfterSeconds: 7 });
    expect(error.hint).toBe('Retry in 7 s.');
  });

  test('500: server error, retryable', async () => {
    const error = failed((await chat('server-error')).result);
    expect(error).toMatchObject({ code: 'server', status: 500, retryable: true });
    expect(error.message).toContain('HTTP 500');
  });

  test('a line that is not JSON: malformed_stream, with the content before it', async () => {
    const { result } = await chat('malformed');
    expect(failed(result).code).toBe('malformed_stream');
    expect(result.content.length).toBeGreaterThan(0);
    expect(FAKE_ANSWER.startsWith(result.content)).toBe(true);
    expect(result.content).not.toBe(FAKE_ANSWER);
  });

  test('socket destroyed mid-way: broken_stream, with the content before it', async () => {
    const { result } = await chat('cut');
    expect(failed(result)).toMatchObject({ code: 'broken_stream', retryable: true });
    expect(result.content.length).toBeGreaterThan(0);
    expect(FAKE_ANSWER.startsWith(result.content)).toBe(true);
  });

  test('a clean end without finish_reason or [DONE] is a broken stream', async () => {
    const { result } = await chat('no-done');
    expect(failed(result).code).toBe('broken_stream');
    expect(result.content.length).toBeGreaterThan(0);
  });

  test('an error object inside the stream: server error with its reason and the partial answer', async () => {
    const { result } = await chat('stream-error');
    expect(failed(result)).toMatchObject({ code: 'server', detail: 'Upstream provider overloaded' });
    expect(result.content.length).toBeGreaterThan(0);
  });

  test('an HTML page is not an API', async () => {
    expect(failed((await chat('html')).result).code).toBe('not_an_api');
  });

  test('a stream that never ends times out after the idle time, keeping what came', async () => {
    const started = Date.now();
    const { result } = await chat('hang', { idleTimeoutMs: 300 });
    const error = failed(result);
    expect(error).toMatchObject({ code: 'timeout', retryable: true });
    expect(error.message).toContain('0.3 s');
    expect(result.content.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test('stop: aborting mid-stream returns aborted with the partial answer', async () => {
    const ctl = new AbortController();
    const client = createChatClient({ baseUrl: fake.baseUrl });
    const result = await client.streamChat({
      model: 'slow',
      messages,
      signal: ctl.signal,
      onDelta: (u) => {
        if (u.content !== '') ctl.abort();
      },
    });
    expect(failed(result).code).toBe('aborted');
    expect(result.content.length).toBeGreaterThan(0);
    expect(result.content).not.toBe(FAKE_ANSWER);
  });

  test('an already-aborted signal sends nothing', async () => {
    const before = fake.requests.length;
    const result = await createChatClient({ baseUrl: fake.baseUrl }).streamChat({ model: 'chat', messages, signal: AbortSignal.abort() });
    expect(failed(result).code).toBe('aborted');
    expect(fake.requests.length).toBe(before);
  });

  test('nothing listening: network error', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const client = createChatClient({ baseUrl: `http://127.0.0.1:${port}/v1` });
    expect(failed(await client.streamChat({ model: 'chat', messages })).code).toBe('network');
    const models = await client.listModels();
    expect(models.ok ? null : models.error.code).toBe('network');
  });

  test('an exception in onDelta cancels the request and is rethrown', async () => {
    const client = createChatClient({ baseUrl: fake.baseUrl });
    await expect(client.streamChat({ model: 'hang', messages, onDelta: () => { throw new Error('render failed'); } })).rejects.toThrow('render failed');
  });
});

describe('complete and listModels', () => {
  test('complete sends stream: false and reads the JSON completion', async () => {
    const result = await createChatClient({ baseUrl: fake.baseUrl }).complete({ model: 'chat', messages, extra: { response_format: { type: 'json_object' } } });
    expect(result).toMatchObject({ ok: true, content: FAKE_ANSWER, finishReason: 'stop' });
    expect(result.usage?.totalTokens).toBe(51);
    expect(fake.chatBodies().at(-1)).toEqual({ model: 'chat', messages, stream: false, response_format: { type: 'json_object' } });
  });

  test('listModels lists the server’s models; an API key is sent as a bearer token', async () => {
    const keyed = await startFakeOpenAI({ apiKey: 'sk-test' });
    try {
      const good = await createChatClient({ baseUrl: keyed.baseUrl, apiKey: ' sk-test ' }).listModels();
      expect(good.ok && good.models.map((m) => m.id)).toEqual([...SCENARIOS]);
      expect(keyed.requests[0]?.headers.authorization).toBe('Bearer sk-test');
      const bad = await createChatClient({ baseUrl: keyed.baseUrl, apiKey: 'sk-wrong' }).listModels();
      expect(bad.ok ? null : bad.error.code).toBe('unauthorized');
      const none = await createChatClient({ baseUrl: keyed.baseUrl }).streamChat({ model: 'chat', messages });
      expect(failed(none).code).toBe('unauthorized');
    } finally {
      await keyed.close();
    }
  });
});

describe('SSE parsing split anywhere (injected fetch)', () => {
  const chunk = (content: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ id: 'x', model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }], ...extra });
  const pretty = JSON.stringify(JSON.parse(chunk('ü€𝄞')), null, 2);
  const sse = [
    ': connected\r\n\r\n',
    'retry: 1000\r\n',
    `id: 1\r\ndata: ${chunk('Grüße ')}\r\n\r\n`,
    `${pretty.split('\n').map((l) => `data:${l}`).join('\n')}\n\n`,
    ':keep-alive\n\n',
    `data: ${chunk(' end', { choices: [{ index: 0, delta: { content: ' end' }, finish_reason: 'stop' }] })}\r\r`,
    'data: [DONE]',
  ].join('');
  const bytes = new TextEncoder().encode(sse);
  const expected = 'Grüße ü€𝄞 end';

  const fetchOf = (parts: Uint8Array[]): typeof fetch => () =>
    Promise.resolve(new Response(new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(part);
        controller.close();
      },
    }), { headers: { 'content-type': 'text/event-stream' } }));

  test('every two-way split gives the same answer', async () => {
    for (let at = 0; at <= bytes.length; at++) {
      const client = createChatClient({ baseUrl: 'http://test.invalid/v1', fetch: fetchOf([bytes.slice(0, at), bytes.slice(at)]) });
      const result = await client.streamChat({ model: 'm', messages });
      expect(result.ok && result.content, `split at ${at}`).toBe(expected);
    }
  });

  test('byte by byte', async () => {
    const parts = [...bytes].map((b) => Uint8Array.of(b));
    const result = await createChatClient({ baseUrl: 'http://test.invalid/v1', fetch: fetchOf(parts) }).streamChat({ model: 'm', messages });
    expect(result).toMatchObject({ ok: true, content: expected, finishReason: 'stop' });
  });

  test('both reasoning fields in one chunk are counted once; usage only chunk', async () => {
    const text = [
      `data: ${JSON.stringify({ choices: [{ index: 0, delta: { reasoning_content: 'think', reasoning: 'think' } }] })}\n\n`,
      `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'ok' }, finish_reason: 'stop' }] })}\n\n`,
      `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 2 } })}\n\n`,
      'data: [DONE]\n\n',
    ].join('');
    const client = createChatClient({ baseUrl: 'http://test.invalid/v1', fetch: fetchOf([new TextEncoder().encode(text)]) });
    const result = await client.streamChat({ model: 'm', messages });
    expect(result).toMatchObject({ ok: true, reasoning: 'think', content: 'ok', usage: { promptTokens: 5, completionTokens: 2, totalTokens: 7 } });
  });

  test('tool calls without an index are told apart by id', async () => {
    const text = [
      { id: 'c1', function: { name: 'a', arguments: '{"x":' } },
      { function: { arguments: '1}' } },
      { id: 'c2', function: { name: 'b', arguments: '{}' } },
    ].map((call) => `data: ${JSON.stringify({ choices: [{ delta: { tool_calls: [call] } }] })}\n\n`).join('') + 'data: [DONE]\n\n';
    const client = createChatClient({ baseUrl: 'http://test.invalid/v1', fetch: fetchOf([new TextEncoder().encode(text)]) });
    const result = await client.streamChat({ model: 'm', messages });
    expect(result.toolCalls.map((c) => [c.id, c.function.name, c.function.arguments])).toEqual([['c1', 'a', '{"x":1}'], ['c2', 'b', '{}']]);
  });
});

describe('error bodies of other servers (injected fetch)', () => {
  const answer = (status: number, body: string, headers: Record<string, string> = {}): typeof fetch => () =>
    Promise.resolve(new Response(body, { status, headers: { 'content-type': 'application/json', ...headers } }));
  const run = (f: typeof fetch) => createChatClient({ baseUrl: 'http://test.invalid/v1', fetch: f }).streamChat({ model: 'm', messages });

  test.each([
    [404, '{"error":{"message":"model \\"llama9\\" not found, try pulling it first","type":"api_error"}}', 'model_not_found', false],
    [400, '{"error":"model \'x\' does not exist"}', 'model_not_found', false],
    [400, '{"error":{"message":"This model\'s maximum context length is 8192 tokens"}}', 'bad_request', false],
    [429, '{"error":{"message":"You exceeded your current quota","code":"insufficient_quota"}}', 'rate_limited', false],
    [403, '{"message":"Forbidden"}', 'unauthorized', false],
    [503, '<html>Bad gateway</html>', 'server', true],
  ])('HTTP %i %s → %s', async (status, body, code, retryable) => {
    const error = failed(await run(answer(status, body)));
    expect(error).toMatchObject({ code, status, retryable });
    if (body.startsWith('<')) expect(error.detail).toBeUndefined();
    else expect(error.detail?.length).toBeGreaterThan(0);
  });

  test('429 with a retry-after-ms header', async () => {
    expect(failed(await run(answer(429, '{}', { 'retry-after-ms': '2500' })))).toMatchObject({ retryAfterSeconds: 3, hint: 'Retry in 3 s.' });
  });
});

describe('helpers', () => {
  test('normalizeBaseUrl', () => {
    expect(normalizeBaseUrl('http://localhost:11434')).toBe('http://localhost:11434/v1');
    expect(normalizeBaseUrl(' https://api.openai.com/v1/ ')).toBe('https://api.openai.com/v1');
    expect(normalizeBaseUrl('https://example.com/api/v1beta/openai')).toBe('https://example.com/api/v1beta/openai');
    expect(normalizeBaseUrl('ftp://x')).toBeNull();
    expect(normalizeBaseUrl('localhost:1234')).toBeNull();
    expect(() => createChatClient({ baseUrl: 'nope' })).toThrow(RangeError);
  });

  test('retryAfterSeconds reads seconds, HTTP dates and retry-after-ms', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterSeconds(new Headers({ 'retry-after': '12' }), now)).toBe(12);
    expect(retryAfterSeconds(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }), now)).toBe(30);
    expect(retryAfterSeconds(new Headers({ 'retry-after-ms': '1500', 'retry-after': '9' }), now)).toBe(2);
    expect(retryAfterSeconds(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterSeconds(new Headers(), now)).toBeUndefined();
  });

  test('the fake server answers CORS preflights and exposes Retry-After', async () => {
    const response = await fetch(`${fake.baseUrl}/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
    const limited = await fetch(`${fake.baseUrl}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'rate-limited' }) });
    expect(limited.headers.get('access-control-expose-headers')).toContain('retry-after');
  });
});
