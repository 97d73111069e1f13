import { afterAll, beforeAll, expect, test } from 'vitest';
import { launch, openApp, screenshotPath, serveApp, type App } from './harness';

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

  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: screenshotPath('chats-dark'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: screenshotPath('chats-phone'), fullPage: true });
  await browser.dispose();
});
