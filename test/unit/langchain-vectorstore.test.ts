/**
 * `MnemoVectorStore` against LangChain's documented VectorStore semantics:
 * scores are similarities (higher is better, best first), `k` bounds the
 * results, filters narrow them, `delete({ ids })` removes by document id, and
 * a document's `id` and `metadata` come back as they went in.
 */
import { Document } from '@langchain/core/documents';
import { Embeddings } from '@langchain/core/embeddings';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { ScopedApi } from '../../src/shared/api';
import { MnemoEmbeddings, MnemoVectorStore } from '../../src/langchain';
import { count, openTest } from './helpers';

const A = { userId: 'alice', spaceId: 'lc' };

let t: Awaited<ReturnType<typeof openTest>>;
let s: ScopedApi;

beforeEach(async () => {
  t = await openTest();
  s = t.mnemo.space(A);
});

afterEach(async () => {
  await t.mnemo.close();
});

/** Three-dimensional vectors named by a word in the text, so every score is known. */
class AxisEmbeddings extends Embeddings {
  constructor() {
    super({});
  }
  static vectorOf(text: string): number[] {
    if (text.includes('nearly')) return [0.99, 0.14, 0];
    if (text.includes('between')) return [0.7, 0.7, 0];
    if (text.includes('north')) return [1, 0, 0];
    if (text.includes('east')) return [0, 1, 0];
    if (text.includes('up')) return [-0.1, 0, 1];
    return [0, 0, 1];
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map((text) => AxisEmbeddings.vectorOf(text));
  }
  async embedQuery(text: string): Promise<number[]> {
    return AxisEmbeddings.vectorOf(text);
  }
}

const axisStore = (collection = 'axes') => new MnemoVectorStore(new AxisEmbeddings(), { space: s, collection, mnemo: t.mnemo });

