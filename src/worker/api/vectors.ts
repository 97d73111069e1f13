import type { VectorsApi } from '../../shared/api';
import { check } from '../../shared/schemas';
import type { ScopedContext } from './context';

export function vectorsApi({ scope, db, schemas: s, write }: ScopedContext): VectorsApi {
  const r = () => db.repos;
  return {
    async add(input) {
      const value = check(s.vectorInput, input, 'vectors.add');
      return write('vector_entries', (at) => r().vectors.add(scope, value, at).entry, { createsSpace: true });
    },
    async get(id) {
      return r().vectors.get(scope, check(s.id, id, 'vectors.get'));
    },
    async getByDocumentId(collection, documentId) {
      const name = check(s.collection, collection, 'vectors.getByDocumentId');
      return r().vectors.getByDocumentId(scope, name, check(s.id, documentId, 'vectors.getByDocumentId'));
    },
    async update(id, patch) {
      const key = check(s.id, id, 'vectors.update');
      const value = check(s.vectorPatch, patch, 'vectors.update');
      return write('vector_entries', (at) => r().vectors.update(scope, key, value, at));
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
    async clearVectors(collection) {
      const name = collection === undefined ? undefined : check(s.collection, collection, 'vectors.clearVectors');
      return write('vector_entries', () => r().vectors.clear(scope, name));
    },
  };
}
