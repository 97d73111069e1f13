// Installs Debian's Chromium and Firefox ESR (and the sqlite3 CLI the export
// tests use) when missing. Playwright's own browser download cannot work on
// these machines; playwright-core drives the Debian builds.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BROWSERS } from './browsers.mjs';

const missing = Object.values(BROWSERS)
  .filter((browser) => !existsSync(browser.path))
  .map((browser) => browser.debian);
if (!existsSync('/usr/bin/sqlite3')) missing.push('sqlite3');

if (missing.length > 0) {
  console.log(`Installing ${missing.join(', ')} with apt-get…`);
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  execSync(`${sudo}apt-get update -qq && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')}`, {
    stdio: 'inherit',
  });
}