describe('MnemoVectorStore', () => {
  test('fromTexts with MnemoEmbeddings, then similaritySearch and a retriever find the matching text', async () => {
    const store = await MnemoVectorStore.fromTexts(
      ['Mnemo keeps chats in SQLite in the browser.', 'The Eiffel tower is in Paris.', 'Bananas are yellow.'],
      [{ topic: 'db' }, { topic: 'travel' }, { topic: 'food' }],
      new MnemoEmbeddings({ mnemo: t.mnemo }),
      { space: s, collection: 'example' },
    );
    const [top] = await store.similaritySearch('where is the eiffel tower', 1);
    expect(top).toMatchObject({ pageContent: 'The Eiffel tower is in Paris.', metadata: { topic: 'travel' } });
    const docs = await store.asRetriever({ k: 1 }).invoke('yellow bananas');
    expect(docs.map((d) => d.pageContent)).toEqual(['Bananas are yellow.']);
    // The vectors are caller vectors of a model the store registered for them.
    expect((await t.mnemo.embeddings.models()).find((m) => m.id === 'langchain-64d')).toMatchObject({ source: 'caller', dims: 64, embedded: 3 });
  });

  test('scores are similarities, best first; k bounds the results', async () => {
    const store = axisStore();
    await store.addDocuments([
      new Document({ pageContent: 'due north' }),
      new Document({ pageContent: 'nearly north' }),
      new Document({ pageContent: 'in between' }),
      new Document({ pageContent: 'due east' }),
      new Document({ pageContent: 'straight up' }),
    ]);
    const scored = await store.similaritySearchWithScore('north', 5);
    expect(scored.map(([doc]) => doc.pageContent)).toEqual(['due north', 'nearly north', 'in between', 'due east', 'straight up']);
    const scores = scored.map(([, score]) => score);
    expect(scores[0]).toBeCloseTo(1, 5);
    expect(scores).toEqual([...scores].sort((x, y) => y - x));
    expect(scores[1]).toBeCloseTo(0.99 / Math.hypot(0.99, 0.14), 5);
    expect(scores[3]).toBeCloseTo(0, 5);
    expect(await store.similaritySearch('north', 2)).toHaveLength(2);
    expect(await store.similaritySearch('north')).toHaveLength(4); // LangChain's default k
    expect(await store.similaritySearch('north', 50)).toHaveLength(5);
    const [[byVector, score]] = (await store.similaritySearchVectorWithScore([0, 1, 0], 1)) as [[Document, number]];
    expect(byVector.pageContent).toBe('due east');
    expect(score).toBeCloseTo(1, 5);
  });

  test("documents' id and metadata round-trip; adding an id again replaces that document", async () => {
    const store = axisStore();
    const metadata = { source: 'wiki', page: 3, tags: ['a', 'b'], nested: { ok: true }, none: null };
    const ids = await store.addDocuments([
      new Document({ pageContent: 'due north', metadata, id: 'doc-n' }),
      new Document({ pageContent: 'due east', metadata: { source: 'blog' } }),
    ]);
    expect(ids[0]).toBe('doc-n');
    expect(ids[1]).toMatch(/^[0-9a-f-]{36}$/);
    const [north] = await store.similaritySearch('north', 1);
    expect(north).toMatchObject({ id: 'doc-n', pageContent: 'due north', metadata });
    const [east] = await store.similaritySearch('east', 1);
    expect(east!.id).toBe(ids[1]);
    // ids given as an option win over the documents' own.
    expect(await store.addDocuments([new Document({ pageContent: 'straight up', id: 'ignored' })], { ids: ['doc-up'] })).toEqual(['doc-up']);
    // Same id again: one document, the new text and metadata.
    await store.addDocuments([new Document({ pageContent: 'north again', metadata: { rev: 2 }, id: 'doc-n' })]);
    expect(count(t.sql, "SELECT count(*) FROM vector_entries WHERE collection = 'axes'")).toBe(3);
    expect((await store.similaritySearch('north', 1))[0]).toMatchObject({ id: 'doc-n', pageContent: 'north again', metadata: { rev: 2 } });
  });

  test('metadata filters (values, lists of values, functions) narrow the results', async () => {
    const store = axisStore();
    await store.addDocuments([
      new Document({ pageContent: 'north one', metadata: { lang: 'en', year: 2023, draft: false } }),
      new Document({ pageContent: 'north two', metadata: { lang: 'de', year: 2024, draft: true } }),
      new Document({ pageContent: 'north three', metadata: { lang: 'fr', year: '2024' } }),
    ]);
    const texts = async (filter: MnemoVectorStore['FilterType']) => (await store.similaritySearch('north', 10, filter)).map((d) => d.pageContent).sort();
    expect(await texts({ lang: 'de' })).toEqual(['north two']);
    expect(await texts({ lang: ['en', 'fr'] })).toEqual(['north one', 'north three']);
    expect(await texts({ year: 2024 })).toEqual(['north two']); // the number, not the string
    expect(await texts({ draft: false })).toEqual(['north one']);
    expect(await texts({ lang: 'de', draft: false })).toEqual([]);
    expect(await texts({ missing: 'x' })).toEqual([]);
    expect(await texts((doc) => doc.metadata['year'] === '2024')).toEqual(['north three']);
    const retrieved = await store.asRetriever({ k: 5, filter: { lang: 'en' } }).invoke('north');
    expect(retrieved.map((d) => d.pageContent)).toEqual(['north one']);
  });

  test('delete({ ids }) removes those documents; other collections and spaces are untouched', async () => {
    const store = axisStore();
    const ids = await store.addDocuments([new Document({ pageContent: 'due north' }), new Document({ pageContent: 'nearly north' })]);
    const other = axisStore('other');
    await other.addDocuments([new Document({ pageContent: 'north elsewhere' })]);
    const bobs = new MnemoVectorStore(new AxisEmbeddings(), { space: t.mnemo.space({ userId: 'bob', spaceId: 'lc' }), collection: 'axes', mnemo: t.mnemo });
    await bobs.addDocuments([new Document({ pageContent: 'north for bob' })]);

    expect((await store.similaritySearch('north', 10)).map((d) => d.pageContent)).toEqual(['due north', 'nearly north']);
    await store.delete({ ids: [ids[0]!] });
    expect((await store.similaritySearch('north', 10)).map((d) => d.id)).toEqual([ids[1]]);
    await store.delete({ ids: ['never-added'] });
    await store.delete({ deleteAll: true });
    expect(await store.similaritySearch('north', 10)).toEqual([]);
    expect((await other.similaritySearch('north', 10)).map((d) => d.pageContent)).toEqual(['north elsewhere']);
    expect((await bobs.similaritySearch('north', 10)).map((d) => d.pageContent)).toEqual(['north for bob']);
  });

  test('maxMarginalRelevanceSearch trades near duplicates for a different document', async () => {
    const store = axisStore();
    await store.addDocuments(['due north', 'nearly north', 'in between', 'due east'].map((pageContent) => new Document({ pageContent })));
    expect((await store.similaritySearch('north', 2)).map((d) => d.pageContent)).toEqual(['due north', 'nearly north']);
    // Second pick, lambda 0.3: 0.3 × relevance − 0.7 × likeness to 'due north' is 0 for 'due east', below 0 for the others.
    const diverse = await store.maxMarginalRelevanceSearch('north', { k: 2, fetchK: 4, lambda: 0.3 }, undefined);
    expect(diverse.map((d) => d.pageContent)).toEqual(['due north', 'due east']);
    const relevant = await store.maxMarginalRelevanceSearch('north', { k: 2, fetchK: 4, lambda: 1 }, undefined);
    expect(relevant.map((d) => d.pageContent)).toEqual(['due north', 'nearly north']);
    const mmr = await store.asRetriever({ k: 2, searchType: 'mmr', searchKwargs: { fetchK: 4, lambda: 0.3 } }).invoke('north');
    expect(mmr.map((d) => d.pageContent)).toEqual(['due north', 'due east']);
  });

  test('addVectors and fromDocuments take the caller’s vectors; a registered model needs no client', async () => {
    await t.mnemo.embeddings.register({ id: 'my-3d', dims: 3 });
    const store = await MnemoVectorStore.fromDocuments([new Document({ pageContent: 'due north', id: 'n' })], new AxisEmbeddings(), { space: s, model: 'my-3d' });
    expect(await store.addVectors([[0, 0, 1]], [new Document({ pageContent: 'any text', metadata: { k: 1 } })])).toHaveLength(1);
    const [[doc]] = (await store.similaritySearchVectorWithScore([0, 0, 1], 1)) as [[Document, number]];
    expect(doc).toMatchObject({ pageContent: 'any text', metadata: { k: 1 } });
    expect(store.collection).toBe('langchain');
    await expect(new MnemoVectorStore(new AxisEmbeddings(), { space: s }).addDocuments([new Document({ pageContent: 'x' })])).rejects.toThrow(/mnemo/);
  });
});
