/** Schemas of vector entries and uploaded documents. */
import * as v from 'valibot';
import { strictObject, wellFormed, type Base, type Limits } from './base';
import { embeddingFields } from './embeddings';

export function vectorSchemas(b: Base, limits: Limits) {
  const vectorInput = strictObject(
    {
      id: v.optional(b.id),
      collection: b.collection,
      content: b.nonEmptyContent,
      documentId: v.nullish(b.id),
      metadata: v.optional(b.jsonObject),
      createdAt: v.optional(b.timestamp),
      ...embeddingFields,
    },
    'a vector entry object',
  );
  return {
    vectorInput,
    vectorBatch: v.pipe(v.array(vectorInput, 'an array of vector entries'), v.maxLength(limits.maxBatchRows, `at most ${limits.maxBatchRows} vector entries`)),
    /** `vectors.update`: the fields given change; `metadata` replaces the old object. */
    vectorPatch: strictObject({ content: v.optional(b.nonEmptyContent), metadata: v.optional(b.jsonObject), ...embeddingFields }, 'an object of vector entry fields'),
    vectorList: v.optional(strictObject({ ...b.pageFields, collection: v.optional(b.collection) }, 'an object'), {}),
    collection: b.collection,
  };
}

export function documentSchemas(b: Base) {
  return {
    upload: strictObject(
      {
        name: v.pipe(b.name, v.maxLength(255, 'a file name of at most 255 characters')),
        type: v.optional(v.pipe(v.string('a string'), v.maxLength(255, 'at most 255 characters'), wellFormed)),
        bytes: v.custom<Uint8Array>((bytes) => bytes instanceof Uint8Array, 'a Uint8Array of the file bytes'),
      },
      'a file object { name, type, bytes }',
    ),
    uploadOptions: v.optional(
      strictObject(
        {
          maxChunkChars: v.optional(v.pipe(v.number('a number'), v.integer('an integer'), v.minValue(100, 'at least 100'), v.maxValue(100_000, 'at most 100000'))),
          metadata: v.optional(b.jsonObject),
        },
        'an object',
      ),
      {},
    ),
  };
}
