/**
 * The installable, offline app: service worker, precache, manifest, icons,
 * cross-origin isolation under the service worker, the status element in the
 * header, and the update prompt.
 */
import { appendFileSync, cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer } from '../scripts/serve.mjs';
import { colorScheme, IS_FIREFOX, launch, openApp, screenshotPath, serveApp, type App } from './harness';

const DIST = process.env.MNEMO_DIST ?? 'dist';

let app: App;
beforeAll(async () => {
  app = await serveApp();
});
afterAll(async () => {
  await app.close();
});

/** Waits until the page's service worker registration has an activated worker (precache complete). */
async function serviceWorkerActivated(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const registration = await navigator.serviceWorker.getRegistration();
      if (registration?.active?.state === 'activated') return;
      if (Date.now() > deadline) throw new Error('no activated service worker (is startPwa() called at startup?)');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
}

async function reloadApp(page: Page) {
  const response = await page.reload();
  await page.waitForFunction(() => window.mnemo !== undefined, undefined, { timeout: 60_000 });
  return response;
}

/** Every file of the build the app may load (source maps and the service worker itself excluded). */
function builtFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(relative(DIST, path).split('\\').join('/'));
    }
  };
  walk(DIST);
  return files.filter((f) => !f.endsWith('.map') && f !== 'sw.js').sort();
}

function listen(server: Server): string {
  const address = server.address();
  return `http://localhost:${typeof address === 'object' && address ? address.port : 0}/`;
}

async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Follows every request of the context (pages, their workers, the service
 * worker) so a test can wait until nothing is in flight.
 */
