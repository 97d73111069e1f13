/**
 * Writes that hit the storage quota. Chromium's DevTools protocol caps the
 * origin's quota (Storage.overrideQuotaForOrigin) a few megabytes above what
 * the app already uses. Firefox has no runtime override: its limit is the
 * launch-time pref `dom.quotaManager.temporaryStorage.fixedLimit` (a
 * non-persisted origin gets a fifth of it), so the test launches Firefox with
 * a small limit and fills it up to the same headroom with a ballast file in
 * OPFS, outside the database; deleting the ballast is what frees the space
 * again. Large insertMany batches then run into the cap through
 * `window.mnemo`. The opfs-sahpool VFS grows its files as SQLite writes (it
 * pre-allocates only the empty pool files), so the cap is reached within a few
 * batches. The failing write must reject with QUOTA_EXCEEDED and leave the
 * database whole: nothing of the failed batch, every earlier row intact,
 * healthCheck ok, and writes work again once space is available.
 */
import type { CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { MnemoError } from '../src/shared/errors';
import { IS_FIREFOX, launch, openApp, serveApp, type App, type Browser } from './harness';

const SCOPE = { userId: 'quota', spaceId: 'full' };
const HEADROOM = 4 * 1024 * 1024;
const ROW_CHARS = 200_000;
const BATCH_ROWS = 5;
/** Far beyond the headroom: if no write fails by then, the quota is not enforced on this storage. */
const MAX_BATCHES = 60;
const KEPT = Array.from({ length: 20 }, (_, i) => `kept ${i}`);

let app: App;
let browser: Browser;
let page: Page;
let cdp: CDPSession | undefined;
let origin: string;
let conversationId: string;
let filled: { batches: number; error: MnemoError | null };

/** Firefox's whole temporary storage (KiB); a non-persisted origin may use a fifth of it (10 MiB at least). */
const FIREFOX_STORAGE_LIMIT_KIB = 250 * 1024;
const BALLAST = 'mnemo-test-quota-ballast';

/** Leaves `headroom` bytes of quota free: Chromium lowers the quota, Firefox fills the gap with a ballast file. */
async function capQuota(usage: number, headroom: number): Promise<void> {
  if (cdp) {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + headroom });
    return;
  }
  const ballast = await page.evaluate(
    async ({ name, headroom }) => {
      const { quota = 0, usage = 0 } = await navigator.storage.estimate();
      const file = await (await navigator.storage.getDirectory()).getFileHandle(name, { create: true });
      const writable = await file.createWritable();
      const chunk = new Uint8Array(1024 * 1024).fill(1);
      let size = 0;
      for (const target = quota - usage - headroom; size < target; size += chunk.length) {
        await writable.write(chunk.subarray(0, Math.min(chunk.length, target - size)));
      }
      await writable.close();
      return { quota, usage, size, after: await navigator.storage.estimate() };
    },
    { name: BALLAST, headroom },
  );
  console.info(`quota (Firefox): ${JSON.stringify(ballast)}`);
}

/** Makes room again: Chromium drops the override, Firefox deletes the ballast (already gone is fine). */
async function liftCap(): Promise<void> {
  if (cdp) {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    return;
  }
  await page.evaluate(async (name) => {
    const root = await navigator.storage.getDirectory();
    await root.removeEntry(name).catch((error: DOMException) => {
      if (error.name !== 'NotFoundError') throw error;
    });
  }, BALLAST);
}

const readBack = () =>
  page.evaluate(
    async ({ scope, conversationId }) => {
      const s = window.mnemo!.space(scope);
      const first = await s.messages.page(conversationId, { page: 1, pageSize: 20 });
      return { total: first.total, kept: first.items.map((m) => m.content), health: await window.mnemo!.healthCheck() };
    },
    { scope: SCOPE, conversationId },
  );

/** Adds one message; resolves to the error, or null when it was written. */
const write = (content: string) =>
  page.evaluate(
    async ({ scope, conversationId, content }) =>
      window.mnemo!
        .space(scope)
        .messages.add({ conversationId, role: 'user', content })
        .then(() => null, (error: MnemoError) => error),
    { scope: SCOPE, conversationId, content },
  );

