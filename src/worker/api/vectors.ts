import type { VectorsApi } from '../../shared/api';
import { check } from '../../shared/schemas';
import { callerVector } from '../embed/caller-vectors';
import type { ScopedContext } from './context';
import { readEmbedding } from './embedding-read';

export function vectorsApi(ctx: ScopedContext): VectorsApi {
  const { scope, db, schemas: s, write, embeddings } = ctx;
  const r = () => db.repos;
  const lookup = (modelId: string) => embeddings.callerModel(modelId);
  return {
    async add(input) {
      const value = check(s.vectorInput, input, 'vectors.add');
      const vector = callerVector(lookup, value, 'vectors.add');
      return embeddings.vectorWrite(() =>
        write(
          'vector_entries',
          (at) => {
            const { entry } = r().vectors.add(scope, value, at);
            if (vector) embeddings.storeVector('vector_entries', entry.id, scope, vector.modelId, vector.vector);
            return entry;
          },
          { createsSpace: true },
        ),
      );
    },
    async insertMany(entries) {
      const values = check(s.vectorBatch, entries, 'vectors.insertMany');
      if (values.length === 0) return { inserted: 0, updated: 0, ids: [] };
      const vectors = values.map((value, i) => callerVector(lookup, value, 'vectors.insertMany', `${i}.`));
      return embeddings.vectorWrite(() =>
        write(
          'vector_entries',
          (at) => {
            const result = r().vectors.insertMany(scope, values, at);
            // A documentId repeated in the batch ends as its last row: content, metadata and vector alike.
            const last = new Map(result.ids.map((id, i) => [id, i]));
            vectors.forEach((vector, i) => {
              if (vector && last.get(result.ids[i]!) === i) embeddings.storeVector('vector_entries', result.ids[i]!, scope, vector.modelId, vector.vector);
            });
            return result;
          },
          { createsSpace: true },
        ),
      );
    },
    async update(id, patch) {
      const key = check(s.id, id, 'vectors.update');
      const value = check(s.vectorPatch, patch, 'vectors.update');
      const vector = callerVector(lookup, value, 'vectors.update');
      return embeddings.vectorWrite(() =>
        write('vector_entries', (at) => {
          const entry = r().vectors.update(scope, key, value, at);
          if (vector) embeddings.storeVector('vector_entries', entry.id, scope, vector.modelId, vector.vector);
          return entry;
        }),
      );
    },
    async get(id, options) {
      const key = check(s.id, id, 'vectors.get');
      const read = check(s.embeddingRead, options, 'vectors.get');
      const entry = r().vectors.get(scope, key);
      return read.withEmbedding ? { ...entry, ...readEmbedding(ctx, 'vectors.get', 'vector_entries', entry.id, read.model) } : entry;
    },
    async getByDocumentId(collection, documentId) {
      const name = check(s.collection, collection, 'vectors.getByDocumentId');
      return r().vectors.getByDocumentId(scope, name, check(s.id, documentId, 'vectors.getByDocumentId'));
    },
    async list(request) {
      return r().vectors.list(scope, check(s.vectorList, request, 'vectors.list'));
    },
    async collections() {
      return r().vectors.collections(scope);
    },
    async delete(id) {
      const key = check(s.id, id, 'vectors.delete');
      return write('vector_entries', () => r().vectors.delete(scope, key));
    },
    async deleteByDocumentIds(collection, documentIds) {
      const name = check(s.collection, collection, 'vectors.deleteByDocumentIds');
      const keys = check(s.idList, documentIds, 'vectors.deleteByDocumentIds');
      return write('vector_entries', () => r().vectors.deleteByDocumentIds(scope, name, keys));
    },
    async clearVectors(collection) {
      const name = collection === undefined ? undefined : check(s.collection, collection, 'vectors.clearVectors');
      return write('vector_entries', () => r().vectors.clear(scope, name));
    },
  };
}
