/**
 * The Orama full-text baseline in a worker of its own: the same messages,
 * default tokenizer and BM25. `threshold: 1` returns documents matching any
 * query term, as Mnemo's quorum query does for one- and two-word queries
 * (`threshold: 0` would require every term).
 */
import { create, insertMultiple, search, type Orama } from '@orama/orama';
import { serve } from './rpc';

const schema = { content: 'string' } as const;
let db: Orama<typeof schema> | undefined;

const handlers = {
  async load(rows: Array<{ content: string }>): Promise<{ ms: number; docs: number }> {
    const started = performance.now();
    db = create({ schema });
    await insertMultiple(db, rows.map((row, i) => ({ id: String(i + 1), content: row.content })), 1_000);
    return { ms: performance.now() - started, docs: rows.length };
  },

  async search(term: string): Promise<Array<{ id: string; text: string; score: number }>> {
    if (!db) throw new Error('load first');
    const result = await search(db, { term, limit: 10, threshold: 1 });
    return result.hits.map((hit) => ({ id: hit.id, text: hit.document.content, score: hit.score }));
  },
};

export type OramaHandlers = typeof handlers;

serve(handlers);
