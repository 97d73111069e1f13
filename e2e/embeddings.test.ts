/**
 * Embeddings in real Chromium with every request to a host other than the
 * app's aborted: the bundled model loads through transformers.js from the
 * app's origin, a model change re-embeds everything, the queue survives a
 * reload, and a model imported from files loads from OPFS (also after a
 * reload) without fetching anything.
 */
import type { BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { ModelFile } from '../src/shared/api';
import { launch, openApp, serveApp, type App, type Browser } from './harness';

let app: App;
let browser: Browser | undefined;

beforeAll(async () => {
  app = await serveApp();
});

afterEach(async () => {
  await browser?.dispose();
  browser = undefined;
});

afterAll(async () => {
  await app.close();
});

const SCOPE = { userId: 'u1', spaceId: 's1' };
const AUTOMOBILE = 'I bought a new automobile';
const OTHERS = ['I like bananas and apples', 'the weather is cold today', 'my doctor prescribed medicine', 'we had pizza for dinner'];
const TEST_MODEL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'];

interface Watch {
  /** Requests to hosts other than the app's; each was aborted. */
  foreign: string[];
  /** Paths of every request to the app (page, workers). */
  local: string[];
}

/** A fresh browser whose requests outside localhost are aborted and recorded. */
async function start(): Promise<{ context: BrowserContext; watch: Watch }> {
  // The service worker's precache would fetch /models/ too; these tests watch the model loader alone.
  browser = await launch(undefined, { serviceWorkers: 'block' });
  const watch: Watch = { foreign: [], local: [] };
  const isLocal = (url: string) => ['localhost', '127.0.0.1'].includes(new URL(url).hostname);
  await browser.context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLocal(url)) return route.continue();
    watch.foreign.push(url);
    return route.abort();
  });
  // Also sees requests a route handler might not (e.g. ones answered by the service worker).
  browser.context.on('request', (request: Request) => {
    const url = request.url();
    if (!/^https?:/.test(url)) return;
    if (isLocal(url)) watch.local.push(new URL(url).pathname);
    else if (!watch.foreign.includes(url)) watch.foreign.push(url);
  });
  return { context: browser.context, watch };
}

async function reload(page: Page): Promise<void> {
  await page.reload();
  await page.waitForFunction(() => window.mnemo !== undefined, undefined, { timeout: 60_000 });
}

/** Adds one conversation with the given messages; returns their ids. */
async function addMessages(page: Page, contents: string[]): Promise<string[]> {
  return page.evaluate(
    async ({ scope, contents }) => {
      const s = window.mnemo!.space(scope);
      const session = await s.sessions.create({ name: 'embeddings' });
      const conversation = await s.conversations.create({ sessionId: session.id });
      const { ids } = await s.messages.insertMany(contents.map((content) => ({ conversationId: conversation.id, role: 'user' as const, content })));
      return ids;
    },
    { scope: SCOPE, contents },
  );
}

/** Message ids found for a query in one search mode. */
async function found(page: Page, query: string, mode: 'keyword' | 'vector'): Promise<string[]> {
  return page.evaluate(
    async ({ scope, query, mode }) => (await window.mnemo!.space(scope).search({ query, mode, limit: 3 })).map((h) => h.ref.id),
    { scope: SCOPE, query, mode },
  );
}

