import { afterAll, beforeAll, expect, test } from 'vitest';
import { colorScheme, launch, openApp, screenshotPath, serveApp, type App } from './harness';

let app: App;
beforeAll(async () => {
  app = await serveApp();
});
afterAll(async () => {
  await app.close();
});

test('a person creates a session and a conversation, chats, reloads, and finds everything again', async () => {
  const browser = await launch();
  const page = await openApp(browser.context, app.url);
  await expect.poll(() => page.getByTestId('storage-status').textContent()).toContain('Saved on this device');

  await page.getByLabel('Session name').fill('Trip planning');
  await page.getByRole('button', { name: 'Add' }).first().click();
  await page.getByRole('button', { name: 'Trip planning' }).waitFor();

  await page.getByLabel('Conversation title').fill('Flights');
  await page.getByRole('form', { name: 'New conversation' }).getByRole('button', { name: 'Add' }).click();
  await page.getByRole('button', { name: /Flights/ }).click();

  const box = page.getByLabel('Message', { exact: true });
  await box.fill('Find me a **cheap** flight to Lisbon');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByRole('form', { name: 'New message' }).getByLabel('Role').selectOption('assistant');
  await box.fill('Here are three options:\n\n1. TAP\n2. easyJet\n3. Ryanair');
  await page.getByRole('button', { name: 'Send' }).click();

  const messages = page.getByTestId('messages').locator('article');
  await expect.poll(() => messages.count()).toBe(2);
  await expect.poll(() => messages.first().locator('strong').textContent()).toBe('cheap');
  await page.screenshot({ path: screenshotPath('chats-light'), fullPage: true });

  await page.reload();
  await page.getByRole('button', { name: 'Trip planning' }).click();
  await page.getByRole('button', { name: /Flights/ }).click();
  await expect.poll(() => page.getByTestId('messages').locator('article').count()).toBe(2);
  expect(await page.getByTestId('messages').textContent()).toContain('easyJet');

  await colorScheme(page, 'dark');
  await page.screenshot({ path: screenshotPath('chats-dark'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: screenshotPath('chats-phone'), fullPage: true });
  await browser.dispose();
});

test('a write elsewhere refreshes the lists in place: no blink to Loading…, the text being typed stays', async () => {
  const browser = await launch();
  const page = await openApp(browser.context, app.url);
  await page.getByLabel('Session name').fill('First');
  await page.getByRole('button', { name: 'Add' }).first().click();
  await page.getByRole('button', { name: 'First' }).waitFor();

  // Watch the view's shadow DOM for any "Loading…" from here on, and mark the list element.
  await page.evaluate(() => {
    const find = (root: Document | ShadowRoot): ShadowRoot | null => {
      for (const el of root.querySelectorAll('*')) {
        if (el.tagName.toLowerCase() === 'mn-chats' && el.shadowRoot) return el.shadowRoot;
        if (el.shadowRoot) {
          const inner = find(el.shadowRoot);
          if (inner) return inner;
        }
      }
      return null;
    };
    const shadow = find(document)!;
    const seen: string[] = [];
    (window as unknown as { blinks: string[] }).blinks = seen;
    new MutationObserver(() => {
      if (shadow.textContent?.includes('Loading…')) seen.push('Loading…');
    }).observe(shadow, { subtree: true, childList: true, characterData: true });
    (shadow.querySelector('[data-testid="sessions"]') as HTMLElement & { marked?: boolean }).marked = true;
    (window as unknown as { chatsShadow: ShadowRoot }).chatsShadow = shadow;
  });
  await page.getByLabel('Session name').fill('half-typed name');

  // Another writer (a script, another tab) adds a session: the list grows in place.
  await page.evaluate(() => window.mnemo!.space({ userId: 'local', spaceId: 'default' }).sessions.create({ name: 'Second' }));
  await page.getByRole('button', { name: 'Second' }).waitFor();
  expect(await page.getByLabel('Session name').inputValue()).toBe('half-typed name');
  const state = await page.evaluate(() => {
    const w = window as unknown as { blinks: string[]; chatsShadow: ShadowRoot };
    return { blinks: w.blinks, sameList: (w.chatsShadow.querySelector('[data-testid="sessions"]') as HTMLElement & { marked?: boolean }).marked === true };
  });
  expect(state).toEqual({ blinks: [], sameList: true });
  await browser.dispose();
});

test('every view fits a 360 px phone: nothing widens the page past the screen', async () => {
  const browser = await launch();
  const page = await openApp(browser.context, app.url);
  await page.setViewportSize({ width: 360, height: 800 });
  const wide: string[] = [];
  for (const view of ['chats', 'memories', 'documents', 'search', 'vectors', 'agents', 'executions', 'spaces', 'import', 'data', 'settings']) {
    await page.goto(`${app.url}#${view}`);
    await page.waitForFunction(() => window.mnemo !== undefined);
    // Each view has loaded once nothing says Loading any more.
    await expect.poll(() => page.getByText(/^Loading|^Reading/).count(), { timeout: 30_000 }).toBe(0);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > 360) wide.push(`${view}: ${width}px`);
  }
  expect(wide).toEqual([]);
  await browser.dispose();
});
