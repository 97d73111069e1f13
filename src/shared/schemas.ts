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
  maxImportBytes: 2 * 1024 * 1024 * 1024,
};

const MAX_TIMESTAMP = 8.64e15;
const MAX_JSON_DEPTH = 64;
/** An unpaired UTF-16 surrogate: SQLite stores text as UTF-8, where it silently becomes U+FFFD. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Unexpected keys are named in messages only when they look like field names, never echoing arbitrary input. */
const FIELD_NAME = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;

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

/** True when arrays or objects nest deeper than MAX_JSON_DEPTH (never recursing further than that). */
function tooDeep(value: unknown, depth = 0): boolean {
  if (depth > MAX_JSON_DEPTH) return true;
  if (value === null || typeof value !== 'object') return false;
  return Object.values(value).some((item) => tooDeep(item, depth + 1));
}

/** Objects as JSON or structured clone make them: not arrays, dates, maps or class instances. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** valibot's object schemas accept `[]`, a Date or a Map as `{}`; API arguments must be plain objects. */
function strictObject<const TEntries extends v.ObjectEntries>(entries: TEntries, message: string) {
  return v.pipe(v.custom<Record<string, unknown>>(isPlainObject, message), v.strictObject(entries, message));
}

const wellFormed = v.check((text: string) => !LONE_SURROGATE.test(text), 'well-formed Unicode text (no unpaired surrogates)');

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
    wellFormed,
  );
  const name = v.pipe(
    v.string('a string'),
    v.minLength(1, 'a non-empty string'),
    v.maxLength(limits.maxNameChars, `at most ${limits.maxNameChars} characters`),
    wellFormed,
  );
  const shortText = v.pipe(v.string('a string'), v.maxLength(limits.maxNameChars, `at most ${limits.maxNameChars} characters`), wellFormed);
  const longText = v.pipe(v.string('a string'), v.maxLength(limits.maxContentChars, `at most ${limits.maxContentChars} characters`), wellFormed);
  const content = v.pipe(
    v.string('a string'),
    v.maxLength(limits.maxContentChars, `at most ${limits.maxContentChars} characters`),
    wellFormed,
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
    if (tooDeep(value)) return `JSON nested at most ${MAX_JSON_DEPTH} levels deep`;
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
        // Bound the text before parsing it: the size limit is also what keeps JSON.parse cheap.
        if (value.length > limits.maxJsonChars) {
          addIssue({ message: `JSON of at most ${limits.maxJsonChars} characters` });
          return NEVER;
        }
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
  const pageRequest = v.optional(strictObject(pageFields, 'an object'), {});
  const nullableShort = v.nullish(shortText);
  const nullableLong = v.nullish(longText);
  const scopeEntries = {
    userId: v.pipe(v.string('a string'), v.minLength(1, 'a non-empty string'), v.maxLength(256, 'at most 256 characters'), wellFormed),
    spaceId: v.pipe(v.string('a string'), v.minLength(1, 'a non-empty string'), v.maxLength(256, 'at most 256 characters'), wellFormed),
  };
  const scope = strictObject(scopeEntries, 'an object with userId and spaceId');

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
  const message = strictObject(messageFields, 'a message object');
  const importance = v.pipe(v.number('a number'), v.minValue(0, 'between 0 and 1'), v.maxValue(1, 'between 0 and 1'));
  const memoryKind = v.picklist(MEMORY_KINDS, `one of ${MEMORY_KINDS.join(', ')}`);
  const collection = v.pipe(
    v.string('a string'),
    v.minLength(1, 'a non-empty string'),
    v.maxLength(256, 'at most 256 characters'),
    wellFormed,
  );

  return {
    id,
    name,
    scope,
    pageRequest,
    timestamp,
    jsonValue,
    spaceInput: strictObject({ ...scopeEntries, name: v.optional(name) }, 'an object'),
    spaceList: v.optional(strictObject({ ...pageFields, userId: v.optional(scopeEntries.userId) }, 'an object'), {}),
    agentInput: strictObject({ id: v.optional(id), ...agentFields, createdAt: v.optional(timestamp) }, 'an agent object'),
    agentPatch: strictObject(v.partial(v.object(agentFields)).entries, 'an object of agent fields'),
    sessionInput: strictObject({ id: v.optional(id), ...sessionFields, createdAt: v.optional(timestamp) }, 'a session object'),
    sessionPatch: strictObject(v.partial(v.object(sessionFields)).entries, 'an object of session fields'),
    conversationInput: strictObject(
      { id: v.optional(id), sessionId: id, ...conversationFields, createdAt: v.optional(timestamp) },
      'a conversation object',
    ),
    conversationPatch: strictObject(v.partial(v.object(conversationFields)).entries, 'an object of conversation fields'),
    conversationList: v.optional(
      strictObject({ ...pageFields, sessionId: v.optional(id), status: conversationFields.status }, 'an object'),
      {},
    ),
    message,
    messageWithId: strictObject({ ...messageFields, id }, 'a message object with an id'),
    messageBatch: v.pipe(
      v.array(message, 'an array of messages'),
      v.maxLength(limits.maxBatchRows, `at most ${limits.maxBatchRows} messages`),
    ),
    memoryInput: strictObject(
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
    memoryPatch: strictObject(
      {
        content: v.optional(nonEmptyContent),
        importance: v.optional(importance),
        expiresAt: v.nullish(timestamp),
        metadata: v.optional(jsonObject),
      },
      'an object of memory fields',
    ),
    memoryList: v.optional(
      strictObject(
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
    vectorInput: strictObject(
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
    vectorList: v.optional(strictObject({ ...pageFields, collection: v.optional(collection) }, 'an object'), {}),
    collection,
    upload: strictObject(
      {
        name: v.pipe(name, v.maxLength(255, 'a file name of at most 255 characters')),
        type: v.optional(v.pipe(v.string('a string'), v.maxLength(255, 'at most 255 characters'), wellFormed)),
        bytes: v.instance(Uint8Array, 'a Uint8Array of the file bytes'),
      },
      'a file object { name, type, bytes }',
    ),
    uploadOptions: v.optional(
      strictObject(
        {
          maxChunkChars: v.optional(v.pipe(v.number('a number'), v.integer('an integer'), v.minValue(100, 'at least 100'), v.maxValue(100_000, 'at most 100000'))),
          metadata: v.optional(jsonObject),
        },
        'an object',
      ),
      {},
    ),
    settingKey: v.pipe(v.string('a string'), v.minLength(1, 'a non-empty key'), v.maxLength(256, 'a key of at most 256 characters'), wellFormed),
    executionStatus: v.picklist(EXECUTION_STATUSES, `one of ${EXECUTION_STATUSES.join(', ')}`),
    finishStatus: v.picklist(['succeeded', 'failed', 'cancelled'], 'one of succeeded, failed, cancelled'),
    executionStart: v.optional(
      strictObject({ queued: v.optional(v.boolean('a boolean')), metadata: v.optional(jsonObject) }, 'an object'),
      {},
    ),
    executionList: v.optional(
      strictObject(
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
    clearAll: strictObject({ confirm: v.literal(true, 'true (explicit confirmation)') }, 'an object { confirm: true }'),
    searchRequest: strictObject(
      {
        query: v.pipe(v.string('a string'), v.maxLength(10_000, 'at most 10000 characters'), wellFormed),
        mode: v.optional(v.picklist(['keyword', 'vector', 'hybrid'], 'one of keyword, vector, hybrid')),
        limit: v.optional(v.pipe(v.number('a number'), v.integer('an integer'), v.minValue(1, 'at least 1'), v.maxValue(200, 'at most 200'))),
        minSimilarity: v.optional(v.pipe(v.number('a number'), v.minValue(-1, 'between -1 and 1'), v.maxValue(1, 'between -1 and 1'))),
        weights: v.optional(
          strictObject(
            {
              text: v.optional(v.pipe(v.number('a number'), v.minValue(0, 'non-negative'), v.maxValue(1000, 'at most 1000'))),
              vector: v.optional(v.pipe(v.number('a number'), v.minValue(0, 'non-negative'), v.maxValue(1000, 'at most 1000'))),
            },
            'an object { text?, vector? }',
          ),
        ),
        fusion: v.optional(v.picklist(['rrf', 'weighted'], 'one of rrf, weighted')),
        rrfK: v.optional(v.pipe(v.number('a number'), v.minValue(1, 'at least 1'), v.maxValue(10_000, 'at most 10000'))),
        filters: v.optional(
          strictObject(
            {
              kinds: v.optional(v.pipe(v.array(v.picklist(['message', 'memory', 'vector', 'chunk'], 'one of message, memory, vector, chunk'), 'an array'), v.minLength(1, 'a non-empty array'))),
              sessionId: v.optional(id),
              conversationId: v.optional(id),
              role: v.optional(v.picklist(MESSAGE_ROLES, `one of ${MESSAGE_ROLES.join(', ')}`)),
              from: v.optional(timestamp),
              to: v.optional(timestamp),
              memoryKind: v.optional(memoryKind),
              collection: v.optional(collection),
              contentId: v.optional(id),
            },
            'an object of filters',
          ),
        ),
      },
      'a search request { query, mode?, limit?, ... }',
    ),
    modelId: v.pipe(v.string('a string'), v.minLength(1, 'a non-empty model id'), v.maxLength(200, 'at most 200 characters'), v.regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'a model id of letters, digits, . _ - /')),
    timeoutMs: v.optional(v.pipe(v.number('a number'), v.minValue(0, 'non-negative'), v.maxValue(3_600_000, 'at most one hour'))),
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
  const keys = issue.path?.map((item) => String(item.key)) ?? [];
  const path = keys.join('.');
  const unexpected = issue.type === 'strict_object' || issue.expected === 'never';
  if (unexpected && path) {
    const parent = keys.slice(0, -1).join('.');
    const named = FIELD_NAME.test(keys.at(-1) ?? '') ? `'${path}'` : `with an invalid name${parent ? ` in '${parent}'` : ''}`;
    fail('INVALID_INPUT', `${context}: unexpected field ${named}`);
  }
  const where = path ? `field '${path}'` : 'argument';
  if (issue.received === 'undefined' && path) fail('INVALID_INPUT', `${context}: ${where} is required`);
  fail('INVALID_INPUT', `${context}: ${where} must be ${issue.message}`);
}