function trackRequests(context: BrowserContext) {
  const inFlight = new Set<Request>();
  context.on('request', (request) => inFlight.add(request));
  context.on('requestfinished', (request) => inFlight.delete(request));
  context.on('requestfailed', (request) => inFlight.delete(request));
  return {
    /**
     * Resolves once no request has been in flight for `quietMs`. Firefox: after an offline
     * reload, Playwright's BiDi driver reports the service worker's answer to the stylesheet
     * request as started but never as finished (the sheet is applied and its Resource Timing
     * entry complete), so with `page` given, a request the page's Resource Timing shows as
     * complete counts as finished.
     */
    async quiet(page?: Page, quietMs = 500, timeoutMs = 60_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      let since = Date.now();
      while (Date.now() - since < quietMs) {
        if (IS_FIREFOX && page && inFlight.size > 0) {
          const complete = new Set(
            await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => (e as PerformanceResourceTiming).responseEnd > 0).map((e) => e.name)),
          );
          for (const request of inFlight) if (complete.has(request.url())) inFlight.delete(request);
        }
        if (Date.now() > deadline) throw new Error(`${inFlight.size} requests still in flight: ${[...inFlight].map((r) => `${r.method()} ${r.url()}`).join(', ')}`);
        if (inFlight.size > 0) since = Date.now();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

/** Counts persist() calls and lets a test pretend the origin is nearly out of quota. */
async function instrumentStorage(context: BrowserContext, fakeEstimate?: { usage: number; quota: number }) {
  await context.addInitScript((fake) => {
    // Firefox also runs init scripts in the first about:blank, which is not a secure context.
    if (typeof StorageManager === 'undefined') return;
    const proto = StorageManager.prototype;
    const persist = proto.persist;
    (window as unknown as { persistCalls: number }).persistCalls = 0;
    proto.persist = function (this: StorageManager) {
      (window as unknown as { persistCalls: number }).persistCalls += 1;
      return persist.call(this);
    };
    if (fake) proto.estimate = async () => fake;
  }, fakeEstimate);
}

describe('service worker', () => {
  test('installs, precaches every built file, controls the page after a reload, keeps cross-origin isolation', async () => {
    const browser = await launch();
    const page = await openApp(browser.context, app.url);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await serviceWorkerActivated(page);

    // Prompt mode: the first worker does not claim the page that installed it.
    await reloadApp(page);
    const controller = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? null);
    expect(controller).toBe(`${app.url}sw.js`);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);

    const cached = await page.evaluate(async () => {
      const paths: string[] = [];
      for (const name of await caches.keys()) {
        if (!name.includes('precache')) continue;
        for (const request of await (await caches.open(name)).keys()) paths.push(new URL(request.url).pathname.slice(1));
      }
      return paths.sort();
    });
    const files = builtFiles();
    expect(files).toEqual(expect.arrayContaining(['index.html', 'manifest.webmanifest', 'ort/ort-wasm-simd-threaded.mjs', 'ort/ort-wasm-simd-threaded.wasm']));
    expect(files.some((f) => /^assets\/sqlite3-.*\.wasm$/.test(f))).toBe(true);
    expect(files.some((f) => f.startsWith('models/mnemo-glove-100d/'))).toBe(true);
    expect(files.some((f) => f.startsWith('models/mnemo-test-32d/'))).toBe(true);
    expect(cached).toEqual(files);
    await browser.dispose();
  });

  test('with the network off and the server stopped, a reload shows the app and the database reads and writes', async () => {
    const server = await startServer({ root: DIST, port: 0 });
    const url = listen(server);
    const browser = await launch();
    const requests = trackRequests(browser.context);
    try {
      const page = await openApp(browser.context, url);
      await serviceWorkerActivated(page);
      const online = await page.evaluate(async () => {
        const s = window.mnemo!.space({ userId: 'alice', spaceId: 'offline' });
        return (await s.sessions.create({ name: 'Written online' })).id;
      });
      // Let the first visit finish its loads (the embedder fetches the ONNX
      // runtime in the background); a reload would abort them and count them.
      await requests.quiet();

      await browser.context.setOffline(true);
      await closeServer(server);
      const failed: string[] = [];
      const network: string[] = [];
      browser.context.on('requestfailed', (request) => failed.push(`${request.url()} ${request.failure()?.errorText ?? ''}`));
      browser.context.on('requestfinished', async (request) => {
        const response = await request.response();
        // Playwright's BiDi driver never reports fromServiceWorker(); in Firefox `failed` is the evidence (the server is gone).
        if (IS_FIREFOX) return;
        if (response && !response.fromServiceWorker() && !request.url().startsWith('data:') && !request.url().startsWith('blob:'))
          network.push(request.url());
      });

      const response = await reloadApp(page);
      // Firefox: neither the driver (see above) nor Navigation Timing's workerStart tells; the server is
      // closed, so a successful reload can only have come from the service worker.
      const fromServiceWorker = IS_FIREFOX ? response?.ok() === true && !server.listening : response?.fromServiceWorker();
      expect(fromServiceWorker).toBe(true);
      expect(response?.headers()['cross-origin-opener-policy']).toBe('same-origin');
      expect(response?.headers()['cross-origin-embedder-policy']).toBe('require-corp');
      await page.locator('mn-app h1').waitFor();
      expect(await page.locator('mn-app h1').textContent()).toBe('Mnemo');

      const offline = await page.evaluate(async (onlineId) => {
        const mnemo = window.mnemo!;
        const s = mnemo.space({ userId: 'alice', spaceId: 'offline' });
        const created = await s.sessions.create({ name: 'Written offline' });
        const again = await s.sessions.get(created.id);
        const list = await s.sessions.list();
        const conversation = await s.conversations.create({ sessionId: created.id });
        await s.messages.add({ conversationId: conversation.id, role: 'user', content: 'The physician checked my heart offline' });
        const status = await mnemo.embeddings.flush(60_000);
        const keyword = await s.search({ query: 'physician', mode: 'keyword' });
        const semantic = await s.search({ query: 'doctor', mode: 'vector' });
        const runtime = await fetch('/ort/ort-wasm-simd-threaded.wasm');
        return {
          isolated: crossOriginIsolated,
          onLine: navigator.onLine,
          controlled: navigator.serviceWorker.controller !== null,
          storage: (await mnemo.info()).storage,
          name: again.name,
          names: list.items.map((item) => item.name).sort(),
          onlineKept: list.items.some((item) => item.id === onlineId),
          embedded: { ready: status.ready, pending: status.pending },
          keyword: keyword.map((h) => h.text),
          semanticFound: semantic.some((h) => h.text.includes('physician')),
          runtime: { ok: runtime.ok, size: (await runtime.arrayBuffer()).byteLength, coep: runtime.headers.get('cross-origin-embedder-policy') },
        };
      }, online);
      expect(offline).toMatchObject({
        isolated: true,
        onLine: false,
        controlled: true,
        storage: 'opfs',
        name: 'Written offline',
        names: ['Written offline', 'Written online'],
        onlineKept: true,
        embedded: { ready: true, pending: 0 },
        keyword: ['The physician checked my heart offline'],
        semanticFound: true,
        runtime: { ok: true, coep: 'require-corp' },
      });
      expect(offline.runtime.size).toBeGreaterThan(10_000_000);
      await page.locator('mn-pwa-status [data-testid="network"][data-online="false"]').waitFor();
      await requests.quiet(page);
      // Nothing the page or its workers loaded went to the (absent) network.
      expect(failed).toEqual([]);
      expect(network).toEqual([]);
    } finally {
      await browser.dispose();
      if (server.listening) await closeServer(server);
    }
  });

  test('a new version waits for the user, then takes over after "Reload"', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mnemo-dist-'));
    cpSync(DIST, root, { recursive: true });
    const server = await startServer({ root, port: 0 });
    const url = listen(server);
    const browser = await launch();
    try {
      const page = await openApp(browser.context, url);
      await serviceWorkerActivated(page);
      await reloadApp(page);
      const first = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL);
      expect(first).toBeDefined();

      // Any byte change to sw.js is a new version (a real release changes its precache manifest).
      appendFileSync(join(root, 'sw.js'), '\n// next release\n');
      await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
      const update = page.locator('mn-pwa-status [data-testid="update"]');
      await update.waitFor({ timeout: 60_000 });
      expect(await update.textContent()).toContain('A new version is ready');
      // Still the old worker: prompt mode never swaps versions on its own.
      expect(await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r?.waiting !== null))).toBe(true);

      await page.screenshot({ path: screenshotPath('pwa-update'), clip: { x: 0, y: 0, width: 1280, height: 140 } });
      const reloaded = page.waitForEvent('load', { timeout: 60_000 });
      await update.getByRole('button', { name: 'Reload' }).click();
      await reloaded;
      await page.waitForFunction(() => window.mnemo !== undefined, undefined, { timeout: 60_000 });
      const after = await page.evaluate(async () => {
        const registration = await navigator.serviceWorker.getRegistration();
        return { waiting: registration?.waiting ?? null, controlled: navigator.serviceWorker.controller !== null };
      });
      expect(after).toEqual({ waiting: null, controlled: true });
      expect(await page.locator('mn-pwa-status [data-testid="update"]').count()).toBe(0);
    } finally {
      await browser.dispose();
      await closeServer(server);
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('installability', () => {
  test('the manifest has what install needs, and every icon is a PNG of its declared size', async () => {
    const browser = await launch();
    const page = await openApp(browser.context, app.url);
    const href = await page.evaluate(() => document.querySelector<HTMLLinkElement>('link[rel="manifest"]')?.href);
    expect(href).toBe(`${app.url}manifest.webmanifest`);
    const response = await browser.context.request.get(href!);
    expect(response.headers()['content-type']).toBe('application/manifest+json');
    const manifest = (await response.json()) as {
      name: string;
      short_name: string;
      start_url: string;
      scope: string;
      display: string;
      theme_color: string;
      background_color: string;
      icons: { src: string; sizes: string; type: string; purpose?: string }[];
    };
    expect(manifest).toMatchObject({ name: 'Mnemo', short_name: 'Mnemo', start_url: '/', scope: '/', display: 'standalone' });
    expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i);
    expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i);

    const pngs = manifest.icons.filter((icon) => icon.type === 'image/png');
    const appleTouch = await page.evaluate(() => document.querySelector<HTMLLinkElement>('link[rel="apple-touch-icon"]')?.getAttribute('href'));
    pngs.push({ src: appleTouch!, sizes: '180x180', type: 'image/png' });
    for (const icon of pngs) {
      const image = await browser.context.request.get(new URL(icon.src, href).href);
      expect(image.status(), icon.src).toBe(200);
      expect(image.headers()['content-type']).toBe('image/png');
      const bytes = await image.body();
      expect(bytes.subarray(0, 8).toString('hex'), icon.src).toBe('89504e470d0a1a0a');
      expect(bytes.subarray(12, 16).toString('ascii')).toBe('IHDR');
      expect(`${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`, icon.src).toBe(icon.sizes);
    }
    const sizes = (purpose: string) => manifest.icons.filter((i) => (i.purpose ?? 'any').split(' ').includes(purpose)).map((i) => i.sizes);
    expect(sizes('any')).toEqual(expect.arrayContaining(['192x192', '512x512']));
    expect(sizes('maskable')).toContain('512x512');
    const favicon = await browser.context.request.get(`${app.url}icons/favicon.svg`);
    expect(favicon.headers()['content-type']).toBe('image/svg+xml');
    await browser.dispose();
  });

  // Chromium only, not defined in a Firefox run: Firefox desktop does not install web apps and has no
  // manifest verdict to ask (CDP is Chromium's protocol); the manifest's content is checked above in both.
  if (!IS_FIREFOX) test("Chromium's own verdict: the manifest parses without errors and the app is installable", async () => {
    const browser = await launch();
    const page = await openApp(browser.context, app.url);
    await serviceWorkerActivated(page);
    const cdp = await browser.context.newCDPSession(page);
    const parsed = (await cdp.send('Page.getAppManifest')) as { errors: { message: string; critical: number }[] };
    expect(parsed.errors).toEqual([]);
    const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: { errorId: string }[] };
    expect(installabilityErrors.map((e) => e.errorId)).toEqual([]);
    await browser.dispose();
  });
});

