/**
 * Selections that live in the URL: in Documents (session, open document),
 * Search (query, mode, an opened hit), Executions (status, agent filters) and
 * Memories (tab, page), each selection changes the hash route, a reload shows
 * the same selection, and Back returns to the one before.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launch, openApp, serveApp, type App, type Browser } from './harness';

const SCOPE = { userId: 'local', spaceId: 'default' };

let app: App;
let browser: Browser;
let page: Page;
let ids: { trips: string; work: string; notes: string; checkup: string; doctorMessage: string; planner: string; writer: string };

beforeAll(async () => {
  app = await serveApp();
  browser = await launch();
  page = await openApp(browser.context, app.url);
  ids = await page.evaluate(async (scope) => {
    const s = window.mnemo!.space(scope);
    const trips = await s.sessions.create({ name: 'Trips' });
    const work = await s.sessions.create({ name: 'Work' });
    const notes = await s.documents.upload(trips.id, { name: 'notes.md', type: 'text/markdown', bytes: new TextEncoder().encode('# Porto\n\nPorto has six bridges over the Douro.') });
    await s.documents.upload(trips.id, { name: 'packing.md', type: 'text/markdown', bytes: new TextEncoder().encode('# Packing\n\nA raincoat and walking shoes.') });
    await s.documents.upload(work.id, { name: 'roadmap.md', type: 'text/markdown', bytes: new TextEncoder().encode('# Roadmap\n\nShip the search view.') });
    const checkup = await s.conversations.create({ sessionId: work.id, title: 'Checkup' });
    const { ids: [doctor] } = await s.messages.insertMany([
      { conversationId: checkup.id, role: 'user', content: 'The doctor said my blood pressure is fine' },
      { conversationId: checkup.id, role: 'assistant', content: 'Great news. Keep walking every day.' },
      { conversationId: checkup.id, role: 'user', content: 'I need to buy new running shoes' },
    ]);
    await s.memories.insertMany(Array.from({ length: 55 }, (_, i) => ({ kind: 'long' as const, content: `Long-term fact number ${i + 1}`, dedup: false })));
    await s.memories.add({ kind: 'short', content: 'The user is in Porto this week', ttlMs: 3_600_000 });
    const planner = await s.agents.create({ name: 'Planner' });
    const writer = await s.agents.create({ name: 'Writer' });
    for (const [agent, status] of [[planner, 'failed'], [planner, 'failed'], [planner, 'succeeded'], [writer, 'failed'], [writer, 'succeeded']] as const) {
      const run = await s.executions.start(agent.id, trips.id);
      await s.executions.finish(run.id, status, status === 'failed' ? 'boom' : null);
    }
    return { trips: trips.id, work: work.id, notes: notes.id, checkup: checkup.id, doctorMessage: doctor!, planner: planner.id, writer: writer.id };
  }, SCOPE);
});

afterAll(async () => {
  await browser.dispose();
  await app.close();
});

const hash = () => page.evaluate(() => location.hash);
const go = (route: string) => page.evaluate((r) => (location.hash = r), route);
async function reload(): Promise<void> {
  await page.reload();
  await page.waitForFunction(() => window.mnemo !== undefined, undefined, { timeout: 60_000 });
}
const encoded = (...parts: string[]) => parts.map(encodeURIComponent).join('/');

test('Documents: the session and the open document are in the URL', async () => {
  await go('documents');
  const view = page.locator('mn-documents');
  const session = view.getByLabel('Session');
  const documents = view.getByTestId('documents').locator('li[data-id]');
  const chunks = view.getByTestId('chunks');

  await session.selectOption({ label: 'Trips' });
  await expect.poll(hash).toBe(`#documents/${encoded(ids.trips)}`);
  await expect.poll(() => documents.count(), { timeout: 30_000 }).toBe(2);

  await documents.filter({ hasText: 'notes.md' }).getByRole('button', { name: 'Chunks' }).click();
  await expect.poll(hash).toBe(`#documents/${encoded(ids.trips, ids.notes)}`);
  await expect.poll(() => chunks.textContent(), { timeout: 30_000 }).toContain('six bridges');

  await reload();
  await expect.poll(() => chunks.textContent(), { timeout: 30_000 }).toContain('six bridges');
  expect(await session.inputValue()).toBe(ids.trips);
  expect(await documents.filter({ hasText: 'notes.md' }).getByRole('button', { name: 'Chunks' }).getAttribute('aria-expanded')).toBe('true');

  await page.goBack();
  await expect.poll(hash).toBe(`#documents/${encoded(ids.trips)}`);
  await expect.poll(() => chunks.count()).toBe(0);
  expect(await documents.count()).toBe(2);
  expect(await session.inputValue()).toBe(ids.trips);

  // Another session, then Back to the first one: the select follows the URL.
  await session.selectOption({ label: 'Work' });
  await expect.poll(hash).toBe(`#documents/${encoded(ids.work)}`);
  await expect.poll(() => view.getByTestId('documents').textContent(), { timeout: 30_000 }).toContain('roadmap.md');
  await page.goBack();
  await expect.poll(hash).toBe(`#documents/${encoded(ids.trips)}`);
  await expect.poll(() => view.getByTestId('documents').textContent(), { timeout: 30_000 }).toContain('notes.md');
  expect(await session.inputValue()).toBe(ids.trips);
  await page.goBack();
  await expect.poll(hash).toBe('#documents');
  await expect.poll(() => session.inputValue()).toBe('');
  expect(await view.getByTestId('documents').count()).toBe(0);
});

test('Search: the query and mode are in the URL, and an opened hit is too', async () => {
  await go('search');
  const search = page.getByRole('search');
  const field = search.getByLabel('Search text');
  const hits = page.getByTestId('hits').locator('li[data-kind]');

  await field.fill('doctor');
  await search.getByText('Keyword', { exact: true }).click();
  await search.getByRole('button', { name: 'Search' }).click();
  await expect.poll(hash).toBe('#search/keyword/doctor');
  await expect.poll(() => hits.count(), { timeout: 30_000 }).toBe(1);

  await field.fill('running shoes');
  await search.getByText('Hybrid', { exact: true }).click();
  await search.getByRole('button', { name: 'Search' }).click();
  await expect.poll(hash).toBe(`#search/hybrid/${encodeURIComponent('running shoes')}`);
  await expect.poll(() => page.getByTestId('hits').textContent(), { timeout: 30_000 }).toContain('running shoes');

  await reload();
  await expect.poll(() => page.getByTestId('hits').textContent(), { timeout: 30_000 }).toContain('running shoes');
  expect(await field.inputValue()).toBe('running shoes');
  expect(await search.getByRole('radio', { name: 'Hybrid' }).isChecked()).toBe(true);

  await page.goBack();
  await expect.poll(hash).toBe('#search/keyword/doctor');
  await expect.poll(() => field.inputValue()).toBe('doctor');
  await expect.poll(() => search.getByRole('radio', { name: 'Keyword' }).isChecked()).toBe(true);
  await expect.poll(() => hits.count(), { timeout: 30_000 }).toBe(1);
  expect(await hits.first().textContent()).toContain('doctor said');

  // The opened hit: the conversation with that message marked, by URL.
  await hits.first().getByRole('link', { name: 'Open conversation' }).click();
  await expect.poll(hash).toBe(`#chats/${encoded(ids.work, ids.checkup, ids.doctorMessage)}`);
  const target = page.getByTestId('messages').locator('article[data-target]');
  await expect.poll(() => target.getAttribute('data-id'), { timeout: 30_000 }).toBe(ids.doctorMessage);
  await reload();
  await expect.poll(() => target.getAttribute('data-id'), { timeout: 30_000 }).toBe(ids.doctorMessage);
  expect(await page.getByRole('button', { name: /Checkup/ }).getAttribute('aria-current')).toBe('true');

  await page.goBack();
  await expect.poll(hash).toBe('#search/keyword/doctor');
  await expect.poll(() => hits.count(), { timeout: 30_000 }).toBe(1);
  expect(await field.inputValue()).toBe('doctor');

  // A document hit opens that document's chunks.
  await field.fill('bridges');
  await search.getByRole('button', { name: 'Search' }).click();
  await expect.poll(hash).toBe('#search/keyword/bridges');
  await hits.filter({ hasText: 'bridges' }).getByRole('link', { name: 'Open document' }).click();
  await expect.poll(hash).toBe(`#documents/${encoded(ids.trips, ids.notes)}`);
  await expect.poll(() => page.locator('mn-documents').getByTestId('chunks').textContent(), { timeout: 30_000 }).toContain('six bridges');

  // Back to a search page without a query: no results.
  await page.goBack();
  await expect.poll(hash).toBe('#search/keyword/bridges');
  await expect.poll(() => hits.count(), { timeout: 30_000 }).toBe(1);
  await go('search');
  await expect.poll(() => page.getByTestId('hits').count()).toBe(0);
  expect(await field.inputValue()).toBe('');
});

test('Executions: the status and agent filters are in the URL', async () => {
  await go('executions');
  const view = page.locator('mn-executions');
  const rows = view.getByTestId('executions').locator('tbody tr');
  const status = view.getByLabel('Status');
  const agent = view.getByLabel('Agent');
  await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(5);

  await status.selectOption('failed');
  await expect.poll(hash).toBe('#executions/failed');
  await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(3);

  await agent.selectOption({ label: 'Planner' });
  await expect.poll(hash).toBe(`#executions/failed/${encoded(ids.planner)}`);
  await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(2);

  await reload();
  await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(2);
  expect(await rows.evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute('data-status')} ${tr.children[1]?.textContent}`))).toEqual(['failed Planner', 'failed Planner']);
  expect(await status.inputValue()).toBe('failed');
  await expect.poll(() => agent.inputValue()).toBe(ids.planner);

  await page.goBack();
  await expect.poll(hash).toBe('#executions/failed');
  await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(3);
  expect(await agent.inputValue()).toBe('');
  expect(await status.inputValue()).toBe('failed');

  // An agent without a status: the unset status is `all` in the URL.
  await status.selectOption('');
  await expect.poll(hash).toBe('#executions');
  await agent.selectOption({ label: 'Writer' });
  await expect.poll(hash).toBe(`#executions/all/${encoded(ids.writer)}`);
  await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(2);
  await page.goBack();
  await expect.poll(hash).toBe('#executions');
  await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(5);
  expect(await agent.inputValue()).toBe('');
  expect(await status.inputValue()).toBe('');
});

test('Memories: the tab and the page are in the URL', async () => {
  await go('memories');
  const view = page.locator('mn-memories');
  const tab = (name: string) => view.getByRole('tab', { name });
  const items = view.getByTestId('memories').locator('li');
  const pageLabel = view.getByTestId('memories-page');
  await expect.poll(() => pageLabel.textContent(), { timeout: 30_000 }).toBe('Page 1 of 2');
  expect(await tab('Long-term').getAttribute('aria-selected')).toBe('true');

  await view.getByRole('button', { name: 'Next page' }).click();
  await expect.poll(hash).toBe('#memories/long/2');
  await expect.poll(() => pageLabel.textContent(), { timeout: 30_000 }).toBe('Page 2 of 2');
  expect(await items.count()).toBe(5);

  await tab('Short-term').click();
  await expect.poll(hash).toBe('#memories/short');
  await expect.poll(() => view.getByTestId('memories').textContent(), { timeout: 30_000 }).toContain('in Porto this week');

  await reload();
  await expect.poll(() => view.getByTestId('memories').textContent(), { timeout: 30_000 }).toContain('in Porto this week');
  expect(await tab('Short-term').getAttribute('aria-selected')).toBe('true');
  expect(await tab('Long-term').getAttribute('aria-selected')).toBe('false');

  await page.goBack();
  await expect.poll(hash).toBe('#memories/long/2');
  await expect.poll(() => pageLabel.textContent(), { timeout: 30_000 }).toBe('Page 2 of 2');
  expect(await tab('Long-term').getAttribute('aria-selected')).toBe('true');
  expect(await items.count()).toBe(5);

  await reload();
  await expect.poll(() => pageLabel.textContent(), { timeout: 30_000 }).toBe('Page 2 of 2');
  await page.goBack();
  await expect.poll(hash).toBe('#memories');
  await expect.poll(() => pageLabel.textContent(), { timeout: 30_000 }).toBe('Page 1 of 2');
  expect(await items.count()).toBe(50);
});
