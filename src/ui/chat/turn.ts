// One chat turn: recall, prompt, stream the answer into the database.
//
// Contract:
// * `runTurn(options)` answers a user message that is already stored. It
//   searches the space (hybrid, memories, messages and document chunks; hits
//   from this conversation are left out since the history carries them),
//   reads the memory rows for their source and expiry, and builds the system
//   prompt with `assembleRecall` within `budgetTokens`. The history sent is the
//   conversation up to that user message (newest `HISTORY_LIMIT`), without
//   failed, interrupted or still-streaming answers.
// * The answer is one assistant message with the caller's `assistantId`:
//   written first empty with `isStreaming: true` and `metadata.recall`
//   (`RecallRecord`: what was recalled with scores, and what was left out and
//   why), rewritten with the text so far at most every `throttleMs` while
//   tokens arrive (writes never overlap and never reorder), and finished with
//   `isStreaming: false`, `model`, `tokensUsed`, `thinking`, `toolCalls`.
//   A failure keeps the partial text, sets `error` to the user-facing message
//   and `metadata.chatError` to the typed error (`chatErrorOf` reads it back);
//   stopping (`signal`) keeps the text with `metadata.stopped` and no error.
// * A message left `isStreaming: true` whose `streamLockName` Web Lock nobody
//   holds has no live request behind it (the tab reloaded or closed):
//   `isInterrupted` says so and `markInterrupted` finishes it with
//   `error: 'interrupted'`, keeping its text. A page going away aborts with
//   the reason `INTERRUPTED`, which finishes the answer the same way;
//   `finishInterruptedRun` then closes its execution as cancelled.
// * Recalled memories are counted as accessed by the search itself.
// * With `memory: { on: false }` (the conversation's or the space's switch,
//   `./memory.ts`) nothing is searched or read: the system prompt is the
//   agent's alone, and `metadata.recall` has no items and `memoryOff` naming
//   the switch that turned it off, so the answer shows "Memory off".
import type { HitKind, SearchHit } from '../../shared/api';
import type { Conversation, Json, JsonObject, Message, MessageRole } from '../../shared/models';
import type { ChatClient, ChatError, ChatMessage } from './openai';
import type { MemoryDecision } from './memory';
import { assembleRecall, estimateTokens, renderSystemPrompt, type RecallExclusion, type RecallMemory } from './recall';

export const HISTORY_LIMIT = 50;
export const RECALL_SEARCH_LIMIT = 20;
export const DEFAULT_THROTTLE_MS = 250;
export const INTERRUPTED = 'interrupted';

interface UpsertInput {
  id: string;
  conversationId: string;
  role: MessageRole;
  content: string;
  isStreaming?: boolean;
  model?: string | null;
  tokensUsed?: number | null;
  thinking?: string | null;
  toolCalls?: Json | null;
  error?: string | null;
  source?: string | null;
  metadata?: JsonObject;
  createdAt?: number;
}

/** The scoped client's methods a turn uses (`mnemo.space(…)` is one). */
export interface TurnPort {
  messages: {
    upsert(message: UpsertInput): Promise<Message>;
    recent(conversationId: string, request?: { limit?: number }): Promise<{ items: Message[] }>;
  };
  memories: {
    get(id: string): Promise<RecallMemory>;
  };
  conversations: {
    get(id: string): Promise<Pick<Conversation, 'id' | 'metadata'>>;
  };
  search(request: { query: string; mode: 'hybrid'; limit: number; filters: { kinds: HitKind[] } }): Promise<SearchHit[]>;
}

export interface RecallEntry {
  key: string;
  kind: HitKind;
  id: string;
  score: number;
  line: string;
  source: string;
  reason?: RecallExclusion;
}

