// A fake OpenAI-compatible Chat Completions server for tests (Node only).
//
// Contract:
// * `startFakeOpenAI(options)` listens on 127.0.0.1 on a random port and
//   resolves to `{ baseUrl, requests, close }`; `baseUrl` ends in `/v1`, as the
//   OpenAI SDKs and the app's settings expect.
// * `GET /v1/models` lists one model per scenario (`SCENARIOS`), so the app's
//   model picker shows them all. `POST /v1/chat/completions` answers with
//   `stream: true` as Server-Sent Events (`data: {chunk}` lines, then
//   `data: [DONE]`) and otherwise as one JSON completion, both in the shapes
//   OpenAI documents.
// * The behaviour of a request is chosen by the `X-Fake-Scenario` header, else
//   by the model name (a scenario name); any other model is a 404
//   `model_not_found`. `X-Fake-Delay-Ms` sets the pause between chunks.
// * With `apiKey` set, a request without `Authorization: Bearer <apiKey>` gets
//   401, like a hosted provider; without it no key is needed, like Ollama.
// * `requests` records every request (method, path, headers, parsed JSON
//   body) so tests can assert the prompt that was sent.
// * `reply` sets the answer's text; `rejectResponseFormat` makes requests
//   asking for structured output fail with 400, as on servers without it.
// * CORS headers on every answer (and a 204 to preflights) let a page of
//   another origin call it, and `Retry-After` is exposed to such a page.
// * `close()` ends open streams too (the `hang` scenario never ends alone).
// * A request whose client went away before its answer was complete (Stop,
//   a closed tab) is marked `abandoned` in `requests`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const SCENARIOS = [
  /** A normal streamed answer, split over several chunks. */
  'chat',
  /** Thinking in `delta.reasoning_content` (DeepSeek, vLLM, llama.cpp), then the answer. */
  'reasoning',
  /** Thinking in `delta.reasoning` (OpenRouter, Ollama), then the answer. */
  'reasoning-field',
  /** Two tool calls whose ids, names and argument fragments arrive interleaved. */
  'tools',
  /** CRLF line ends, comments (keep-alives), multi-line `data:` and writes of 1–5 bytes that split UTF-8 characters. */
  'ragged',
  'unauthorized',
  /** 429 with `Retry-After: 7`. */
  'rate-limited',
  'server-error',
  /** Two good chunks, then a line that is not JSON. */
  'malformed',
  /** Two good chunks, then the socket is destroyed. */
  'cut',
  /** Chunks `X-Fake-Delay-Ms` apart (default 150 ms). */
  'slow',
  /** One chunk, then nothing: the response never ends. */
  'hang',
  /** The first piece at once, then each next one `X-Fake-Delay-Ms` apart (default 30 s): an answer still streaming while a test acts on it. */
  'trickle',
  /** An `{"error": …}` object in the middle of the stream (OpenRouter, vLLM). */
  'stream-error',
  /** The stream ends cleanly but without a finish reason or `[DONE]`. */
  'no-done',
  /** A JSON completion even though a stream was asked for. */
  'json-instead',
  /** A 200 HTML page, as when the base URL points at a web app. */
  'html',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** Set when the client closed the connection before the answer was complete (a Stop). */
  abandoned?: boolean;
}

export interface FakeOpenAIOptions {
  /** Require this bearer key; omit to accept any request (local servers). */
  apiKey?: string;
  /** The answer's text; default `FAKE_ANSWER`. A function sees the parsed request body. */
  reply?: string | ((body: ChatBody) => string);
  /** Answer 400 to requests with `response_format`, like servers without structured output. */
  rejectResponseFormat?: boolean;
}

export interface FakeOpenAI {
  baseUrl: string;
  requests: RecordedRequest[];
  /** Requests to /v1/chat/completions only, their bodies parsed. */
  chatBodies(): ChatBody[];
  close(): Promise<void>;
}

