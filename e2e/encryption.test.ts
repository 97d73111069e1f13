/**
 * Encryption at rest in real Chromium on a persistent profile: the raw bytes
 * of every OPFS file (database, WAL, journal, backups, key file) are read
 * from the profile directory on disk after the browser is closed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { crashPage, IS_FIREFOX, launch, openApp, screenshotPath, serveApp, type App } from './harness';

let app: App;

beforeAll(async () => {
  app = await serveApp();
});

afterAll(async () => {
  await app.close();
});

const MARKERS = ['ZEBRAQUILT-MARKER-MESSAGE', 'OKAPIFJORD-MARKER-MEMORY', 'NARWHALTOFU-MARKER-VECTOR'];
const PASS = 'correct horse battery staple';

/** Every file of the profile's origin private file systems, as they are on disk. */
function opfsFiles(profile: string): Array<{ path: string; bytes: Buffer }> {
  const out: Array<{ path: string; bytes: Buffer }> = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path);
      else out.push({ path, bytes: readFileSync(path) });
    }
  };
  // Chromium keeps OPFS under Default/File System; Firefox under storage/default/<origin>/fs (file contents as written).
  walk(IS_FIREFOX ? join(profile, 'storage', 'default') : join(profile, 'Default', 'File System'));
  return out;
}

/** How many times each marker occurs in the raw bytes (ASCII, as SQLite stores UTF-8). */
function markerHits(profile: string): Record<string, number> {
  const files = opfsFiles(profile);
  return Object.fromEntries(
    MARKERS.map((marker) => {
      let hits = 0;
      for (const { bytes } of files) {
        let at = bytes.indexOf(marker);
        while (at !== -1) {
          hits += 1;
          at = bytes.indexOf(marker, at + 1);
        }
      }
      return [marker, hits];
    }),
  );
}

async function writeMarkers(page: Page): Promise<void> {
  await page.evaluate(async (markers) => {
    const s = window.mnemo!.space({ userId: 'alice', spaceId: 'work' });
    const session = await s.sessions.create({ name: 'Secrets' });
    const chat = await s.conversations.create({ sessionId: session.id, title: 'Diary' });
    await s.messages.insertMany(Array.from({ length: 40 }, (_, i) => ({ conversationId: chat.id, role: 'user' as const, content: `entry ${i} about the garden shed` })));
    await s.messages.add({ conversationId: chat.id, role: 'user', content: `My locker code mentions ${markers[0]} twice: ${markers[0]}` });
    await s.memories.add({ kind: 'long', content: `Remember ${markers[1]} for the trip` });
    await s.vectors.add({ collection: 'notes', content: `Vector note ${markers[2]}` });
    await window.mnemo!.files.backups.create();
    await window.mnemo!.embeddings.flush(60_000);
  }, MARKERS);
}

/** Counts, keyword and vector search results: what must be equal before and after a change of encryption. */
async function observe(page: Page) {
  return page.evaluate(async (markers) => {
    const mnemo = window.mnemo!;
    const s = mnemo.space({ userId: 'alice', spaceId: 'work' });
    await mnemo.embeddings.flush(60_000);
    const keyword = await s.search({ query: markers[0]!, mode: 'keyword', limit: 5 });
    const vector = await s.search({ query: 'garden shed', mode: 'vector', limit: 5 });
    const memory = await s.search({ query: markers[1]!, mode: 'keyword', limit: 5 });
    const stats = await mnemo.stats();
    return {
      totals: stats.totals,
      keyword: keyword.map((h) => h.id),
      vector: vector.map((h) => h.id),
      vectorCount: vector.length,
      memory: memory.map((h) => h.kind),
      health: (await mnemo.healthCheck()).ok,
    };
  }, MARKERS);
}

async function reopen(page: Page): Promise<void> {
  await page.reload();
  await page.waitForFunction(() => window.mnemo !== undefined, undefined, { timeout: 60_000 });
}

type Call = 'sessions' | 'stats' | 'unlock' | 'change' | 'disable';