describe('status in the header', () => {
  test('shows network, persistence and quota; asks for persistence after the first write, not on first paint', async () => {
    const browser = await launch();
    await instrumentStorage(browser.context);
    const page = await openApp(browser.context, app.url);
    const status = page.locator('mn-app mn-pwa-status');
    await status.locator('[data-testid="network"][data-online="true"]').waitFor();
    await status.locator('[data-testid="quota"]').waitFor();
    expect(await status.locator('[data-testid="quota"]').textContent()).toMatch(/ of .* used/);
    const persistence = status.locator('[data-testid="persistence"]');
    await persistence.waitFor();
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => (window as unknown as { persistCalls: number }).persistCalls)).toBe(0);

    const granted = (await persistence.getAttribute('data-persisted')) === 'true';
    await page.evaluate(() => window.mnemo!.space({ userId: 'local', spaceId: 'default' }).sessions.create({ name: 'First write' }));
    // Chromium decides silently; whatever it says is shown. Not persisted yet → exactly one request.
    await expect.poll(() => page.evaluate(() => (window as unknown as { persistCalls: number }).persistCalls)).toBe(granted ? 0 : 1);
    await page.evaluate(() => window.mnemo!.space({ userId: 'local', spaceId: 'default' }).sessions.create({ name: 'Second write' }));
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as unknown as { persistCalls: number }).persistCalls)).toBe(granted ? 0 : 1);

    if (!granted) {
      await persistence.getByRole('button', { name: 'Keep data' }).click();
      await expect.poll(() => page.evaluate(() => (window as unknown as { persistCalls: number }).persistCalls)).toBe(2);
      expect(await persistence.getAttribute('data-persisted')).toMatch(/^(true|false)$/);
    }

    const header = page.locator('mn-app header');
    await header.screenshot({ path: screenshotPath('pwa-header-light') });
    await colorScheme(page, 'dark');
    await header.screenshot({ path: screenshotPath('pwa-header-dark') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: screenshotPath('pwa-phone'), clip: { x: 0, y: 0, width: 390, height: 320 } });
    await browser.dispose();
  });

  test('warns when usage is above 80 % of the quota', async () => {
    const browser = await launch();
    await instrumentStorage(browser.context, { usage: 900 * 1024 * 1024, quota: 1024 * 1024 * 1024 });
    const page = await openApp(browser.context, app.url);
    const warning = page.locator('mn-app mn-pwa-status [data-testid="quota"][data-warning="true"]');
    await warning.waitFor();
    expect(await warning.getAttribute('role')).toBe('alert');
    expect(await warning.textContent()).toContain('900.0 MB of 1.0 GB (88 %)');
    await page.locator('mn-app header').screenshot({ path: screenshotPath('pwa-header-quota') });
    await browser.dispose();
  });
});
