/**
 * The Orama full-text baseline in a worker of its own: the same messages,
 * default tokenizer and BM25. `threshold: 1` returns documents matching any
 * query term, as Mnemo's quorum query does for two-word queries
 * (`threshold: 0` would require every term).
 */
import { create, insertMultiple, search, type Orama } from '@orama/orama';
import { serve } from './rpc';

const schema = { content: 'string' } as const;
let db: Orama<typeof schema> | undefined;
let next = 0;

const handlers = {
  async insert(contents: string[]): Promise<number> {
    db ??= create({ schema });
    await insertMultiple(db, contents.map((content) => ({ id: String(++next), content })), 1_000);
    return contents.length;
  },

  async search(term: string): Promise<Array<{ id: string; score: number }>> {
    if (!db) throw new Error('insert first');
    const result = await search(db, { term, limit: 10, threshold: 1 });
    return result.hits.map((hit) => ({ id: hit.id, score: hit.score }));
  },
};

export type OramaHandlers = typeof handlers;

serve(handlers);
