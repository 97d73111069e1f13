import { readFileSync } from 'node:fs';
import { strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { colorScheme, launch, openApp, screenshotPath, serveApp, type App } from './harness';

let app: App;
beforeAll(async () => {
  app = await serveApp();
});
afterAll(async () => {
  await app.close();
});

const chatgpt = {
  name: 'conversations.json',
  mimeType: 'application/json',
  buffer: readFileSync('test/fixtures/import/chatgpt-conversations.json'),
};

test('a person imports a ChatGPT export: preview, import, report, re-import, then finds it in search', async () => {
  const browser = await launch();
  const page = await openApp(browser.context, app.url);
  const stored = () =>
    page.evaluate(async () => {
      const s = window.mnemo!.space({ userId: 'local', spaceId: 'default' });
      return { messages: await s.messages.count(), sessions: (await s.sessions.list()).total };
    });

  await page.getByRole('link', { name: 'Import' }).click();
  const input = page.locator('mn-import input[type=file]');
  expect(await page.getByLabel(/Drop export files here, or choose files/).count()).toBe(1);

  // A file that is not an export is refused with a reason, and nothing is written.
  await input.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not json at all') });
  const error = page.getByTestId('import-error');
  await expect.poll(() => error.textContent()).toContain('cannot be imported');
  expect(await error.getAttribute('role')).toBe('alert');
  expect(await page.getByTestId('preview').count()).toBe(0);
  expect(await stored()).toEqual({ messages: 0, sessions: 0 });
  await page.screenshot({ path: screenshotPath('import-rejected'), fullPage: true });

  // A partly odd file: the preview lists what will be skipped and why, by position, never by content.
  const odd = [{ uuid: 'ok', name: 'Fine', created_at: '2025-03-01T10:00:00Z', updated_at: '2025-03-01T10:00:00Z', chat_messages: [{ uuid: 'ok-1', sender: 'human', text: 'fine' }] }, 7, { uuid: 'bad', name: 'SECRET-TITLE', chat_messages: 'oops' }];
  await input.setInputFiles({ name: 'conversations.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(odd)) });
  const preview = page.getByTestId('preview');
  await expect.poll(() => preview.getByTestId('problems').locator('li').count()).toBe(2);
  expect(await preview.getByTestId('problems').textContent()).toContain('conversations.json #1');
  expect(await preview.getByTestId('problems').textContent()).not.toContain('SECRET-TITLE');
  expect(await preview.locator('[data-count="imported"]').textContent()).toBe('1');
  expect(await stored()).toEqual({ messages: 0, sessions: 0 });

  // The preview is a dry run: numbers, nothing written.
  await input.setInputFiles(chatgpt);
  await expect.poll(() => preview.getByTestId('format').textContent()).toBe('ChatGPT export');
  expect(await error.count()).toBe(0);
  const expected = await page.evaluate(async (bytes) => {
    const s = window.mnemo!.space({ userId: 'local', spaceId: 'default' });
    return s.importConversations({ name: 'conversations.json', bytes: new Uint8Array(bytes) }, { dryRun: true });
  }, [...chatgpt.buffer]);
  const count = (scope: typeof preview, name: string) => scope.locator(`[data-count="${name}"]`).textContent();
  expect(await preview.getByTestId('format').textContent()).toBe('ChatGPT export');
  // Three conversations; the regenerated answer and the edited prompt come in as conversations of their own.
  const n = expected.conversations.imported;
  expect(n).toBe(5);
  expect(await count(preview, 'imported')).toBe(String(n));
  expect(await count(preview, 'unchanged')).toBe('0');
  expect(await count(preview, 'messages')).toBe(String(expected.messages.imported));
  expect(await count(preview, 'skipped')).toBe(String(expected.conversations.skipped));
  // The date range of the export, as the page's locale writes dates.
  const range = await page.evaluate(
    ({ from, to }) => [from, to].map((ms) => new Date(ms!).toLocaleDateString(undefined, { dateStyle: 'medium' })).join(' – '),
    expected.dateRange,
  );
  expect(expected.dateRange.from).toBeLessThan(expected.dateRange.to!);
  expect(await preview.getByTestId('dates').textContent()).toBe(range);
  expect(await stored()).toEqual({ messages: 0, sessions: 0 });
  await page.screenshot({ path: screenshotPath('import-preview-light'), fullPage: true });

  const progress: Array<{ done: number; total: number }> = [];
  await page.exposeFunction('recordProgress', (p: { done: number; total: number }) => progress.push(p));
  await page.evaluate(() =>
    window.mnemo!.onProgress((p) => {
      if (p.task === 'import') void (window as unknown as { recordProgress(p: unknown): Promise<void> }).recordProgress({ done: p.done, total: p.total });
    }),
  );
  await preview.getByRole('button', { name: `Import ${n} conversations` }).click();
  const report = page.getByTestId('report');
  await report.waitFor();
  expect(await report.getByRole('heading').first().textContent()).toBe('Import finished');
  expect(await count(report, 'imported')).toBe(String(n));
  expect(await count(report, 'messages')).toBe(String(expected.messages.imported));
  expect((await stored()).messages).toBe(expected.messages.imported);
  // The bar's total comes from the preview.
  await expect.poll(() => progress.at(-1)).toEqual({ done: n, total: n });
  await page.screenshot({ path: screenshotPath('import-report-light'), fullPage: true });
  await colorScheme(page, 'dark');
  await page.screenshot({ path: screenshotPath('import-report-dark'), fullPage: true });
  await colorScheme(page, 'light');
  await page.setViewportSize({ width: 360, height: 800 });
  await page.screenshot({ path: screenshotPath('import-report-360'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 860 });

  // The same export again changes nothing.
  await input.setInputFiles(chatgpt);
  await preview.waitFor();
  expect(await count(preview, 'imported')).toBe('0');
  expect(await count(preview, 'unchanged')).toBe(String(n));
  await preview.getByRole('button', { name: 'Import (nothing new)' }).click();
  await report.waitFor();
  expect(await count(report, 'unchanged')).toBe(String(n));
  expect(await report.getByRole('status').textContent()).toContain(`${n} unchanged`);
  expect((await stored()).messages).toBe(expected.messages.imported);

  await report.getByRole('link', { name: 'Search what you imported' }).click();
  const search = page.getByRole('search');
  await search.getByLabel('Search text').fill('monoid in the category of endofunctors');
  await search.getByText('Keyword', { exact: true }).click();
  await search.getByRole('button', { name: 'Search' }).click();
  await expect.poll(async () => (await page.getByTestId('hits').textContent()) ?? '').toContain('endofunctors');
  await browser.dispose();
});

test('a long import shows progress and can be cancelled, keeping only whole conversations', async () => {
  const browser = await launch();
  const page = await openApp(browser.context, `${app.url}#import`);
  // A Claude export large enough for many write batches, and for the import to still run after the
  // progress screenshots (at 1,200 conversations Firefox once finished before Cancel was clicked).
  const claude = Array.from({ length: 3000 }, (_, i) => ({
    uuid: `c-${i}`,
    name: `Chat ${i}`,
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-01T00:00:00Z',
    chat_messages: Array.from({ length: 40 }, (_, j) => ({
      uuid: `m-${i}-${j}`,
      sender: j % 2 ? 'assistant' : 'human',
      text: `message ${j} of chat ${i} about tide pools`,
      created_at: '2025-01-01T00:00:00Z',
    })),
  }));
  const input = page.locator('mn-import input[type=file]');
  // The drop zone is the file input's label: focusing the input by keyboard rings the zone.
  await input.focus();
  expect(await page.locator('mn-import').evaluate((el) => el.shadowRoot!.activeElement?.getAttribute('type'))).toBe('file');
  await page.screenshot({ path: screenshotPath('import-focus-light'), fullPage: true });

  await input.setInputFiles({ name: 'conversations.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(claude)) });
  const preview = page.getByTestId('preview');
  await preview.waitFor({ timeout: 60_000 });
  expect(await preview.getByTestId('format').textContent()).toBe('Claude export');
  expect(await preview.locator('[data-count="imported"]').textContent()).toBe('3000');
  await preview.getByRole('button', { name: 'Import 3000 conversations' }).click();

  const bar = page.locator('mn-import progress');
  await expect.poll(() => bar.evaluate((el) => (el as HTMLProgressElement).value), { timeout: 60_000 }).toBeGreaterThan(0);
  expect(await bar.getAttribute('max')).toBe('3000');
  // The label says how far, at what pace: the time left comes with each step's progress event.
  await expect.poll(() => page.locator('mn-import').getByText(/^Importing/).textContent(), { timeout: 30_000 }).toMatch(/conversations, \d+ messages · about \d+ (s|min) left/);
  await page.screenshot({ path: screenshotPath('import-progress-light'), fullPage: true });
  await colorScheme(page, 'dark');
  await page.screenshot({ path: screenshotPath('import-progress-dark'), fullPage: true });
  await page.getByRole('button', { name: 'Cancel' }).click();

  const report = page.getByTestId('report');
  await report.waitFor({ timeout: 60_000 });
  expect(await report.getByRole('heading').first().textContent()).toBe('Import cancelled');
  const imported = Number(await report.locator('[data-count="imported"]').textContent());
  expect(imported).toBeGreaterThan(0);
  expect(imported).toBeLessThan(3000);
  const messages = await page.evaluate(() => window.mnemo!.space({ userId: 'local', spaceId: 'default' }).messages.count());
  expect(messages).toBe(imported * 40);

  await report.getByRole('link', { name: 'Open the imported chats' }).click();
  await expect.poll(() => page.locator('mn-app').evaluate((el) => (el as HTMLElement & { view: string }).view)).toBe('chats');
  const session = await page.evaluate(async () => (await window.mnemo!.space({ userId: 'local', spaceId: 'default' }).sessions.list()).items[0]!);
  expect(session.name).toBe('Imported from Claude');
  await expect.poll(() => page.locator('mn-chats').evaluate((el) => (el as HTMLElement & { sessionId: string | null }).sessionId)).toBe(session.id);
  await browser.dispose();
});

test('a Claude export zip dropped on the page is previewed and imported like a chosen file', async () => {
  const browser = await launch();
  const page = await openApp(browser.context, `${app.url}#import`);
  const zip = zipSync({
    'conversations.json': readFileSync('test/fixtures/import/claude-conversations.json'),
    'users.json': strToU8('[{"uuid":"u-1","full_name":"Sam"}]'),
  });
  const zone = page.locator('mn-import .drop');
  await zone.waitFor();
  // A real DataTransfer holding a real File, as the browser builds one for a drop from the desktop.
  const transfer = await page.evaluateHandle((bytes) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(bytes)], 'data-2025-01-01.zip', { type: 'application/zip' }));
    return data;
  }, [...zip]);
  await zone.dispatchEvent('dragover', { dataTransfer: transfer });
  await expect.poll(() => zone.getAttribute('class')).toContain('over');
  await page.screenshot({ path: screenshotPath('import-dragover-light'), fullPage: true });
  await zone.dispatchEvent('drop', { dataTransfer: transfer });
  expect(await zone.getAttribute('class')).not.toContain('over');

  const preview = page.getByTestId('preview');
  await preview.waitFor();
  expect(await preview.getByTestId('format').textContent()).toBe('Claude export');
  const expected = await page.evaluate(async (bytes) => {
    const s = window.mnemo!.space({ userId: 'local', spaceId: 'default' });
    return s.importConversations({ name: 'data.zip', bytes: new Uint8Array(bytes) }, { dryRun: true });
  }, [...zip]);
  expect(expected.conversations.imported).toBeGreaterThan(0);
  const n = expected.conversations.imported;
  expect(await preview.locator('[data-count="imported"]').textContent()).toBe(String(n));
  await preview.getByRole('button', { name: n === 1 ? 'Import 1 conversation' : `Import ${n} conversations` }).click();
  const report = page.getByTestId('report');
  await report.waitFor();
  expect(await report.locator('[data-count="messages"]').textContent()).toBe(String(expected.messages.imported));
  const stored = await page.evaluate(() => window.mnemo!.space({ userId: 'local', spaceId: 'default' }).messages.count());
  expect(stored).toBe(expected.messages.imported);
  await browser.dispose();
});
