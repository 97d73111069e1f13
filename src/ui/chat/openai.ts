// A client for any OpenAI-compatible Chat Completions endpoint: OpenAI,
// OpenRouter, Ollama, LM Studio, llama.cpp's server, vLLM…
//
// Contract:
// * `createChatClient({ baseUrl, apiKey? })` — `baseUrl` is the one the
//   OpenAI SDKs take (`https://api.openai.com/v1`, `http://localhost:11434/v1`);
//   a bare origin gets `/v1` appended. It throws a RangeError when the URL is not
//   http(s): settings forms check it first with `normalizeBaseUrl`. The key is
//   optional (local servers need none) and sent as `Authorization: Bearer`.
// * Every call resolves, never rejects, except when the caller's own `onDelta`
//   throws (the request is then cancelled and that error rethrown). Failures
//   are `{ ok: false, error }` with a user-facing `message`, a `hint` of what to
//   do, `retryable` and, after a 429, `retryAfterSeconds`. Messages never
//   contain the conversation; the provider's own error text, if any, is in
//   `detail` (at most 300 characters).
// * `streamChat` always returns what arrived so far — `content`, `reasoning`,
//   `toolCalls`, `usage`, `model`, `finishReason` — on success and on failure
//   alike, so the caller keeps the user's message and the partial answer.
//   Stopping through `signal` gives `error.code === 'aborted'`.
// * SSE is parsed by `eventsource-parser` (chunks split anywhere, CRLF,
//   comments and keep-alives, multi-line `data:`), bytes are decoded as a UTF-8
//   stream. Thinking is read from `delta.reasoning_content` or `delta.reasoning`
//   (one of the two per chunk, since some servers send both). Tool calls are
//   assembled by `index` from id/name/argument fragments. A server that answers
//   a stream request with one JSON completion is accepted.
// * A stream is complete at `data: [DONE]`, or at its end after a
//   `finish_reason`; otherwise it is `broken_stream`. No bytes for
//   `idleTimeoutMs` (waiting for headers included) aborts with `timeout`.
import { createParser } from 'eventsource-parser';

export interface ChatEndpoint {
  baseUrl: string;
  apiKey?: string;
  /** Extra request headers (e.g. OpenRouter's attribution headers). */
  headers?: Record<string, string>;
  /** No byte for this long aborts the request; default 120 s (local servers may load a model first). */
  idleTimeoutMs?: number;
  /** For tests and for environments with a wrapped fetch. */
  fetch?: typeof fetch;
}

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ToolDefinition {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

/** Messages in the wire format, so assistant tool calls can be sent back as they came. */
export type ChatMessage =
  | { role: 'system' | 'user'; content: string; name?: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; content: string; tool_call_id: string };

export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  reasoningTokens?: number;
}

export interface ChatOutput {
  content: string;
  reasoning: string;
  toolCalls: ToolCall[];
  usage: ChatUsage | null;
  /** The model the server says answered (may differ from the one asked for). */
  model: string | null;
  finishReason: string | null;
  responseId: string | null;
}

export type ChatErrorCode =
  | 'network'
  | 'unauthorized'
  | 'model_not_found'
  | 'endpoint_not_found'
  | 'bad_request'
  | 'rate_limited'
  | 'server'
  | 'not_an_api'
  | 'malformed_stream'
  | 'broken_stream'
  | 'timeout'
  | 'aborted';

export interface ChatError {
  code: ChatErrorCode;
  /** What happened, for the user. */
  message: string;
  /** What to do about it. */
  hint: string;
  retryable: boolean;
  retryAfterSeconds?: number;
  status?: number;
  /** The provider's own error message, shortened. */
  detail?: string;
}

export type ChatResult = (ChatOutput & { ok: true }) | (ChatOutput & { ok: false; error: ChatError });

export interface ChatUpdate {
  /** Text added by this chunk (may be empty). */
  content: string;
  reasoning: string;
  /** Whether a tool call started or grew. */
  toolCalls: boolean;
  /** Everything so far; do not mutate. */
  output: Readonly<ChatOutput>;
}

