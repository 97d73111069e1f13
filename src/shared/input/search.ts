/** Schemas of search requests. */
import * as v from 'valibot';
import { memoryKind, strictObject, wellFormed, type Base } from './base';
import { messageRole } from './messages';

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
    },
    'an object of filters',
  );
  return {
    searchRequest: strictObject(
      {
        query: v.pipe(v.string('a string'), v.maxLength(10_000, 'at most 10000 characters'), wellFormed),
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
      'a search request { query, mode?, limit?, ... }',
    ),
  };
}
