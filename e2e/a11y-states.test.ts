/**
 * Accessibility of states that only appear after something happens (the
 * views and selections are in a11y.test.ts): a chat answer with its recall
 * panel open, memory-extraction results under the composer, an answer that
 * failed with a refused key, and a vector collection open. axe-core finds no
 * serious or critical violation in any of them, at desktop width and at
 * 360 px, in light and dark.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../test/support/fake-openai';
import { MODES, seriousViolations } from './axe';
import { colorScheme, launch, openApp, serveApp, type App } from './harness';

const SCOPE = { userId: 'local', spaceId: 'default' };
const FACTS = { memories: [{ content: 'The user lives in Porto', kind: 'long', importance: 0.7 }] };

let fake: FakeOpenAI;
let app: App;
beforeAll(async () => {
  fake = await startFakeOpenAI({ reply: (body) => (body.stream === true ? 'You like green tea. Here:\n\n```\nbrew("sencha")\n```' : JSON.stringify(FACTS)) });
  app = await serveApp({ connectSrc: [new URL(fake.baseUrl).origin] });
});
afterAll(async () => {
  await app.close();
  await fake.close();
});

/** The serious and critical violations of the page as it is, in every mode, while `shown` (the state, inside `around`) is on screen. */
async function check(page: Page, state: string, shown: Locator, around?: Locator): Promise<string[]> {
  const problems: string[] = [];
  for (const mode of MODES) {
    await page.setViewportSize({ width: mode.width, height: 860 });
    await colorScheme(page, mode.scheme);
    // The message list renders only the rows inside the window: bring it (or the state itself) on screen first.
    await (around ?? shown).scrollIntoViewIfNeeded();
    await expect.poll(() => shown.isVisible(), { timeout: 10_000 }).toBe(true);
    for (const v of await seriousViolations(page)) problems.push(`${state} ${mode.name}: ${v.impact} ${v.id} (${v.help}) ${v.targets.join(' ')}`);
  }
  await page.setViewportSize({ width: 1280, height: 860 });
  await colorScheme(page, 'light');
  return problems;
}

test('zero serious or critical axe violations with a recall panel open, extraction results, a chat error, and a vector collection open', { timeout: 600_000 }, async () => {
  const browser = await launch();
  try {
    const page = await openApp(browser.context, app.url);
    const ids = await page.evaluate(async ([scope, baseUrl]) => {
      await window.mnemo!.settings.set('chat.endpoints', [
        { id: 'chat', name: 'Fake', baseUrl, model: 'chat' },
        { id: 'locked', name: 'Locked', baseUrl, model: 'unauthorized' },
      ]);
      const s = window.mnemo!.space(scope);
      await s.memories.add({ kind: 'long', content: 'I like green tea', metadata: { source: 'user' } });
      await s.vectors.add({ collection: 'notes', content: 'Porto has six bridges', documentId: 'doc-1', metadata: { page: 2 } });
      await s.vectors.add({ collection: 'notes', content: 'Lisbon has trams' });
      const session = await s.sessions.create({ name: 'Everyday' });
      const conversation = await s.conversations.create({ sessionId: session.id, title: 'Tea' });
      return { session: session.id, conversation: conversation.id };
    }, [SCOPE, fake.baseUrl] as const);
    await page.evaluate(({ session, conversation }) => (location.hash = `chats/${session}/${conversation}`), ids);
    const box = page.getByLabel('Message', { exact: true });
    const articles = page.getByTestId('messages').locator('article[data-id]');
    const problems: string[] = [];

    // An answer with its recall panel open.
    await box.fill('What tea do I like?');
    await box.press('Enter');
    await expect.poll(() => articles.nth(1).locator('.content').textContent(), { timeout: 30_000 }).toContain('You like green tea');
    await expect.poll(() => articles.nth(1).getAttribute('data-streaming')).toBeNull();
    await articles.nth(1).getByTestId('recalled').click();
    const recalled = articles.nth(1).getByRole('list', { name: 'Recalled items' });
    await expect.poll(() => recalled.textContent()).toContain('I like green tea');
    problems.push(...(await check(page, 'recall panel open', recalled, page.getByTestId('messages'))));
    // The check reaches into the recall panel (four shadow roots deep): a control without a name there is reported.
    await recalled.evaluate((list) => list.append(Object.assign(document.createElement('button'), { id: 'unnamed' })));
    expect((await seriousViolations(page)).map((v) => v.id)).toContain('button-name');
    await recalled.evaluate((list) => list.querySelector('#unnamed')?.remove());

    // Memory-extraction results under the composer.
    await page.getByRole('checkbox', { name: /Learn memories from each answer/ }).check();
    await expect.poll(async () => ((await page.evaluate(() => window.mnemo!.settings.get('chat.preferences'))) as { extractMemories?: boolean } | null)?.extractMemories).toBe(true);
    await box.fill('I moved to Porto.');
    await box.press('Enter');
    const extracted = page.getByRole('list', { name: 'Memories from this exchange' });
    await expect.poll(() => extracted.locator('li').count(), { timeout: 30_000 }).toBe(1);
    problems.push(...(await check(page, 'extraction results', extracted)));
    expect(await extracted.textContent()).toContain('The user lives in Porto');

    // A refused key: the error with Retry on the answer.
    await page.getByRole('form', { name: 'New message' }).getByLabel('Model', { exact: true }).selectOption('locked');
    await box.fill('Hello again');
    await box.press('Enter');
    const failure = page.getByTestId('messages').getByTestId('chat-error').last();
    await expect.poll(() => failure.textContent(), { timeout: 30_000 }).toContain('The server refused the API key.');
    problems.push(...(await check(page, 'chat error', failure, page.getByTestId('messages'))));

    // A vector collection open (its entries listed, none selected).
    await page.evaluate(() => (location.hash = 'vectors/notes'));
    await expect.poll(() => page.locator('mn-vectors').getByText('Lisbon has trams').count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => page.getByText(/^Loading\b/).count(), { timeout: 30_000 }).toBe(0);
    problems.push(...(await check(page, '#vectors/notes', page.locator('mn-vectors').getByText('Lisbon has trams'))));

    expect(problems).toEqual([]);
  } finally {
    await browser.dispose();
  }
});