export interface RecallRecord {
  budgetTokens: number;
  /** Estimated tokens of the system prompt sent. */
  tokens: number;
  included: RecallEntry[];
  excluded: RecallEntry[];
  /** Set when the search failed; the answer was then asked without recall. */
  error?: string;
  /** Set when memory was off for this answer (nothing searched or recalled): the switch that turned it off. */
  memoryOff?: 'conversation' | 'space';
}

export type StoredChatError = Pick<ChatError, 'code' | 'message' | 'hint' | 'retryable'> & {
  retryAfterSeconds?: number;
  status?: number;
  detail?: string;
};

export interface TurnOptions {
  port: TurnPort;
  client: ChatClient;
  model: string;
  /** Shown with the answer; never the key. */
  endpointName: string;
  user: Message;
  assistantId: string;
  systemPrompt: string;
  budgetTokens: number;
  /** Recall keys (`kind:id`) the user took out. */
  exclude?: readonly string[];
  /** Whether this turn uses memory (`decideMemory`); on when absent. */
  memory?: MemoryDecision;
  signal?: AbortSignal;
  throttleMs?: number;
  now?: () => number;
}

export interface TurnResult {
  message: Message;
  ok: boolean;
  error: StoredChatError | null;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const streamLockName = (messageId: string) => `mnemo.chat.stream:${messageId}`;

export function isInterrupted(message: Message, heldLocks: ReadonlySet<string>): boolean {
  return message.role === 'assistant' && message.isStreaming && !heldLocks.has(streamLockName(message.id));
}

export function markInterrupted(port: Pick<TurnPort, 'messages'>, message: Message): Promise<Message> {
  return port.messages.upsert({
    id: message.id,
    conversationId: message.conversationId,
    role: message.role,
    content: message.content,
    isStreaming: false,
    error: INTERRUPTED,
  });
}

/** The scoped client's execution calls `finishInterruptedRun` uses. */
export interface ExecutionsPort {
  executions: {
    list(request?: { status?: 'running'; page?: number; pageSize?: number }): Promise<{ items: { id: string; metadata: JsonObject }[]; hasNext: boolean }>;
    finish(id: string, status: 'cancelled', error?: string | null): Promise<unknown>;
  };
}

/**
 * The execution of an interrupted answer (its `metadata.messageId`) is left
 * `running` by the page that went away: finish it as cancelled, so the
 * Executions screen does not show a run that will never end.
 */
export async function finishInterruptedRun(port: ExecutionsPort, messageId: string): Promise<number> {
  const ids: string[] = [];
  for (let page = 1, more = true; more; page += 1) {
    const result = await port.executions.list({ status: 'running', page, pageSize: 100 });
    for (const execution of result.items) if (execution.metadata['messageId'] === messageId) ids.push(execution.id);
    more = result.hasNext;
  }
  for (const id of ids) await port.executions.finish(id, 'cancelled', 'interrupted: the page was closed or reloaded while the answer was streaming');
  return ids.length;
}

export function recallOf(message: Message): RecallRecord | null {
  const recall = message.metadata['recall'];
  if (!isRecord(recall) || !Array.isArray(recall['included'])) return null;
  return recall as unknown as RecallRecord; // written by runTurn in this shape
}

export function chatErrorOf(message: Message): StoredChatError | null {
  const stored = message.metadata['chatError'];
  if (isRecord(stored) && typeof stored['message'] === 'string') return stored as unknown as StoredChatError; // written by runTurn
  if (message.error === INTERRUPTED) {
    return { code: 'broken_stream', message: 'Interrupted: the page was closed or reloaded while the answer was streaming.', hint: 'The partial answer is kept; retry to ask again.', retryable: true };
  }
  return message.error === null ? null : { code: 'server', message: message.error, hint: '', retryable: true };
}

/** The wire messages for answering `userMessageId`: history up to it, failed and unfinished answers left out. */
export function historyFor(messages: readonly Message[], userMessageId: string, systemPrompt: string): ChatMessage[] {
  const ordered = [...messages].sort((a, b) => a.createdAt - b.createdAt);
  const end = ordered.findIndex((m) => m.id === userMessageId);
  const upTo = end === -1 ? ordered : ordered.slice(0, end + 1);
  const turns: ChatMessage[] = upTo.flatMap((m): ChatMessage[] => {
    if (m.role === 'user') return [{ role: 'user', content: m.content }];
    if (m.role === 'assistant' && m.error === null && !m.isStreaming && m.content.trim() !== '') return [{ role: 'assistant', content: m.content }];
    return [];
  });
  return systemPrompt === '' ? turns : [{ role: 'system', content: systemPrompt }, ...turns];
}

const reasonOf = (error: unknown) =>
  isRecord(error) && typeof error['message'] === 'string' ? error['message'] : 'unknown error';

/**
 * The conversations that hold copies of this one's text: itself, the one it
 * branched from, and the branches (`metadata.branchOf`, see branch.ts) of
 * either, among the conversations the hits come from.
 */
async function sameThread(port: TurnPort, conversationId: string, hits: readonly SearchHit[]): Promise<Set<string>> {
  const get = (id: string) => port.conversations.get(id).catch(() => null);
  const branchOf = (c: Pick<Conversation, 'metadata'> | null) => (typeof c?.metadata['branchOf'] === 'string' ? c.metadata['branchOf'] : null);
  const thread = new Set([conversationId]);
  const origin = branchOf(await get(conversationId));
  if (origin !== null) thread.add(origin);
  const others = [...new Set(hits.flatMap((h) => (h.kind === 'message' && h.ref.conversationId && !thread.has(h.ref.conversationId) ? [h.ref.conversationId] : [])))];
  const found = await Promise.all(others.map(get));
  // Branches of branches: repeat until no hit conversation joins.
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of found) {
      const parent = branchOf(c);
      if (c && parent !== null && thread.has(parent) && !thread.has(c.id)) {
        thread.add(c.id);
        grew = true;
      }
    }
  }
  return thread;
}

