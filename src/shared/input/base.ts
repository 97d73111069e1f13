/**
 * Building blocks of the input schemas: limits, strict plain objects, text,
 * ids, timestamps, JSON and paging. Each block's input type is the type
 * callers see in `shared/api.ts`, so those types are inferred from here.
 */
import * as v from 'valibot';
import type { Json, JsonObject } from '../models';
import { MEMORY_KINDS } from '../models';

export interface Limits {
  /** Longest accepted message/memory/document text, in characters. */
  maxContentChars: number;
  /** Longest accepted short field (names, titles, ids), in characters. */
  maxNameChars: number;
  /** Largest accepted JSON field, in characters once serialized. */
  maxJsonChars: number;
  /** Most rows accepted by one insertMany call. */
  maxBatchRows: number;
  /** Largest uploaded document, in bytes. */
  maxUploadBytes: number;
  /** Largest database file accepted by `files.import` and `backups.restore`, in bytes. */
  maxImportBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxContentChars: 1_000_000,
  maxNameChars: 1_000,
  maxJsonChars: 1_000_000,
  maxBatchRows: 100_000,
  maxUploadBytes: 50 * 1024 * 1024,
  maxImportBytes: 2 * 1024 * 1024 * 1024,
};

export const MAX_TIMESTAMP = 8.64e15;
const MAX_JSON_DEPTH = 64;
/** An unpaired UTF-16 surrogate: SQLite stores text as UTF-8, where it silently becomes U+FFFD. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

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

/**
 * valibot's object schemas accept `[]`, a Date or a Map as `{}`; API
 * arguments must be plain objects. The guard is typed with the object's
 * input, so `v.InferInput` of the result is the object's fields.
 */
export function strictObject<const TEntries extends v.ObjectEntries>(entries: TEntries, message: string) {
  const object = v.strictObject(entries, message);
  return v.pipe(v.custom<v.InferInput<typeof object>>(isPlainObject, message), object);
}

/** Accepts anything as type `T` (the API's declared type); the actions after it do the checking. */
const typed = <T>() => v.custom<T>(() => true);

export const wellFormed = v.check((text: string) => !LONE_SURROGATE.test(text), 'well-formed Unicode text (no unpaired surrogates)');

function parseJsonText(text: string): { ok: true; value: Json } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as Json };
  } catch {
    return { ok: false };
  }
}

export const memoryKind = v.picklist(MEMORY_KINDS, `one of ${MEMORY_KINDS.join(', ')}`);

/** An embedding model's id: the bundled and imported models', and those registered for caller vectors. */
export const modelId = v.pipe(
  v.string('a string'),
  v.minLength(1, 'a non-empty model id'),
  v.maxLength(200, 'at most 200 characters'),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'a model id of letters, digits, . _ - /'),
);

/** Widest vector accepted (the vector index's limit: an int8 row dot cannot overflow its i32). */
export const MAX_EMBEDDING_DIMS = 65_536;

/**
 * A vector the caller computed: a Float32Array or an array of numbers, every
 * component finite once stored as float32 (1e39 is not). Becomes a fresh
 * Float32Array, so later changes to the caller's array cannot reach it.
 */
export const embedding = v.pipe(
  typed<Float32Array | number[]>(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const value: unknown = dataset.value;
    if (!(value instanceof Float32Array) && !Array.isArray(value)) {
      addIssue({ message: 'a Float32Array or an array of numbers' });
      return NEVER;
    }
    if (value.length === 0 || value.length > MAX_EMBEDDING_DIMS) {
      addIssue({ message: `a vector of 1 to ${MAX_EMBEDDING_DIMS} dimensions` });
      return NEVER;
    }
    if (Array.isArray(value) && !value.every((x: unknown) => typeof x === 'number')) {
      addIssue({ message: 'a Float32Array or an array of numbers' });
      return NEVER;
    }
    const vector = Float32Array.from(value);
    for (let i = 0; i < vector.length; i++) {
      if (!Number.isFinite(vector[i])) {
        addIssue({ message: 'finite numbers (no NaN or Infinity, none beyond the float32 range)' });
        return NEVER;
      }
    }
    return vector;
  }),
);

/** The blocks every namespace's schemas are made of, sized by `limits`. */
export function baseSchemas(limits: Limits) {
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
    typed<Json>(),
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
  const parseJsonField = <T extends Json>() =>
    v.rawTransform<T, Json>(({ dataset, addIssue, NEVER }) => {
      let value: unknown = dataset.value;
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
    });
  const jsonField = v.pipe(typed<Json>(), parseJsonField<Json>());
  const jsonObject = v.pipe(
    typed<JsonObject>(),
    parseJsonField<JsonObject>(),
    v.check((value) => typeof value === 'object' && value !== null && !Array.isArray(value), 'a JSON object'),
    v.transform((value) => value as JsonObject),
  );
  const pageFields = {
    page: v.optional(v.pipe(v.number('a number'), v.integer('an integer'), v.minValue(1, 'at least 1'), v.maxValue(1e9, 'at most 1e9'))),
    pageSize: v.optional(v.pipe(v.number('a number'), v.integer('an integer'), v.minValue(1, 'at least 1'), v.maxValue(1000, 'at most 1000'))),
  };
  const scopeEntries = {
    userId: v.pipe(v.string('a string'), v.minLength(1, 'a non-empty string'), v.maxLength(256, 'at most 256 characters'), wellFormed),
    spaceId: v.pipe(v.string('a string'), v.minLength(1, 'a non-empty string'), v.maxLength(256, 'at most 256 characters'), wellFormed),
  };
  const collection = v.pipe(
    v.string('a string'),
    v.minLength(1, 'a non-empty string'),
    v.maxLength(256, 'at most 256 characters'),
    wellFormed,
  );
  return {
    id,
    name,
    shortText,
    longText,
    content,
    nonEmptyContent,
    timestamp,
    jsonValue,
    jsonField,
    jsonObject,
    pageFields,
    pageRequest: v.optional(strictObject(pageFields, 'an object'), {}),
    nullableShort: v.nullish(shortText),
    nullableLong: v.nullish(longText),
    scopeEntries,
    scope: strictObject(scopeEntries, 'an object with userId and spaceId'),
    collection,
  };
}

export type Base = ReturnType<typeof baseSchemas>;
