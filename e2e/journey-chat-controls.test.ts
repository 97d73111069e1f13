/**
 * The chat's controls, against the fake OpenAI-compatible server: Stop keeps
 * the partial answer and cancels the run; copy buttons put a code block on
 * the clipboard; reasoning and tool calls are collapsed until opened (and
 * stay open while the list reloads); the recall panel scores each item and
 * "Resend without excluded" asks again without the item left out; deleting
 * an agent asks first; the recall budget decides how much recalled text the
 * request carries; and screenshots of branches and an interrupted answer.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { AgentExecution, Message } from '../src/shared/models';
import { FAKE_REASONING, FAKE_TOOL_CALLS, startFakeOpenAI, type ChatBody, type FakeOpenAI } from '../test/support/fake-openai';
import { colorScheme, grantClipboard, readClipboard, fillNumber, launch, openApp, screenshotPath, serveApp, type App, type Browser } from './harness';

const SCOPE = { userId: 'local', spaceId: 'default' };
const CODE = ['brew("sencha", 70)', 'steep(minutes=2)\nserve()'] as const;
const ANSWER = `Two ways to brew your tea:\n\n\`\`\`\n${CODE[0]}\n\`\`\`\n\nor\n\n\`\`\`python\n${CODE[1]}\n\`\`\``;
const TEA_MEMORIES = [
  'I like green tea, sencha above all',
  'My tea kettle is a blue cast-iron tetsubin',
  'I drink tea without sugar or milk',
  'Tea after six keeps me awake at night',
  'My sister sends me oolong tea from Taiwan',
  'The tea shop on Rua das Flores sells matcha',
];

let fake: FakeOpenAI;
let app: App;
beforeAll(async () => {
  fake = await startFakeOpenAI({ reply: ANSWER });
  app = await serveApp({ connectSrc: [new URL(fake.baseUrl).origin] });
});
afterAll(async () => {
  await app.close();
  await fake.close();
});

/** A fresh browser with the fake server's `models` as endpoints (the first is the composer's), `memories` stored, and a conversation open. */
async function chatWith(models: string[], memories: string[] = []): Promise<{ browser: Browser; page: Page; conversation: string }> {
  const browser = await launch();
  const page = await openApp(browser.context, app.url);
  const ids = await page.evaluate(
    async ([scope, baseUrl, names, facts]) => {
      await window.mnemo!.settings.set('chat.endpoints', names.map((model) => ({ id: model, name: `Fake ${model}`, baseUrl, model })));
      const s = window.mnemo!.space(scope);
      for (const content of facts) await s.memories.add({ kind: 'long', content, dedup: false, metadata: { source: 'user' } });
      const session = await s.sessions.create({ name: 'Controls' });
      const conversation = await s.conversations.create({ sessionId: session.id, title: 'Tea' });
      return { session: session.id, conversation: conversation.id };
    },
    [SCOPE, fake.baseUrl, models, memories] as const,
  );
  await page.evaluate(({ session, conversation }) => (location.hash = `chats/${session}/${conversation}`), ids);
  await page.getByLabel('Message', { exact: true }).waitFor();
  return { browser, page, conversation: ids.conversation };
}

async function send(page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
}

function messagesOf(page: Page, conversationId: string): Promise<Message[]> {
  return page.evaluate(
    async ([scope, id]) => (await window.mnemo!.space(scope).messages.page(id, { page: 1, pageSize: 100 })).items,
    [SCOPE, conversationId] as const,
  );
}

/** The answers of a conversation once none is streaming any more. */
async function settledAnswers(page: Page, conversationId: string, count: number): Promise<Message[]> {
  await expect
    .poll(async () => (await messagesOf(page, conversationId)).filter((m) => m.role === 'assistant' && !m.isStreaming).length, { timeout: 30_000 })
    .toBe(count);
  return (await messagesOf(page, conversationId)).filter((m) => m.role === 'assistant');
}

/** The recalled lines ("- …") of a request's system prompt. */
function recalledLines(body: ChatBody | undefined): string[] {
  const system = body?.messages?.find((m) => m.role === 'system')?.content;
  return typeof system === 'string' ? system.split('\n').filter((line) => line.startsWith('- ')) : [];
}

const articles = (page: Page) => page.getByTestId('messages').locator('article[data-id]');