/** The `{ code, message }` one call rejected with in the page, or null when it resolved. */
const failure = (page: Page, call: Call, ...args: string[]) =>
  page.evaluate(
    async ({ call, args }) => {
      const mnemo = window.mnemo!;
      const calls: Record<Call, () => Promise<unknown>> = {
        sessions: () => mnemo.space({ userId: 'alice', spaceId: 'work' }).sessions.list(),
        stats: () => mnemo.stats(),
        unlock: () => mnemo.encryption.unlock(args[0]!),
        change: () => mnemo.encryption.change(args[0]!, args[1]!),
        disable: () => mnemo.encryption.disable(args[0]!),
      };
      try {
        await calls[call]();
        return null;
      } catch (error) {
        return error as { code: string; message: string };
      }
    },
    { call, args },
  );

describe('encryption at rest (SQLite3 Multiple Ciphers on its own sahpool pool)', () => {
  test('control: an unencrypted database shows the markers in its raw OPFS bytes', async () => {
    const browser = await launch();
    const page = await openApp(browser.context, app.url);
    await writeMarkers(page);
    const status = await page.evaluate(() => window.mnemo!.encryption.status());
    expect(status).toMatchObject({ available: true, encrypted: false, locked: false });
    await browser.close();
    const hits = markerHits(browser.profile);
    for (const marker of MARKERS) expect(hits[marker], marker).toBeGreaterThan(0);
    await browser.dispose();
  }, 600_000);

  test('enable, reload locked, wrong passphrase, unlock, search, change, export/import, disable; raw bytes hold no marker', async () => {
    const browser = await launch();
    let page = await openApp(browser.context, app.url);
    await writeMarkers(page);
    const before = await observe(page);
    expect(before.keyword.length).toBeGreaterThan(0);
    expect(before.vectorCount).toBeGreaterThan(0);
    expect(before.memory).toContain('memory');

    const enabled = await page.evaluate((pass) => window.mnemo!.encryption.enable(pass), PASS);
    expect(enabled).toMatchObject({ encrypted: true, locked: false, cipher: 'chacha20', kdf: { name: 'PBKDF2-SHA256', iterations: 600_000 } });
    expect(await observe(page)).toEqual(before);
    const info = await page.evaluate(() => window.mnemo!.info());
    expect(info.vfs).toBe('multipleciphers-mnemo-sahpool-enc');
    expect(info.journalMode).toBe('wal');
    expect(info.encryption).toEqual({ encrypted: true, locked: false });
    // The backup taken before enabling was carried over, encrypted.
    expect(await page.evaluate(async () => (await window.mnemo!.files.backups.list()).length)).toBe(1);

    // A reload starts locked: every call but encryption.* and info answers ENCRYPTED.
    await reopen(page);
    expect(await page.evaluate(() => window.mnemo!.encryption.status())).toMatchObject({ encrypted: true, locked: true });
    const locked = await failure(page, 'sessions');
    expect(locked?.code).toBe('ENCRYPTED');
    expect(locked?.message).toMatch(/locked/);
    expect((await failure(page, 'stats'))?.code).toBe('ENCRYPTED');

    const wrong = await failure(page, 'unlock', 'not the passphrase');
    expect(wrong).toEqual({ code: 'ENCRYPTED', message: expect.stringMatching(/wrong passphrase/) });
    expect(wrong?.message).not.toContain('not the passphrase');
    expect(await page.evaluate(() => window.mnemo!.encryption.status())).toMatchObject({ locked: true });

    expect(await page.evaluate((pass) => window.mnemo!.encryption.unlock(pass), PASS)).toMatchObject({ encrypted: true, locked: false });
    expect(await observe(page)).toEqual(before);

    // Change the passphrase: the old one fails, the new one works.
    const NEW_PASS = 'a different, longer passphrase';
    expect((await failure(page, 'change', 'nope', 'x'))?.code).toBe('ENCRYPTED');
    await page.evaluate(([oldPass, newPass]) => window.mnemo!.encryption.change(oldPass!, newPass!), [PASS, NEW_PASS]);
    await page.evaluate(() => window.mnemo!.encryption.lock());
    expect((await failure(page, 'unlock', PASS))?.code).toBe('ENCRYPTED');
    await page.evaluate((pass) => window.mnemo!.encryption.unlock(pass), NEW_PASS);

    // Exports are sealed unless asked otherwise; importing one asks for its passphrase.
    const exported = await page.evaluate(async () => {
      const sealed = await window.mnemo!.files.export({ markDownloaded: false });
      const plain = await window.mnemo!.files.export({ markDownloaded: false, plaintext: true });
      const text = (bytes: Uint8Array) => new TextDecoder('latin1').decode(bytes);
      return { magic: text(sealed.subarray(0, 8)), sealedText: text(sealed), plainHead: text(plain.subarray(0, 15)), plainText: text(plain) };
    });
    expect(exported.magic).toBe('MNEMOENC');
    expect(exported.plainHead).toBe('SQLite format 3');
    for (const marker of MARKERS) {
      expect(exported.sealedText.includes(marker), marker).toBe(false);
      expect(exported.plainText.includes(marker), marker).toBe(true);
    }
    // A space's exports too: the SQLite copy sealed unless asked otherwise; JSON, which cannot be sealed, only when asked for in plain text.
    const space = await page.evaluate(async () => {
      const scope = { userId: 'alice', spaceId: 'work' };
      const text = (bytes: Uint8Array) => new TextDecoder('latin1').decode(bytes);
      const sealed = await window.mnemo!.files.exportSpace(scope);
      const plain = await window.mnemo!.files.exportSpace(scope, { plaintext: true });
      const refused = await window.mnemo!.files.exportJson(scope).then(() => null, (e: { code: string }) => e.code);
      const json = await window.mnemo!.files.exportJson(scope, { plaintext: true });
      return { magic: text(sealed.subarray(0, 8)), sealedText: text(sealed), plainHead: text(plain.subarray(0, 15)), plainText: text(plain), refused, json };
    });
    expect(space).toMatchObject({ magic: 'MNEMOENC', plainHead: 'SQLite format 3', refused: 'INVALID_INPUT' });
    for (const marker of MARKERS) {
      expect(space.sealedText.includes(marker), marker).toBe(false);
      expect(space.plainText.includes(marker), marker).toBe(true);
      expect(space.json.includes(marker), marker).toBe(true);
    }
    // The sealed space copy merges back with the passphrase: every row is already there, nothing changes.
    const merged = await page.evaluate(async (pass) => {
      const sealed = await window.mnemo!.files.exportSpace({ userId: 'alice', spaceId: 'work' });
      return (await window.mnemo!.files.import(sealed, { mode: 'merge', passphrase: pass })).mode;
    }, NEW_PASS);
    expect(merged).toBe('merge');
    expect(await observe(page)).toEqual(before);
    const imported = await page.evaluate(async (pass) => {
      const sealed = await window.mnemo!.files.export({ markDownloaded: false });
      const copy = sealed.slice();
      const noPass = await window.mnemo!.files.import(sealed, { mode: 'replace' }).then(() => null, (e: { code: string }) => e.code);
      const wrongPass = await window.mnemo!.files.import(copy.slice(), { mode: 'replace', passphrase: 'wrong' }).then(() => null, (e: { code: string }) => e.code);
      const result = await window.mnemo!.files.import(copy, { mode: 'replace', passphrase: pass });
      return { noPass, wrongPass, mode: result.mode };
    }, NEW_PASS);
    expect(imported).toEqual({ noPass: 'ENCRYPTED', wrongPass: 'ENCRYPTED', mode: 'replace' });
    expect(await observe(page)).toEqual(before);

    // Raw bytes with the browser closed: no marker in any OPFS file.
    await browser.close();
    expect(markerHits(browser.profile)).toEqual(Object.fromEntries(MARKERS.map((m) => [m, 0])));
    const keyFiles = opfsFiles(browser.profile).filter(({ bytes }) => bytes.includes('"format":"mnemo.key"'));
    expect(keyFiles.length).toBe(1);
    expect(keyFiles[0]!.bytes.includes(NEW_PASS)).toBe(false);

    // After a restart: locked, unlock, disable; the data is plain again and unchanged.
    const restarted = await launch(browser.profile);
    page = await openApp(restarted.context, app.url);
    expect(await page.evaluate(() => window.mnemo!.encryption.status())).toMatchObject({ locked: true });
    expect((await failure(page, 'disable', 'wrong'))?.code).toBe('ENCRYPTED');
    await page.evaluate((pass) => window.mnemo!.encryption.disable(pass), NEW_PASS);
    expect(await page.evaluate(() => window.mnemo!.encryption.status())).toMatchObject({ encrypted: false, locked: false });
    expect(await observe(page)).toEqual(before);
    await reopen(page);
    expect(await observe(page)).toEqual(before);
    expect(await page.evaluate(() => window.mnemo!.info())).toMatchObject({ vfs: 'opfs-sahpool', encryption: { encrypted: false, locked: false } });
    await restarted.close();
    const hits = markerHits(browser.profile);
    for (const marker of MARKERS) expect(hits[marker], marker).toBeGreaterThan(0);
    await restarted.dispose();
  }, 600_000);

  test('the app: enable in the Data view, the lock screen after a reload refuses a wrong passphrase and unlocks', async () => {
    const browser = await launch();
    const page = await openApp(browser.context, app.url);
    await writeMarkers(page);
    await page.getByRole('link', { name: 'Data' }).click();
    const enable = page.getByRole('form', { name: 'Encrypt with a passphrase' });
    await enable.getByLabel('New passphrase').fill(PASS);
    await enable.getByLabel('Repeat it').fill(PASS);
    await enable.getByRole('button', { name: 'Encrypt with a passphrase' }).click();
    await expect.poll(() => page.getByTestId('encryption-status').textContent(), { timeout: 60_000 }).toMatch(/^Encrypted/);
    await page.screenshot({ path: screenshotPath('encryption-data-view') });

    await page.reload();
    const lock = page.getByRole('form', { name: 'This database is locked' });
    await lock.waitFor({ timeout: 60_000 });
    await lock.getByLabel('Passphrase').fill('wrong passphrase');
    await lock.getByRole('button', { name: 'Unlock' }).click();
    await expect.poll(() => lock.getByRole('alert').textContent(), { timeout: 60_000 }).toMatch(/wrong passphrase/);
    await page.screenshot({ path: screenshotPath('encryption-lock-screen') });
    await lock.getByLabel('Passphrase').fill(PASS);
    await lock.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('link', { name: 'Data' }).click();
    await expect.poll(() => page.getByTestId('encryption-status').textContent(), { timeout: 60_000 }).toMatch(/^Encrypted/);

    // An encrypted export imported through the form: it asks for the passphrase in a password field (no prompt()).
    const sealedExport = await page.evaluate(async () => {
      const bytes = await window.mnemo!.files.export();
      const s = window.mnemo!.space({ userId: 'alice', spaceId: 'work' });
      for (const memory of (await s.memories.list()).items) await s.memories.delete(memory.id);
      return Array.from(bytes);
    });
    expect(Buffer.from(sealedExport.slice(0, 8)).toString('latin1')).toBe('MNEMOENC');
    const memoryCount = () => page.evaluate(async () => (await window.mnemo!.stats()).totals.memories);
    expect(await memoryCount()).toBe(0);
    const importForm = page.getByRole('form', { name: 'Import a database file' });
    await importForm.getByLabel('Database file').setInputFiles({ name: 'mnemo.mnemoenc', mimeType: 'application/octet-stream', buffer: Buffer.from(sealedExport) });
    const passphrase = importForm.getByLabel('Passphrase of this encrypted file');
    await passphrase.waitFor({ timeout: 30_000 });
    expect(await passphrase.getAttribute('type')).toBe('password');
    await passphrase.fill('not the passphrase');
    await importForm.getByRole('button', { name: 'Import' }).click();
    await expect.poll(() => page.getByTestId('files-notice').textContent(), { timeout: 60_000 }).toMatch(/passphrase/i);
    expect(await memoryCount()).toBe(0);
    await passphrase.fill(PASS);
    await importForm.getByRole('button', { name: 'Import' }).click();
    await expect.poll(memoryCount, { timeout: 60_000 }).toBe(1);
    await expect.poll(() => page.getByTestId('files-notice').textContent(), { timeout: 60_000 }).toMatch(/^Merged “mnemo\.mnemoenc”: \d+ rows? added/);
    await page.locator('mn-files').scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('encryption-import-sealed'), fullPage: true });

    // The space's exports from the same view: the SQLite copy comes encrypted; JSON, which cannot be, only after a warning.
    const scopeForm = page.getByRole('form', { name: 'Scope' });
    await scopeForm.getByLabel('User').fill('alice');
    await scopeForm.getByLabel('Space').fill('work');
    await scopeForm.getByRole('button', { name: 'Switch' }).click();
    await page.getByRole('button', { name: 'Export this space', exact: true }).click();
    await expect.poll(() => page.getByTestId('files-notice').textContent(), { timeout: 60_000 }).toMatch(/^Downloaded space “work” \(.+, encrypted with this database’s passphrase\)\.$/);
    await page.evaluate(() => {
      const asked: string[] = [];
      (window as unknown as { asked: string[] }).asked = asked;
      window.confirm = (message?: string) => (asked.push(message ?? ''), asked.length > 1);
    });
    await page.getByRole('button', { name: 'Export this space as JSON' }).click();
    await expect.poll(() => page.getByTestId('files-notice').textContent(), { timeout: 60_000 }).toBe('JSON export cancelled.');
    await page.getByRole('button', { name: 'Export this space as JSON' }).click();
    await expect.poll(() => page.getByTestId('files-notice').textContent(), { timeout: 60_000 }).toBe('Downloaded space “work” as JSON (not encrypted).');
    const asked = await page.evaluate(() => (window as unknown as { asked: string[] }).asked);
    expect(asked).toHaveLength(2);
    expect(asked[0]).toMatch(/plain text: anyone who gets the file can read this space/);

    // Lock now brings the lock screen back.
    await page.getByRole('button', { name: 'Lock now' }).click();
    await lock.waitFor({ timeout: 60_000 });
    await browser.dispose();
  }, 600_000);

  test('multi-tab: another tab sees the locked state and unlocks through the owner', async () => {
    const browser = await launch();
    const owner = await openApp(browser.context, app.url);
    await writeMarkers(owner);
    const follower = await openApp(browser.context, app.url);
    expect((await follower.evaluate(() => window.mnemo!.ownership())).isOwner).toBe(false);
    await owner.evaluate((pass) => window.mnemo!.encryption.enable(pass), PASS);
    expect(await follower.evaluate(() => window.mnemo!.encryption.status())).toMatchObject({ encrypted: true, locked: false });
    await owner.evaluate(() => window.mnemo!.encryption.lock());
    expect(await follower.evaluate(() => window.mnemo!.encryption.status())).toMatchObject({ encrypted: true, locked: true });
    expect((await failure(follower, 'stats'))?.code).toBe('ENCRYPTED');
    expect((await failure(owner, 'stats'))?.code).toBe('ENCRYPTED');
    await follower.evaluate((pass) => window.mnemo!.encryption.unlock(pass), PASS);
    expect(await owner.evaluate(async () => (await window.mnemo!.stats()).totals.messages)).toBe(41);
    await browser.dispose();
  }, 600_000);

  test('a renderer killed mid-enable leaves a database that opens in one of the two states, nothing lost', async () => {
    const browser = await launch();
    let page = await openApp(browser.context, app.url);
    await writeMarkers(page);
    // More rows, so that the copy takes a while.
    await page.evaluate(async () => {
      const s = window.mnemo!.space({ userId: 'alice', spaceId: 'work' });
      const chat = (await s.conversations.list()).items[0]!;
      const text = 'a longer line of diary text about seeds, soil, weather and the neighbours cat '.repeat(4);
      await s.messages.insertMany(Array.from({ length: 2_000 }, (_, i) => ({ conversationId: chat.id, role: 'user' as const, content: `${i} ${text}` })));
      await window.mnemo!.embeddings.flush(120_000);
    });
    const before = await observe(page);
    // How long a whole enable takes here, to aim the kills inside it; then back to plain.
    const started = Date.now();
    await page.evaluate((pass) => window.mnemo!.encryption.enable(pass), PASS);
    const enableMs = Date.now() - started;
    await page.evaluate((pass) => window.mnemo!.encryption.disable(pass), PASS);

    const outcomes: string[] = [];
    for (const fraction of [0.3, 0.6, 0.85, 0.95]) {
      await page.evaluate((pass) => {
        void window.mnemo!.encryption.enable(pass).catch(() => {});
      }, PASS);
      await page.waitForTimeout(Math.round(enableMs * fraction));
      await crashPage(browser, page);
      if (!IS_FIREFOX) await page.close();

      page = await openApp(browser.context, app.url);
      const status = await page.evaluate(() => window.mnemo!.encryption.status());
      outcomes.push(`${fraction}: ${status.encrypted ? 'encrypted' : 'plain'}`);
      if (status.encrypted) {
        expect(status.locked).toBe(true);
        await page.evaluate((pass) => window.mnemo!.encryption.unlock(pass), PASS);
      }
      expect(await observe(page)).toEqual(before);
      if (status.encrypted) await page.evaluate((pass) => window.mnemo!.encryption.disable(pass), PASS);
    }
    console.info(`encryption crash: enable ${enableMs} ms; after a kill at fraction ${outcomes.join(', ')}`);
    await browser.dispose();
  }, 900_000);
});