export interface ChatRequest {
  messages: ChatMessage[];
  model: string;
  signal?: AbortSignal;
  onDelta?: (update: ChatUpdate) => void;
  temperature?: number;
  maxTokens?: number;
  tools?: ToolDefinition[];
  /** Ask for usage in the last chunk (`stream_options.include_usage`); default true. */
  includeUsage?: boolean;
  /** Merged into the request body last, e.g. `{ response_format: { type: 'json_object' } }`. */
  extra?: Record<string, unknown>;
  idleTimeoutMs?: number;
}

export interface ModelEntry {
  id: string;
  ownedBy?: string;
}

export type ModelsResult = { ok: true; models: ModelEntry[] } | { ok: false; error: ChatError };

export interface ChatClient {
  readonly baseUrl: string;
  listModels(options?: { signal?: AbortSignal }): Promise<ModelsResult>;
  /** Streams an answer (`stream: true`). */
  streamChat(request: ChatRequest): Promise<ChatResult>;
  /** One JSON answer (`stream: false`), e.g. for memory extraction. */
  complete(request: Omit<ChatRequest, 'onDelta' | 'includeUsage'>): Promise<ChatResult>;
}

const DEFAULT_IDLE_TIMEOUT_MS = 120_000;
const MAX_DETAIL = 300;
/** An event larger than this is not a chat chunk. */
const MAX_EVENT_BYTES = 4 * 1024 * 1024;