async function recall(options: TurnOptions, now: number) {
  const { port, user } = options;
  let hits: SearchHit[] = [];
  let error: string | undefined;
  try {
    hits = await port.search({ query: user.content, mode: 'hybrid', limit: RECALL_SEARCH_LIMIT, filters: { kinds: ['memory', 'message', 'chunk'] } });
  } catch (failure) {
    error = `Recall failed: ${reasonOf(failure)}`;
  }
  // This conversation's messages are in the history already, and its branches (regenerated answers,
  // edited prompts) hold copies of them: none of them is recalled.
  const thread = await sameThread(port, user.conversationId, hits);
  hits = hits.filter((h) => !(h.kind === 'message' && (h.id === user.id || thread.has(h.ref.conversationId ?? ''))));
  const memoryIds = hits.filter((h) => h.kind === 'memory').map((h) => h.id);
  const rows = await Promise.allSettled(memoryIds.map((id) => port.memories.get(id)));
  const memories = new Map<string, RecallMemory>();
  rows.forEach((row, i) => {
    if (row.status === 'fulfilled') memories.set(memoryIds[i]!, row.value);
  });
  const assembled = assembleRecall({
    systemPrompt: options.systemPrompt,
    hits,
    memories,
    budgetTokens: options.budgetTokens,
    now,
    exclude: options.exclude ?? [],
  });
  const entry = (item: { key: string; kind: HitKind; id: string; score: number; line: string; source: string; reason?: RecallExclusion }): RecallEntry => ({
    key: item.key,
    kind: item.kind,
    id: item.id,
    score: Math.round(item.score * 1e4) / 1e4,
    line: item.line,
    source: item.source,
    ...(item.reason === undefined ? {} : { reason: item.reason }),
  });
  const record: RecallRecord = {
    budgetTokens: options.budgetTokens,
    tokens: assembled.tokens,
    included: assembled.included.map(entry),
    excluded: assembled.excluded.map(entry),
    ...(error === undefined ? {} : { error }),
  };
  return { systemPrompt: assembled.systemPrompt, record };
}

