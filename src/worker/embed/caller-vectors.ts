/**
 * Vectors the caller brings (`embedding` + `embeddingModel` on a row): each
 * is checked against the registry before anything is written, so a wrong
 * model or dimension count fails the whole call with INVALID_INPUT naming
 * the field. Values are never echoed; model ids are not quoted either.
 */
import { fail } from '../../shared/errors';
import type { RegisteredModel } from '../../shared/api';

export interface CallerVector {
  modelId: string;
  vector: Float32Array;
}

/** What a row input may carry; once checked by its schema `embedding` is a Float32Array. */
export interface EmbeddableInput {
  embedding?: Float32Array | number[] | undefined;
  embeddingModel?: string | undefined;
}

export type ModelLookup = (modelId: string) => RegisteredModel | undefined;

/**
 * The row's vector with its model, or undefined when it brings none. `at` is
 * the row's path in the argument ('3.' for the fourth row of a batch).
 */
export function callerVector(lookup: ModelLookup, input: EmbeddableInput, context: string, at = ''): CallerVector | undefined {
  const { embedding, embeddingModel } = input;
  if (embedding === undefined && embeddingModel === undefined) return undefined;
  if (embeddingModel === undefined) fail('INVALID_INPUT', `${context}: field '${at}embeddingModel' is required with '${at}embedding'`);
  if (embedding === undefined) fail('INVALID_INPUT', `${context}: field '${at}embedding' is required with '${at}embeddingModel'`);
  const vector = embedding instanceof Float32Array ? embedding : Float32Array.from(embedding);
  return { modelId: embeddingModel, vector: checkDims(lookup, vector, embeddingModel, context, `${at}embedding`, `${at}embeddingModel`) };
}

/** Checks a vector against a registered model; `field` names the vector, `modelField` the model. */
export function checkDims(lookup: ModelLookup, vector: Float32Array, modelId: string, context: string, field: string, modelField: string): Float32Array {
  const model = lookup(modelId);
  if (!model) fail('INVALID_INPUT', `${context}: field '${modelField}' must name a model registered with embeddings.register`);
  if (vector.length !== model.dims) fail('INVALID_INPUT', `${context}: field '${field}' must have ${model.dims} dimensions (it has ${vector.length})`);
  return vector;
}
