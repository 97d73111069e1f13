/**
 * Input schemas for every API method, checked at the worker edge. Objects are
 * strict (unexpected fields are rejected) and error messages name the field
 * and what was expected, never the value that was sent.
 */
import * as v from 'valibot';
import { fail } from './errors';
import type { Limits } from './api';
import type { Json } from './models';
import { CONVERSATION_STATUSES, EXECUTION_STATUSES, MEMORY_KINDS, MESSAGE_ROLES } from './models';

export const DEFAULT_LIMITS: Limits = {
  maxContentChars: 1_000_000,
  maxNameChars: 1_000,
  maxJsonChars: 1_000_000,
  maxBatchRows: 100_000,
  maxUploadBytes: 50 * 1024 * 1024,
};

const MAX_TIMESTAMP = 8.64e15;
const MAX_JSON_DEPTH = 64;

/** True for values that survive JSON round-trips unchanged. */
export function isJsonValue(value: unknown, depth = 0): value is Json {
  if (depth > MAX_JSON_DEPTH) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((item) => isJsonValue(item, depth + 1));
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return false;
    return Object.values(value as object).every((item) => isJsonValue(item, depth + 1));
  }
  return false;
}

function parseJsonText(text: string): { ok: true; value: Json } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as Json };
  } catch {
    return { ok: false };
  }
}