export interface ChatBody {
  model?: string;
  messages?: Array<{ role: string; content: unknown }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  [key: string]: unknown;
}

export const FAKE_ANSWER = 'Hello! You like green tea — noted. 🍵';
export const FAKE_REASONING = 'The user greets me; answer briefly.';
export const FAKE_USAGE = { prompt_tokens: 42, completion_tokens: 9, total_tokens: 51, completion_tokens_details: { reasoning_tokens: 3 } };
export const FAKE_TOOL_CALLS = [
  { id: 'call_a1', type: 'function', function: { name: 'search_memories', arguments: '{"query":"tea","limit":3}' } },
  { id: 'call_b2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
] as const;

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type, x-fake-scenario, x-fake-delay-ms',
  'access-control-expose-headers': 'retry-after',
  'access-control-max-age': '600',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Splits text into `n` roughly equal pieces on grapheme (not byte) boundaries. */
function pieces(text: string, n: number): string[] {
  const chars = Array.from(new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(text), (g) => g.segment);
  const size = Math.ceil(chars.length / n);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

function errorBody(message: string, type: string, code: string | null) {
  return JSON.stringify({ error: { message, type, param: null, code } });
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let closing = false;

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function readBody(req: IncomingMessage): Promise<unknown> {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    const text = Buffer.concat(parts).toString('utf8');
    if (text === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS).end();
      return;
    }
    const body = await readBody(req);
    const record: RecordedRequest = { method: req.method ?? '', path, headers: req.headers, body };
    requests.push(record);
    let gone = false;
    res.on('close', () => {
      gone = true;
      if (!res.writableFinished && !closing) record.abandoned = true;
    });
    const json = (status: number, payload: string, extra: Record<string, string> = {}) =>
      res.writeHead(status, { ...CORS, 'content-type': 'application/json', ...extra }).end(payload);

    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      json(401, errorBody('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'));
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      json(200, JSON.stringify({ object: 'list', data: SCENARIOS.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'fake' })) }));
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      json(404, errorBody(`Unknown request URL: ${req.method} ${path}`, 'invalid_request_error', 'unknown_url'));
      return;
    }
    const chat = (typeof body === 'object' && body !== null ? body : {}) as ChatBody;
    const header = req.headers['x-fake-scenario'];
    const chosen = typeof header === 'string' ? header : chat.model;
    if (!SCENARIOS.includes(chosen as Scenario)) {
      json(404, errorBody(`The model \`${String(chosen)}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found'));
      return;
    }
    if (options.rejectResponseFormat === true && chat['response_format'] !== undefined) {
      json(400, errorBody("'response_format' is not supported by this server", 'invalid_request_error', null));
      return;
    }
    const scenario = chosen as Scenario;
    const model = chat.model ?? 'fake';
    const delay = Number(req.headers['x-fake-delay-ms'] ?? (scenario === 'slow' ? 150 : 0));
    const answer = typeof options.reply === 'function' ? options.reply(chat) : (options.reply ?? FAKE_ANSWER);
    const completion = {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: 1_700_000_000,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }],
      usage: FAKE_USAGE,
    };

    switch (scenario) {
      case 'unauthorized':
        json(401, errorBody('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'));
        return;
      case 'rate-limited':
        json(429, errorBody('Rate limit reached for requests.', 'requests', 'rate_limit_exceeded'), { 'retry-after': '7' });
        return;
      case 'server-error':
        json(500, errorBody('The server had an error while processing your request.', 'server_error', null));
        return;
      case 'html':
        res.writeHead(200, { ...CORS, 'content-type': 'text/html' }).end('<!doctype html><title>Not an API</title>');
        return;
      case 'json-instead':
        json(200, JSON.stringify(completion));
        return;
      default:
    }
    if (chat.stream !== true) {
      json(200, JSON.stringify(completion));
      return;
    }

    res.writeHead(200, { ...CORS, 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1_700_000_000, model };
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      ({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
    const send = async (payload: unknown) => {
      if (closing || res.destroyed) return;
      res.write(`data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`);
      if (delay > 0) await sleep(delay);
    };
    const finish = async (reason: string) => {
      await send(chunk({}, reason));
      if (chat.stream_options?.include_usage === true) await send({ ...base, choices: [], usage: FAKE_USAGE });
      await send('[DONE]');
      res.end();
    };

    await send(chunk({ role: 'assistant', content: '' }));
    switch (scenario) {
      case 'reasoning':
      case 'reasoning-field': {
        const field = scenario === 'reasoning' ? 'reasoning_content' : 'reasoning';
        for (const part of pieces(FAKE_REASONING, 3)) await send(chunk({ content: null, [field]: part }));
        for (const part of pieces(answer, 3)) await send(chunk({ content: part }));
        await finish('stop');
        return;
      }
      case 'tools': {
        const [a, b] = FAKE_TOOL_CALLS;
        const call = (index: number, fn: Record<string, string>, id?: string) =>
          chunk({ tool_calls: [{ index, ...(id === undefined ? {} : { id, type: 'function' }), function: fn }] });
        await send(call(0, { name: a.function.name, arguments: '' }, a.id));
        await send(call(0, { arguments: a.function.arguments.slice(0, 9) }));
        await send(call(1, { name: b.function.name, arguments: '' }, b.id));
        await send(call(0, { arguments: a.function.arguments.slice(9) }));
        await send(call(1, { arguments: b.function.arguments }));
        await finish('tool_calls');
        return;
      }
      case 'ragged': {
        const events = [
          ': keep-alive\r\n\r\n',
          ...pieces(answer, 4).map((part, i) => {
            const text = JSON.stringify(chunk({ content: part }), null, i % 2 === 0 ? 0 : 1);
            // A multi-line event: each line of the pretty-printed JSON is its own `data:` field.
            return `${text.split('\n').map((line) => `data: ${line}`).join('\r\n')}\r\n\r\n`;
          }),
          ':\r\n',
          `data: ${JSON.stringify(chunk({}, 'stop'))}\r\n\r\n`,
          'data: [DONE]\r\n\r\n',
        ];
        const bytes = Buffer.from(events.join(''), 'utf8');
        for (let at = 0, step = 1; at < bytes.length; at += step, step = (step % 5) + 1) {
          res.write(bytes.subarray(at, at + step));
          await sleep(1);
        }
        res.end();
        return;
      }
      case 'malformed':
        for (const part of pieces(answer, 4).slice(0, 2)) await send(chunk({ content: part }));
        await send('{"id": "chatcmpl-fake", "choices": [{"delta": {"content": "bro');
        await sleep(20);
        res.end();
        return;
      case 'cut':
        for (const part of pieces(answer, 4).slice(0, 2)) await send(chunk({ content: part }));
        await sleep(20);
        res.destroy();
        return;
      case 'hang':
        await send(chunk({ content: pieces(answer, 4)[0] }));
        return;
      case 'trickle': {
        const gap = Number(req.headers['x-fake-delay-ms'] ?? 30_000);
        for (const part of pieces(answer, 4)) {
          await send(chunk({ content: part }));
          // Waits in short steps, so a closed connection or server ends the wait at once.
          for (let waited = 0; waited < gap && !closing && !gone; waited += 50) await sleep(50);
        }
        await finish('stop');
        return;
      }
      case 'stream-error':
        await send(chunk({ content: pieces(answer, 4)[0] }));
        await send({ error: { message: 'Upstream provider overloaded', code: 502 } });
        res.end();
        return;
      case 'no-done':
        for (const part of pieces(answer, 4).slice(0, 2)) await send(chunk({ content: part }));
        res.end();
        return;
      default:
        for (const part of pieces(answer, 4)) await send(chunk({ content: part }));
        await finish('stop');
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    chatBodies: () => requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body as ChatBody),
    close: () => {
      closing = true;
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
