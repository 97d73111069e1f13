/** `MnemoEmbeddings`: LangChain's Embeddings over the in-browser model (`mnemo.embeddings.embed`). */
import { afterEach, beforeEach, expect, test } from 'vitest';
import { MnemoEmbeddings } from '../../src/langchain';
import { openTest } from './helpers';

let t: Awaited<ReturnType<typeof openTest>>;

beforeEach(async () => {
  t = await openTest();
});

afterEach(async () => {
  await t.mnemo.close();
});

test('embedDocuments gives one plain unit vector per text, in order; embedQuery the same vector for the same text', async () => {
  const embeddings = new MnemoEmbeddings({ mnemo: t.mnemo });
  const vectors = await embeddings.embedDocuments(['the cat sat', 'a dog barked', 'the cat sat']);
  expect(vectors).toHaveLength(3);
  for (const vector of vectors) {
    expect(Array.isArray(vector)).toBe(true);
    expect(vector).toHaveLength(64); // the test catalog's current model
    expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
  }
  expect(vectors[2]).toEqual(vectors[0]);
  expect(vectors[1]).not.toEqual(vectors[0]);
  expect(await embeddings.embedQuery('the cat sat')).toEqual(vectors[0]);
  expect(await embeddings.embedDocuments([])).toEqual([]);
  // An empty text is a zero vector, as the model gives it, not an error.
  expect(new Set(await embeddings.embedQuery(''))).toEqual(new Set([0]));
});

test('the vectors are those Mnemo computes for its own search', async () => {
  const embeddings = new MnemoEmbeddings({ mnemo: t.mnemo });
  const [direct] = await t.mnemo.embeddings.embed(['lisbon tram tour']);
  expect(await embeddings.embedQuery('lisbon tram tour')).toEqual(Array.from(direct!));
});
