import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launch, openApp, serveApp, type App } from './harness';

let app: App;

beforeAll(async () => {
  app = await serveApp();
});

afterAll(async () => {
  await app.close();
});

describe('persistence in real OPFS', () => {
  test('data written through the API survives a reload and a full browser restart', async () => {
    const browser = await launch();
    let page = await openApp(browser.context, app.url);
    const written = await page.evaluate(async () => {
      const mnemo = window.mnemo!;
      const info = await mnemo.info();
      const s = mnemo.space({ userId: 'alice', spaceId: 'work' });
      const session = await s.sessions.create({ name: 'Persisted session', metadata: { origin: 'test' } });
      const conversation = await s.conversations.create({ sessionId: session.id, title: 'Kept' });
      await s.messages.insertMany(
        Array.from({ length: 25 }, (_, i) => ({ conversationId: conversation.id, role: 'user' as const, content: `message ${i}` })),
      );
      await mnemo.settings.set('theme', 'dark');
      return { info, sessionId: session.id, conversationId: conversation.id };
    });
    expect(written.info.storage).toBe('opfs');
    expect(written.info.vfs).toBe('opfs-sahpool');
    expect(written.info.journalMode).toBe('wal');
    expect(written.info.warning).toBeNull();

    const readBack = async () =>
      page.evaluate(async (ids) => {
        const s = window.mnemo!.space({ userId: 'alice', spaceId: 'work' });
        const session = await s.sessions.get(ids.sessionId);
        const messages = await s.messages.page(ids.conversationId, { page: 1, pageSize: 100 });
        return {
          name: session.name,
          metadata: session.metadata,
          total: messages.total,
          last: messages.items.at(-1)?.content,
          theme: await window.mnemo!.settings.get('theme'),
        };
      }, written);

    await page.reload();
    await page.waitForFunction(() => window.mnemo !== undefined);
    expect(await readBack()).toEqual({ name: 'Persisted session', metadata: { origin: 'test' }, total: 25, last: 'message 24', theme: 'dark' });

    await browser.close();
    const restarted = await launch(browser.profile);
    page = await openApp(restarted.context, app.url);
    expect(await readBack()).toEqual({ name: 'Persisted session', metadata: { origin: 'test' }, total: 25, last: 'message 24', theme: 'dark' });
    const health = await page.evaluate(() => window.mnemo!.healthCheck());
    expect(health.ok).toBe(true);
    await restarted.dispose();
  });

  test('storage: "memory" keeps nothing across reloads', async () => {
    const browser = await launch();
    const page = await openApp(browser.context, `${app.url}?storage=memory`);
    const info = await page.evaluate(async () => {
      const s = window.mnemo!.space({ userId: 'u', spaceId: 's' });
      await s.sessions.create({ name: 'ephemeral' });
      return window.mnemo!.info();
    });
    expect(info.storage).toBe('memory');
    await page.reload();
    await page.waitForFunction(() => window.mnemo !== undefined);
    const total = await page.evaluate(async () => (await window.mnemo!.space({ userId: 'u', spaceId: 's' }).sessions.list()).total);
    expect(total).toBe(0);
    await browser.dispose();
  });
});

describe('the database lives in the worker', () => {
  test('the UI bundle does not contain sqlite-wasm; the worker bundle does', () => {
    const dist = resolve(process.env.MNEMO_DIST ?? 'dist');
    const assets = join(dist, 'assets');
    const html = readFileSync(join(dist, 'index.html'), 'utf8');
    const entry = /src="\/assets\/([^"]+\.js)"/.exec(html)?.[1];
    expect(entry).toBeTruthy();
    const entryCode = readFileSync(join(assets, entry!), 'utf8');
    expect(entryCode).not.toContain('sqlite3InitModule');
    expect(entryCode).not.toContain('SQLITE_VERSION');
    expect(entryCode).not.toMatch(/sqlite3[-\w]*\.wasm/);
    const workerFiles = readdirSync(assets).filter((f) => f.endsWith('.js') && f !== entry);
    const workerWithSqlite = workerFiles.filter((f) => readFileSync(join(assets, f), 'utf8').includes('SQLITE_VERSION'));
    expect(workerWithSqlite.length).toBeGreaterThan(0);
  });

  test('the page never loads sqlite3.wasm itself; the worker answers queries', async () => {
    const browser = await launch();
    const page = await openApp(browser.context, app.url);
    const result = await page.evaluate(async () => {
      const resources = performance.getEntriesByType('resource').map((e) => e.name);
      const path = await window.mnemo!.getDatabasePath();
      return { pageLoadedWasm: resources.some((r) => r.includes('sqlite3')), path, hasGlobalSqlite: 'sqlite3' in globalThis };
    });
    expect(result.pageLoadedWasm).toBe(false);
    expect(result.hasGlobalSqlite).toBe(false);
    expect(result.path.vfs).toBe('opfs-sahpool');
    expect(result.path.path).toContain('mnemo.sqlite3');
    const workers = page.workers().map((w) => w.url());
    expect(workers.some((url) => url.includes('/assets/'))).toBe(true);
    await browser.dispose();
  });
});