beforeAll(async () => {
  app = await serveApp();
  browser = await launch(undefined, IS_FIREFOX ? { firefoxUserPrefs: { 'dom.quotaManager.temporaryStorage.fixedLimit': FIREFOX_STORAGE_LIMIT_KIB } } : {});
  page = await openApp(browser.context, app.url);
  origin = new URL(app.url).origin;
  cdp = IS_FIREFOX ? undefined : await browser.context.newCDPSession(page);

  const before = await page.evaluate(
    async ({ scope, kept }) => {
      // The service worker's precache also counts against the quota; let it settle first.
      if (await navigator.serviceWorker?.getRegistration()) await navigator.serviceWorker.ready;
      const s = window.mnemo!.space(scope);
      const session = await s.sessions.create({ name: 'Quota' });
      const conversation = await s.conversations.create({ sessionId: session.id, title: 'Filling up' });
      await s.messages.insertMany(kept.map((content) => ({ conversationId: conversation.id, role: 'user' as const, content })));
      await window.mnemo!.embeddings.flush(30_000);
      const { usage } = await navigator.storage.estimate();
      return { conversationId: conversation.id, usage: usage ?? 0 };
    },
    { scope: SCOPE, kept: KEPT },
  );
  conversationId = before.conversationId;

  await capQuota(before.usage, HEADROOM);
  filled = await page.evaluate(
    async ({ scope, conversationId, rowChars, batchRows, maxBatches }) => {
      const s = window.mnemo!.space(scope);
      // Random text (xorshift32): nothing compresses or repeats, so every batch is new bytes.
      let state = 0x9e3779b9;
      const randomText = (length: number) => {
        const out = new Array<string>(length);
        for (let i = 0; i < length; i++) {
          state ^= state << 13;
          state ^= state >>> 17;
          state ^= state << 5;
          out[i] = String.fromCharCode(97 + ((state >>> 0) % 26));
        }
        return out.join('');
      };
      let batches = 0;
      for (; batches < maxBatches; batches++) {
        const rows = Array.from({ length: batchRows }, () => ({ conversationId, role: 'assistant' as const, content: randomText(rowChars) }));
        try {
          await s.messages.insertMany(rows);
        } catch (error) {
          return { batches, error: error as MnemoError };
        }
      }
      return { batches, error: null };
    },
    { scope: SCOPE, conversationId, rowChars: ROW_CHARS, batchRows: BATCH_ROWS, maxBatches: MAX_BATCHES },
  );
  console.info(`quota: usage ${before.usage} B + ${HEADROOM} B headroom; ${filled.batches} batches of ${BATCH_ROWS} × ${ROW_CHARS} chars fitted, then ${JSON.stringify(filled.error)}`);
});

afterAll(async () => {
  await browser?.dispose();
  await app?.close();
});

describe('writing past the storage quota', () => {
  test('a write fails once the quota is reached', () => {
    expect(filled.error, 'no write failed: the quota was not enforced').not.toBeNull();
    expect(filled.error!.message).not.toMatch(/[a-z]{1000}/);
  });

  // sahpool turns the QuotaExceededError of its access handle into a bare SQLITE_IOERR; the worker
  // sees the cause through sqlite-wasm's error logger (src/worker/engine/sqlite.ts) and reports QUOTA_EXCEEDED.
  test('the failed write reports QUOTA_EXCEEDED', () => {
    expect(filled.error).toMatchObject({ code: 'QUOTA_EXCEEDED' });
  });

  test('the failed batch left nothing, earlier rows are intact and the database is healthy', async () => {
    const after = await readBack();
    // insertMany is atomic: every batch that succeeded is there, nothing of the one that failed.
    expect(after.total).toBe(KEPT.length + filled.batches * BATCH_ROWS);
    expect(after.kept).toEqual(KEPT);
    expect(after.health).toMatchObject({ ok: true, foreignKeyViolations: 0 });
  });

  // A failed COMMIT must leave Sql.tx's nesting depth intact, or every later write fails.
  test('with the cap lifted, the same connection writes again', async () => {
    await liftCap();
    expect(await write('after the quota was raised')).toBeNull();
  });

  test('after a reload with the cap lifted, every row is intact and writes work', async () => {
    await liftCap();
    const { total } = await readBack();
    await page.reload();
    await page.waitForFunction(() => window.mnemo !== undefined, undefined, { timeout: 60_000 });
    expect(await readBack()).toMatchObject({ total, kept: KEPT, health: { ok: true } });
    expect(await write('after the reload')).toBeNull();
    expect((await readBack()).total).toBe(total + 1);
  });
});
