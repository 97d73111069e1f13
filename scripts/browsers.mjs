// The two engines the tests and the benchmark drive, both from Debian and both
// through playwright-core: Chromium over CDP, Firefox ESR over WebDriver BiDi
// (through scripts/firefox-bidi.mjs, which bridges the few commands ESR lacks).
// MNEMO_BROWSER=chromium|firefox picks one for the browser tests.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium, firefox } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const FIREFOX_RELAY = fileURLToPath(new URL('./firefox-bidi.mjs', import.meta.url));

/** Firefox prefs for an unattended test profile: no first-run pages, no update or telemetry traffic. */
const FIREFOX_PREFS = {
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.reportingpolicy.firstRun': false,
  'app.update.disabledForTesting': true,
  'browser.aboutwelcome.enabled': false,
};

function version(path) {
  return execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

export const BROWSERS = {
  chromium: {
    name: 'chromium',
    /** Debian package that provides it. */
    debian: 'chromium',
    path: CHROMIUM,
    launch: (profile, options = {}) =>
      chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, ...options }),
    version: () => version(CHROMIUM),
  },
  firefox: {
    name: 'firefox',
    debian: 'firefox-esr',
    path: FIREFOX,
    launch: (profile, options = {}) =>
      firefox.launchPersistentContext(profile, {
        channel: 'moz-firefox',
        executablePath: FIREFOX_RELAY,
        env: { ...process.env, FIREFOX_PATH: FIREFOX },
        headless: true,
        ...options,
        firefoxUserPrefs: { ...FIREFOX_PREFS, ...options.firefoxUserPrefs },
      }),
    version: () => version(FIREFOX),
  },
};

/** The engine named by MNEMO_BROWSER (default chromium). */
export function selectedBrowser(name = process.env.MNEMO_BROWSER ?? 'chromium') {
  const browser = BROWSERS[name];
  if (!browser) throw new Error(`unknown browser "${name}": use one of ${Object.keys(BROWSERS).join(', ')}`);
  return browser;
}
