// A conversation of 100,000 messages in the app: it opens on the newest,
// scrolls to the oldest and the middle, and keeps only the rows in view in
// the DOM (the list is virtualized and pages of 100 are fetched as they come
// into view). Frame times while scrolling are printed, never asserted.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launch, openApp, screenshotPath, serveApp, type App } from './harness';

let app: App;
beforeAll(async () => {
  app = await serveApp();
});
afterAll(async () => {
  await app.close();
});

const N = 100_000;
const SCOPE = { userId: 'local', spaceId: 'default' };

test('a 100,000-message conversation opens on its newest message, scrolls end to end, and keeps the DOM small', async () => {
  const browser = await launch();
  try {
    const page = await openApp(browser.context, app.url);
    const ids = await page.evaluate(
      async ({ scope, n }) => {
        const s = window.mnemo!.space(scope);
        const session = await s.sessions.create({ name: 'Long' });
        const conversation = await s.conversations.create({ sessionId: session.id, title: 'A very long chat' });
        for (let at = 0; at < n; at += 5000) {
          await s.messages.insertMany(
            Array.from({ length: Math.min(5000, n - at) }, (_, i) => ({
              conversationId: conversation.id,
              role: (at + i) % 2 ? ('assistant' as const) : ('user' as const),
              content: `Message number ${at + i}: ${'some words to fill a line '.repeat(1 + ((at + i) % 7))}`,
              createdAt: 1_700_000_000_000 + (at + i) * 1000,
            })),
          );
        }
        return { session: session.id, conversation: conversation.id };
      },
      { scope: SCOPE, n: N },
    );

    await page.evaluate(({ session, conversation }) => (location.hash = `chats/${session}/${conversation}`), ids);
    const list = page.locator('mn-message-list');
    const rows = list.locator('article[data-id]');
    /** The message numbers of the rows that intersect the list's viewport. */
    const inView = () =>
      list.locator('lit-virtualizer').evaluate((scroller) => {
        const box = scroller.getBoundingClientRect();
        return [...scroller.querySelectorAll('article[data-id]')]
          .filter((row) => {
            const r = row.getBoundingClientRect();
            return r.bottom > box.top && r.top < box.bottom;
          })
          .map((row) => Number(/Message number (\d+)/.exec(row.textContent ?? '')?.[1] ?? -1));
      });

    // Opens on the newest message.
    await expect.poll(inView, { timeout: 60_000 }).toContain(N - 1);
    expect(await rows.count()).toBeLessThan(200);
    await page.screenshot({ path: screenshotPath('chat-100k-newest') });

    // The list holds a window of the newest 5,000 (the virtualizer clamps its height at 8.2 million px,
    // which 100,000 rows would pass): the scrollbar reaches both ends of it.
    const bar = list.getByTestId('message-window');
    expect(await bar.textContent()).toContain(`Showing 95,001–100,000 of 100,000`);
    const scrollTo = (fraction: number) =>
      list.locator('lit-virtualizer').evaluate((el, f) => (el.scrollTop = f * (el.scrollHeight - el.clientHeight)), fraction);
    /** Drags to `fraction` until `index` is in view (as a person keeps dragging, the estimates settle). */
    const dragUntil = (fraction: number, index: number) =>
      expect
        .poll(async () => {
          await scrollTo(fraction);
          return inView();
        }, { timeout: 30_000 })
        .toContain(index);
    await dragUntil(0, N - 5000);
    expect(await rows.count()).toBeLessThan(200);
    await dragUntil(1, N - 1);

    // Older: the window before, at the message where reading upwards left off; its own ends are reachable too.
    await list.getByRole('button', { name: 'Older messages' }).click();
    await expect.poll(() => bar.textContent()).toContain('Showing 90,101–95,100 of 100,000');
    await expect.poll(inView, { timeout: 30_000 }).toContain(N - 5000);
    await dragUntil(0, 90_100);
    await dragUntil(1, 95_099);
    expect(await rows.count()).toBeLessThan(200);
    // Newer: the window after, at the message where reading downwards left off (here the newest window).
    await list.getByRole('button', { name: 'Newer messages' }).click();
    await expect.poll(() => bar.textContent()).toContain('Showing 95,001–100,000 of 100,000');
    await expect.poll(inView, { timeout: 30_000 }).toContain(95_099);
    expect(await list.getByRole('button', { name: 'Newest' }).count()).toBe(0);

    // A message in the middle opened by its URL (as a search hit opens it): found by its time, shown in its window.
    const middleId = await page.evaluate(
      async ({ scope, conversation }) => (await window.mnemo!.space(scope).messages.page(conversation, { page: 501, pageSize: 100 })).items[0]!.id,
      { scope: SCOPE, conversation: ids.conversation },
    );
    await page.evaluate(({ session, conversation, id }) => (location.hash = `chats/${session}/${conversation}/${id}`), { ...ids, id: middleId });
    await expect.poll(inView, { timeout: 30_000 }).toContain(50_000);
    expect(await list.locator('article[data-target]').textContent()).toContain('Message number 50000:');
    expect(await bar.textContent()).toMatch(/Showing 4\d,\d01–5\d,\d00 of 100,000/);
    await page.screenshot({ path: screenshotPath('chat-100k-target') });
    await list.getByRole('button', { name: 'Newest' }).click();
    await expect.poll(inView, { timeout: 30_000 }).toContain(N - 1);

    // The wheel, from the middle of that window: 40 steps; after each the viewport shows rows, never a blank list.
    // "Newest" keeps the list at its end while the rows it lands on are measured: drag until the middle shows.
    await expect
      .poll(async () => {
        await scrollTo(0.5);
        const shown = await inView();
        return shown.length > 0 ? Math.min(...shown) : N;
      }, { timeout: 30_000 })
      .toBeLessThan(N - 1000);
    const box = (await list.locator('lit-virtualizer').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.evaluate(() => {
      const w = window as unknown as { frames: number[] };
      w.frames = [];
      let last = performance.now();
      const tick = (now: number) => {
        w.frames.push(now - last);
        last = now;
        if (w.frames.length < 100_000) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    let previous = (await inView())[0]!;
    for (let step = 0; step < 40; step++) {
      await page.mouse.wheel(0, 600);
      await expect.poll(async () => (await inView()).length, { timeout: 30_000 }).toBeGreaterThan(0);
      expect(await rows.count()).toBeLessThan(200);
    }
    const after = await inView();
    expect(Math.min(...after)).toBeGreaterThan(previous);
    previous = Math.min(...after);
    const frames = await page.evaluate(() => (window as unknown as { frames: number[] }).frames.slice(1).sort((a, b) => a - b));
    const at = (q: number) => frames[Math.min(frames.length - 1, Math.floor(q * frames.length))]!.toFixed(1);
    console.log(`100,000 messages, 40 wheel steps: ${frames.length} frames, median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms; rows in the DOM ${await rows.count()}`);
    await page.screenshot({ path: screenshotPath('chat-100k-middle') });
    expect(previous).toBeGreaterThan(45_000);
  } finally {
    await browser.dispose();
  }
}, 300_000);
