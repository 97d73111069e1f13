import { afterAll, beforeAll, expect, test } from 'vitest';
import { colorScheme, fillNumber, launch, openApp, screenshotPath, serveApp, type App } from './harness';

let app: App;
beforeAll(async () => {
  app = await serveApp();
});
afterAll(async () => {
  await app.close();
});

test('a person searches by keyword, by meaning and both, and sees why each hit ranked', async () => {
  const browser = await launch();
  const external: string[] = [];
  await browser.context.route('**/*', (route) => {
    const host = new URL(route.request().url()).hostname;
    if (host === 'localhost' || host === '127.0.0.1') return route.continue();
    external.push(host);
    return route.abort();
  });
  const page = await openApp(browser.context, app.url);
  await page.evaluate(async () => {
    const s = window.mnemo!.space({ userId: 'local', spaceId: 'default' });
    const session = await s.sessions.create({ name: 'Health' });
    const conv = await s.conversations.create({ sessionId: session.id, title: 'Checkup' });
    await s.messages.insertMany([
      { conversationId: conv.id, role: 'user', content: 'The physician said my blood pressure is fine' },
      { conversationId: conv.id, role: 'assistant', content: 'Great news. Remember to keep walking every day.' },
      { conversationId: conv.id, role: 'user', content: 'I need to buy new running shoes' },
    ]);
    await s.memories.add({ kind: 'long', content: 'User sees a doctor every spring for a checkup' });
    await window.mnemo!.embeddings.flush(60_000);
  });
  const status = await page.evaluate(() => window.mnemo!.embeddings.status());
  expect(status).toMatchObject({ modelId: 'mnemo-glove-100d', ready: true, dims: 100, pending: 0 });

  await page.goto(`${app.url}#search`);
  await page.waitForFunction(() => window.mnemo !== undefined);
  const search = page.getByRole('search');
  await search.getByLabel('Search text').fill('doctor');
  await search.getByText('Keyword', { exact: true }).click();
  await search.getByRole('button', { name: 'Search' }).click();
  const hits = page.getByTestId('hits').locator('li[data-kind]');
  await expect.poll(() => hits.count()).toBe(1);
  expect(await hits.first().locator('mark').textContent()).toBe('doctor');

  await search.getByText('Semantic', { exact: true }).click();
  await search.getByRole('button', { name: 'Search' }).click();
  await expect.poll(async () => (await page.getByTestId('hits').textContent()) ?? '').toContain('physician');

  await search.getByText('Hybrid', { exact: true }).click();
  await search.getByRole('button', { name: 'Search' }).click();
  await expect.poll(() => hits.count()).toBeGreaterThan(1);
  const breakdown = await hits.first().getByLabel('Score breakdown').textContent();
  // The top hit is the yardstick (100%); the parts are readable words, the raw numbers in the tooltip.
  expect(breakdown).toMatch(/relevance\s*100%/);
  expect(breakdown).toMatch(/meaning\s*\d+% similar/);
  expect(await hits.first().getByLabel('Score breakdown').getAttribute('title')).toMatch(/^fused \S+ · bm25 \S+ · cosine \S+$/);
  await page.screenshot({ path: screenshotPath('search-light'), fullPage: true });
  await colorScheme(page, 'dark');
  await page.screenshot({ path: screenshotPath('search-dark'), fullPage: true });

  await hits.filter({ hasText: 'physician' }).getByRole('link', { name: 'Open conversation' }).click();
  await expect.poll(() => page.locator('mn-app').evaluate((el) => (el as HTMLElement & { view: string }).view)).toBe('chats');
  expect(external).toEqual([]);
  await browser.dispose();
});

test('a person sets search defaults, the duplicate threshold and the theme in Settings, and the search view starts from them', { timeout: 120_000 }, async () => {
  const browser = await launch();
  try {
    const page = await openApp(browser.context, `${app.url}#settings`);
    // The search and theme cards do not wait for the embedding model's status.
    const searchCard = page.locator('mn-settings section[aria-labelledby=search-settings-h]');
    await searchCard.getByLabel('Default mode').selectOption('keyword');
    await searchCard.getByLabel('Fusion').selectOption('weighted');
    await fillNumber(searchCard.getByLabel('Text weight (%)'), '40');
    await fillNumber(searchCard.getByLabel('Memory duplicate threshold (cosine)'), '0.9');
    await searchCard.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('mn-settings [role=status]').textContent()).toBe('Search settings saved.');
    const saved = await page.evaluate(async () => ({
      defaults: await window.mnemo!.settings.get('search.defaults'),
      threshold: await window.mnemo!.settings.get('memories.dedupThreshold'),
    }));
    expect(saved).toEqual({ defaults: { mode: 'keyword', fusion: 'weighted', textWeight: 0.4 }, threshold: 0.9 });

    const modelCard = page.locator('mn-settings section[aria-labelledby=model-h]');
    await expect.poll(() => modelCard.locator('.meta').textContent(), { timeout: 60_000 }).toMatch(/^Current: mnemo-glove-100d · 100 dims · \d+ embedded · \d+ waiting$/);
    expect(await modelCard.getByLabel('Model').inputValue()).toBe('mnemo-glove-100d');

    await page.locator('mn-settings').getByRole('radio', { name: 'dark' }).check();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.screenshot({ path: screenshotPath('settings-dark'), fullPage: true });

    // After a reload the theme is still dark and the search view opens in keyword mode with weighted fusion.
    await page.goto(`${app.url}#search`);
    await page.waitForFunction(() => window.mnemo !== undefined);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    const search = page.getByRole('search');
    await expect.poll(() => search.getByRole('radio', { name: 'Keyword' }).isChecked()).toBe(true);
    // Fusion applies to hybrid search: its controls start from the saved defaults.
    await search.getByText('Hybrid', { exact: true }).click();
    expect(await search.locator('select[name=fusion]').inputValue()).toBe('weighted');
    expect(await search.locator('input[name=textWeight]').inputValue()).toBe('40');
  } finally {
    await browser.dispose();
  }
});
