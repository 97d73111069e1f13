import type { MemoriesApi } from '../../shared/api';
import { check } from '../../shared/schemas';
import type { MemoryAdder } from '../services/memory-add';
import type { ScopedContext } from './context';

export function memoriesApi({ scope, db, schemas: s, now, write }: ScopedContext, adder: Pick<MemoryAdder, 'add'>): MemoriesApi {
  const r = () => db.repos;
  return {
    async add(input) {
      return adder.add(scope, check(s.memoryInput, input, 'memories.add'));
    },
    async get(id) {
      // Expired memories stay readable (and extendable by update) until cleanup or the retention sweep.
      return r().memories.get(scope, check(s.id, id, 'memories.get'), { includeExpired: true, now: now() });
    },
    async list(request) {
      return r().memories.list(scope, check(s.memoryList, request, 'memories.list'), now());
    },
    async update(id, patch) {
      const key = check(s.id, id, 'memories.update');
      const value = check(s.memoryPatch, patch, 'memories.update');
      return write('memories', (at) => r().memories.update(scope, key, value, at));
    },
    async delete(id) {
      const key = check(s.id, id, 'memories.delete');
      return write('memories', () => r().memories.delete(scope, key));
    },
    async touch(ids) {
      const keys = check(s.idList, ids, 'memories.touch');
      return write('memories', (at) => r().memories.touch(scope, keys, at));
    },
    async cleanupExpired() {
      return write('memories', (at) => r().memories.cleanupExpired(scope, at));
    },
    async clearLongTerm() {
      return write('memories', () => r().memories.clearKind(scope, 'long'));
    },
    async clearShortTerm() {
      return write('memories', () => r().memories.clearKind(scope, 'short'));
    },
  };
}
