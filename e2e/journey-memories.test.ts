import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { colorScheme, fillNumber, launch, openApp, screenshotPath, serveApp, type App } from './harness';

let app: App;
beforeAll(async () => {
  app = await serveApp();
});
afterAll(async () => {
  await app.close();
});

const total = (page: import('playwright-core').Page, key: string) =>
  page.getByTestId('totals').locator(`td[data-key="${key}"]`).textContent().then(Number);

test('a person adds memories, uploads Markdown and a PDF, sees the stats change, and everything survives a reload', async () => {
  const browser = await launch();
  const page = await openApp(browser.context, app.url);
  await page.evaluate(() => window.mnemo!.space({ userId: 'local', spaceId: 'default' }).sessions.create({ name: 'Research' }));

  await page.goto(`${app.url}#data`);
  await page.waitForFunction(() => window.mnemo !== undefined);
  await page.getByTestId('totals').waitFor();
  const before = { memories: await total(page, 'memories'), contents: await total(page, 'contents') };

  await page.getByRole('link', { name: 'Memories' }).click();
  const add = page.getByRole('form', { name: 'Add memory' });
  await add.getByLabel(/New long-term memory/).fill('User is training for a half marathon in May');
  await fillNumber(add.getByLabel('Importance'), '0.9');
  await add.getByRole('button', { name: 'Add memory' }).click();
  // The first add embeds the text for duplicate detection, which loads the model (seconds on a busy machine).
  await expect.poll(() => page.getByTestId('memories').textContent(), { timeout: 60_000 }).toContain('half marathon');

  await page.getByRole('tab', { name: 'Short-term' }).click();
  await add.getByLabel(/New short-term memory/).fill('Pick up the race bib on Friday');
  await fillNumber(add.getByLabel(/Expires after/), '90');
  await add.getByRole('button', { name: 'Add memory' }).click();
  await expect.poll(() => page.getByTestId('expiry').first().textContent(), { timeout: 30_000 }).toMatch(/expires in (1|2) h|expires in 90 min/);
  await page.screenshot({ path: screenshotPath('memories-light'), fullPage: true });

  await page.getByRole('link', { name: 'Documents' }).click();
  await page.getByLabel('Session').selectOption({ label: 'Research' });
  const upload = page.getByLabel(/Upload Markdown, text or PDF/);
  await upload.setInputFiles([
    { name: 'plan.md', mimeType: 'text/markdown', buffer: Buffer.from('# Training plan\n\nWeek one: easy runs.\n\n## Week two\n\nIntervals on Tuesday.\n') },
    { name: 'sample.pdf', mimeType: 'application/pdf', buffer: readFileSync(join(process.cwd(), 'test', 'fixtures', 'sample.pdf')) },
  ]);
  const docs = page.getByTestId('documents');
  await expect.poll(() => docs.locator('li[data-id]').count(), { timeout: 30_000 }).toBe(2);
  expect(await docs.textContent()).toContain('plan.md');
  expect(await docs.textContent()).toContain('application/pdf');
  await docs.locator('li[data-id]').filter({ hasText: 'plan.md' }).getByRole('button', { name: 'Chunks' }).click();
  await expect.poll(() => docs.textContent()).toContain('lines 1–');
  await page.screenshot({ path: screenshotPath('documents-light'), fullPage: true });

  const pdfText = await page.evaluate(async () => {
    const s = window.mnemo!.space({ userId: 'local', spaceId: 'default' });
    const session = (await s.sessions.list()).items.find((x) => x.name === 'Research')!;
    const pdf = (await s.documents.list(session.id)).items.find((d) => d.filename === 'sample.pdf')!;
    return { text: (await s.documents.get(pdf.id)).fullText, pages: pdf.metadata.pageCount };
  });
  expect(pdfText.text.length).toBeGreaterThan(20);
  expect(pdfText.pages).toBe(2);

  await page.getByRole('link', { name: 'Data' }).click();
  await expect.poll(() => total(page, 'memories')).toBe(before.memories + 2);
  await expect.poll(() => total(page, 'contents')).toBe(before.contents + 2);
  expect(await total(page, 'longTermMemories')).toBeGreaterThanOrEqual(1);
  expect(await total(page, 'shortTermMemories')).toBeGreaterThanOrEqual(1);
  const stats = await page.evaluate(() => window.mnemo!.stats());
  expect(stats.storage.quota).toBeGreaterThan(0);
  expect(stats.storage.usage).toBeGreaterThan(0);
  expect(stats.fileSizeBytes).toBeGreaterThan(0);
  expect(await page.getByTestId('health').textContent()).toBe('Healthy');
  expect(await page.getByTestId('derived').textContent()).toContain('in step');
  await page.getByTestId('rebuild').click();
  await expect.poll(async () => (await page.getByTestId('data-notice').textContent()) ?? '', { timeout: 30_000 }).toMatch(/^Search index rebuilt: \d+ rows in [\d.]+ s; \d+ queued for embedding\.$/);
  expect(await page.getByTestId('health').textContent()).toBe('Healthy');
  await page.screenshot({ path: screenshotPath('data-light'), fullPage: true });
  await colorScheme(page, 'dark');
  await page.screenshot({ path: screenshotPath('data-dark'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: screenshotPath('data-phone'), fullPage: true });

  await page.reload();
  await page.waitForFunction(() => window.mnemo !== undefined);
  const after = await page.evaluate(async () => {
    const s = window.mnemo!.space({ userId: 'local', spaceId: 'default' });
    const long = await s.memories.list({ kind: 'long' });
    const short = await s.memories.list({ kind: 'short' });
    const session = (await s.sessions.list()).items.find((x) => x.name === 'Research')!;
    const docs = await s.documents.list(session.id);
    const chunks = await s.documents.chunks(docs.items[0]!.id);
    return { long: long.items.map((m) => m.content), short: short.items.map((m) => m.content), docs: docs.total, chunks: chunks.length };
  });
  expect(after.long).toContain('User is training for a half marathon in May');
  expect(after.short).toContain('Pick up the race bib on Friday');
  expect(after.docs).toBe(2);
  expect(after.chunks).toBeGreaterThan(0);
  await browser.dispose();
});