/** The base URL without trailing slashes, `/v1` added to a bare origin; null unless http(s). */
export function normalizeBaseUrl(input: string): string | null {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.origin}${path === '' ? '/v1' : path}`;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const emptyOutput = (): ChatOutput => ({
  content: '', reasoning: '', toolCalls: [], usage: null, model: null, finishReason: null, responseId: null,
});

const seconds = (ms: number) => Math.round(ms / 100) / 10;

function chatError(code: ChatErrorCode, fields: Partial<ChatError> = {}): ChatError {
  const base: Record<ChatErrorCode, Pick<ChatError, 'message' | 'hint' | 'retryable'>> = {
    network: {
      message: 'Could not reach the model server.',
      hint: 'Check that it is running and that the base URL is right. A local server must also allow this page’s origin (CORS, e.g. OLLAMA_ORIGINS).',
      retryable: true,
    },
    unauthorized: { message: 'The server refused the API key.', hint: 'Check the API key in the settings.', retryable: false },
    model_not_found: { message: 'The server has no such model.', hint: 'Pick a model from the server’s list, or pull/load it on the server.', retryable: false },
    endpoint_not_found: { message: 'There is no OpenAI-compatible API at this address.', hint: 'Check the base URL; it usually ends in /v1.', retryable: false },
    bad_request: { message: 'The server rejected the request.', hint: 'See the server’s reason below; a shorter conversation or another model may help.', retryable: false },
    rate_limited: { message: 'The server is limiting requests.', hint: 'Wait a little, then retry.', retryable: true },
    server: { message: 'The model server failed.', hint: 'Retry; if it keeps failing, check the server’s logs or status page.', retryable: true },
    not_an_api: { message: 'The address answered, but not as an OpenAI-compatible API.', hint: 'Check the base URL; it usually ends in /v1.', retryable: false },
    malformed_stream: { message: 'The answer could not be read: the server sent invalid data.', hint: 'Retry; the partial answer is kept.', retryable: true },
    broken_stream: { message: 'The connection dropped before the answer was finished.', hint: 'Retry; the partial answer is kept.', retryable: true },
    timeout: { message: 'The server stopped sending, so the request was cancelled.', hint: 'Retry; slow local models may need a longer timeout.', retryable: true },
    aborted: { message: 'Stopped.', hint: 'Send again to retry.', retryable: true },
  };
  return { code, ...base[code], ...fields };
}

/** The provider's error message from an error body: `{error:{message}}`, `{error:"…"}`, `{message}` or plain text. */
function providerDetail(text: string): { detail?: string; code?: string } {
  let message: unknown = null;
  let code: unknown = null;
  try {
    const body: unknown = JSON.parse(text);
    if (isRecord(body)) {
      const error = body['error'];
      if (isRecord(error)) {
        message = error['message'];
        code = error['code'] ?? error['type'];
      } else {
        message = typeof error === 'string' ? error : body['message'] ?? body['detail'];
      }
    }
  } catch {
    if (!/^\s*</.test(text)) message = text;
  }
  const detail = typeof message === 'string' && message.trim() !== '' ? message.trim().slice(0, MAX_DETAIL) : undefined;
  return { ...(detail === undefined ? {} : { detail }), ...(typeof code === 'string' ? { code } : {}) };
}

/** Seconds to wait from `retry-after-ms`, or `Retry-After` as seconds or an HTTP date. */
export function retryAfterSeconds(headers: Headers, now = Date.now()): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.has('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return Math.ceil(ms / 1000);
  const value = headers.get('retry-after')?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

const MODEL_MISSING = /model/i;
const NOT_THERE = /not[ _]?found|does not exist|not exist|unknown|no such|not available|not loaded/i;

async function httpError(response: Response): Promise<ChatError> {
  const status = response.status;
  const text = await response.text().catch(() => '');
  const { detail, code } = providerDetail(text);
  const fields = { status, ...(detail === undefined ? {} : { detail }) };
  const about = `${detail ?? ''} ${code ?? ''}`;
  const modelMissing = MODEL_MISSING.test(about) && NOT_THERE.test(about);
  if (status === 401 || status === 403) return chatError('unauthorized', fields);
  if ((status === 404 || status === 400) && modelMissing) return chatError('model_not_found', fields);
  if (status === 404) return chatError('endpoint_not_found', fields);
  if (status === 429) {
    if (code === 'insufficient_quota') {
      return chatError('rate_limited', { ...fields, message: 'The account has no credit left.', hint: 'Add credit with the provider or use another key.', retryable: false });
    }
    const wait = retryAfterSeconds(response.headers);
    return chatError('rate_limited', {
      ...fields,
      ...(wait === undefined ? {} : { retryAfterSeconds: wait, hint: `Retry in ${wait} s.` }),
    });
  }
  if (status >= 500) return chatError('server', { ...fields, message: `The model server failed (HTTP ${status}).` });
  return chatError('bad_request', { ...fields, message: `The server rejected the request (HTTP ${status}).` });
}

/** Reads a chat chunk or a whole completion into `out`; returns what this chunk added. */
function applyChunk(out: ChatOutput, chunk: Record<string, unknown>, calls: Map<number, ToolCall>) {
  const added = { content: '', reasoning: '', toolCalls: false };
  if (typeof chunk['model'] === 'string' && chunk['model'] !== '') out.model = chunk['model'];
  if (typeof chunk['id'] === 'string' && out.responseId === null) out.responseId = chunk['id'];
  if (isRecord(chunk['usage'])) out.usage = readUsage(chunk['usage']);
  const choices = Array.isArray(chunk['choices']) ? (chunk['choices'] as unknown[]) : [];
  for (const choice of choices) {
    if (!isRecord(choice) || (typeof choice['index'] === 'number' && choice['index'] !== 0)) continue;
    const delta = isRecord(choice['delta']) ? choice['delta'] : isRecord(choice['message']) ? choice['message'] : {};
    if (typeof delta['content'] === 'string') added.content += delta['content'];
    const thinking = [delta['reasoning_content'], delta['reasoning']].find((r): r is string => typeof r === 'string' && r !== '');
    if (thinking !== undefined) added.reasoning += thinking;
    if (Array.isArray(delta['tool_calls'])) {
      for (const fragment of delta['tool_calls'] as unknown[]) {
        if (isRecord(fragment)) added.toolCalls = applyToolCall(out, fragment, calls) || added.toolCalls;
      }
    }
    if (typeof choice['finish_reason'] === 'string') out.finishReason = choice['finish_reason'];
  }
  out.content += added.content;
  out.reasoning += added.reasoning;
  return added;
}

function applyToolCall(out: ChatOutput, fragment: Record<string, unknown>, calls: Map<number, ToolCall>): boolean {
  const id = typeof fragment['id'] === 'string' && fragment['id'] !== '' ? fragment['id'] : null;
  // Without an index (some servers send whole calls) a new id starts a new call.
  let index = typeof fragment['index'] === 'number' ? fragment['index'] : Math.max(0, out.toolCalls.length - 1);
  if (typeof fragment['index'] !== 'number' && id !== null) {
    const known = [...calls].find(([, call]) => call.id === id);
    index = known ? known[0] : calls.size;
  }
  let call = calls.get(index);
  if (call === undefined) {
    call = { id: '', type: 'function', function: { name: '', arguments: '' } };
    calls.set(index, call);
    out.toolCalls.push(call);
  }
  if (id !== null) call.id = id;
  const fn = isRecord(fragment['function']) ? fragment['function'] : {};
  const name = fn['name'];
  if (typeof name === 'string' && name !== '' && name !== call.function.name) call.function.name += name;
  const args = fn['arguments'];
  if (typeof args === 'string') call.function.arguments += args;
  else if (isRecord(args)) call.function.arguments += JSON.stringify(args);
  return true;
}

function readUsage(usage: Record<string, unknown>): ChatUsage {
  const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
  const details = usage['completion_tokens_details'];
  const reasoning = isRecord(details) ? details['reasoning_tokens'] : undefined;
  const promptTokens = num(usage['prompt_tokens']);
  const completionTokens = num(usage['completion_tokens']);
  return {
    promptTokens,
    completionTokens,
    totalTokens: num(usage['total_tokens']) || promptTokens + completionTokens,
    ...(typeof reasoning === 'number' ? { reasoningTokens: reasoning } : {}),
  };
}

export function createChatClient(endpoint: ChatEndpoint): ChatClient {
  const baseUrl = normalizeBaseUrl(endpoint.baseUrl);
  if (baseUrl === null) throw new RangeError('The base URL must be an http(s) URL');
  const fetchImpl = endpoint.fetch ?? globalThis.fetch.bind(globalThis);
  const key = endpoint.apiKey?.trim() ?? '';
  const headers = (json: boolean): Record<string, string> => ({
    ...(json ? { 'content-type': 'application/json' } : {}),
    ...(key === '' ? {} : { authorization: `Bearer ${key}` }),
    ...endpoint.headers,
  });

  /**
   * Runs `work` under one AbortController fed by the caller's signal and an
   * idle timer; `touch()` re-arms the timer. Tells which of the two stopped it.
   */
  async function guarded<T>(
    signal: AbortSignal | undefined,
    idleMs: number,
    work: (ctl: AbortController, touch: () => void, stoppedBy: () => 'user' | 'timeout' | null) => Promise<T>,
  ): Promise<T> {
    const ctl = new AbortController();
    let stopped: 'user' | 'timeout' | null = null;
    const onAbort = () => {
      stopped ??= 'user';
      ctl.abort();
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stopped ??= 'timeout';
        ctl.abort();
      }, idleMs);
    };
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    touch();
    try {
      return await work(ctl, touch, () => stopped);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  const stopError = (by: 'user' | 'timeout', idleMs: number) =>
    by === 'user' ? chatError('aborted') : chatError('timeout', { message: `The server sent nothing for ${seconds(idleMs)} s, so the request was cancelled.` });

  async function listModels(options: { signal?: AbortSignal } = {}): Promise<ModelsResult> {
    const idleMs = endpoint.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    return guarded(options.signal, idleMs, async (ctl, _touch, stoppedBy) => {
      const fail = (error: ChatError): ModelsResult => ({ ok: false, error });
      try {
        const response = await fetchImpl(`${baseUrl}/models`, { headers: headers(false), signal: ctl.signal });
        if (!response.ok) return fail(await httpError(response));
        const body: unknown = JSON.parse(await response.text());
        const data = isRecord(body) ? body['data'] : undefined;
        if (!Array.isArray(data)) return fail(chatError('not_an_api'));
        const models = data.flatMap((m: unknown): ModelEntry[] =>
          isRecord(m) && typeof m['id'] === 'string'
            ? [{ id: m['id'], ...(typeof m['owned_by'] === 'string' ? { ownedBy: m['owned_by'] } : {}) }]
            : []);
        return { ok: true, models };
      } catch (error) {
        const by = stoppedBy();
        if (by !== null) return fail(stopError(by, idleMs));
        return fail(error instanceof SyntaxError ? chatError('not_an_api') : chatError('network'));
      }
    });
  }

  function run(request: ChatRequest, stream: boolean): Promise<ChatResult> {
    const idleMs = request.idleTimeoutMs ?? endpoint.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    const out = emptyOutput();
    const calls = new Map<number, ToolCall>();
    const ok = (): ChatResult => ({ ok: true, ...out });
    const fail = (error: ChatError): ChatResult => ({ ok: false, ...out, error });
    const emit = (added: { content: string; reasoning: string; toolCalls: boolean }) => {
      if (added.content !== '' || added.reasoning !== '' || added.toolCalls) request.onDelta?.({ ...added, output: out });
    };
    const body = {
      model: request.model,
      messages: request.messages,
      stream,
      ...(stream && request.includeUsage !== false ? { stream_options: { include_usage: true } } : {}),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
      ...(request.tools === undefined ? {} : { tools: request.tools }),
      ...request.extra,
    };

    return guarded(request.signal, idleMs, async (ctl, touch, stoppedBy) => {
      if (stoppedBy() !== null) return fail(chatError('aborted'));
      let response: Response;
      try {
        response = await fetchImpl(`${baseUrl}/chat/completions`, {
          method: 'POST',
          headers: { ...headers(true), accept: stream ? 'text/event-stream' : 'application/json' },
          body: JSON.stringify(body),
          signal: ctl.signal,
        });
      } catch {
        const by = stoppedBy();
        return fail(by === null ? chatError('network') : stopError(by, idleMs));
      }
      touch();
      if (!response.ok) {
        const error = await httpError(response);
        const by = stoppedBy();
        return fail(by === null ? error : stopError(by, idleMs));
      }

      const type = response.headers.get('content-type') ?? '';
      if (!type.includes('text/event-stream') || response.body === null) {
        let text: string;
        try {
          text = await response.text();
        } catch {
          const by = stoppedBy();
          return fail(by === null ? chatError('broken_stream') : stopError(by, idleMs));
        }
        let completion: unknown;
        try {
          completion = JSON.parse(text);
        } catch {
          return fail(chatError('not_an_api'));
        }
        if (!isRecord(completion) || !Array.isArray(completion['choices'])) {
          const { detail } = providerDetail(text);
          return fail(isRecord(completion) && 'error' in completion ? chatError('server', detail === undefined ? {} : { detail }) : chatError('not_an_api'));
        }
        emit(applyChunk(out, completion, calls));
        return ok();
      }

      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let done = false;
      let failure: ChatError | null = null;
      const parser = createParser({
        maxBufferSize: MAX_EVENT_BYTES,
        onEvent(event) {
          if (done || failure !== null) return;
          if (event.data === '[DONE]') {
            done = true;
            return;
          }
          let chunk: unknown;
          try {
            chunk = JSON.parse(event.data);
          } catch {
            failure = chatError('malformed_stream');
            return;
          }
          if (!isRecord(chunk)) {
            failure = chatError('malformed_stream');
          } else if (event.event === 'error' || chunk['error'] !== undefined) {
            const { detail } = providerDetail(event.data);
            failure = chatError('server', { message: 'The model server failed in the middle of the answer.', ...(detail === undefined ? {} : { detail }) });
          } else {
            emit(applyChunk(out, chunk, calls));
          }
        },
        onError(error) {
          if (error.type === 'max-buffer-size-exceeded') failure ??= chatError('malformed_stream');
        },
      });

      try {
        while (!done && failure === null) {
          let next: ReadableStreamReadResult<Uint8Array>;
          try {
            next = await reader.read();
          } catch {
            const by = stoppedBy();
            failure = by === null ? chatError('broken_stream') : stopError(by, idleMs);
            break;
          }
          if (next.done) {
            // The last event may lack its blank line.
            parser.feed(`${decoder.decode()}\n\n`);
            break;
          }
          touch();
          parser.feed(decoder.decode(next.value, { stream: true }));
        }
      } finally {
        if (!done || failure !== null) ctl.abort();
        reader.cancel().catch(() => undefined);
      }
      if (failure !== null) return fail(failure);
      if (!done && out.finishReason === null) return fail(chatError('broken_stream'));
      return ok();
    });
  }

  return {
    baseUrl,
    listModels,
    streamChat: (request) => run(request, true),
    complete: (request) => run(request, false),
  };
}