test('Stop during a slow stream keeps the partial answer, and its execution ends cancelled', async () => {
  const { browser, page, conversation } = await chatWith(['trickle']);
  try {
    const before = fake.requests.length;
    await send(page, 'Tell me slowly how to brew tea');
    // The first piece is stored while the rest is still to come (30 s apart).
    await expect
      .poll(async () => (await messagesOf(page, conversation)).find((m) => m.role === 'assistant' && m.isStreaming && m.content !== '')?.content, { timeout: 30_000 })
      .toBeTruthy();
    await page.getByRole('button', { name: 'Stop' }).click();

    const [answer] = await settledAnswers(page, conversation, 1);
    expect(answer!.content.length).toBeGreaterThan(0);
    expect(ANSWER.startsWith(answer!.content)).toBe(true);
    expect(answer!.content.length).toBeLessThan(ANSWER.length);
    expect(answer).toMatchObject({ error: null, isStreaming: false });
    expect(answer!.metadata['stopped']).toBe(true);
    await expect.poll(() => articles(page).last().textContent(), { timeout: 30_000 }).toContain('Stopped.');
    expect(await articles(page).last().locator('.content').textContent()).toContain('Two ways');
    expect(await page.getByRole('button', { name: 'Stop' }).count()).toBe(0);

    const execution = () =>
      page.evaluate(
        async ([scope, id]) => (await window.mnemo!.space(scope).executions.list({ pageSize: 100 })).items.find((e) => e.metadata['messageId'] === id),
        [SCOPE, answer!.id] as const,
      ) as Promise<AgentExecution | undefined>;
    await expect.poll(async () => (await execution())?.status, { timeout: 30_000 }).toBe('cancelled');
    expect((await execution())?.finishedAt).toBeGreaterThan(0);
    // Stop ended the request itself, not only the display.
    const request = fake.requests.slice(before).find((r) => r.path === '/v1/chat/completions');
    await expect.poll(() => request?.abandoned).toBe(true);
  } finally {
    await browser.dispose();
  }
});

test('each code block’s copy button puts that code on the clipboard', async () => {
  const { browser, page, conversation } = await chatWith(['chat']);
  try {
    await grantClipboard(browser.context, new URL(app.url).origin);
    await send(page, 'How do I brew tea?');
    await settledAnswers(page, conversation, 1);
    const answer = articles(page).last();
    const buttons = answer.getByRole('button', { name: /^(Copy code \d|Copied)$/ });
    await expect.poll(() => buttons.allTextContents(), { timeout: 30_000 }).toEqual([expect.stringContaining('Copy code 1'), expect.stringContaining('Copy code 2')]);

    await buttons.nth(1).click();
    await expect.poll(() => readClipboard(page)).toBe(CODE[1]);
    // The button says so, and only that one.
    await expect.poll(() => buttons.allTextContents()).toEqual([expect.stringContaining('Copy code 1'), expect.stringContaining('Copied')]);

    await buttons.nth(0).click();
    await expect.poll(() => readClipboard(page)).toBe(CODE[0]);
    await expect.poll(() => buttons.allTextContents()).toEqual([expect.stringContaining('Copied'), expect.stringContaining('Copy code 2')]);
  } finally {
    await browser.dispose();
  }
});

