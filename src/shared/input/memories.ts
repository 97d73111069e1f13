/** Schemas of memories. */
import * as v from 'valibot';
import { MAX_TIMESTAMP, memoryKind, strictObject, type Base, type Limits } from './base';
import { embeddingFields } from './embeddings';

export function memorySchemas(b: Base, limits: Limits) {
  const importance = v.pipe(v.number('a number'), v.minValue(0, 'between 0 and 1'), v.maxValue(1, 'between 0 and 1'));
  const memoryInput = strictObject(
    {
      id: v.optional(b.id),
      kind: memoryKind,
      content: b.nonEmptyContent,
      importance: v.optional(importance),
      /** Absolute expiry (short-term memories). */
      expiresAt: v.nullish(b.timestamp),
      /** Relative expiry in milliseconds from now; alternative to expiresAt. */
      ttlMs: v.optional(v.pipe(v.number('a number'), v.integer('an integer'), v.minValue(1, 'positive'), v.maxValue(MAX_TIMESTAMP, 'a valid duration'))),
      metadata: v.optional(b.jsonObject),
      sourceMessageId: v.nullish(b.id),
      /** The conversation the memory belongs to (it is deleted with it). */
      conversationId: v.nullish(b.id),
      /** false stores the memory as a new row even if an equal or similar one exists. */
      dedup: v.optional(v.boolean('a boolean')),
      createdAt: v.optional(b.timestamp),
      ...embeddingFields,
    },
    'a memory object',
  );
  return {
    memoryInput,
    memoryBatch: v.pipe(v.array(memoryInput, 'an array of memories'), v.maxLength(limits.maxBatchRows, `at most ${limits.maxBatchRows} memories`)),
    memoryPatch: strictObject(
      {
        content: v.optional(b.nonEmptyContent),
        importance: v.optional(importance),
        expiresAt: v.nullish(b.timestamp),
        metadata: v.optional(b.jsonObject),
        /** null detaches the memory from its conversation. */
        conversationId: v.nullish(b.id),
      },
      'an object of memory fields',
    ),
    memoryList: v.optional(
      strictObject(
        {
          ...b.pageFields,
          kind: v.optional(memoryKind),
          conversationId: v.optional(b.id),
          includeExpired: v.optional(v.boolean('a boolean')),
          orderBy: v.optional(v.picklist(['newest', 'oldest', 'importance', 'accessed'], 'one of newest, oldest, importance, accessed')),
        },
        'an object',
      ),
      {},
    ),
    idList: v.pipe(v.array(b.id, 'an array of ids'), v.maxLength(10_000, 'at most 10000 ids')),
  };
}
