/**
 * Shared browser-test plumbing: serve dist/ with the app's headers, launch
 * Debian's Chromium or Firefox ESR (MNEMO_BROWSER, scripts/browsers.mjs)
 * through playwright-core, and use a persistent profile (a real on-disk OPFS,
 * as a user has) in a fresh temporary directory. Tests are written once
 * against Playwright's API; the few engine-specific probes go through the
 * helpers below.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { selectedBrowser, type LaunchPersistentOptions } from '../scripts/browsers.mjs';
import { startServer } from '../scripts/serve.mjs';

/** The engine under test (MNEMO_BROWSER=chromium|firefox). */
export const ENGINE = selectedBrowser();
export const IS_FIREFOX = ENGINE.name === 'firefox';
export const OUTPUT = join(process.cwd(), 'e2e', 'output');

export interface App {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** `connectSrc`: the origins the served CSP lets the page connect to (default: local servers). */
export async function serveApp(options: { connectSrc?: readonly string[] } = {}): Promise<App> {
  const server = await startServer({ root: process.env.MNEMO_DIST ?? 'dist', port: 0, ...options });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    server,
    url: `http://localhost:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface Browser {
  context: BrowserContext;
  profile: string;
  /** Closes the browser but keeps the profile (for restart tests). */
  close(): Promise<void>;
  /** Closes the browser and deletes the profile. */
  dispose(): Promise<void>;
}

export function newProfile(): string {
  return mkdtempSync(join(tmpdir(), 'mnemo-profile-'));
}

/**
 * Firefox puts every tab of one cross-origin-isolated site in one content
 * process unless allowed more (`dom.ipc.processCount.webCOOP+COEP`, default
 * 1); with 4, each tab of the app gets its own process, as in Chromium, so a
 * crash can take one tab and leave the others.
 */
const FIREFOX_TEST_PREFS = { 'dom.ipc.processCount.webCOOP+COEP': 4 };

export async function launch(
  profile = newProfile(),
  options: { offline?: boolean; serviceWorkers?: 'allow' | 'block' } & Pick<LaunchPersistentOptions, 'firefoxUserPrefs'> = {},
): Promise<Browser> {
  const context = await ENGINE.launch(profile, {
    viewport: { width: 1280, height: 860 },
    ...options,
    offline: options.offline ?? false,
    serviceWorkers: options.serviceWorkers ?? 'allow',
    ...(IS_FIREFOX ? { firefoxUserPrefs: { ...FIREFOX_TEST_PREFS, ...options.firefoxUserPrefs } } : {}),
  });
  return {
    context,
    profile,
    close: () => context.close(),
    dispose: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * The hash of `<style>body {}</style>`, which Playwright's screenshot adds for
 * a moment to sync animations: Firefox reports the CSP refusing it as a page
 * error. Test tooling, not the app, so it is not logged.
 */
const SCREENSHOT_PROBE_STYLE = 'sha256-YjaKGiklmzC6wjXA513HAMmzus8VE61XCOT+SmwNZWA=';

/** Opens the app and waits until `window.mnemo` is connected. */
export async function openApp(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => {
    if (!error.message.includes(SCREENSHOT_PROBE_STYLE)) console.error('page error:', error.message);
  });
  await page.goto(url);
  await page.waitForFunction(() => window.mnemo !== undefined, undefined, { timeout: 60_000 });
  return page;
}

/**
 * Runs `body`, which reports each step it starts, and fails when no new step
 * starts within `ms`, naming the last one: a browser that stops answering (a
 * lost BiDi reply, a page that never settles) then fails at once with where it
 * stopped instead of at the runner's bare timeout minutes later.
 */
export async function withSteps<T>(ms: number, body: (step: (name: string) => void) => Promise<T>): Promise<T> {
  let last = 'start';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let fail: (error: Error) => void = () => {};
  const stalled = new Promise<never>((_, reject) => (fail = reject));
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => fail(new Error(`no progress within ${ms / 1000} s after step: ${last}`)), ms);
  };
  arm();
  try {
    return await Promise.race([
      body((name) => {
        last = name;
        arm();
      }),
      stalled,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function screenshotPath(name: string): string {
  mkdirSync(OUTPUT, { recursive: true });
  return join(OUTPUT, `${name}.png`);
}

/**
 * Types into an `<input type=number>`. Over WebDriver BiDi, Playwright's fill()
 * appends to a number input's value in Firefox (its select() does not reach
 * the field), so the field is emptied first; that works in both engines.
 */
export async function fillNumber(input: Locator, value: string): Promise<void> {
  await input.fill('');
  await input.fill(value);
}

/**
 * Shows the page in a light or dark colour scheme. Chromium emulates the media
 * feature; Firefox ESR 153 over BiDi has no emulation (scripts/firefox-bidi.mjs
 * answers it as a no-op), so there the page's root gets the `data-theme` the
 * app's own theme setting sets, which selects the same palette (src/ui/theme.css).
 * Resolves once the page's colours are the scheme's.
 */
export async function colorScheme(page: Page, scheme: 'light' | 'dark'): Promise<void> {
  if (IS_FIREFOX) {
    await page.evaluate((wanted) => {
      const root = document.documentElement;
      const saved = 'mnTestTheme';
      if (!(saved in root.dataset)) root.dataset[saved] = root.getAttribute('data-theme') ?? '';
      const original = root.dataset[saved]!;
      if (wanted === 'dark') root.setAttribute('data-theme', 'dark');
      else if (original && original !== 'dark') root.setAttribute('data-theme', original);
      else root.removeAttribute('data-theme');
      if (wanted === 'light') delete root.dataset[saved];
    }, scheme);
  } else await page.emulateMedia({ colorScheme: scheme });
  const background = scheme === 'dark' ? '#12131a' : '#f6f7fb';
  await expect.poll(() => page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--mn-bg').trim().toLowerCase())).toBe(background);
}

/**
 * The text on the clipboard, as the page would paste it. Chromium lets the test
 * read it once granted (`grantClipboard`); Firefox has no such permission name
 * over BiDi and asks the user before `readText()`, so there the text is pasted
 * with the keyboard into a scratch field outside the app, read, and the field removed.
 */
export async function readClipboard(page: Page): Promise<string> {
  if (!IS_FIREFOX) return page.evaluate(() => navigator.clipboard.readText());
  await page.evaluate(() => {
    const field = Object.assign(document.createElement('textarea'), { id: 'mn-test-paste' });
    document.body.append(field);
    field.focus();
  });
  try {
    await page.keyboard.press('Control+V');
    return await page.evaluate(() => (document.getElementById('mn-test-paste') as HTMLTextAreaElement).value);
  } finally {
    await page.evaluate(() => document.getElementById('mn-test-paste')?.remove());
  }
}

/** Lets the page read the clipboard where the engine has a permission for it (Chromium); see `readClipboard`. */
export async function grantClipboard(context: BrowserContext, origin: string): Promise<void> {
  if (!IS_FIREFOX) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
}

/** Bytes a page allocates so that its Firefox content process can be told from the others by its resident size. */
const MARKER_BYTES = 128 * 1024 * 1024;

/** This profile's Firefox web content processes (Linux /proc), with their resident size in KiB. */
function firefoxTabProcesses(profile: string): Map<number, number> {
  const processes = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((pid) => {
      try {
        // Content processes rewrite their argv as one space-separated string.
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/).filter(Boolean);
        const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
        return [{ pid: Number(pid), args, rss }];
      } catch {
        return []; // exited meanwhile
      }
    });
  // The browser (and the relay in front of it) carry the profile; its content processes name it with -parentPid.
  const parents = new Set(processes.filter((p) => p.args.includes(profile)).map((p) => String(p.pid)));
  const tabs = processes.filter((p) => p.args.includes('-isForBrowser') && p.args.at(-1) === 'tab' && parents.has(p.args[p.args.indexOf('-parentPid') + 1] ?? ''));
  return new Map(tabs.map((p) => [p.pid, p.rss]));
}

/**
 * Kills the page's renderer as a crash would, with no unload; the browser and
 * its other tabs live on. Chromium: the DevTools protocol's Page.crash.
 * Firefox has no such command over WebDriver BiDi, so the page's content
 * process gets SIGKILL (Linux /proc): the page touches a 128 MiB buffer, and
 * the one process of this profile whose resident size grew by most of it is
 * the page's (each tab has its own, FIREFOX_TEST_PREFS).
 */
export async function crashPage(browser: Browser, page: Page): Promise<void> {
  if (!IS_FIREFOX) {
    const crashed = page.waitForEvent('crash');
    void (await browser.context.newCDPSession(page)).send('Page.crash').catch(() => {}); // never answers: the renderer is gone
    await crashed;
    return;
  }
  process.kill(await firefoxPagePid(browser, page), 'SIGKILL');
  // The page is gone; Playwright's BiDi driver may not say so, so closing it must not wait for an answer.
  await Promise.race([page.close().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 5_000))]);
}

/**
 * Firefox only: the content process that runs `page` (the one whose resident
 * size grows by a marker the page touches). Freed memory the allocator still
 * holds can take a marker without growing the process, so up to three markers
 * are tried, each kept alive.
 */
export async function firefoxPagePid(browser: Browser, page: Page): Promise<number> {
  let grown: number[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = firefoxTabProcesses(browser.profile);
    await page.evaluate((bytes) => {
      const w = window as unknown as { crashMarkers?: Uint8Array[] };
      (w.crashMarkers ??= []).push(new Uint8Array(bytes).fill(1));
    }, MARKER_BYTES);
    const after = firefoxTabProcesses(browser.profile);
    grown = [...after].filter(([pid, rss]) => before.has(pid) && rss - before.get(pid)! > (MARKER_BYTES / 1024) * 0.75).map(([pid]) => pid);
    if (grown.length === 1) return grown[0]!;
  }
  throw new Error(`cannot tell the page's Firefox content process: ${grown.length} grew by the marker, three times`);
}