test('reasoning and tool calls are collapsed until opened by a click or Enter', async () => {
  const { browser, page, conversation } = await chatWith(['reasoning', 'tools']);
  try {
    await send(page, 'Think first');
    await settledAnswers(page, conversation, 1);
    const thinking = articles(page).nth(1).locator('details.thinking');
    await expect.poll(() => thinking.count(), { timeout: 30_000 }).toBe(1);
    expect(await thinking.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    expect(await thinking.locator('pre').isVisible()).toBe(false);
    await thinking.getByText('Reasoning', { exact: true }).click();
    await expect.poll(() => thinking.locator('pre').isVisible()).toBe(true);
    expect(await thinking.locator('pre').textContent()).toBe(FAKE_REASONING);

    await page.getByRole('form', { name: 'New message' }).getByLabel('Model', { exact: true }).selectOption('tools');
    await send(page, 'Use your tools');
    await settledAnswers(page, conversation, 2);
    const tools = articles(page).nth(3).locator('details.tools');
    await expect.poll(() => tools.count(), { timeout: 30_000 }).toBe(1);
    const summary = tools.locator('summary');
    expect(await summary.textContent()).toBe('2 tool calls');
    expect(await tools.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    expect(await tools.locator('pre').first().isVisible()).toBe(false);
    await summary.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => tools.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    expect(await tools.locator('pre').allTextContents()).toEqual(FAKE_TOOL_CALLS.map((c) => `${c.function.name}(${c.function.arguments})`));
    expect(await tools.locator('pre').first().isVisible()).toBe(true);
    // The reasoning opened before stays open while the list reloads for later writes (the new exchange).
    expect(await thinking.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    await page.evaluate(
      async ([scope, id]) => window.mnemo!.space(scope).messages.add({ conversationId: id, role: 'user', content: 'A note added elsewhere' }),
      [SCOPE, conversation] as const,
    );
    await expect.poll(() => articles(page).count(), { timeout: 30_000 }).toBe(5);
    expect(await thinking.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    expect(await tools.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
  } finally {
    await browser.dispose();
  }
});

test('the recall panel scores every recalled item, and “Resend without excluded” sends a request without the one left out', async () => {
  const { browser, page, conversation } = await chatWith(['chat'], TEA_MEMORIES.slice(0, 3));
  try {
    const before = fake.chatBodies().length;
    await send(page, 'What tea do I like?');
    await settledAnswers(page, conversation, 1);
    const firstBody = fake.chatBodies()[before];
    const sentLines = recalledLines(firstBody);
    expect(sentLines.length).toBe(3);
    expect(sentLines.some((l) => l.includes('I like green tea'))).toBe(true);

    const answer = articles(page).last();
    await answer.getByTestId('recalled').click();
    const items = answer.getByRole('list', { name: 'Recalled items' }).locator('li');
    await expect.poll(() => items.count()).toBe(3);
    expect(await answer.getByTestId('recalled').textContent()).toContain('3 memories recalled');
    for (const text of await items.allTextContents()) expect(text).toMatch(/score \d+\.\d{3}/);

    const resend = answer.getByRole('button', { name: 'Resend without excluded' });
    expect(await resend.isDisabled()).toBe(true);
    await answer.getByRole('checkbox', { name: /^Use: I like green tea/ }).uncheck();
    await expect.poll(() => resend.isDisabled()).toBe(false);
    await resend.click();

    await expect.poll(() => fake.chatBodies().length, { timeout: 30_000 }).toBe(before + 2);
    const resent = recalledLines(fake.chatBodies()[before + 1]);
    expect(resent.length).toBe(2);
    expect(resent.some((l) => l.includes('I like green tea'))).toBe(false);
    expect(JSON.stringify(fake.chatBodies()[before + 1])).not.toContain('I like green tea');
    expect(fake.chatBodies()[before + 1]!.messages!.at(-1)).toEqual({ role: 'user', content: 'What tea do I like?' });

    // The new answer says what the user left out.
    const answers = await settledAnswers(page, conversation, 2);
    expect(answers.map((a) => a.metadata['replyTo'])).toEqual([answers[0]!.metadata['replyTo'], answers[0]!.metadata['replyTo']]);
    await expect.poll(() => articles(page).last().getByTestId('recalled').textContent(), { timeout: 30_000 }).toContain('2 memories recalled, 1 left out by you');
  } finally {
    await browser.dispose();
  }
});

test('deleting an agent asks first; Cancel keeps it, Delete agent removes it', async () => {
  const browser = await launch();
  try {
    const page = await openApp(browser.context, app.url);
    const agentId = await page.evaluate(async (scope) => {
      const s = window.mnemo!.space(scope);
      await s.agents.create({ name: 'Keeper' });
      return (await s.agents.create({ name: 'Doomed', description: 'To be deleted' })).id;
    }, SCOPE);
    const names = () => page.evaluate(async (scope) => (await window.mnemo!.space(scope).agents.list()).items.map((a) => a.name).sort(), SCOPE);
    await page.evaluate((id) => (location.hash = `agents/${id}`), agentId);
    const confirm = page.getByRole('group', { name: 'Confirm deleting the agent' });

    await page.getByRole('button', { name: 'Delete agent…' }).click();
    await expect.poll(() => confirm.textContent()).toContain('Delete the agent “Doomed”');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => confirm.count()).toBe(0);
    expect(await names()).toEqual(['Doomed', 'Keeper']);

    await page.getByRole('button', { name: 'Delete agent…' }).click();
    await confirm.getByRole('button', { name: 'Delete agent', exact: true }).click();
    await expect.poll(() => page.getByTestId('agents-notice').textContent(), { timeout: 30_000 }).toBe('Agent Doomed deleted.');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#agents');
    expect(await names()).toEqual(['Keeper']);
    await expect.poll(() => page.getByTestId('agents').textContent()).not.toContain('Doomed');
    expect(await page.getByTestId('agents').textContent()).toContain('Keeper');
  } finally {
    await browser.dispose();
  }
});

test('the recall budget setting decides how much recalled text goes into the request', async () => {
  const { browser, page, conversation } = await chatWith(['chat'], TEA_MEMORIES);
  try {
    const setBudget = async (tokens: number) => {
      await page.evaluate(() => (location.hash = 'settings'));
      const form = page.getByRole('form', { name: 'Recall budget' });
      await fillNumber(form.getByLabel(/Recall budget/), String(tokens));
      await form.getByRole('button', { name: 'Save budget' }).click();
      await expect
        .poll(async () => ((await page.evaluate(() => window.mnemo!.settings.get('chat.preferences'))) as { recallBudgetTokens?: number } | null)?.recallBudgetTokens)
        .toBe(tokens);
      await page.goBack();
      await page.getByLabel('Message', { exact: true }).waitFor();
    };

    await setBudget(4000);
    let count = fake.chatBodies().length;
    await send(page, 'What do you know about my tea?');
    await settledAnswers(page, conversation, 1);
    const roomy = recalledLines(fake.chatBodies()[count]);
    expect(roomy.length).toBe(TEA_MEMORIES.length);

    await setBudget(100);
    count = fake.chatBodies().length;
    await send(page, 'And what about my tea now?');
    await settledAnswers(page, conversation, 2);
    const tight = recalledLines(fake.chatBodies()[count]);
    expect(tight.length).toBeGreaterThan(0);
    expect(tight.length).toBeLessThan(roomy.length);
    const system = fake.chatBodies()[count]!.messages!.find((m) => m.role === 'system')!.content as string;
    expect(system.length).toBeLessThan(100 * 4);
    await expect.poll(() => articles(page).last().getByTestId('recalled').textContent(), { timeout: 30_000 }).toContain(`${tight.length} ${tight.length === 1 ? 'memory' : 'memories'} recalled`);
    await articles(page).last().getByTestId('recalled').click();
    await expect.poll(() => articles(page).last().getByText(/Some items did not fit\./).isVisible()).toBe(true);
  } finally {
    await browser.dispose();
  }
});

test('screenshots: branches after Regenerate and Edit, and an answer interrupted by a reload, in light, dark and at 360 px', { timeout: 300_000 }, async () => {
  const { browser, page, conversation } = await chatWith(['chat', 'hang']);
  /**
   * Light and dark at desktop width, and a 360 px phone, once `shown` is there. The message list is
   * brought on screen first: it renders only the rows inside the window, and replaces them as it lays out.
   */
  const list = page.getByTestId('messages');
  const shots = async (name: string, shown: Locator) => {
    for (const mode of [
      { suffix: 'light', width: 1280, scheme: 'light' },
      { suffix: 'dark', width: 1280, scheme: 'dark' },
      { suffix: '360', width: 360, scheme: 'light' },
    ] as const) {
      await page.setViewportSize({ width: mode.width, height: mode.width === 360 ? 780 : 860 });
      await colorScheme(page, mode.scheme);
      await list.scrollIntoViewIfNeeded();
      await expect.poll(() => shown.isVisible(), { timeout: 10_000 }).toBe(true);
      await page.screenshot({ path: screenshotPath(`${name}-${mode.suffix}`), fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 860 });
    await colorScheme(page, 'light');
  };
  try {
    // Branches: Regenerate an answer, then edit the question; both earlier versions are kept.
    await send(page, 'Which tea?');
    await settledAnswers(page, conversation, 1);
    await articles(page).nth(1).getByRole('button', { name: 'Regenerate' }).click();
    await expect.poll(() => page.getByTestId('composer-notice').textContent(), { timeout: 30_000 }).toContain('Tea · branch 1');
    await settledAnswers(page, conversation, 1);
    await articles(page).first().getByRole('button', { name: 'Edit this message' }).click();
    await page.getByLabel('Message', { exact: true }).fill('Which coffee?');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    await expect.poll(() => page.getByTestId('composer-notice').textContent(), { timeout: 30_000 }).toContain('Tea · branch 2');
    await expect
      .poll(async () => (await messagesOf(page, conversation)).map((m) => `${m.role}${m.isStreaming ? ' (streaming)' : ''}`), { timeout: 30_000 })
      .toEqual(['user', 'assistant']);
    expect((await messagesOf(page, conversation))[0]!.content).toBe('Which coffee?');
    const conversations = page.getByTestId('conversations');
    expect(await conversations.textContent()).toContain('Tea · branch 1');
    expect(await conversations.textContent()).toContain('Tea · branch 2');
    await shots('chat-controls-branches', articles(page).last());

    // Reload while an answer streams: the partial answer stays, marked interrupted, with Retry.
    await page.getByRole('form', { name: 'New message' }).getByLabel('Model', { exact: true }).selectOption('hang');
    await send(page, 'Tell me a long story');
    await expect
      .poll(async () => (await messagesOf(page, conversation)).find((m) => m.role === 'assistant' && m.isStreaming && m.content !== '')?.content, { timeout: 30_000 })
      .toBeTruthy();
    await page.reload();
    await page.waitForFunction(() => window.mnemo !== undefined, undefined, { timeout: 60_000 });
    const interrupted = page.getByTestId('messages').locator('article[data-error="interrupted"]');
    await expect.poll(() => interrupted.textContent(), { timeout: 30_000 }).toContain('Interrupted');
    expect(await interrupted.locator('.content').textContent()).toContain('Two ways');
    expect(await interrupted.getByRole('button', { name: 'Retry' }).count()).toBe(1);
    await shots('chat-controls-interrupted', interrupted);
  } finally {
    await browser.dispose();
  }
});
