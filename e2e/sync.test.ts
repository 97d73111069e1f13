/**
 * Two browser profiles (two devices: each its own OPFS, its own database
 * worker) sync through the real server on a throwaway PostgreSQL cluster:
 * edits on both while one is offline converge row by row, a conflicting edit
 * goes to the later change (docs/sync.md), deletes propagate, a user without
 * a grant gets nothing, and the settings page shows it all.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { SpaceJsonExport, SyncStatus } from '../src/shared/api';
import { startCluster, type Cluster } from '../scripts/ensure-postgres.mjs';
import { account, call, pullAll, startServer, type Running } from '../test/server/harness';
import { launch, openApp, screenshotPath, serveApp, type App, type Browser } from './harness';

const SCOPE = { userId: 'alice', spaceId: 'notes' };

let cluster: Cluster;
let server: Running;
let app: App;
const browsers: Browser[] = [];

beforeAll(async () => {
  cluster = await startCluster();
  server = await startServer(cluster.url);
  app = await serveApp();
});

afterAll(async () => {
  for (const b of browsers) await b.dispose();
  await app?.close();
  await server?.close();
  cluster?.stop();
});

async function device(): Promise<{ browser: Browser; page: Page }> {
  const browser = await launch();
  browsers.push(browser);
  return { browser, page: await openApp(browser.context, app.url) };
}

const configure = (page: Page, token: string, auto: boolean, spaces = [SCOPE]) =>
  page.evaluate(({ url, token, auto, spaces }) => window.mnemo!.sync.configure({ url, token, spaces, auto }), { url: server.url, token, auto, spaces });

const syncNow = (page: Page) => page.evaluate(() => window.mnemo!.sync.now().then((r) => ({ pushed: r.pushed, pulled: r.pulled, conflicts: r.conflictsResolved })));
const status = (page: Page): Promise<SyncStatus> => page.evaluate(() => window.mnemo!.sync.status());

/** The space's rows as compared between devices, sorted by id. */
async function content(page: Page, scope = SCOPE) {
  const json = await page.evaluate((scope) => window.mnemo!.files.exportJson(scope), scope);
  const data = JSON.parse(json) as SpaceJsonExport;
  const byId = <T extends { id: string }>(rows: T[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));
  return {
    agents: byId(data.agents),
    sessions: byId(data.sessions),
    conversations: byId(data.conversations),
    messages: byId(data.messages),
    memories: byId(data.memories).map((m) => ({ ...m, accessCount: 0, lastAccessedAt: null })),
    vectorEntries: byId(data.vectorEntries),
  };
}

