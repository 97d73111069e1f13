// Memory extraction: ask the model which facts of a conversation are worth
// remembering, as strict JSON, and check its answer.
//
// Contract:
// * The answer must be exactly `{ "memories": [{ "content": string,
//   "kind": "long" | "short", "importance": 0..1 }] }` — no other keys, at
//   most `MAX_EXTRACTED` items, content 1..`MAX_CONTENT_CHARS` characters
//   after trimming. `validateExtraction(value)` checks a parsed value;
//   `parseExtraction(text)` parses the model's text first. Both return
//   `{ ok: true, memories }` or `{ ok: false, reason }` with the first
//   problem and where it is (`memories[2].kind: …`). The one leniency: a
//   single Markdown code fence around the JSON is removed, because small
//   local models add one even when told not to.
// * `buildExtractionRequest` renders the prompt (`EXTRACTION_SYSTEM_PROMPT`,
//   then the facts already known so they are not repeated, then the newest
//   turns of the conversation up to `maxTranscriptChars`) and asks for
//   structured output with `response_format` (`json_schema` by default;
//   `json_object` or `none` for servers that lack it).
// * `extractMemories(client, …)` sends it with `complete` and validates. A
//   400 that names `response_format` is retried once without it. Results are
//   data: `{ ok: false, reason, error? }` carries the client's typed error.
// * `toMemoryInputs` maps the result to `s.memories.add` inputs, short-term
//   ones expiring after `shortTtlMs` (default 7 days), tagged
//   `metadata: { source: 'extraction' }`.
import * as v from 'valibot';
import type { ChatClient, ChatError, ChatMessage } from './openai';

export const MAX_EXTRACTED = 20;
export const MAX_CONTENT_CHARS = 500;
export const DEFAULT_SHORT_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** Issues of a strict object: a missing key, a key not allowed, or not an object at all (`whole`). */
const objectIssue = (whole: string) => (issue: v.BaseIssue<unknown>) =>
  issue.expected === 'never' ? 'is not allowed' : (issue.path?.length ?? 0) > 0 && issue.received === 'undefined' ? 'is missing' : whole;

function plainObject<const TEntries extends v.ObjectEntries>(entries: TEntries, whole: string) {
  const isPlain = (input: unknown) => typeof input === 'object' && input !== null && !Array.isArray(input);
  return v.pipe(v.custom<v.InferInput<v.StrictObjectSchema<TEntries, undefined>>>(isPlain, whole), v.strictObject(entries, objectIssue(whole)));
}

const ExtractedMemorySchema = plainObject(
  {
    content: v.pipe(
      v.string('must be a string'),
      v.trim(),
      v.minLength(1, 'must not be empty'),
      v.maxLength(MAX_CONTENT_CHARS, `must be at most ${MAX_CONTENT_CHARS} characters`),
    ),
    kind: v.picklist(['long', 'short'], 'must be "long" or "short"'),
    importance: v.pipe(v.number('must be a number'), v.minValue(0, 'must be between 0 and 1'), v.maxValue(1, 'must be between 0 and 1')),
  },
  'must be an object { content, kind, importance }',
);

const ExtractionSchema = plainObject(
  {
    memories: v.pipe(
      v.array(ExtractedMemorySchema, 'must be an array'),
      v.maxLength(MAX_EXTRACTED, `must have at most ${MAX_EXTRACTED} items`),
    ),
  },
  'must be an object { "memories": [...] }',
);

export type ExtractedMemory = v.InferOutput<typeof ExtractedMemorySchema>;
export type ExtractionCheck = { ok: true; memories: ExtractedMemory[] } | { ok: false; reason: string };

/** The JSON Schema of the answer, for `response_format: { type: 'json_schema' }`. */
export const EXTRACTION_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['memories'],
  properties: {
    memories: {
      type: 'array',
      maxItems: MAX_EXTRACTED,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['content', 'kind', 'importance'],
        properties: {
          content: { type: 'string', minLength: 1, maxLength: MAX_CONTENT_CHARS },
          kind: { type: 'string', enum: ['long', 'short'] },
          importance: { type: 'number', minimum: 0, maximum: 1 },
        },
      },
    },
  },
} as const;

export const EXTRACTION_SYSTEM_PROMPT = [
  'You pick out facts about the user that are worth remembering for future conversations.',
  'Reply with only a JSON object, no prose and no code fence, of exactly this form:',
  '{"memories":[{"content":"…","kind":"long","importance":0.5}]}',
  'Rules:',
  '- content: one self-contained fact about the user, in the third person ("The user …"), under 200 characters.',
  '- kind: "long" for lasting facts (name, preferences, relationships, work, health, goals); "short" for things true only for days (plans this week, a current mood or situation).',
  '- importance: from 0 to 1; 1 for what must never be forgotten (an allergy, a name), 0.5 for useful preferences, below 0.3 for trivia.',
  '- Only what the user said or clearly implied — not the assistant’s suggestions, not facts about the assistant or the world.',
  '- Leave out facts already known (listed by the user message) unless they changed.',
  `- At most ${MAX_EXTRACTED} memories. If nothing is worth remembering, reply {"memories":[]}.`,
].join('\n');

