/**
 * Bring your own embeddings in real Chromium, scripted through `window.mnemo`
 * as an app or a console user would: register a model, add rows with
 * vectors (Float32Array and plain arrays, across the worker boundary), search
 * by a query vector, read the vectors back, and find them again after a
 * reload (the registry and the vectors live in the OPFS file).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launch, openApp, serveApp, type App, type Browser } from './harness';

let app: App;
let browser: Browser;

beforeAll(async () => {
  app = await serveApp();
  browser = await launch(undefined, { serviceWorkers: 'block' });
});

afterAll(async () => {
  await browser?.dispose();
  await app?.close();
});

const SCOPE = { userId: 'byo', spaceId: 'e2e' };

async function searchTexts(page: Page, vector: number[]): Promise<string[]> {
  return page.evaluate(
    async ({ scope, vector }) => {
      const hits = await window.mnemo!.space(scope).search({ vector: new Float32Array(vector), model: 'ext-8', mode: 'vector', limit: 3 });
      return hits.map((h) => h.text);
    },
    { scope: SCOPE, vector },
  );
}

describe('caller vectors in the browser', () => {
  test('register, add with vectors, search by vector, read back, and again after a reload', async () => {
    const page = await openApp(browser.context, app.url);
    const result = await page.evaluate(async (scope) => {
      const mnemo = window.mnemo!;
      const s = mnemo.space(scope);
      const model = await mnemo.embeddings.register({ id: 'ext-8', dims: 8 });
      const unit = (i: number) => Float32Array.from({ length: 8 }, (_, j) => (j === i ? 1 : 0));
      const session = await s.sessions.create({ name: 'byo' });
      const conversation = await s.conversations.create({ sessionId: session.id });
      const entry = await s.vectors.add({ collection: 'docs', content: 'the red one', embedding: unit(0), embeddingModel: 'ext-8' });
      await s.vectors.add({ collection: 'docs', content: 'the green one', embedding: [0, 1, 0, 0, 0, 0, 0, 0], embeddingModel: 'ext-8' });
      await s.messages.add({ conversationId: conversation.id, role: 'user', content: 'a blue message', embedding: unit(2), embeddingModel: 'ext-8' });
      const { memory } = await s.memories.add({ kind: 'long', content: 'a yellow memory', embedding: unit(3), embeddingModel: 'ext-8' });
      const hits = await s.search({ vector: Float32Array.of(0.9, 0.1, 0, 0, 0, 0, 0, 0), model: 'ext-8', limit: 2 });
      const read = await s.vectors.get(entry.id, { withEmbedding: true });
      const readMemory = await s.memories.get(memory.id, { withEmbedding: true, model: 'ext-8' });
      let wrong: unknown = null;
      try {
        await s.vectors.add({ collection: 'docs', content: 'bad', embedding: [1, 2, 3], embeddingModel: 'ext-8' });
      } catch (error) {
        wrong = error;
      }
      const models = await mnemo.embeddings.models();
      return {
        model,
        hits: hits.map((h) => ({ text: h.text, kind: h.kind, cosine: h.score.cosine })),
        read: { isFloat32: read.embedding instanceof Float32Array, values: [...(read.embedding ?? [])], model: read.embeddingModel },
        memoryVector: [...(readMemory.embedding ?? [])],
        wrong,
        registered: models.filter((m) => m.source === 'caller').map((m) => ({ id: m.id, embedded: m.embedded })),
      };
    }, SCOPE);

    expect(result.model).toMatchObject({ id: 'ext-8', dims: 8, distance: 'cosine' });
    expect(result.hits.map((h) => h.text)).toEqual(['the red one', 'the green one']);
    expect(result.hits[0]!.cosine).toBeGreaterThan(0.99);
    expect(result.read).toEqual({ isFloat32: true, values: [1, 0, 0, 0, 0, 0, 0, 0], model: 'ext-8' });
    expect(result.memoryVector).toEqual([0, 0, 0, 1, 0, 0, 0, 0]);
    expect(result.wrong).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining("'embedding'") });
    expect(result.registered).toEqual([{ id: 'ext-8', embedded: 4 }]);
    expect(await searchTexts(page, [0, 0, 1, 0, 0, 0, 0, 0])).toEqual(['a blue message']);

    await page.reload();
    await page.waitForFunction(() => window.mnemo !== undefined, undefined, { timeout: 60_000 });
    expect(await searchTexts(page, [0, 0, 0, 1, 0, 0, 0, 0])).toEqual(['a yellow memory']);
    await page.close();
  });
});
