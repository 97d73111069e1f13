/**
 * A person chats with a model through the app: a fake OpenAI-compatible
 * server on loopback, the app served with a CSP that allows exactly that
 * origin, the endpoint configured in Settings, a memory stored with
 * /remember, an answer streamed with that memory recalled, a reload in the
 * middle of an answer, and a refused API key. Memory switched off for a
 * conversation and for a space, and API keys kept out of every export.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Message } from '../src/shared/models';
import { FAKE_ANSWER, startFakeOpenAI, type FakeOpenAI } from '../test/support/fake-openai';
import { colorScheme, launch, openApp, screenshotPath, serveApp, type App } from './harness';

let fake: FakeOpenAI;
let app: App;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  app = await serveApp({ connectSrc: [new URL(fake.baseUrl).origin] });
});
afterAll(async () => {
  await app.close();
  await fake.close();
});

const SCOPE = { userId: 'local', spaceId: 'default' };

test('a person configures a model, chats with recalled memories, reloads mid-answer and sees a refused key', async () => {
  const browser = await launch();
  const page = await openApp(browser.context, app.url);
  const messagesOf = () =>
    page.evaluate(async (scope) => {
      const s = window.mnemo!.space(scope);
      const session = (await s.sessions.list()).items[0]!;
      const conversation = (await s.conversations.list({ sessionId: session.id })).items[0]!;
      return (await s.messages.page(conversation.id, { page: 1, pageSize: 100 })).items;
    }, SCOPE) as Promise<Message[]>;

  // Settings: add the endpoint, test it (the server's models are listed), save it.
  await page.goto(`${app.url}#settings`);
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  const form = page.getByRole('form', { name: 'Endpoint' });
  await form.getByLabel('Name').fill('Fake');
  await form.getByLabel('Base URL').fill(fake.baseUrl);
  await form.getByRole('button', { name: 'Test connection' }).click();
  await form.getByRole('list', { name: 'Models on this server' }).getByRole('button', { name: 'chat', exact: true }).click();
  expect(await form.getByLabel('Model', { exact: true }).inputValue()).toBe('chat');
  await form.getByRole('button', { name: 'Save endpoint' }).click();
  await expect.poll(() => page.getByTestId('endpoints').textContent()).toContain('Fake');

  // A second endpoint with a key; the key stays in localStorage, not in the database.
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await form.getByLabel('Name').fill('Locked');
  await form.getByLabel('Base URL').fill(fake.baseUrl);
  await form.getByLabel('Model', { exact: true }).fill('unauthorized');
  await form.getByLabel('API key (optional)').fill('sk-test-secret');
  await form.getByRole('button', { name: 'Save endpoint' }).click();
  await expect.poll(() => page.getByTestId('endpoints').textContent()).toContain('Locked');
  const stored = await page.evaluate(async () => ({ settings: JSON.stringify(await window.mnemo!.settings.list()), local: JSON.stringify(Object.fromEntries(Object.entries(localStorage))) }));
  expect(stored.settings).toContain('Locked');
  expect(stored.settings).not.toContain('sk-test-secret');
  expect(stored.local).toContain('sk-test-secret');
  // A third, added the way a script would, for the reload test: the 'hang' model sends one chunk and never finishes.
  await page.evaluate(async () => {
    const list = (await window.mnemo!.settings.get('chat.endpoints')) as Array<Record<string, string>>;
    await window.mnemo!.settings.set('chat.endpoints', [...list, { id: 'hang', name: 'Hanging', baseUrl: list[0]!.baseUrl!, model: 'hang' }]);
  });

  // A blocked origin is explained before any request.
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await form.getByLabel('Base URL').fill('https://api.example.com/v1');
  await form.getByRole('button', { name: 'Test connection' }).click();
  await expect.poll(() => page.getByTestId('endpoint-test-error').textContent()).toContain('MNEMO_CONNECT_SRC="https://api.example.com"');
  await form.getByRole('button', { name: 'Cancel' }).click();

  // Chats: a session and a conversation.
  await page.goto(`${app.url}#chats`);
  await page.getByLabel('Session name').fill('Everyday');
  await page.getByRole('button', { name: 'Add' }).first().click();
  await page.getByRole('button', { name: 'Everyday' }).waitFor();
  await page.getByLabel('Conversation title').fill('Tea');
  await page.getByRole('form', { name: 'New conversation' }).getByRole('button', { name: 'Add' }).click();
  await page.getByRole('button', { name: /Tea/ }).click();

  const box = page.getByLabel('Message', { exact: true });
  const picker = page.getByRole('form', { name: 'New message' }).getByLabel('Model', { exact: true });
  expect(await picker.inputValue()).not.toBe('');
  await box.fill('/remember I like green tea');
  await box.press('Enter');
  await expect.poll(() => page.getByTestId('composer-notice').textContent()).toContain('Remembered: “I like green tea”');

  // A message streams an answer; the memory was recalled into the system prompt.
  const before = fake.chatBodies().length;
  await box.fill('What tea do I like?');
  await box.press('Enter');
  const articles = page.getByTestId('messages').locator('article[data-id]');
  await expect.poll(() => articles.count(), { timeout: 30_000 }).toBe(2);
  await expect.poll(() => articles.nth(1).locator('.content').textContent(), { timeout: 30_000 }).toContain('You like green tea');
  await expect.poll(async () => (await messagesOf()).find((m) => m.role === 'assistant')?.isStreaming).toBe(false);
  const answer = (await messagesOf()).find((m) => m.role === 'assistant')!;
  expect(answer).toMatchObject({ content: FAKE_ANSWER, model: 'chat', tokensUsed: 51, error: null });
  expect(fake.chatBodies().length).toBe(before + 1);
  const sent = fake.chatBodies()[before]!;
  expect(sent.model).toBe('chat');
  expect(sent.messages![0]).toMatchObject({ role: 'system', content: expect.stringContaining('I like green tea') });
  expect(sent.messages!.at(-1)).toEqual({ role: 'user', content: 'What tea do I like?' });

  const recalled = articles.nth(1).getByTestId('recalled');
  expect(await recalled.textContent()).toContain('1 memory recalled');
  await recalled.click();
  await expect.poll(() => articles.nth(1).getByRole('list', { name: 'Recalled items' }).textContent()).toContain('I like green tea');

  await box.fill('Show me `code`:\n```\nprint("tea")\n```');
  await page.screenshot({ path: screenshotPath('chat-light'), fullPage: true });
  await colorScheme(page, 'dark');
  await page.screenshot({ path: screenshotPath('chat-dark'), fullPage: true });
  await page.setViewportSize({ width: 360, height: 780 });
  // At phone width the list must still show its messages (the virtualizer lays out again on resize).
  await expect.poll(() => articles.first().isVisible(), { timeout: 10_000 }).toBe(true);
  await expect.poll(async () => (await articles.first().boundingBox())?.width ?? 0).toBeGreaterThan(200);
  await page.screenshot({ path: screenshotPath('chat-360'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 860 });
  await colorScheme(page, 'light');
  await box.fill('');

  // Reload while an answer streams: the partial answer stays, marked interrupted.
  await picker.selectOption({ label: 'Hanging · hang' });
  await box.fill('Tell me a long story');
  await box.press('Enter');
  await expect.poll(async () => (await messagesOf()).find((m) => m.role === 'assistant' && m.isStreaming && m.content !== '')?.content, { timeout: 30_000 }).toBeTruthy();
  await page.reload();
  await page.waitForFunction(() => window.mnemo !== undefined, undefined, { timeout: 60_000 });
  await page.getByRole('button', { name: 'Everyday' }).click();
  await page.getByRole('button', { name: /Tea/ }).click();
  await expect.poll(async () => (await messagesOf()).at(-1)?.error, { timeout: 30_000 }).toBe('interrupted');
  const interrupted = (await messagesOf()).at(-1)!;
  expect(interrupted).toMatchObject({ role: 'assistant', isStreaming: false });
  expect(FAKE_ANSWER.startsWith(interrupted.content) && interrupted.content.length > 0).toBe(true);
  await expect.poll(() => page.getByTestId('messages').locator('article[data-error="interrupted"]').textContent(), { timeout: 30_000 }).toContain('Interrupted');
  // Its run does not stay "running" forever on the Executions screen.
  const runOf = (messageId: string) =>
    page.evaluate(
      async ([scope, id]) => (await window.mnemo!.space(scope).executions.list({ pageSize: 100 })).items.find((e) => e.metadata['messageId'] === id)?.status,
      [SCOPE, messageId] as const,
    );
  await expect.poll(() => runOf(interrupted.id), { timeout: 30_000 }).toBe('cancelled');

  // A refused key: the error is shown with Retry, and the user's message is kept.
  await picker.selectOption({ label: 'Locked · unauthorized' });
  await box.fill('Hello again');
  await box.press('Enter');
  const failure = page.getByTestId('messages').getByTestId('chat-error').last();
  await expect.poll(() => failure.textContent(), { timeout: 30_000 }).toContain('The server refused the API key.');
  expect(await failure.getByRole('button', { name: 'Retry' }).isVisible()).toBe(true);
  const last = fake.requests.at(-1)!;
  expect(last.headers.authorization).toBe('Bearer sk-test-secret');
  const all = await messagesOf();
  expect(all.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['What tea do I like?', 'Tell me a long story', 'Hello again']);
  await page.screenshot({ path: screenshotPath('chat-errors'), fullPage: true });
  await browser.dispose();
});

test('after an exchange the model’s facts go through dedup and are shown with undo', { timeout: 600_000 }, async () => {
  const facts = {
    memories: [
      { content: 'The user lives in Porto', kind: 'long', importance: 0.7 },
      { content: 'I am allergic to peanuts', kind: 'long', importance: 0.6 },
      { content: 'The user is planning a trip this week', kind: 'short', importance: 0.4 },
    ],
  };
  const extractor = await startFakeOpenAI({ reply: (body) => (body.stream === true ? 'Noted, Porto it is.' : JSON.stringify(facts)) });
  const server = await serveApp({ connectSrc: [new URL(extractor.baseUrl).origin] });
  const browser = await launch();
  try {
    const page = await openApp(browser.context, server.url);
    const ids = await page.evaluate(async ([scope, baseUrl]) => {
      await window.mnemo!.settings.set('chat.endpoints', [{ id: 'x', name: 'Extractor', baseUrl, model: 'chat' }]);
      const s = window.mnemo!.space(scope);
      const session = await s.sessions.create({ name: 'Me' });
      const conversation = await s.conversations.create({ sessionId: session.id, title: 'About me' });
      return { session: session.id, conversation: conversation.id };
    }, [SCOPE, extractor.baseUrl] as const);
    await page.evaluate(({ session, conversation }) => (location.hash = `chats/${session}/${conversation}`), ids);
    const box = page.getByLabel('Message', { exact: true });
    await box.fill('/remember I am allergic to peanuts');
    await box.press('Enter');
    await expect.poll(() => page.getByTestId('composer-notice').textContent()).toContain('Remembered');
    await page.getByRole('checkbox', { name: /Learn memories from each answer/ }).check();
    await expect.poll(async () => ((await page.evaluate(() => window.mnemo!.settings.get('chat.preferences'))) as { extractMemories?: boolean } | null)?.extractMemories).toBe(true);

    await box.fill('I moved to Porto; planning a trip this week.');
    await box.press('Enter');
    const list = page.getByRole('list', { name: 'Memories from this exchange' });
    await expect.poll(() => list.locator('li').count(), { timeout: 30_000 }).toBe(3);
    expect(await list.locator('li').evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset['action']))).toEqual(['added', 'ignored', 'added']);
    expect(await list.textContent()).toContain('Already known: I am allergic to peanuts');
    expect(await list.getByRole('button', { name: 'Undo: I am allergic to peanuts' }).count()).toBe(0);

    // The extraction request: strict JSON schema, the known fact listed, the exchange included.
    const request = extractor.chatBodies().find((b) => b.stream !== true)! as { response_format?: { type: string }; messages: Array<{ content: string }> };
    expect(request.response_format?.type).toBe('json_schema');
    expect(request.messages[1]!.content).toContain('- I am allergic to peanuts');
    expect(request.messages[1]!.content).toContain('user: I moved to Porto');

    const memories = () =>
      page.evaluate(async (scope) => {
        const s = window.mnemo!.space(scope);
        const all = [...(await s.memories.list({ kind: 'long' })).items, ...(await s.memories.list({ kind: 'short' })).items];
        return all.map((m) => ({ content: m.content, source: m.metadata['source'] })).sort((a, b) => a.content.localeCompare(b.content));
      }, SCOPE);
    expect(await memories()).toEqual([
      { content: 'I am allergic to peanuts', source: 'user' },
      { content: 'The user is planning a trip this week', source: 'extraction' },
      { content: 'The user lives in Porto', source: 'extraction' },
    ]);
    await page.screenshot({ path: screenshotPath('chat-extraction-light'), fullPage: true });
    await colorScheme(page, 'dark');
    await page.screenshot({ path: screenshotPath('chat-extraction-dark'), fullPage: true });
    await page.setViewportSize({ width: 360, height: 780 });
    await page.screenshot({ path: screenshotPath('chat-extraction-360'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 860 });
    await colorScheme(page, 'light');

    await list.getByRole('button', { name: 'Undo: The user lives in Porto' }).click();
    await expect.poll(() => list.locator('li').first().textContent()).toContain('Undone: The user lives in Porto');
    expect((await memories()).map((m) => m.content)).toEqual(['I am allergic to peanuts', 'The user is planning a trip this week']);
  } finally {
    await browser.dispose();
    await server.close();
    await extractor.close();
  }
});

test('regenerate and edit-and-resend keep the earlier text in archived branches; a 429 counts down its Retry-After', { timeout: 600_000 }, async () => {
  const browser = await launch();
  try {
    const page = await openApp(browser.context, app.url);
    const ids = await page.evaluate(async ([scope, baseUrl]) => {
      await window.mnemo!.settings.set('chat.endpoints', [
        { id: 'chat', name: 'Fake', baseUrl, model: 'chat' },
        { id: 'busy', name: 'Busy', baseUrl, model: 'rate-limited' },
      ]);
      const s = window.mnemo!.space(scope);
      const session = await s.sessions.create({ name: 'Branches' });
      const conversation = await s.conversations.create({ sessionId: session.id, title: 'Tea' });
      return { session: session.id, conversation: conversation.id };
    }, [SCOPE, fake.baseUrl] as const);
    await page.evaluate(({ session, conversation }) => (location.hash = `chats/${session}/${conversation}`), ids);
    const conversations = () =>
      page.evaluate(async ([scope, sessionId]) => {
        const s = window.mnemo!.space(scope);
        const list = (await s.conversations.list({ sessionId })).items;
        return Promise.all(
          list.map(async (c) => ({
            title: c.title,
            status: c.status,
            messages: (await s.messages.page(c.id, { page: 1, pageSize: 50 })).items.map((m) => `${m.role}: ${m.content}`),
          })),
        );
      }, [SCOPE, ids.session] as const);
    const box = page.getByLabel('Message', { exact: true });
    const articles = page.getByTestId('messages').locator('article[data-id]');
    await box.fill('Which tea?');
    await box.press('Enter');
    await expect.poll(() => articles.nth(1).locator('.content').textContent(), { timeout: 30_000 }).toContain('You like green tea');

    await articles.nth(1).getByRole('button', { name: 'Regenerate' }).click();
    await expect.poll(() => page.getByTestId('composer-notice').textContent(), { timeout: 30_000 }).toContain('Tea · branch 1');
    await expect.poll(async () => (await conversations()).length, { timeout: 30_000 }).toBe(2);
    await expect.poll(async () => (await conversations()).find((c) => c.title === 'Tea')?.messages.length, { timeout: 30_000 }).toBe(2);
    const afterRegenerate = await conversations();
    expect(afterRegenerate.find((c) => c.title === 'Tea · branch 1')).toMatchObject({ status: 'archived', messages: [`user: Which tea?`, expect.stringContaining('assistant: Hello!')] });
    await expect.poll(() => page.getByTestId('conversations').textContent()).toContain('Tea · branch 1');

    await articles.first().getByRole('button', { name: 'Edit this message' }).click();
    expect(await box.inputValue()).toBe('Which tea?');
    expect(await page.getByTestId('editing').isVisible()).toBe(true);
    await box.fill('Which coffee?');
    await box.press('Enter');
    await expect.poll(() => page.getByTestId('composer-notice').textContent(), { timeout: 30_000 }).toContain('Tea · branch 2');
    await expect.poll(async () => (await conversations()).find((c) => c.title === 'Tea')?.messages, { timeout: 30_000 }).toEqual([
      'user: Which coffee?', expect.stringContaining('assistant: Hello!'),
    ]);
    expect((await conversations()).find((c) => c.title === 'Tea · branch 2')?.messages[0]).toBe('user: Which tea?');
    await page.screenshot({ path: screenshotPath('chat-branches'), fullPage: true });

    // 429 with Retry-After: 7 — the error shows a countdown that reaches "You can retry now."
    await page.getByRole('form', { name: 'New message' }).getByLabel('Model', { exact: true }).selectOption('busy');
    await box.fill('Again?');
    await box.press('Enter');
    const countdown = page.getByTestId('messages').getByTestId('retry-countdown').last();
    await expect.poll(() => countdown.textContent(), { timeout: 30_000 }).toMatch(/^Rate limited: retry in [1-7] s\.$/);
    await page.screenshot({ path: screenshotPath('chat-429-light'), fullPage: true });
    await colorScheme(page, 'dark');
    await page.setViewportSize({ width: 360, height: 780 });
    await page.screenshot({ path: screenshotPath('chat-429-dark-360'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 860 });
    await colorScheme(page, 'light');
    await expect.poll(() => countdown.textContent(), { timeout: 20_000 }).toBe('You can retry now.');
    expect((await conversations()).find((c) => c.title === 'Tea')?.messages).toContain('user: Again?');
  } finally {
    await browser.dispose();
  }
});

test('memory switched off for a conversation or a space: nothing recalled or learned; /remember and /forget still work', { timeout: 600_000 }, async () => {
  const server = await startFakeOpenAI({ reply: (body) => (body.stream === true ? 'Noted.' : '{"memories":[]}') });
  const served = await serveApp({ connectSrc: [new URL(server.baseUrl).origin] });
  const browser = await launch();
  try {
    const page = await openApp(browser.context, served.url);
    const ids = await page.evaluate(async ([scope, baseUrl]) => {
      await window.mnemo!.settings.set('chat.endpoints', [{ id: 'x', name: 'Fake', baseUrl, model: 'chat' }]);
      await window.mnemo!.settings.set('chat.preferences', { extractMemories: true });
      const s = window.mnemo!.space(scope);
      const session = await s.sessions.create({ name: 'Pets' });
      const own = await s.conversations.create({ sessionId: session.id, title: 'Own switch' });
      const follows = await s.conversations.create({ sessionId: session.id, title: 'Follows the space' });
      return { session: session.id, own: own.id, follows: follows.id };
    }, [SCOPE, server.baseUrl] as const);
    const open = (conversation: string) => page.evaluate(([session, id]) => (location.hash = `chats/${session}/${id}`), [ids.session, conversation] as const);
    const conversationMemory = (id: string) =>
      page.evaluate(async ([scope, conversationId]) => (await window.mnemo!.space(scope).conversations.get(conversationId)).metadata['memory'] ?? 'unset', [SCOPE, id] as const);
    const box = page.getByLabel('Message', { exact: true });
    const toggle = page.getByRole('switch', { name: 'Memory in this conversation' });
    const hint = page.getByTestId('memory-switch');
    const streamed = () => server.chatBodies().filter((b) => b.stream === true);
    const extractions = () => server.chatBodies().filter((b) => b.stream !== true).length;

    /** Sends a message and waits for its answer (and the extraction after it, if any); returns what the server was sent. */
    const ask = async (conversation: string, text: string) => {
      const before = { streams: streamed().length, extractions: extractions() };
      await box.fill(text);
      await box.press('Enter');
      const answered = () =>
        page.evaluate(async ([scope, id]) => {
          const items = (await window.mnemo!.space(scope).messages.page(id, { page: 1, pageSize: 100 })).items;
          return items.filter((m) => m.role === 'assistant' && !m.isStreaming && m.content === 'Noted.').length;
        }, [SCOPE, conversation] as const);
      const answersBefore = await answered();
      await expect.poll(answered, { timeout: 30_000 }).toBe(answersBefore + 1);
      await expect.poll(() => page.getByRole('button', { name: 'Send' }).isEnabled(), { timeout: 30_000 }).toBe(true);
      // Extraction starts the moment the answer ends; give a request that should not come time to arrive.
      await expect.poll(() => page.getByTestId('extracted').textContent(), { timeout: 30_000 }).not.toContain('Looking for facts');
      await page.waitForTimeout(300);
      expect(streamed().length).toBe(before.streams + 1);
      const body = JSON.stringify(streamed().at(-1));
      return { body, extracted: extractions() - before.extractions, recalled: await page.getByTestId('messages').getByTestId('recalled').last().textContent() };
    };

    // On by default: the remembered fact is recalled into the request, and extraction is asked for.
    await open(ids.own);
    await expect.poll(() => toggle.isChecked()).toBe(true);
    expect(await hint.textContent()).toContain('Follows the space’s default (on');
    await box.fill('/remember My cat is called Miso');
    await box.press('Enter');
    await expect.poll(() => page.getByTestId('composer-notice').textContent()).toContain('Remembered: “My cat is called Miso”');
    const on = await ask(ids.own, 'What is my cat called?');
    expect(on.body).toContain('My cat is called Miso');
    expect(on.body).toContain('## Things you remember about the user');
    expect(on.extracted).toBe(1);
    expect(on.recalled).toContain('1 memory recalled');

    // Off for this conversation, by keyboard: nothing recalled, no extraction, the answer says "Memory off".
    await toggle.focus();
    await page.keyboard.press('Space');
    await expect.poll(() => conversationMemory(ids.own)).toBe(false);
    await expect.poll(() => hint.textContent()).toContain('This switch overrides the space’s default (on');
    expect(await hint.textContent()).toContain('/remember and /forget still work');
    expect(await page.getByRole('checkbox', { name: /Learn memories from each answer/ }).isDisabled()).toBe(true);
    const off = await ask(ids.own, 'Remind me: what is my cat called?');
    expect(off.body).not.toContain('Miso');
    expect(off.body).not.toContain('Things you remember');
    expect(off.extracted).toBe(0);
    expect(off.recalled).toContain('Memory off for this conversation');

    // The user asks explicitly: /remember and /forget still work with memory off.
    await box.fill('/remember My dog is called Rex');
    await box.press('Enter');
    await expect.poll(() => page.getByTestId('composer-notice').textContent()).toContain('Remembered: “My dog is called Rex”');
    await box.fill('/forget dog Rex');
    await box.press('Enter');
    await expect.poll(() => page.getByTestId('composer-notice').textContent()).toContain('Forgot 1 memory.');
    const memories = await page.evaluate(async (scope) => (await window.mnemo!.space(scope).memories.list({ kind: 'long' })).items.map((m) => m.content), SCOPE);
    expect(memories).toEqual(['My cat is called Miso']);

    await page.screenshot({ path: screenshotPath('chat-memory-off-light'), fullPage: true });
    await page.setViewportSize({ width: 360, height: 780 });
    await expect.poll(async () => (await toggle.boundingBox())?.width ?? 0).toBeGreaterThan(0);
    await page.screenshot({ path: screenshotPath('chat-memory-off-360'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 860 });

    // Off for the space (Spaces view, by keyboard): a conversation without its own switch follows it.
    await page.evaluate(() => (location.hash = 'spaces'));
    const spaceSwitch = page.locator('mn-spaces li[data-space=default]').getByRole('switch', { name: /^Memory in chats of / });
    await expect.poll(() => spaceSwitch.isChecked(), { timeout: 30_000 }).toBe(true);
    await spaceSwitch.focus();
    await page.keyboard.press('Space');
    await expect.poll(() => page.evaluate((scope) => window.mnemo!.space(scope).settings.get('chat.memory'), SCOPE)).toBe(false);
    await expect.poll(() => spaceSwitch.isChecked()).toBe(false);
    await page.screenshot({ path: screenshotPath('spaces-memory-off'), fullPage: true });

    await open(ids.follows);
    await expect.poll(() => toggle.isChecked()).toBe(false);
    expect(await hint.textContent()).toContain('Follows the space’s default (off');
    const spaceOff = await ask(ids.follows, 'What is my cat called?');
    expect(spaceOff.body).not.toContain('Miso');
    expect(spaceOff.extracted).toBe(0);
    expect(spaceOff.recalled).toContain('Memory off in this space');

    // The conversation's switch overrides the space's default.
    await toggle.check();
    await expect.poll(() => conversationMemory(ids.follows)).toBe(true);
    const override = await ask(ids.follows, 'And now: what is my cat called?');
    expect(override.body).toContain('My cat is called Miso');
    expect(override.extracted).toBe(1);

    // "Use the space’s default" removes the conversation's own switch.
    await open(ids.own);
    await page.getByRole('button', { name: 'Use the space’s default' }).click();
    await expect.poll(() => conversationMemory(ids.own)).toBe('unset');
    await expect.poll(() => hint.textContent()).toContain('Follows the space’s default (off');
  } finally {
    await browser.dispose();
    await served.close();
    await server.close();
  }
});