describe('embeddings in the browser, offline from everything but the app', () => {
  test('the bundled model loads through transformers.js from the app origin', async () => {
    const { context, watch } = await start();
    const page = await openApp(context, app.url);
    const status = await page.evaluate(() => window.mnemo!.embeddings.status());
    expect(status).toMatchObject({ modelId: 'mnemo-glove-100d', ready: true, dims: 100, error: null });
    expect(status.models.map((m) => m.id)).toEqual(expect.arrayContaining(['mnemo-glove-100d', 'mnemo-test-32d']));
    expect(watch.local).toEqual(expect.arrayContaining(['/models/mnemo-glove-100d/onnx/model.onnx', '/models/mnemo-glove-100d/tokenizer.json']));
    expect(watch.local.some((p) => p.startsWith('/ort/ort-wasm-simd-threaded'))).toBe(true);
    expect(watch.foreign).toEqual([]);
  });

  test('a model change re-embeds every row, and vector search finds a synonym keyword search misses', async () => {
    const { context, watch } = await start();
    const page = await openApp(context, app.url);
    const [automobile] = await addMessages(page, [AUTOMOBILE, ...OTHERS]);
    const before = await page.evaluate(() => window.mnemo!.embeddings.flush());
    expect(before).toMatchObject({ modelId: 'mnemo-glove-100d', pending: 0, embedded: 5 });

    const switched = await page.evaluate(() => window.mnemo!.embeddings.setModel('mnemo-test-32d'));
    expect(switched).toMatchObject({ modelId: 'mnemo-test-32d', ready: true, dims: 32 });
    const after = await page.evaluate(() => window.mnemo!.embeddings.flush());
    expect(after).toMatchObject({ modelId: 'mnemo-test-32d', pending: 0, embedded: 5, error: null });

    expect(await found(page, 'car', 'keyword')).not.toContain(automobile);
    expect((await found(page, 'car', 'vector'))[0]).toBe(automobile);
    expect(watch.foreign).toEqual([]);
  });

  test('the embedding queue resumes after a reload', async () => {
    const { context, watch } = await start();
    const page = await openApp(context, app.url);
    await page.evaluate(() => window.mnemo!.embeddings.setModel('mnemo-test-32d'));
    const total = 4000;
    const queued = await page.evaluate(
      async ({ scope, total }) => {
        const s = window.mnemo!.space(scope);
        const session = await s.sessions.create({ name: 'bulk' });
        const conversation = await s.conversations.create({ sessionId: session.id });
        const words = ['car', 'house', 'coffee', 'meeting', 'doctor', 'rain', 'music', 'friend'];
        await s.messages.insertMany(
          Array.from({ length: total }, (_, i) => ({
            conversationId: conversation.id,
            role: 'user' as const,
            content: `note ${i} about the ${words[i % words.length]} and the ${words[(i * 7) % words.length]}`,
          })),
        );
        return (await window.mnemo!.embeddings.status()).pending;
      },
      { scope: SCOPE, total },
    );
    expect(queued).toBeGreaterThan(0); // the reload below interrupts the runner
    await reload(page);
    const status = await page.evaluate(() => window.mnemo!.embeddings.flush());
    expect(status).toMatchObject({ modelId: 'mnemo-test-32d', pending: 0, embedded: total, error: null });
    expect(watch.foreign).toEqual([]);
  });

  test('an imported model loads from OPFS without any request, also after a reload', async () => {
    const { context, watch } = await start();
    const page = await openApp(context, app.url);
    // Waits for the default model, which the queue loads at start, so its files are not in the way below.
    expect(await page.evaluate(() => window.mnemo!.embeddings.status())).toMatchObject({ modelId: 'mnemo-glove-100d', ready: true });
    const [automobile] = await addMessages(page, [AUTOMOBILE, ...OTHERS]);

    // The user's folder: here the test model's files, fetched once by the page.
    await page.evaluate(async (paths) => {
      const files = await Promise.all(
        paths.map(async (path) => ({ path, bytes: new Uint8Array(await (await fetch(`/models/mnemo-test-32d/${path}`)).arrayBuffer()) })),
      );
      (window as unknown as { picked: ModelFile[] }).picked = files;
    }, TEST_MODEL_FILES);
    // The copy above is the only way to these files from now on.
    const modelRequests: string[] = [];
    await context.route('**/models/**', (route) => {
      modelRequests.push(route.request().url());
      return route.abort();
    });
    const modelsSeen = watch.local.filter((p) => p.startsWith('/models/')).length;

    const info = await page.evaluate(() => window.mnemo!.embeddings.importModel('my-imported', (window as unknown as { picked: ModelFile[] }).picked));
    expect(info).toEqual({ id: 'my-imported', dims: 32, source: 'imported' });
    const switched = await page.evaluate(() => window.mnemo!.embeddings.setModel('my-imported'));
    expect(switched).toMatchObject({ modelId: 'my-imported', ready: true, dims: 32 });
    expect(switched.models).toContainEqual({ id: 'my-imported', dims: 32, source: 'imported' });
    const flushed = await page.evaluate(() => window.mnemo!.embeddings.flush());
    expect(flushed).toMatchObject({ pending: 0, embedded: 5, error: null });
    expect((await found(page, 'car', 'vector'))[0]).toBe(automobile);

    await reload(page);
    const reloaded = await page.evaluate(() => window.mnemo!.embeddings.status());
    expect(reloaded).toMatchObject({ modelId: 'my-imported', ready: true, dims: 32, pending: 0, embedded: 5, error: null });
    expect(reloaded.models).toContainEqual({ id: 'my-imported', dims: 32, source: 'imported' });
    expect((await found(page, 'vehicle', 'vector'))[0]).toBe(automobile);

    // Nothing of the model came over the network: no /models/ request after the copy.
    expect(modelRequests).toEqual([]);
    expect(watch.local.filter((p) => p.startsWith('/models/')).length).toBe(modelsSeen);
    expect(watch.foreign).toEqual([]);
  });

  test('importing rejects an incomplete folder and the ids of shipped models', async () => {
    const { context } = await start();
    const page = await openApp(context, app.url);
    const errors = await page.evaluate(async () => {
      const bytes = new TextEncoder().encode('{}');
      const attempt = (id: string, files: ModelFile[]) =>
        window.mnemo!.embeddings.importModel(id, files).then(
          () => null,
          (e: { code?: string }) => e.code ?? 'unknown',
        );
      return {
        incomplete: await attempt('half', [{ path: 'config.json', bytes }]),
        shipped: await attempt('mnemo-test-32d', [
          { path: 'config.json', bytes },
          { path: 'tokenizer.json', bytes },
          { path: 'tokenizer_config.json', bytes },
          { path: 'onnx/model.onnx', bytes },
        ]),
        listed: (await window.mnemo!.embeddings.status()).models.filter((m) => m.source === 'imported'),
      };
    });
    expect(errors).toEqual({ incomplete: 'INVALID_INPUT', shipped: 'CONFLICT', listed: [] });
  });
});
