/** Schemas of memories. */
import * as v from 'valibot';
import { MAX_TIMESTAMP, memoryKind, strictObject, type Base } from './base';

export function memorySchemas(b: Base) {
  const importance = v.pipe(v.number('a number'), v.minValue(0, 'between 0 and 1'), v.maxValue(1, 'between 0 and 1'));
  return {
    memoryInput: strictObject(
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
        createdAt: v.optional(b.timestamp),
      },
      'a memory object',
    ),
    memoryPatch: strictObject(
      {
        content: v.optional(b.nonEmptyContent),
        importance: v.optional(importance),
        expiresAt: v.nullish(b.timestamp),
        metadata: v.optional(b.jsonObject),
      },
      'an object of memory fields',
    ),
    memoryList: v.optional(
      strictObject(
        {
          ...b.pageFields,
          kind: v.optional(memoryKind),
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
