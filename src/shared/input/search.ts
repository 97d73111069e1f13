/** Schemas of search requests. */
import * as v from 'valibot';
import { embedding, memoryKind, modelId, strictObject, wellFormed, type Base } from './base';
import { messageRole } from './messages';

const scalar = v.union(
  [v.pipe(v.string('a string'), wellFormed), v.pipe(v.number('a number'), v.finite('a finite number')), v.boolean('a boolean'), v.null('null')],
  'a string, number, boolean or null, or an array of them',
);

/** `{ key: value | [value, …] }`: at most 32 keys, 100 values per key. */
const metadataFilter = v.pipe(
  v.custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype, 'an object of metadata values'),
  v.record(
    v.pipe(v.string('a string key'), v.minLength(1, 'a non-empty key'), v.maxLength(256, 'a key of at most 256 characters'), wellFormed),
    v.union([scalar, v.pipe(v.array(scalar, 'an array of values'), v.minLength(1, 'at least one value'), v.maxLength(100, 'at most 100 values'))], 'a string, number, boolean or null, or an array of them'),
    'an object of metadata values',
  ),
  v.check((value) => Object.keys(value).length <= 32, 'at most 32 keys'),
);

export function searchSchemas(b: Base) {
  const filters = strictObject(
    {
      /** Which sources to search (default: all four). */
      kinds: v.optional(v.pipe(v.array(v.picklist(['message', 'memory', 'vector', 'chunk'], 'one of message, memory, vector, chunk'), 'an array'), v.minLength(1, 'a non-empty array'))),
      sessionId: v.optional(b.id),
      conversationId: v.optional(b.id),
      role: v.optional(messageRole),
      /** Inclusive lower bound on created_at (ms). */
      from: v.optional(b.timestamp),
      /** Exclusive upper bound on created_at (ms). */
      to: v.optional(b.timestamp),
      memoryKind: v.optional(memoryKind),
      collection: v.optional(b.collection),
      contentId: v.optional(b.id),
      /**
       * Rows whose metadata has these top-level values (messages, memories,
       * vector entries): a scalar must be equal, an array lists values any
       * of which may match.
       */
      metadata: v.optional(metadataFilter),
    },
    'an object of filters',
  );
  return {
    searchRequest: strictObject(
      {
        /** Text to look for; keyword and hybrid search need it. */
        query: v.optional(v.pipe(v.string('a string'), v.maxLength(10_000, 'at most 10000 characters'), wellFormed)),
        /** A query vector the caller computed with `model` (a registered model): vector search without embedding `query`. */
        vector: v.optional(embedding),
        model: v.optional(modelId),
        /** Default: 'hybrid' with a query text, 'vector' with only a vector. */
        mode: v.optional(v.picklist(['keyword', 'vector', 'hybrid'], 'one of keyword, vector, hybrid')),
        limit: v.optional(v.pipe(v.number('a number'), v.integer('an integer'), v.minValue(1, 'at least 1'), v.maxValue(200, 'at most 200'))),
        /** Vector hits below this cosine are dropped. */
        minSimilarity: v.optional(v.pipe(v.number('a number'), v.minValue(-1, 'between -1 and 1'), v.maxValue(1, 'between -1 and 1'))),
        /** Weighted fusion weights (normalized to sum 1). */
        weights: v.optional(
          strictObject(
            {
              text: v.optional(v.pipe(v.number('a number'), v.minValue(0, 'non-negative'), v.maxValue(1000, 'at most 1000'))),
              vector: v.optional(v.pipe(v.number('a number'), v.minValue(0, 'non-negative'), v.maxValue(1000, 'at most 1000'))),
            },
            'an object { text?, vector? }',
          ),
        ),
        /** Hybrid fusion method: reciprocal rank ('rrf', default) or weighted scores ('weighted'). */
        fusion: v.optional(v.picklist(['rrf', 'weighted'], 'one of rrf, weighted')),
        rrfK: v.optional(v.pipe(v.number('a number'), v.minValue(1, 'at least 1'), v.maxValue(10_000, 'at most 10000'))),
        filters: v.optional(filters),
      },
      'a search request { query?, vector?, model?, mode?, limit?, ... }',
    ),
  };
}
