import type { EmbeddingFields } from '../../shared/api';
import { fail } from '../../shared/errors';
import type { OwnerTable } from '../embed/service';
import type { ScopedContext } from './context';

/**
 * A row's stored vector for `get(id, { withEmbedding: true, model? })`: of
 * `model` when named (a registered model or the current one), else the row's
 * newest caller vector, else the current model's. Null fields when the row
 * has none (yet: the queue embeds in the background).
 */
export function readEmbedding(
  { db, embeddings }: ScopedContext,
  context: string,
  table: OwnerTable,
  id: string,
  model: string | undefined,
): Required<EmbeddingFields> {
  const current = embeddings.modelId;
  if (model !== undefined && model !== current && !embeddings.callerModel(model)) {
    fail('INVALID_INPUT', `${context}: field 'model' must name a registered model or the current one`);
  }
  const found = db.repos.embeddings.read(table, id, model, current);
  return found ? { embedding: found.vector, embeddingModel: found.modelId } : { embedding: null, embeddingModel: null };
}
