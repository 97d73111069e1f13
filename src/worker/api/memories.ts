import type { MemoriesApi } from '../../shared/api';
import { check } from '../../shared/schemas';
import type { MemoryAdder } from '../services/memory-add';
import type { ScopedContext } from './context';
import { readEmbedding } from './embedding-read';

export function memoriesApi(ctx: ScopedContext, adder: Pick<MemoryAdder, 'add' | 'addMany'>): MemoriesApi {
  const { scope, db, schemas: s, now, write } = ctx;
  const r = () => db.repos;
  return {
    async add(input) {
      return adder.add(scope, check(s.memoryInput, input, 'memories.add'));
    },
    async insertMany(memories) {
      const values = check(s.memoryBatch, memories, 'memories.insertMany');
      const rows = values.length === 0 ? [] : await adder.addMany(scope, values, { context: 'memories.insertMany', batch: true });
      const tally = (action: string) => rows.filter((row) => row.action === action).length;
      return {
        rows: rows.map(({ memory, previous: _previous, ...row }) => ({ id: memory.id, ...row })),
        added: tally('added'),
        updated: tally('updated'),
        ignored: tally('ignored'),
      };
    },
    async get(id, options) {
      const key = check(s.id, id, 'memories.get');
      const read = check(s.embeddingRead, options, 'memories.get');
      // Expired memories stay readable (and extendable by update) until cleanup or the retention sweep.
      const memory = r().memories.get(scope, key, { includeExpired: true, now: now() });
      return read.withEmbedding ? { ...memory, ...readEmbedding(ctx, 'memories.get', 'memories', memory.id, read.model) } : memory;
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