/** Memory off: the agent's prompt alone, and a record that says so. */
function withoutRecall(options: TurnOptions, by: 'conversation' | 'space') {
  const systemPrompt = renderSystemPrompt(options.systemPrompt, []);
  const record: RecallRecord = { budgetTokens: options.budgetTokens, tokens: estimateTokens(systemPrompt), included: [], excluded: [], memoryOff: by };
  return { systemPrompt, record };
}

export async function runTurn(options: TurnOptions): Promise<TurnResult> {
  const { port, client, user, assistantId } = options;
  const clock = options.now ?? Date.now;
  const throttleMs = options.throttleMs ?? DEFAULT_THROTTLE_MS;
  const memory = options.memory ?? { on: true, by: 'default' };
  const { systemPrompt, record } = memory.on ? await recall(options, clock()) : withoutRecall(options, memory.by === 'conversation' ? 'conversation' : 'space');
  const history = await port.messages.recent(user.conversationId, { limit: HISTORY_LIMIT });
  const messages = historyFor(history.items, user.id, systemPrompt);
  if (!history.items.some((m) => m.id === user.id)) messages.push({ role: 'user', content: user.content });

  const base = { id: assistantId, conversationId: user.conversationId, role: 'assistant' as const, createdAt: Math.max(clock(), user.createdAt + 1) };
  const metadata: JsonObject = { recall: record as unknown as Json, endpoint: options.endpointName, replyTo: user.id }; // RecallRecord is plain JSON
  await port.messages.upsert({ ...base, content: '', isStreaming: true, model: options.model, source: 'chat', metadata });

  // Partial writes run one after another; the final write waits for them.
  let chain: Promise<unknown> = Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let latest = { content: '', reasoning: '' };
  const flush = () => {
    timer = undefined;
    const { content, reasoning } = latest;
    chain = chain.then(() => port.messages.upsert({ ...base, content, thinking: reasoning === '' ? null : reasoning, isStreaming: true })).catch(() => undefined);
  };
  const result = await client.streamChat({
    model: options.model,
    messages,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    onDelta: ({ output }) => {
      latest = { content: output.content, reasoning: output.reasoning };
      timer ??= setTimeout(flush, throttleMs);
    },
  });
  clearTimeout(timer);
  await chain;

  const failure = result.ok ? null : result.error;
  const unloading = failure !== null && options.signal?.reason === INTERRUPTED;
  const stopped = failure?.code === 'aborted' && !unloading;
  const error: StoredChatError | null = failure === null || stopped || unloading ? null : {
    code: failure.code,
    message: failure.message,
    hint: failure.hint,
    retryable: failure.retryable,
    ...(failure.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: failure.retryAfterSeconds }),
    ...(failure.status === undefined ? {} : { status: failure.status }),
    ...(failure.detail === undefined ? {} : { detail: failure.detail }),
  };
  const toolCalls = result.toolCalls.map((c) => ({ id: c.id, type: c.type, function: { name: c.function.name, arguments: c.function.arguments } }));
  const message = await port.messages.upsert({
    ...base,
    content: result.content,
    isStreaming: false,
    model: result.model ?? options.model,
    tokensUsed: result.usage?.totalTokens ?? null,
    thinking: result.reasoning === '' ? null : result.reasoning,
    toolCalls: toolCalls.length === 0 ? null : toolCalls,
    error: unloading ? INTERRUPTED : (error?.message ?? null),
    metadata: {
      ...metadata,
      finishReason: result.finishReason,
      ...(result.usage === null ? {} : { usage: { ...result.usage } }),
      ...(error === null ? {} : { chatError: error }),
      ...(stopped ? { stopped: true } : {}),
    },
  });
  return { message, ok: result.ok, error };
}
