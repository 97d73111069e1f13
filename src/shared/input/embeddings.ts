/** Schemas of caller-computed embeddings: the model registry, vectors on rows, reading them back. */
import * as v from 'valibot';
import { embedding, MAX_EMBEDDING_DIMS, modelId, strictObject, type Base, type Limits } from './base';

export const EMBEDDING_DISTANCES = ['cosine', 'dot'] as const;

/** The two fields every embeddable row's input accepts; `checkCallerVector` (worker) pairs them up. */
export const embeddingFields = {
  /** A vector computed outside Mnemo, stored under `embeddingModel` (a registered model). */
  embedding: v.optional(embedding),
  embeddingModel: v.optional(modelId),
};

export function embeddingSchemas(b: Base, limits: Limits) {
  return {
    embeddingModelInput: strictObject(
      {
        id: modelId,
        dims: v.pipe(v.number('a number'), v.integer('an integer'), v.minValue(1, 'at least 1'), v.maxValue(MAX_EMBEDDING_DIMS, `at most ${MAX_EMBEDDING_DIMS}`)),
        /** How search ranks: cosine (default; vectors of any length) or the raw dot product. */
        distance: v.optional(v.picklist(EMBEDDING_DISTANCES, "'cosine' or 'dot'")),
      },
      'a model object { id, dims, distance? }',
    ),
    embedTexts: v.pipe(
      v.array(b.content, 'an array of strings'),
      v.minLength(1, 'at least one text'),
      v.maxLength(limits.maxBatchRows, `at most ${limits.maxBatchRows} texts`),
    ),
    /** `get(id, { withEmbedding: true, model? })`: the row with one of its stored vectors. */
    embeddingRead: v.optional(
      strictObject({ withEmbedding: v.optional(v.boolean('a boolean')), model: v.optional(modelId) }, 'an object { withEmbedding?, model? }'),
      {},
    ),
    chunkEmbeddings: v.pipe(
      v.array(
        strictObject(
          { index: v.pipe(v.number('a number'), v.integer('an integer'), v.minValue(0, 'non-negative'), v.maxValue(1e9, 'at most 1e9')), embedding },
          'an object { index, embedding }',
        ),
        'an array of { index, embedding }',
      ),
      v.minLength(1, 'at least one chunk'),
      v.maxLength(limits.maxBatchRows, `at most ${limits.maxBatchRows} chunks`),
    ),
  };
}
