/**
 * A person manages every entity from its screen: spaces (create, rename,
 * switch, delete after a confirmation that names what goes), agents (create,
 * edit, bind a session, chat through it against a fake OpenAI-compatible
 * server, each run an execution: succeeded, failed, filtered), vector entries
 * (collections, view, edit, delete, clear), conversations (edit title and
 * status, archive, delete), sessions (role and goals) and memories beyond the
 * first page, expired ones included and cleaned up. Screenshots light, dark
 * and 360 px of each new screen.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { startFakeOpenAI, type FakeOpenAI } from '../test/support/fake-openai';
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

async function shots(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: screenshotPath(`${name}-light`), fullPage: true });
  await colorScheme(page, 'dark');
  await page.screenshot({ path: screenshotPath(`${name}-dark`), fullPage: true });
  await page.setViewportSize({ width: 360, height: 780 });
  await page.waitForTimeout(200);
  await page.screenshot({ path: screenshotPath(`${name}-360`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 860 });
  await colorScheme(page, 'light');
}

const hash = (page: Page) => page.evaluate(() => location.hash);

test('spaces: create, rename, switch, delete with a confirmation naming what is removed', { timeout: 600_000 }, async () => {
  const browser = await launch();
  try {
    const page = await openApp(browser.context, `${app.url}#spaces`);
    await page.evaluate(async () => {
      const s = window.mnemo!.space({ userId: 'local', spaceId: 'default' });
      const session = await s.sessions.create({ name: 'Home' });
      await s.conversations.create({ sessionId: session.id, title: 'Hello' });
    });
    const form = page.getByRole('form', { name: 'New space' });
    await form.getByLabel('Space id').fill('work');
    await form.getByLabel('Name').fill('Work');
    await form.getByRole('button', { name: 'Create space' }).click();
    const work = page.locator('mn-spaces [data-space=work]');
    await work.waitFor();
    expect(await page.locator('mn-spaces [data-space=default]').textContent()).toContain('1 session, 1 conversation');

    await work.getByRole('button', { name: 'Rename Work' }).click();
    await work.getByLabel('New name').fill('Office');
    await work.getByRole('button', { name: 'Save name' }).click();
    await expect.poll(() => work.locator('.name').textContent()).toBe('Office');
    expect(await page.evaluate(async () => (await window.mnemo!.spaces.get({ userId: 'local', spaceId: 'work' })).name)).toBe('Office');

    // Switch: the scope form and every view now use the work space.
    await work.getByRole('button', { name: 'Switch to Office' }).click();
    await expect.poll(() => page.getByRole('form', { name: 'Scope' }).getByLabel('Space').inputValue()).toBe('work');
    await expect.poll(() => work.textContent()).toContain('current');
    await page.evaluate(() => (location.hash = 'memories'));
    await page.getByLabel('New long-term memory').fill('Stand-up at nine');
    await page.getByRole('button', { name: 'Add memory' }).click();
    // The first memory loads the embedding model for the duplicate check: generous timeout.
    await expect.poll(() => page.evaluate(async () => (await window.mnemo!.space({ userId: 'local', spaceId: 'work' }).memories.list()).total), { timeout: 60_000 }).toBe(1);
    await page.goBack();
    await expect.poll(() => hash(page)).toBe('#spaces');
    await shots(page, 'spaces');

    // Delete: the confirmation says what goes; Cancel keeps it, Delete removes it and switches away.
    await work.getByRole('button', { name: 'Delete Office…' }).click();
    await expect.poll(() => work.getByTestId('delete-summary').textContent()).toContain('This removes 1 memory');
    await work.getByRole('button', { name: 'Cancel' }).click();
    expect(await work.getByTestId('delete-summary').count()).toBe(0);
    await work.getByRole('button', { name: 'Delete Office…' }).click();
    await work.getByRole('button', { name: 'Delete space' }).click();
    await expect.poll(() => page.locator('mn-spaces [data-space=work]').count()).toBe(0);
    expect(await page.evaluate(async () => (await window.mnemo!.spaces.list()).items.map((s) => s.spaceId))).toEqual(['default']);
    await expect.poll(() => page.getByRole('form', { name: 'Scope' }).getByLabel('Space').inputValue()).toBe('default');
  } finally {
    await browser.dispose();
  }
});

test('agents drive the chat; every run is an execution; sessions keep role and goals; conversations are edited, archived, deleted', { timeout: 600_000 }, async () => {
  const browser = await launch();
  try {
    const page = await openApp(browser.context, `${app.url}#agents`);
    await page.evaluate(async (baseUrl) => {
      await window.mnemo!.settings.set('chat.endpoints', [
        { id: 'fake', name: 'Fake', baseUrl, model: 'chat' },
        { id: 'locked', name: 'Locked', baseUrl, model: 'unauthorized' },
      ]);
    }, fake.baseUrl);

    // Create an agent bound to the Fake endpoint, then edit it.
    await page.getByRole('button', { name: 'New agent' }).click();
    await expect.poll(() => hash(page)).toBe('#agents/new');
    const form = page.getByRole('form', { name: 'New agent' });
    await form.getByLabel('Name').fill('Planner');
    await form.getByLabel('Description').fill('Plans trips');
    await form.getByLabel('Model endpoint').selectOption('fake');
    await form.getByLabel('System prompt').fill('You plan trips. Be brief.');
    await form.getByRole('button', { name: 'Create agent' }).click();
    await expect.poll(() => hash(page)).toMatch(/^#agents\/(?!new)/);
    const agentId = decodeURIComponent((await hash(page)).split('/')[1]!);
    const edit = page.getByRole('form', { name: 'Edit agent' });
    await edit.getByLabel('Description').fill('Plans trips and trains');
    await edit.getByRole('button', { name: 'Save agent' }).click();
    await expect.poll(() => page.getByTestId('agents-notice').textContent()).toBe('Agent saved.');
    expect(await page.evaluate(async ([scope, id]) => window.mnemo!.space(scope).agents.get(id), [SCOPE, agentId] as const)).toMatchObject({
      name: 'Planner', description: 'Plans trips and trains', model: 'fake', systemPrompt: 'You plan trips. Be brief.', isActive: true,
    });
    await shots(page, 'agents');

    // A session with role, goals and the agent; a conversation; a message answered through the agent.
    await page.evaluate(() => (location.hash = 'chats'));
    await page.getByLabel('Session name').fill('Trips');
    await page.getByRole('form', { name: 'New session' }).getByRole('button', { name: 'Add' }).click();
    await expect.poll(() => hash(page)).toMatch(/^#chats\/[^/]+$/);
    await page.getByText('Session details').click();
    const details = page.getByRole('form', { name: 'Edit session' });
    await details.getByLabel('Role').fill('travel planner');
    await details.getByLabel('Goals').fill('A week in Porto');
    await details.getByLabel('Agent').selectOption(agentId);
    await details.getByRole('button', { name: 'Save session' }).click();
    await expect.poll(() => page.getByTestId('chats-notice').textContent()).toBe('Session saved.');
    const session = await page.evaluate(async (scope) => (await window.mnemo!.space(scope).sessions.list()).items[0]!, SCOPE);
    expect(session).toMatchObject({ name: 'Trips', role: 'travel planner', goals: 'A week in Porto', agentId });

    await page.getByLabel('Conversation title').fill('Porto');
    await page.getByRole('form', { name: 'New conversation' }).getByRole('button', { name: 'Add' }).click();
    await expect.poll(() => hash(page)).toMatch(/^#chats\/[^/]+\/[^/]+$/);
    // The composer's own pick is Locked: the agent's endpoint wins.
    await page.getByRole('form', { name: 'New message' }).getByLabel('Model', { exact: true }).selectOption('locked');
    const before = fake.chatBodies().length;
    await page.getByLabel('Message', { exact: true }).fill('Plan my week');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    await expect.poll(() => fake.chatBodies().length, { timeout: 30_000 }).toBe(before + 1);
    const sent = fake.chatBodies()[before]!;
    expect(sent.model).toBe('chat');
    expect(sent.messages![0]).toMatchObject({ role: 'system', content: expect.stringContaining('You plan trips. Be brief.') });
    const executions = () => page.evaluate(async (scope) => (await window.mnemo!.space(scope).executions.list()).items, SCOPE);
    await expect.poll(async () => (await executions())[0]?.status, { timeout: 30_000 }).toBe('succeeded');
    expect((await executions())[0]).toMatchObject({ agentId, sessionId: session.id, metadata: { model: 'chat', endpoint: 'Fake' } });

    // Without the agent, the composer's endpoint (Locked → 401) answers, recorded as a failed run of the built-in Chat agent.
    await details.getByLabel('Agent').selectOption('');
    await details.getByRole('button', { name: 'Save session' }).click();
    await expect.poll(() => page.evaluate(async (scope) => (await window.mnemo!.space(scope).sessions.list()).items[0]!.agentId, SCOPE)).toBe(null);
    await page.getByLabel('Message', { exact: true }).fill('And the weekend?');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    await expect.poll(async () => (await executions()).length, { timeout: 30_000 }).toBe(2);
    await expect.poll(async () => (await executions())[0]!.status, { timeout: 30_000 }).toBe('failed');
    expect((await executions())[0]!.error).toContain('API key');
    expect((await executions())[0]!.agentId).not.toBe(agentId);

    // Executions view: both runs; filters by status and agent (each filter has its own URL).
    const chat = await hash(page);
    await page.evaluate(() => (location.hash = 'executions'));
    const rows = page.locator('mn-executions tbody tr');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(2);
    await page.getByRole('form', { name: 'Filter executions' }).getByLabel('Status').selectOption('failed');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-status')).toBe('failed');
    await page.getByRole('form', { name: 'Filter executions' }).getByLabel('Status').selectOption('');
    await page.getByRole('form', { name: 'Filter executions' }).getByLabel('Agent').selectOption(agentId);
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('Planner');
    await expect.poll(() => hash(page)).toBe(`#executions/all/${agentId}`);
    await shots(page, 'executions');

    // An inactive agent does not answer; the message is kept.
    await page.evaluate(async ([scope, id, sid]) => {
      const s = window.mnemo!.space(scope);
      await s.agents.update(id, { isActive: false });
      await s.sessions.update(sid, { agentId: id });
    }, [SCOPE, agentId, session.id] as const);
    await page.evaluate((to) => (location.hash = to), chat);
    await expect.poll(() => hash(page)).toMatch(/^#chats\/[^/]+\/[^/]+$/);
    await page.getByLabel('Message', { exact: true }).fill('Still there?');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    await expect.poll(() => page.getByTestId('composer-notice').textContent(), { timeout: 30_000 }).toContain('is inactive');
    expect((await executions()).length).toBe(2);

    // The conversation: rename and close, archive, delete after confirming.
    await page.getByText('Conversation details').click();
    const conv = page.getByRole('form', { name: 'Edit conversation' });
    await conv.getByLabel('Title').fill('Porto week');
    await conv.getByLabel('Status').selectOption('closed');
    await conv.getByRole('button', { name: 'Save conversation' }).click();
    await expect.poll(() => page.getByTestId('conversations').textContent()).toContain('Porto week');
    expect(await page.getByTestId('conversations').textContent()).toContain('closed');
    await page.getByRole('button', { name: 'Archive', exact: true }).click();
    await expect.poll(() => page.getByTestId('conversations').textContent()).toContain('archived');
    await shots(page, 'chats-details');
    await page.getByRole('button', { name: 'Delete conversation…' }).click();
    await page.getByRole('group', { name: 'Confirm deleting the conversation' }).getByRole('button', { name: 'Delete conversation' }).click();
    await expect.poll(() => hash(page)).toMatch(/^#chats\/[^/]+$/);
    expect(await page.evaluate(async ([scope, sid]) => (await window.mnemo!.space(scope).conversations.list({ sessionId: sid })).total, [SCOPE, session.id] as const)).toBe(0);
    expect(await page.evaluate(async (scope) => window.mnemo!.space(scope).messages.count(), SCOPE)).toBe(0);
  } finally {
    await browser.dispose();
  }
});

test('vector entries by collection: view, edit, delete, clear; memories beyond the first page, expired ones included and cleaned up', { timeout: 600_000 }, async () => {
  const browser = await launch();
  try {
    const page = await openApp(browser.context, `${app.url}#vectors`);
    const ids = await page.evaluate(async (scope) => {
      const s = window.mnemo!.space(scope);
      const out: string[] = [];
      for (let i = 0; i < 30; i += 1) out.push((await s.vectors.add({ collection: 'notes', content: `Note number ${i}`, metadata: { n: i } })).id);
      await s.vectors.add({ collection: 'papers', content: 'Attention is all you need', documentId: 'arxiv-1706' });
      return out;
    }, SCOPE);
    await page.getByRole('button', { name: /^notes/ }).click();
    await expect.poll(() => hash(page)).toBe('#vectors/notes');
    const entries = page.locator('mn-vectors [data-testid=entries] > li');
    await expect.poll(() => entries.count()).toBe(25);
    await page.locator('mn-vectors').getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => entries.count()).toBe(5);
    await entries.first().getByRole('button').click();
    await expect.poll(() => hash(page)).toBe(`#vectors/notes/${ids[4]}`);
    await expect.poll(() => page.getByTestId('entry').textContent()).toContain('Note number 4');

    await page.getByRole('button', { name: 'Edit entry' }).click();
    const form = page.getByRole('form', { name: 'Edit entry' });
    await form.getByLabel('Content').fill('Note four, edited');
    await form.getByLabel('Metadata (JSON object)').fill('[1, 2]');
    await form.getByRole('button', { name: 'Save entry' }).click();
    await expect.poll(() => page.locator('mn-vectors [role=alert]').textContent()).toContain('JSON object');
    await form.getByLabel('Metadata (JSON object)').fill('{"n": 4, "edited": true}');
    await form.getByRole('button', { name: 'Save entry' }).click();
    await expect.poll(() => page.getByTestId('entry').textContent()).toContain('Note four, edited');
    expect(await page.evaluate(async ([scope, id]) => window.mnemo!.space(scope).vectors.get(id), [SCOPE, ids[4]!] as const)).toMatchObject({
      content: 'Note four, edited', metadata: { n: 4, edited: true },
    });
    await shots(page, 'vectors');

    await page.getByRole('button', { name: 'Delete entry' }).click();
    await expect.poll(() => hash(page)).toBe('#vectors/notes');
    expect(await page.evaluate(async (scope) => (await window.mnemo!.space(scope).vectors.list({ collection: 'notes' })).total, SCOPE)).toBe(29);
    await page.getByRole('button', { name: 'Clear collection…' }).click();
    await expect.poll(() => page.getByRole('group', { name: 'Confirm clearing the collection' }).textContent()).toContain('29 entries');
    await page.getByRole('button', { name: 'Clear notes' }).click();
    await expect.poll(() => page.getByTestId('vectors-notice').textContent()).toBe('Deleted 29 entries of notes.');
    expect(await page.evaluate(async (scope) => window.mnemo!.space(scope).vectors.collections(), SCOPE)).toEqual([{ collection: 'papers', count: 1 }]);

    // Memories: 120 long-term ones over three pages; short-term ones expired, shown on request, then cleaned up.
    await page.evaluate(async (scope) => {
      const s = window.mnemo!.space(scope);
      await s.settings.set('memories.dedupThreshold', 1);
      for (let i = 0; i < 120; i += 1) await s.memories.add({ kind: 'long', content: `Fact ${String(i).padStart(3, '0')} zz${i}` });
      await s.memories.add({ kind: 'short', content: 'Live plan', ttlMs: 3_600_000 });
      await s.memories.add({ kind: 'short', content: 'Old plan', expiresAt: Date.now() - 60_000 });
    }, SCOPE);
    await page.evaluate(() => (location.hash = 'memories'));
    const items = page.locator('mn-memories [data-testid=memories] > li');
    await expect.poll(() => items.count(), { timeout: 30_000 }).toBe(50);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => page.getByTestId('memories-page').textContent()).toBe('Page 3 of 3');
    await expect.poll(() => items.count()).toBe(20);
    expect(await items.first().textContent()).toContain('Fact 019');
    await page.getByRole('tab', { name: 'Short-term' }).click();
    await expect.poll(() => items.count()).toBe(1);
    await page.getByLabel('Include expired').check();
    await expect.poll(() => items.count()).toBe(2);
    expect((await items.allTextContents()).join(' ')).toContain('Old plan');
    await shots(page, 'memories-expired');
    await page.getByRole('button', { name: 'Remove expired' }).click();
    await expect.poll(() => page.locator('mn-memories [role=status]').textContent()).toBe('Removed 1 expired memory.');
    await expect.poll(() => items.count()).toBe(1);
  } finally {
    await browser.dispose();
  }
});