describe('sync between two browser profiles', () => {
  test('offline edits converge, the later edit wins a conflict, deletes propagate, no grant gets nothing', async () => {
    const alice = await account(server.url, 'alice', 'laptop');
    const phoneToken = (await call<{ token: string }>(server.url, 'POST', '/tokens', { name: 'alice', password: 'correct horse battery', device: 'phone' })).body.token;
    const laptop = await device();
    const phone = await device();

    // The laptop writes, then syncs.
    const ids = await laptop.page.evaluate(async (scope) => {
      const s = window.mnemo!.space(scope);
      const session = await s.sessions.create({ name: 'Trip' });
      const conv = await s.conversations.create({ sessionId: session.id, title: 'Lisbon' });
      const doomed = await s.conversations.create({ sessionId: session.id, title: 'to delete' });
      await s.messages.insertMany([
        { conversationId: conv.id, role: 'user', content: 'Where should we stay?' },
        { conversationId: conv.id, role: 'assistant', content: 'Alfama is close to the river.' },
        { conversationId: doomed.id, role: 'user', content: 'this goes away' },
      ]);
      const shared = await s.messages.add({ conversationId: conv.id, role: 'user', content: 'edited on both' });
      await s.memories.add({ kind: 'long', content: 'prefers trains over planes' });
      return { conv: conv.id, doomed: doomed.id, shared: shared.id };
    }, SCOPE);
    await configure(laptop.page, alice.token, false);
    expect((await syncNow(laptop.page)).pushed).toBeGreaterThanOrEqual(8);

    // The phone joins (automatic sync on) and receives everything.
    await configure(phone.page, phoneToken, true);
    await expect.poll(async () => { const s = await status(phone.page); return s.lastSyncAt !== null && !s.syncing; }, { timeout: 60_000 }).toBe(true);
    expect(await content(phone.page)).toEqual(await content(laptop.page));

    // The phone goes offline and edits; its sync fails and keeps the changes.
    await phone.browser.context.setOffline(true);
    await phone.page.evaluate(async ({ scope, ids }) => {
      const s = window.mnemo!.space(scope);
      await s.messages.upsert({ id: ids.shared, conversationId: ids.conv, role: 'user', content: 'phone version (earlier)' });
      await s.messages.add({ conversationId: ids.conv, role: 'user', content: 'written on the phone offline' });
      await s.memories.add({ kind: 'long', content: 'books window seats', dedup: false });
    }, { scope: SCOPE, ids });
    const offline = await phone.page.evaluate(() => window.mnemo!.sync.now().then(() => null, (e: { code: string; message: string }) => e));
    expect(offline).toMatchObject({ code: 'SYNC_FAILED' });
    expect((await status(phone.page)).pending).toBeGreaterThanOrEqual(3);
    // Strictly later than the phone's edit, so it wins by HLC.
    await new Promise((r) => setTimeout(r, 20));

    // Meanwhile the laptop edits the same message, adds one and deletes a conversation, and syncs.
    await laptop.page.evaluate(async ({ scope, ids }) => {
      const s = window.mnemo!.space(scope);
      await s.messages.upsert({ id: ids.shared, conversationId: ids.conv, role: 'user', content: 'laptop version (later)' });
      await s.messages.add({ conversationId: ids.conv, role: 'assistant', content: 'written on the laptop' });
      await s.conversations.delete(ids.doomed);
    }, { scope: SCOPE, ids });
    await syncNow(laptop.page);

    // Back online, the phone syncs by itself ('online' event), then the laptop pulls what the phone pushed.
    await phone.browser.context.setOffline(false);
    await expect.poll(async () => { const s = await status(phone.page); return s.pending === 0 && s.lastError === null && !s.syncing; }, { timeout: 60_000 }).toBe(true);
    await syncNow(laptop.page);

    const a = await content(laptop.page);
    const b = await content(phone.page);
    expect(b).toEqual(a);
    expect(a.messages.find((m) => m.id === ids.shared)?.content).toBe('laptop version (later)');
    expect(a.messages.map((m) => m.content)).toEqual(expect.arrayContaining(['written on the phone offline', 'written on the laptop']));
    expect(a.memories.map((m) => m.content).sort()).toEqual(['books window seats', 'prefers trains over planes']);
    expect(a.conversations.map((c) => c.id)).not.toContain(ids.doomed);
    expect(a.messages.some((m) => m.content === 'this goes away')).toBe(false);
    expect((await status(phone.page)).conflictsResolved).toBeGreaterThanOrEqual(1);
    // Remote rows reach local search (full-text index maintained on apply).
    const hits = await phone.page.evaluate((scope) => window.mnemo!.space(scope).search({ query: 'laptop', mode: 'keyword' }), SCOPE);
    expect(hits.map((h) => h.id)).toContain(ids.shared);

    // The settings page shows the phone's sync state.
    await phone.page.getByRole('link', { name: 'Settings' }).click();
    const section = phone.page.locator('mn-sync');
    await expect.poll(() => section.getByTestId('sync-conflicts').textContent(), { timeout: 30_000 }).not.toBe('0');
    await expect.poll(() => section.getByTestId('sync-pending').textContent()).toBe('0');
    await section.getByRole('button', { name: 'Sync now' }).click();
    await expect.poll(() => section.getByTestId('sync-notice').textContent(), { timeout: 30_000 }).toBe('Synced.');
    await section.scrollIntoViewIfNeeded();
    await phone.page.screenshot({ path: screenshotPath('sync-settings'), fullPage: true });

    // A user without a grant: the laptop owns 'private'; a stranger's sign-in on the phone gets nothing of it.
    const privateScope = { userId: 'alice', spaceId: 'private' };
    await laptop.page.evaluate(async (scope) => {
      await window.mnemo!.space(scope).memories.add({ kind: 'long', content: 'only mine' });
    }, privateScope);
    await configure(laptop.page, alice.token, false, [SCOPE, privateScope]);
    await syncNow(laptop.page);
    const stranger = await account(server.url, 'mallory', 'phone');
    await configure(phone.page, stranger.token, false, [privateScope]);
    const refused = await phone.page.evaluate(() => window.mnemo!.sync.now().then(() => null, (e: { code: string; message: string }) => e));
    expect(refused).toMatchObject({ code: 'SYNC_FAILED' });
    expect(refused!.message).toMatch(/not shared/);
    expect((await content(phone.page, privateScope)).memories).toEqual([]);
    expect((await status(phone.page)).spaces[0]!.lastError).toMatch(/not shared/);
  });

  test('automatic sync runs in the owner tab and moves with ownership when that tab closes', async () => {
    const user = await account(server.url, 'tabs-user', 'desktop');
    const scope = { userId: 'tabs', spaceId: 'tabs-space' };
    const { browser, page: first } = await device();
    await configure(first, user.token, true, [scope]);
    const second = await openApp(browser.context, app.url);
    const owners = await Promise.all([first, second].map((p) => p.evaluate(() => window.mnemo!.ownership())));
    expect(owners.map((o) => o.isOwner)).toEqual([true, false]);
    // A write from the other tab goes through the owner, whose worker pushes it by itself.
    await second.evaluate((scope) => window.mnemo!.space(scope).memories.add({ kind: 'long', content: 'from the second tab' }), scope);
    const serverRows = async () => (await pullAll(server.url, user.token, scope.spaceId)).rows.filter((r) => !r.deleted).length;
    await expect.poll(serverRows, { timeout: 60_000 }).toBe(1);

    await first.close();
    await expect.poll(() => second.evaluate(() => window.mnemo!.ownership().then((o) => o.isOwner)), { timeout: 60_000 }).toBe(true);
    await second.evaluate((scope) => window.mnemo!.space(scope).memories.add({ kind: 'long', content: 'after the owner left', dedup: false }), scope);
    await expect.poll(serverRows, { timeout: 60_000 }).toBe(2);
    expect((await status(second)).configured).toBe(true);
  });
});