export function makeSchemas(limits: Limits) {
  const id = v.pipe(
    v.string('a string id'),
    v.minLength(1, 'a non-empty id'),
    v.maxLength(128, 'an id of at most 128 characters'),
    v.regex(/^[^\u0000-\u001f\u007f]+$/, 'an id without control characters'),
  );
  const name = v.pipe(
    v.string('a string'),
    v.minLength(1, 'a non-empty string'),
    v.maxLength(limits.maxNameChars, `at most ${limits.maxNameChars} characters`),
  );
  const shortText = v.pipe(v.string('a string'), v.maxLength(limits.maxNameChars, `at most ${limits.maxNameChars} characters`));
  const longText = v.pipe(v.string('a string'), v.maxLength(limits.maxContentChars, `at most ${limits.maxContentChars} characters`));
  const content = v.pipe(
    v.string('a string'),
    v.maxLength(limits.maxContentChars, `at most ${limits.maxContentChars} characters`),
  );
  const nonEmptyContent = v.pipe(content, v.check((s) => s.trim().length > 0, 'non-empty text'));
  const timestamp = v.pipe(
    v.number('a number'),
    v.integer('an integer timestamp in milliseconds'),
    v.minValue(0, 'a non-negative timestamp'),
    v.maxValue(MAX_TIMESTAMP, 'a valid timestamp'),
  );
  const jsonSize = (value: Json) => JSON.stringify(value).length <= limits.maxJsonChars;
  const jsonIssue = (value: unknown): string | null => {
    if (!isJsonValue(value)) return 'a JSON value (no functions, NaN, Infinity, dates or class instances)';
    if (!jsonSize(value)) return `JSON of at most ${limits.maxJsonChars} characters`;
    return null;
  };
  /** Any JSON value (a string is a JSON string). */
  const jsonValue = v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const problem = jsonIssue(dataset.value);
      if (problem) {
        addIssue({ message: problem });
        return NEVER;
      }
      return dataset.value as Json;
    }),
  );
  /** A structured JSON field (tool calls, metadata): a string is taken as JSON text and must parse. */
  const jsonField = v.pipe(
    v.unknown(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      let value = dataset.value;
      if (typeof value === 'string') {
        const parsed = parseJsonText(value);
        if (!parsed.ok) {
          addIssue({ message: 'valid JSON text' });
          return NEVER;
        }
        value = parsed.value;
      }
      const problem = jsonIssue(value);
      if (problem) {
        addIssue({ message: problem });
        return NEVER;
      }
      return value as Json;
    }),
  );
  const jsonObject = v.pipe(
    jsonField,
    v.check((value) => typeof value === 'object' && value !== null && !Array.isArray(value), 'a JSON object'),
    v.transform((value) => value as { [key: string]: Json }),
  );
  const pageFields = {
    page: v.optional(v.pipe(v.number('a number'), v.integer('an integer'), v.minValue(1, 'at least 1'), v.maxValue(1e9, 'at most 1e9'))),
    pageSize: v.optional(v.pipe(v.number('a number'), v.integer('an integer'), v.minValue(1, 'at least 1'), v.maxValue(1000, 'at most 1000'))),
  };
  const pageRequest = v.optional(v.strictObject(pageFields, 'an object'), {});
  const nullableShort = v.nullish(shortText);
  const nullableLong = v.nullish(longText);
  const scope = v.strictObject(
    {
      userId: v.pipe(v.string('a string'), v.minLength(1, 'a non-empty string'), v.maxLength(256, 'at most 256 characters')),
      spaceId: v.pipe(v.string('a string'), v.minLength(1, 'a non-empty string'), v.maxLength(256, 'at most 256 characters')),
    },
    'an object with userId and spaceId',
  );

  const agentFields = {
    name,
    description: nullableLong,
    model: nullableShort,
    systemPrompt: nullableLong,
    isActive: v.optional(v.boolean('a boolean')),
  };
  const sessionFields = {
    name,
    role: nullableShort,
    goals: nullableLong,
    agentId: v.nullish(id),
    metadata: v.optional(jsonObject),
  };
  const conversationFields = {
    title: nullableShort,
    status: v.optional(v.picklist(CONVERSATION_STATUSES, `one of ${CONVERSATION_STATUSES.join(', ')}`)),
    channelId: nullableShort,
    model: nullableShort,
    metadata: v.optional(jsonObject),
  };
  const messageFields = {
    id: v.optional(id),
    conversationId: id,
    role: v.picklist(MESSAGE_ROLES, `one of ${MESSAGE_ROLES.join(', ')}`),
    content,
    toolCalls: v.nullish(jsonField),
    toolCallId: nullableShort,
    toolResults: v.nullish(jsonField),
    thinking: nullableLong,
    thinkingSignature: nullableLong,
    assistantId: nullableShort,
    attachments: v.nullish(jsonField),
    model: nullableShort,
    tokensUsed: v.nullish(v.pipe(v.number('a number'), v.integer('an integer'), v.minValue(0, 'non-negative'), v.maxValue(Number.MAX_SAFE_INTEGER, 'a safe integer'))),
    isStreaming: v.optional(v.boolean('a boolean')),
    source: nullableShort,
    error: nullableLong,
    metadata: v.optional(jsonObject),
    createdAt: v.optional(timestamp),
    updatedAt: v.optional(timestamp),
  };
  const message = v.strictObject(messageFields, 'a message object');
  const importance = v.pipe(v.number('a number'), v.minValue(0, 'between 0 and 1'), v.maxValue(1, 'between 0 and 1'));
  const memoryKind = v.picklist(MEMORY_KINDS, `one of ${MEMORY_KINDS.join(', ')}`);
  const collection = v.pipe(
    v.string('a string'),
    v.minLength(1, 'a non-empty string'),
    v.maxLength(256, 'at most 256 characters'),
  );

  return {
    id,
    name,
    scope,
    pageRequest,
    timestamp,
    jsonValue,
    spaceInput: v.strictObject({ ...scope.entries, name: v.optional(name) }, 'an object'),
    spaceList: v.optional(v.strictObject({ ...pageFields, userId: v.optional(scope.entries.userId) }, 'an object'), {}),
    agentInput: v.strictObject({ id: v.optional(id), ...agentFields, createdAt: v.optional(timestamp) }, 'an agent object'),
    agentPatch: v.strictObject(v.partial(v.object(agentFields)).entries, 'an object of agent fields'),
    sessionInput: v.strictObject({ id: v.optional(id), ...sessionFields, createdAt: v.optional(timestamp) }, 'a session object'),
    sessionPatch: v.strictObject(v.partial(v.object(sessionFields)).entries, 'an object of session fields'),
    conversationInput: v.strictObject(
      { id: v.optional(id), sessionId: id, ...conversationFields, createdAt: v.optional(timestamp) },
      'a conversation object',
    ),
    conversationPatch: v.strictObject(v.partial(v.object(conversationFields)).entries, 'an object of conversation fields'),
    conversationList: v.optional(
      v.strictObject({ ...pageFields, sessionId: v.optional(id), status: conversationFields.status }, 'an object'),
      {},
    ),
    message,
    messageWithId: v.strictObject({ ...messageFields, id }, 'a message object with an id'),
    messageBatch: v.pipe(
      v.array(message, 'an array of messages'),
      v.maxLength(limits.maxBatchRows, `at most ${limits.maxBatchRows} messages`),
    ),
    memoryInput: v.strictObject(
      {
        id: v.optional(id),
        kind: memoryKind,
        content: nonEmptyContent,
        importance: v.optional(importance),
        expiresAt: v.nullish(timestamp),
        ttlMs: v.optional(v.pipe(v.number('a number'), v.integer('an integer'), v.minValue(1, 'positive'), v.maxValue(MAX_TIMESTAMP, 'a valid duration'))),
        metadata: v.optional(jsonObject),
        sourceMessageId: v.nullish(id),
        createdAt: v.optional(timestamp),
      },
      'a memory object',
    ),
    memoryPatch: v.strictObject(
      {
        content: v.optional(nonEmptyContent),
        importance: v.optional(importance),
        expiresAt: v.nullish(timestamp),
        metadata: v.optional(jsonObject),
      },
      'an object of memory fields',
    ),
    memoryList: v.optional(
      v.strictObject(
        {
          ...pageFields,
          kind: v.optional(memoryKind),
          includeExpired: v.optional(v.boolean('a boolean')),
          orderBy: v.optional(v.picklist(['newest', 'oldest', 'importance', 'accessed'], 'one of newest, oldest, importance, accessed')),
        },
        'an object',
      ),
      {},
    ),
    idList: v.pipe(v.array(id, 'an array of ids'), v.maxLength(10_000, 'at most 10000 ids')),
    vectorInput: v.strictObject(
      {
        id: v.optional(id),
        collection,
        content: nonEmptyContent,
        documentId: v.nullish(id),
        metadata: v.optional(jsonObject),
        createdAt: v.optional(timestamp),
      },
      'a vector entry object',
    ),
    vectorList: v.optional(v.strictObject({ ...pageFields, collection: v.optional(collection) }, 'an object'), {}),
    collection,
    upload: v.strictObject(
      {
        name: v.pipe(name, v.maxLength(255, 'a file name of at most 255 characters')),
        type: v.optional(v.pipe(v.string('a string'), v.maxLength(255, 'at most 255 characters'))),
        bytes: v.instance(Uint8Array, 'a Uint8Array of the file bytes'),
      },
      'a file object { name, type, bytes }',
    ),
    uploadOptions: v.optional(
      v.strictObject(
        {
          maxChunkChars: v.optional(v.pipe(v.number('a number'), v.integer('an integer'), v.minValue(100, 'at least 100'), v.maxValue(100_000, 'at most 100000'))),
          metadata: v.optional(jsonObject),
        },
        'an object',
      ),
      {},
    ),
    settingKey: v.pipe(v.string('a string'), v.minLength(1, 'a non-empty key'), v.maxLength(256, 'a key of at most 256 characters')),
    executionStatus: v.picklist(EXECUTION_STATUSES, `one of ${EXECUTION_STATUSES.join(', ')}`),
    finishStatus: v.picklist(['succeeded', 'failed', 'cancelled'], 'one of succeeded, failed, cancelled'),
    executionStart: v.optional(
      v.strictObject({ queued: v.optional(v.boolean('a boolean')), metadata: v.optional(jsonObject) }, 'an object'),
      {},
    ),
    executionList: v.optional(
      v.strictObject(
        {
          ...pageFields,
          agentId: v.optional(id),
          sessionId: v.optional(id),
          status: v.optional(v.picklist(EXECUTION_STATUSES, `one of ${EXECUTION_STATUSES.join(', ')}`)),
        },
        'an object',
      ),
      {},
    ),
    nullableError: v.nullish(longText),
    days: v.pipe(v.number('a number'), v.minValue(0, 'non-negative'), v.maxValue(100_000, 'at most 100000')),
    clearAll: v.strictObject({ confirm: v.literal(true, 'true (explicit confirmation)') }, 'an object { confirm: true }'),
  };
}

export type Schemas = ReturnType<typeof makeSchemas>;

/** Parses `value` or throws INVALID_INPUT naming the offending field. */
export function check<TSchema extends v.GenericSchema>(
  schema: TSchema,
  value: unknown,
  context: string,
): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, value, { abortPipeEarly: true });
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = issue.path?.map((item) => String(item.key)).join('.') ?? '';
  const unexpected = issue.type === 'strict_object' || issue.expected === 'never';
  if (unexpected && path) fail('INVALID_INPUT', `${context}: unexpected field '${path}'`);
  const where = path ? `field '${path}'` : 'argument';
  if (issue.received === 'undefined' && path) fail('INVALID_INPUT', `${context}: ${where} is required`);
  fail('INVALID_INPUT', `${context}: ${where} must be ${issue.message}`);
}