function where(issue: v.BaseIssue<unknown>): string {
  const path = (issue.path ?? []).map((step) => (typeof step.key === 'number' ? `[${step.key}]` : `.${String(step.key)}`)).join('');
  return path === '' ? 'the answer' : path.replace(/^\./, '');
}

export function validateExtraction(value: unknown): ExtractionCheck {
  const result = v.safeParse(ExtractionSchema, value, { abortEarly: true });
  if (result.success) return { ok: true, memories: result.output.memories };
  const issue = result.issues[0];
  return { ok: false, reason: `${where(issue)}: ${issue.message}` };
}

const FENCE = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/i;

export function parseExtraction(text: string): ExtractionCheck {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, reason: 'the answer is empty' };
  const body = FENCE.exec(trimmed)?.[1] ?? trimmed;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'the answer is not JSON' };
  }
  return validateExtraction(value);
}

export type ResponseFormat = 'json_schema' | 'json_object' | 'none';

export interface ExtractionInput {
  /** The conversation, oldest first; tool and system turns are skipped. */
  turns: ReadonlyArray<{ role: string; content: string }>;
  /** Facts already stored, so the model does not repeat them. */
  known?: readonly string[];
  /** Keep only the newest turns up to this many characters; default 12000. */
  maxTranscriptChars?: number;
  responseFormat?: ResponseFormat;
}

export function buildExtractionRequest(input: ExtractionInput): { messages: ChatMessage[]; extra: Record<string, unknown> } {
  const max = input.maxTranscriptChars ?? 12_000;
  const lines: string[] = [];
  let used = 0;
  for (const turn of [...input.turns].reverse()) {
    if (turn.role !== 'user' && turn.role !== 'assistant') continue;
    const line = `${turn.role}: ${turn.content.trim()}`;
    if (used + line.length > max && lines.length > 0) break;
    lines.unshift(line.length > max ? `${line.slice(0, max - 1)}…` : line);
    used += line.length + 1;
  }
  const known = input.known ?? [];
  const user = [
    'Facts already known:',
    ...(known.length === 0 ? ['(none)'] : known.map((fact) => `- ${fact.replace(/\s+/g, ' ').trim()}`)),
    '',
    'Conversation:',
    ...lines,
  ].join('\n');
  const format = input.responseFormat ?? 'json_schema';
  const extra =
    format === 'json_schema' ? { response_format: { type: 'json_schema', json_schema: { name: 'memories', strict: true, schema: EXTRACTION_JSON_SCHEMA } } }
    : format === 'json_object' ? { response_format: { type: 'json_object' } }
    : {};
  return {
    messages: [
      { role: 'system', content: EXTRACTION_SYSTEM_PROMPT },
      { role: 'user', content: user },
    ],
    extra,
  };
}

export type ExtractionResult =
  | { ok: true; memories: ExtractedMemory[] }
  | { ok: false; reason: string; error?: ChatError };

export async function extractMemories(
  client: Pick<ChatClient, 'complete'>,
  input: ExtractionInput & { model: string; signal?: AbortSignal },
): Promise<ExtractionResult> {
  const ask = (format: ResponseFormat) => {
    const { messages, extra } = buildExtractionRequest({ ...input, responseFormat: format });
    return client.complete({ model: input.model, messages, extra, temperature: 0, ...(input.signal ? { signal: input.signal } : {}) });
  };
  const format = input.responseFormat ?? 'json_schema';
  let result = await ask(format);
  if (!result.ok && format !== 'none' && result.error.code === 'bad_request' && /response_format|json_schema|json_object/i.test(result.error.detail ?? '')) {
    result = await ask('none');
  }
  if (!result.ok) return { ok: false, reason: result.error.message, error: result.error };
  const checked = parseExtraction(result.content);
  return checked.ok ? checked : { ok: false, reason: `The model’s answer was not usable: ${checked.reason}.` };
}

export function toMemoryInputs(
  memories: readonly ExtractedMemory[],
  options: { now: number; shortTtlMs?: number; sourceMessageId?: string },
): Array<{ kind: 'long' | 'short'; content: string; importance: number; expiresAt: number | null; metadata: { source: 'extraction' }; sourceMessageId?: string }> {
  const ttl = options.shortTtlMs ?? DEFAULT_SHORT_TTL_MS;
  return memories.map((m) => ({
    kind: m.kind,
    content: m.content,
    importance: m.importance,
    expiresAt: m.kind === 'short' ? options.now + ttl : null,
    metadata: { source: 'extraction' },
    ...(options.sourceMessageId === undefined ? {} : { sourceMessageId: options.sourceMessageId }),
  }));
}
