#!/usr/bin/env node
// Launches Firefox for playwright-core's WebDriver BiDi driver (channel
// `moz-firefox`), relaying its BiDi socket. Playwright 1.65 sends
// `emulation.*` overrides (media features, …) that Firefox ESR 153 does not
// implement yet; Firefox answers "unknown command" and Playwright aborts the
// launch. The relay answers those commands with an empty success and passes
// everything else through unchanged, so the stock Debian `firefox-esr` runs
// the same tests as Chromium. It also gives Firefox's download events the id
// Playwright needs (addDownloadId). Used as `executablePath`; the arguments are
// Firefox's, and FIREFOX_PATH names the real binary (default /usr/bin/firefox-esr).
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { WebSocket, WebSocketServer } from 'ws';

const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
const LISTENING = /WebDriver BiDi listening on (ws:\/\/\S+)/;
const stubbed = new Set();
// MNEMO_BIDI_LOG=<file>: every message both ways, cut to 300 characters, for tracing a driver problem.
const LOG = process.env.MNEMO_BIDI_LOG;
const trace = (direction, text) => {
  if (LOG) appendFileSync(LOG, `${direction} ${text.slice(0, 300)}\n`);
};

/** A BiDi command this Firefox does not know, answered as a no-op: Playwright's emulation defaults only. */
function isOptionalCommand(method) {
  return typeof method === 'string' && method.startsWith('emulation.');
}

// Playwright sets MOZ_CRASHREPORTER_SHUTDOWN, which makes Firefox quit when a content process
// crashes; the crash tests kill one and expect the browser to open new pages, as Chromium does.
const env = { ...process.env };
delete env.MOZ_CRASHREPORTER_SHUTDOWN;
const firefox = spawn(FIREFOX, process.argv.slice(2), { env, stdio: ['ignore', 'inherit', 'pipe'] });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => firefox.kill(signal));
firefox.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

createInterface({ input: firefox.stderr }).on('line', (line) => {
  const match = LISTENING.exec(line);
  if (!match) {
    process.stderr.write(`${line}\n`);
    return;
  }
  void relay(match[1]).then((url) => process.stderr.write(`WebDriver BiDi listening on ${url}\n`));
});

/**
 * Firefox ESR 153 sends `browsingContext.downloadWillBegin` and `downloadEnd` for a
 * link's download with `navigation: null` and no `download` id, and Playwright drops
 * download events that carry neither, so `page.waitForEvent('download')` never
 * resolves. The download's URL (a fresh `blob:` URL for each of the app's files)
 * names it in both events, so it becomes the id. Returns the rewritten message, or
 * undefined to pass the original through.
 */
function addDownloadId(message) {
  if (message.type !== 'event' || (message.method !== 'browsingContext.downloadWillBegin' && message.method !== 'browsingContext.downloadEnd')) return undefined;
  const params = message.params ?? {};
  if (params.download || params.navigation || typeof params.url !== 'string') return undefined;
  return JSON.stringify({ ...message, params: { ...params, navigation: `firefox-bidi-download:${params.url}` } });
}

/** Starts the relay in front of Firefox's endpoint; resolves with the relay's own ws:// URL. */
function relay(upstream) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (client, request) => {
    const browser = new WebSocket(upstream + (request.url ?? ''));
    const queued = [];
    const methods = new Map();
    client.on('message', (data) => {
      const text = data.toString();
      trace('>', text);
      try {
        const message = JSON.parse(text);
        if (typeof message.id === 'number') methods.set(message.id, message.method);
      } catch {
        // Not JSON: Firefox will answer it with its own error.
      }
      if (browser.readyState === WebSocket.OPEN) browser.send(text);
      else queued.push(text);
    });
    browser.on('open', () => {
      for (const text of queued.splice(0)) browser.send(text);
    });
    browser.on('message', (data) => {
      const text = data.toString();
      trace('<', text);
      const message = JSON.parse(text);
      if (typeof message.id === 'number') {
        const method = methods.get(message.id);
        methods.delete(message.id);
        if (message.type === 'error' && message.error === 'unknown command' && isOptionalCommand(method)) {
          if (!stubbed.has(method)) process.stderr.write(`firefox-bidi: ${method} is not in this Firefox; answered as a no-op\n`);
          stubbed.add(method);
          client.send(JSON.stringify({ type: 'success', id: message.id, result: {} }));
          return;
        }
      }
      client.send(addDownloadId(message) ?? text);
    });
    browser.on('close', () => client.close());
    client.on('close', () => browser.close());
    browser.on('error', () => client.close());
    client.on('error', () => browser.close());
  });
  return new Promise((resolve) => {
    server.on('listening', () => {
      const address = server.address();
      resolve(`ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
    });
  });
}