test('an API key is in no export, backup or downloaded file unless “Include API keys” is ticked', { timeout: 600_000 }, async () => {
  const SECRET = 'sk-only-in-this-browser-4d2c';
  const browser = await launch();
  const other = await launch();
  try {
    const page = await openApp(browser.context, app.url);
    await page.evaluate(async (scope) => (await window.mnemo!.space(scope).sessions.create({ name: 'Keys stay home' })).id, SCOPE);
    await page.goto(`${app.url}#settings`);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const form = page.getByRole('form', { name: 'Endpoint' });
    await form.getByLabel('Name').fill('Keyed');
    await form.getByLabel('Base URL').fill(fake.baseUrl);
    await form.getByLabel('Model', { exact: true }).fill('chat');
    await form.getByLabel('API key (optional)').fill(SECRET);
    await form.getByRole('button', { name: 'Save endpoint' }).click();
    await expect.poll(() => page.getByTestId('endpoints').textContent()).toContain('key saved');

    // Every export of the database, searched byte by byte: the endpoint (or the space) is there, the key is not.
    const searched = await page.evaluate(async ([scope, key]) => {
      const m = window.mnemo!;
      const encode = (text: string) => new TextEncoder().encode(text);
      const has = (hay: Uint8Array, text: string) => {
        const needle = encode(text);
        outer: for (let i = 0; i + needle.length <= hay.length; i++) {
          for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
          return true;
        }
        return false;
      };
      const backup = await m.files.backups.create('keys-check');
      const files: Record<string, Uint8Array> = {
        database: await m.files.export({ markDownloaded: false }),
        space: await m.files.exportSpace(scope),
        json: encode(await m.files.exportJson(scope)),
        backup: await m.files.backups.download(backup.id, { markDownloaded: false }),
      };
      const refused = await m.settings.set('chat.endpoints', [{ id: 'k', name: 'K', baseUrl: 'http://localhost:1/v1', model: 'm', apiKey: key }]).then(
        () => 'stored',
        (error: { code: string }) => error.code,
      );
      return {
        refused,
        files: Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, { key: has(bytes, key), endpoint: has(bytes, 'Keyed'), space: has(bytes, 'Keys stay home') }])),
      };
    }, [SCOPE, SECRET] as const);
    expect(searched.refused).toBe('INVALID_INPUT');
    expect(searched.files).toEqual({
      database: { key: false, endpoint: true, space: true },
      space: { key: false, endpoint: false, space: true },
      json: { key: false, endpoint: false, space: true },
      backup: { key: false, endpoint: true, space: true },
    });

    // The Data view's "Download database" file too.
    await page.goto(`${app.url}#data`);
    const [database] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download database' }).click()]);
    const databaseBytes = readFileSync((await database.path())!);
    expect(databaseBytes.includes('Keyed')).toBe(true);
    expect(databaseBytes.includes(SECRET)).toBe(false);

    // Settings: the endpoints file leaves out keys by default; with the box ticked it holds them, after a warning.
    await page.goto(`${app.url}#settings`);
    const includeKeys = page.getByRole('checkbox', { name: 'Include API keys' });
    expect(await includeKeys.isChecked()).toBe(false);
    const [plain] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export endpoints', exact: true }).click()]);
    const plainText = readFileSync((await plain.path())!, 'utf8');
    expect(JSON.parse(plainText)).toMatchObject({ format: 'mnemo-endpoints', version: 1, endpoints: [{ name: 'Keyed', model: 'chat' }] });
    expect(plainText).not.toContain(SECRET);

    expect(await page.getByRole('note').count()).toBe(0);
    await includeKeys.check();
    expect(await page.getByRole('note').textContent()).toContain('API keys in plain text');
    await page.screenshot({ path: screenshotPath('settings-endpoints-with-keys'), fullPage: true });
    const [keyed] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export endpoints with keys' }).click()]);
    expect(keyed.suggestedFilename()).toBe('mnemo-endpoints-with-keys.json');
    const keyedPath = (await keyed.path())!;
    expect(readFileSync(keyedPath, 'utf8')).toContain(SECRET);
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Exported' }).textContent()).toContain('with 1 API key in plain text');
    expect(await includeKeys.isChecked()).toBe(false);

    // Another browser imports the file: the endpoint goes to its database, the key to its localStorage only.
    const there = await openApp(other.context, app.url);
    await there.goto(`${app.url}#settings`);
    const picker = there.getByLabel('Import endpoints');
    await picker.setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from(plainText.replace('mnemo-endpoints', 'something-else')) });
    await expect.poll(() => there.getByRole('status').first().textContent()).toContain("field 'format' must be \"mnemo-endpoints\"");
    await picker.setInputFiles(keyedPath);
    await expect.poll(() => there.getByRole('status').first().textContent()).toContain('Imported 1 endpoint and 1 API key');
    await expect.poll(() => there.getByTestId('endpoints').textContent()).toContain('key saved');
    const stored = await there.evaluate(async () => ({ settings: JSON.stringify(await window.mnemo!.settings.list()), local: JSON.stringify(Object.fromEntries(Object.entries(localStorage))) }));
    expect(stored.settings).toContain('Keyed');
    expect(stored.settings).not.toContain(SECRET);
    expect(stored.local).toContain(SECRET);
  } finally {
    await other.dispose();
    await browser.dispose();
  }
});
