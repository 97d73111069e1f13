import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launch, openApp, screenshotPath, serveApp, type App } from './harness';

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

  // The preview is a dry run: numbers, nothing written.
  await input.setInputFiles(chatgpt);
  const preview = page.getByTestId('preview');
  await preview.waitFor();
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
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: screenshotPath('import-report-dark'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });
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
