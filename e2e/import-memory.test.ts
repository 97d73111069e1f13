// A 200 MB ChatGPT export chosen as a File, previewed and imported through
// `window.mnemo` in real Chromium, while the test samples the database
// worker's JS heap over the DevTools protocol every 100 ms: the worker reads
// the File in slices and parses one conversation at a time, so its heap grows
// by a small fraction of the file. Numbers are printed; the assertions are
// on sizes, never on time. (Firefox has no DevTools protocol here: there the
// test checks the counts only.)
import type { CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { IS_FIREFOX, launch, openApp, serveApp, type App } from './harness';

let app: App;
beforeAll(async () => {
  app = await serveApp();
});
afterAll(async () => {
  await app.close();
});

const MB = 1024 * 1024;

interface HeapSampler {
  /** Forces a collection in the worker and returns its used JS heap and buffers. */
  settled(): Promise<number>;
  /** Samples the heap every 100 ms while `body` runs; returns its result and the highest heap seen. */
  during<T>(body: () => Promise<T>): Promise<{ result: T; peak: number }>;
}

/** The database worker (not the embedding worker) over CDP: Target.sendMessageToTarget, as DevTools does. */
async function databaseWorkerHeap(page: Page): Promise<HeapSampler> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  const workers: Array<{ sessionId: string; url: string }> = [];
  const pending = new Map<number, (result: Record<string, number>) => void>();
  let nextId = 1;
  cdp.on('Target.attachedToTarget', (event) => {
    if (event.targetInfo.type === 'worker') workers.push({ sessionId: event.sessionId, url: event.targetInfo.url });
  });
  cdp.on('Target.receivedMessageFromTarget', (event) => {
    const message = JSON.parse(event.message) as { id?: number; result?: Record<string, number> };
    if (message.id !== undefined) pending.get(message.id)?.(message.result ?? {});
  });
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  await expect.poll(() => workers.filter((w) => !/embed/i.test(w.url)).length, { timeout: 30_000 }).toBeGreaterThan(0);
  const worker = workers.find((w) => !/embed/i.test(w.url))!;
  const call = (method: string): Promise<Record<string, number>> =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      void cdp.send('Target.sendMessageToTarget', { sessionId: worker.sessionId, message: JSON.stringify({ id, method }) });
    });
  // The JS heap plus ArrayBuffer backing stores (where a File read whole would sit).
  const used = async () => {
    const usage = await call('Runtime.getHeapUsage');
    return usage.usedSize! + (usage.backingStorageSize ?? 0);
  };
  return {
    async settled() {
      await call('HeapProfiler.collectGarbage');
      return used();
    },
    async during(body) {
      let peak = 0;
      let running = true;
      const sampling = (async () => {
        while (running) {
          peak = Math.max(peak, await used());
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      try {
        return { result: await body(), peak };
      } finally {
        running = false;
        await sampling;
        peak = Math.max(peak, await used());
      }
    },
  };
}

test('a 200 MB export chosen as a File: the database worker holds a small fraction of it while previewing and importing', async () => {
  const browser = await launch();
  try {
    const page = await openApp(browser.context, app.url);
    // The file is made in the page (200 MB through the driver would take minutes): 10,000 conversations of 10 turns of ~2 KB.
    const size = await page.evaluate(() => {
      const filler = 'The quick brown fox jumps over the lazy dog; ünïcødé 🚀 and a few more words to read. '.repeat(23);
      const conversation = (n: number): string => {
        const mapping: Record<string, unknown> = { root: { id: 'root', parent: null, children: ['m0'], message: null } };
        let parent = 'root';
        for (let i = 0; i < 10; i++) {
          const id = `m${i}`;
          const message = { id, author: { role: i % 2 ? 'assistant' : 'user' }, create_time: 1_700_000_000 + n * 60 + i, content: { content_type: 'text', parts: [`Turn ${i} of chat ${n}. ${filler}`] }, metadata: i % 2 ? { model_slug: 'gpt-4o' } : {} };
          mapping[id] = { id, parent, children: i < 9 ? [`m${i + 1}`] : [], message };
          parent = id;
        }
        return JSON.stringify({ id: `big-${n}`, title: `Chat ${n}`, create_time: 1_700_000_000 + n * 60, update_time: 1_700_000_000 + n * 60 + 10, current_node: parent, mapping });
      };
      let blob = new Blob(['[']);
      for (let n = 0; n < 10_000; n += 500) {
        blob = new Blob([blob, n === 0 ? '' : ',', Array.from({ length: 500 }, (_, i) => conversation(n + i)).join(',')]);
      }
      const file = new File([blob, ']'], 'conversations.json', { type: 'application/json' });
      (window as unknown as { bigExport: File }).bigExport = file;
      return file.size;
    });
    expect(size).toBeGreaterThan(200 * MB);

    const space = { userId: 'local', spaceId: 'default' };
    const run = (dryRun: boolean) =>
      page.evaluate(
        ({ space, dryRun }) => window.mnemo!.space(space).importConversations((window as unknown as { bigExport: File }).bigExport, { dryRun }),
        { space, dryRun },
      );

    if (IS_FIREFOX) {
      const report = await run(false);
      expect(report.conversations.imported).toBe(10_000);
      expect(report.messages.imported).toBe(100_000);
      return;
    }

    const heap = await databaseWorkerHeap(page);
    const base = await heap.settled();
    const preview = await heap.during(() => run(true));
    expect(preview.result.conversations.imported).toBe(10_000);
    expect(preview.result.messages.imported).toBe(100_000);
    const imported = await heap.during(() => run(false));
    expect(imported.result.conversations).toEqual({ imported: 10_000, updated: 0, unchanged: 0, skipped: 0 });
    expect(imported.result.messages.imported).toBe(100_000);
    const after = await heap.settled();
    console.log(
      `File of ${(size / MB).toFixed(0)} MB; database worker heap ${(base / MB).toFixed(1)} MB before; ` +
        `preview peak +${((preview.peak - base) / MB).toFixed(1)} MB, import peak +${((imported.peak - base) / MB).toFixed(1)} MB (garbage included), ` +
        `+${((after - base) / MB).toFixed(1)} MB after collection`,
    );
    // Reading it whole would hold the 200 MB of bytes plus several times that as parsed objects.
    expect(preview.peak - base).toBeLessThan(size / 2);
    expect(imported.peak - base).toBeLessThan(size / 2);
    expect(after - base).toBeLessThan(size / 20);
    const hit = await page.evaluate((space) => window.mnemo!.space(space).search({ query: 'Turn 7 chat 9999', mode: 'keyword', limit: 3 }), space);
    expect(hit.length).toBeGreaterThan(0);
  } finally {
    await browser.dispose();
  }
}, 600_000);
