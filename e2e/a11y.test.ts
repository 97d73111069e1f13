/**
 * Accessibility of every view: axe-core (from node_modules) finds no serious
 * or critical violation in any view or selected item, at desktop width and at
 * 360 px, in light and dark; and a keyboard-only walk reaches every view
 * from the navigation, creates a session, a conversation, a message, a space
 * and an agent, searches with `/`, and every focus stop it passes is named
 * and visibly focused.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { focused, MODES, seriousViolations } from './axe';
import { colorScheme, launch, openApp, screenshotPath, serveApp, type App } from './harness';

let app: App;
beforeAll(async () => {
  app = await serveApp();
});
afterAll(async () => {
  await app.close();
});

const SCOPE = { userId: 'local', spaceId: 'default' };
const WALK_START = 'keyboard-walk-start';
const WALK_END = 'keyboard-walk-end';

test('zero serious or critical axe violations in every view and selection, desktop and 360 px, light and dark', { timeout: 600_000 }, async () => {
  const browser = await launch();
  try {
    const page = await openApp(browser.context, app.url);
    const ids = await page.evaluate(async (scope) => {
      const s = window.mnemo!.space(scope);
      const session = await s.sessions.create({ name: 'Trips', role: 'travel planner', goals: 'Plan a week in Porto' });
      const conversation = await s.conversations.create({ sessionId: session.id, title: 'Porto' });
      await s.messages.insertMany([
        { conversationId: conversation.id, role: 'user', content: 'Where should I stay in **Porto**?' },
        { conversationId: conversation.id, role: 'assistant', content: 'Ribeira is lovely:\n\n```\nmap ribeira\n```', model: 'chat', tokensUsed: 40 },
      ]);
      await s.memories.add({ kind: 'long', content: 'The user likes green tea', importance: 0.8 });
      await s.memories.add({ kind: 'short', content: 'The user is in Porto this week', ttlMs: 3_600_000 });
      await s.documents.upload(session.id, { name: 'notes.md', type: 'text/markdown', bytes: new TextEncoder().encode('# Notes\n\nPorto has bridges.') });
      const entry = await s.vectors.add({ collection: 'notes', content: 'Porto has six bridges', documentId: 'doc-1', metadata: { page: 2 } });
      const agent = await s.agents.create({ name: 'Planner', description: 'Plans trips', systemPrompt: 'Be brief.' });
      const run = await s.executions.start(agent.id, session.id);
      await s.executions.finish(run.id, 'succeeded');
      await window.mnemo!.settings.set('chat.endpoints', [{ id: 'local', name: 'Local', baseUrl: 'http://localhost:11434/v1', model: 'llama3' }]);
      return { session: session.id, conversation: conversation.id, entry: entry.id, agent: agent.id };
    }, SCOPE);

    const routes = [
      'chats', `chats/${ids.session}`, `chats/${ids.session}/${ids.conversation}`, 'memories', 'documents', 'search', 'vectors', `vectors/notes/${ids.entry}`,
      'agents', `agents/${ids.agent}`, 'agents/new', 'executions', 'spaces', 'import', 'data', 'settings',
    ];
    const problems: string[] = [];
    for (const route of routes) {
      await page.evaluate((r) => (location.hash = r), route);
      await expect.poll(() => page.getByText(/^Loading\b/).count(), { timeout: 30_000 }).toBe(0);
      await page.waitForTimeout(300);
      for (const mode of MODES) {
        await page.setViewportSize({ width: mode.width, height: 860 });
        await colorScheme(page, mode.scheme);
        await page.waitForTimeout(100);
        for (const v of await seriousViolations(page)) problems.push(`#${route} ${mode.name}: ${v.impact} ${v.id} (${v.help}) ${v.targets.join(' ')}`);
      }
      await page.setViewportSize({ width: 1280, height: 860 });
      await colorScheme(page, 'light');
    }
    expect(problems).toEqual([]);
    // The check can fail: a control without a name is reported.
    await page.evaluate(() => document.body.append(Object.assign(document.createElement('button'), { id: 'unnamed' })));
    expect((await seriousViolations(page)).map((v) => v.id)).toContain('button-name');
  } finally {
    await browser.dispose();
  }
});

test('keyboard only: every view from the navigation, shortcuts, and the main actions', { timeout: 600_000 }, async () => {
  const browser = await launch();
  try {
    const page = await openApp(browser.context, `${app.url}#chats`);
    await page.evaluate(async (scope) => {
      await window.mnemo!.space(scope).vectors.add({ collection: 'notes', content: 'A note to reach by keyboard' });
    }, SCOPE);
    const key = (k: string) => page.keyboard.press(k);
    const leaveField = async () => {
      for (let i = 0; i < 10; i += 1) {
        const f = await focused(page);
        if (f && (f.tag === 'button' || f.tag === 'a')) return;
        await key('Tab');
      }
      throw new Error('no button or link after the field');
    };
    // Tab past the page's last stop leaves for the browser's toolbar; headless Firefox over BiDi keeps sending keys to the then unfocused page, so the walk wraps at a stop placed after the app instead.
    await page.evaluate(
      ([startId, endId]) => {
        document.body.prepend(Object.assign(document.createElement('span'), { id: startId, tabIndex: -1 }));
        document.body.append(Object.assign(document.createElement('button'), { id: endId, textContent: 'End of page' }));
      },
      [WALK_START, WALK_END],
    );
    const isEnd = (f: Awaited<ReturnType<typeof focused>>) => f !== null && f.host === '' && f.id === WALK_END;
    /** Puts focus before the page's first stop, so that the next Tab goes to the top, as Tab past the end does in a browser with its toolbar. */
    const fromTop = () => page.evaluate((id) => document.getElementById(id)!.focus(), WALK_START);
    /** Tabs forward (from the top again after the page's last stop) until the focused element matches; fails after `max` presses. */
    const tabTo = async (match: (f: NonNullable<Awaited<ReturnType<typeof focused>>>) => boolean, max = 250) => {
      const trail: string[] = [];
      for (let i = 0; i < max; i += 1) {
        await key('Tab');
        const f = await focused(page);
        if (isEnd(f)) {
          trail.push('(end of page)');
          await fromTop();
          continue;
        }
        if (f && match(f)) return f;
        trail.push(f ? `${f.host}>${f.tag}${f.id ? `#${f.id}` : ''} "${f.name.slice(0, 30)}"` : '(none)');
      }
      throw new Error(`focus never reached the element; the last stops: ${trail.slice(-12).join(', ')}`);
    };

    // `n` with nothing open: the new-session field; Enter adds it.
    await key('n');
    expect((await focused(page))?.id).toBe('session-name');
    await page.keyboard.type('Walk session');
    await key('Enter');
    await expect.poll(() => page.evaluate(() => location.hash)).toMatch(/^#chats\/[^/]+$/);
    // `n` again: the new-conversation field; then the composer of the new conversation.
    await leaveField();
    await key('n');
    expect((await focused(page))?.id).toBe('conversation-title');
    await page.keyboard.type('Walk conversation');
    await key('Enter');
    await expect.poll(() => page.evaluate(() => location.hash)).toMatch(/^#chats\/[^/]+\/[^/]+$/);
    await leaveField();
    await key('n');
    expect((await focused(page))?.id).toBe('composer');
    await page.keyboard.type('Typed without a mouse');
    await key('Enter');
    await expect
      .poll(() =>
        page.evaluate(async (scope) => {
          const list = await window.mnemo!.space(scope).messages.list({ limit: 10 });
          return list.items.map((m) => m.content);
        }, SCOPE),
      )
      .toEqual(['Typed without a mouse']);

    // `/`: the search field, from anywhere outside a text field.
    await leaveField();
    await key('/');
    expect(await page.evaluate(() => location.hash)).toBe('#search');
    expect((await focused(page))?.id).toBe('q');
    await page.keyboard.type('Typed');
    await key('Enter');
    await expect.poll(() => page.locator('mn-search [data-testid=hits] > li').count(), { timeout: 30_000 }).toBeGreaterThan(0);

    // Every view from the navigation; every focus stop in it is named and visibly focused.
    const views = ['Chats', 'Memories', 'Documents', 'Search', 'Vectors', 'Agents', 'Executions', 'Spaces', 'Import', 'Data', 'Settings'];
    const unnamed: string[] = [];
    for (const label of views) {
      await tabTo((f) => f.host === 'mn-app' && f.tag === 'a' && f.name === label);
      await key('Enter');
      await expect.poll(() => page.evaluate(() => location.hash)).toBe(`#${label.toLowerCase()}`);
      // Every view says “Loading…” or “Loading statistics…” while its first task runs.
      await expect.poll(() => page.getByText(/^Loading\b/).count(), { timeout: 30_000 }).toBe(0);
      // The view has finished its first render when something in *this* view (not the one
      // the app is leaving, which can still be in <main> for a frame) can take focus.
      await expect
        .poll(
          () =>
            page.evaluate((tag) => {
              const count = (root: ParentNode): number =>
                [...root.querySelectorAll('*')].reduce(
                  (n, el) => n + (el.matches('button:not([disabled]), a[href], input, select, textarea, summary, [tabindex="0"]') ? 1 : 0) + (el.shadowRoot ? count(el.shadowRoot) : 0),
                  0,
                );
              const view = document.querySelector('mn-app')?.shadowRoot?.querySelector(`main > ${tag}`);
              return view?.shadowRoot ? count(view.shadowRoot) : 0;
            }, `mn-${label.toLowerCase()}`),
          { timeout: 30_000 },
        )
        .toBeGreaterThan(0);
      const stops: string[] = [];
      let inView = false;
      for (let i = 0; i < 120; i += 1) {
        await key('Tab');
        const f = await focused(page);
        const header = f !== null && (f.host === 'mn-app' || f.host === 'mn-pwa-status');
        if (isEnd(f)) {
          await fromTop();
          break;
        }
        if (!f || (inView && header)) break;
        inView ||= !header;
        if (!inView) continue;
        stops.push(`${f.host} ${f.tag}#${f.id} “${f.name}”`);
        if (f.name === '') unnamed.push(`${label}: ${f.host} <${f.tag}>`);
        if (!f.visible) unnamed.push(`${label}: focus not visible on ${f.host} <${f.tag}> ${f.name}`);
      }
      expect(stops.length, `${label} has focus stops`).toBeGreaterThan(0);
    }
    expect(unnamed).toEqual([]);

    // Vectors: open the collection and its entry with Enter; the URL follows.
    await page.evaluate(() => (location.hash = 'vectors'));
    await tabTo((f) => f.host === 'mn-vectors' && f.name.startsWith('notes'));
    await key('Enter');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#vectors/notes');
    await tabTo((f) => f.host === 'mn-vectors' && f.name.startsWith('A note to reach'));
    await key('Enter');
    await expect.poll(() => page.evaluate(() => location.hash)).toMatch(/^#vectors\/notes\/[^/]+$/);
    await tabTo((f) => f.host === 'mn-vectors' && f.name === 'Edit entry');
    expect(unnamed).toEqual([]);

    // Spaces: create one from the form, by keyboard.
    await page.evaluate(() => (location.hash = 'spaces'));
    await tabTo((f) => f.host === 'mn-spaces' && f.name.startsWith('Space id'));
    await page.keyboard.type('keyboard');
    await key('Tab');
    await page.keyboard.type('Keyboard space');
    await key('Enter');
    await expect.poll(() => page.locator('mn-spaces [data-space=keyboard]').count(), { timeout: 30_000 }).toBe(1);

    // Agents: New agent, a name, Enter creates it and its URL opens.
    await page.evaluate(() => (location.hash = 'agents'));
    await tabTo((f) => f.host === 'mn-agents' && f.name === 'New agent');
    await key('Enter');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#agents/new');
    await tabTo((f) => f.host === 'mn-agents' && f.name.startsWith('Name'));
    await page.keyboard.type('Keyboard agent');
    await key('Enter');
    await expect.poll(() => page.evaluate(() => location.hash), { timeout: 30_000 }).toMatch(/^#agents\/(?!new)[^/]+$/);
    expect(await page.evaluate(async (scope) => (await window.mnemo!.space(scope).agents.list()).items.map((a) => a.name), SCOPE)).toEqual(['Keyboard agent']);

    // The back button returns through the routes taken.
    await page.goBack();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#agents/new');
    await page.screenshot({ path: screenshotPath('a11y-agents-keyboard'), fullPage: true });
  } finally {
    await browser.dispose();
  }
});
