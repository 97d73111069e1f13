/**
 * The shared storage-driver checks (test/shared/driver-checks.ts) on
 * opfs-sahpool in real Chromium with a persistent profile, through the
 * test-only page e2e/driver/. test/unit/driver.test.ts runs the same list on
 * the memory driver in Node. The restart phase closes the whole browser and
 * opens the same profile again.
 */
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer } from '../scripts/serve.mjs';
import { driverChecks } from '../test/shared/driver-checks';
import { launch, type Browser } from './harness';

const DIST = fileURLToPath(new URL('../.cache/driver-dist', import.meta.url));

let server: Awaited<ReturnType<typeof startServer>>;
let url: string;
let browser: Browser;
let page: Page;

async function openPage(): Promise<Page> {
  const opened = await browser.context.newPage();
  opened.on('pageerror', (error) => console.error('page error:', error.message));
  await opened.goto(url);
  await opened.waitForFunction(() => window.driverChecks !== undefined);
  return opened;
}

function run(index: number, phase: 'run' | 'afterRestart'): Promise<void> {
  return page.evaluate(([i, p]) => window.driverChecks!.run(i, p), [index, phase] as const);
}

function cleanup(index: number): Promise<number> {
  return page.evaluate((i) => window.driverChecks!.cleanup(i), index);
}

beforeAll(async () => {
  await build({ configFile: fileURLToPath(new URL('./driver/vite.config.ts', import.meta.url)) });
  server = await startServer({ root: DIST, port: 0 });
  const address = server.address();
  url = `http://localhost:${typeof address === 'object' && address ? address.port : 0}/`;
  browser = await launch();
  page = await openPage();
});

afterAll(async () => {
  await browser?.dispose();
  await new Promise((resolve) => server?.close(() => resolve(undefined)));
});

describe('storage driver: opfs-sahpool in Chromium', () => {
  test('the page runs the same list of checks', async () => {
    expect(await page.evaluate(() => window.driverChecks!.names())).toEqual(
      driverChecks.map((check) => ({ name: check.name, restarts: check.afterRestart !== undefined })),
    );
  });

  driverChecks.forEach((check, i) => {
    test(check.name, async () => {
      await run(i, 'run');
      // Files of restart checks stay for the second phase.
      if (!check.afterRestart) await cleanup(i);
    });
  });

  describe('after closing and relaunching the browser on the same profile', () => {
    beforeAll(async () => {
      await browser.close();
      browser = await launch(browser.profile);
      page = await openPage();
    });

    driverChecks.forEach((check, i) => {
      if (!check.afterRestart) return;
      test(check.name, async () => {
        await run(i, 'afterRestart');
        expect(await cleanup(i)).toBeGreaterThan(0);
      });
    });
  });
});
