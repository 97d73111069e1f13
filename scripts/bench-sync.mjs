// `npm run bench:sync`: sync through the real server on a throwaway
// PostgreSQL cluster, between two browser profiles (two devices, each its
// own OPFS database), driven through `window.mnemo` as an app would.
//
//   * initial sync of an N-message space: the laptop writes N messages
//     (insertMany, batches of 5,000) and pushes them all; a new device (the
//     phone) then pulls the space from nothing. Both timed through
//     `sync.now()`, with rows/s and the server's PostgreSQL size.
//   * steady state: one message added on the laptop until the phone holds
//     it (laptop `add` + `sync.now()`, then phone `sync.now()`), repeated;
//     automatic sync adds its 1 s debounce on the writer and the reader's pull
//     interval (30 s by default) on top of this.
//
//   npm run bench:sync                       N = 100,000 (the size)
//   npm run bench:sync -- --quick            N = 2,000, 5 latency rounds (npm test runs it)
//   npm run bench:sync -- --size 20000 --rounds 30 --browser firefox --out DIR
//
// Writes DIR/results-sync.json (default bench/results-sync.json) and the
// generated section of docs/benchmarks.md (only for a full run without --out).
// Timings never fail the run: the exit code is 0 unless something errors, a
// count is wrong, or a figure is missing.
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BROWSERS } from './browsers.mjs';
import { startCluster } from './ensure-postgres.mjs';
import { startServer as startAppServer } from './serve.mjs';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    size: { type: 'string' },
    rounds: { type: 'string' },
    browser: { type: 'string', default: 'chromium' },
    out: { type: 'string' },
  },
});
const positive = (name, text) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got "${text}"`);
  return value;
};
const N = opts.size ? positive('size', opts.size) : opts.quick ? 2_000 : 100_000;
const ROUNDS = opts.rounds ? positive('rounds', opts.rounds) : opts.quick ? 5 : 30;
const browser = BROWSERS[opts.browser];
if (!browser) throw new Error(`--browser ${opts.browser}: one of ${Object.keys(BROWSERS).join(', ')}`);
const OUT = opts.out ? resolve(opts.out) : null;
const RESULTS = OUT ? join(OUT, 'results-sync.json') : resolve('bench/results-sync.json');
const SCOPE = { userId: 'bench', spaceId: 'synced' };
const PASSWORD = 'benchmark password';
const SIGNUP_CODE = 'bench-signup';

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const quantile = (xs, q) => sorted(xs)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const round = (v) => Number(v.toPrecision(4));
const stat = (xs, unit = 'ms') => ({ unit, median: round(quantile(xs, 0.5)), p95: round(quantile(xs, 0.95)), min: round(Math.min(...xs)), max: round(Math.max(...xs)), n: xs.length });

if (process.env.MNEMO_SKIP_BUILD !== '1' || !existsSync('dist/index.html')) execSync('npx vite build --logLevel error', { stdio: 'inherit' });
// The server runs compiled, as `npm run server` runs it.
execSync('npx tsc -b server', { stdio: 'inherit' });
const { buildServer } = await import('../server/dist/app.js');
const { migrate, readMigrations } = await import('../server/dist/migrate.js');
const pg = (await import('pg')).default;

async function api(base, method, path, body, token) {
  const headers = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const response = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

async function device(context, appUrl, serverUrl, token) {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`  page error: ${error.message}`));
  await page.goto(appUrl);
  await page.waitForFunction(() => window.mnemo !== undefined, undefined, { timeout: 120_000 });
  // Manual sync: the benchmark decides when each device talks to the server.
  await page.evaluate(({ url, token, scope }) => window.mnemo.sync.configure({ url, token, spaces: [scope], auto: false }), { url: serverUrl, token, scope: SCOPE });
  return page;
}

/** N deterministic chat messages of 20–2,000 characters in conversations of 100, written with insertMany in batches of 5,000. */
function writeSpace(page, n) {
  return page.evaluate(
    async ({ n, scope }) => {
      const words = 'garden seeds weather tomorrow neighbour cat river boat winter coat kitchen recipe train station mountain walk letter friend morning coffee book shelf window light market bread'.split(' ');
      let state = 42;
      const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31), state);
      const text = () => {
        const length = 20 + (next() % 1981);
        let out = '';
        while (out.length < length) out += `${words[next() % words.length]} `;
        return out.slice(0, length);
      };
      const s = window.mnemo.space(scope);
      const session = await s.sessions.create({ name: 'benchmark' });
      const started = performance.now();
      let conversationId = '';
      let chars = 0;
      for (let done = 0; done < n; ) {
        const batch = [];
        for (; batch.length < 5_000 && done < n; done++) {
          if (done % 100 === 0) conversationId = (await s.conversations.create({ sessionId: session.id, title: `conversation ${done / 100}` })).id;
          const content = text();
          chars += content.length;
          batch.push({ conversationId, role: done % 2 ? 'assistant' : 'user', content });
        }
        await s.messages.insertMany(batch);
      }
      return { ms: performance.now() - started, chars, conversationId };
    },
    { n, scope: SCOPE },
  );
}

const timedSync = (page) =>
  page.evaluate(async () => {
    const started = performance.now();
    const report = await window.mnemo.sync.now();
    return { ms: performance.now() - started, pushed: report.pushed, pulled: report.pulled, applied: report.applied };
  });

/** Waits for the embedding queue to empty (30 min at most). */
const flush = (page) =>
  page.evaluate(async () => {
    const started = performance.now();
    const status = await window.mnemo.embeddings.flush(30 * 60_000);
    return { ms: performance.now() - started, pending: status.pending };
  });

const messageCount = (page) => page.evaluate(async (scope) => (await window.mnemo.stats()).perSpace.find((p) => p.userId === scope.userId && p.spaceId === scope.spaceId)?.counts.messages ?? 0, SCOPE);

const startedAt = new Date();
const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memoryGb: Math.round(totalmem() / 2 ** 30), loadStart: loadavg() };
console.log(`Mnemo sync benchmark: N = ${N}, ${ROUNDS} latency rounds, ${browser.name}; load average ${machine.loadStart.map((l) => l.toFixed(2)).join(' ')}`);

const cluster = await startCluster();
const pool = new pg.Pool({ connectionString: cluster.url, max: 10 });
/** @type {Array<() => unknown>} */
const cleanups = [() => cluster.stop(), () => pool.end()];
let exitCode = 0;
let output;
try {
  await migrate(pool, readMigrations(resolve('server/migrations')));
  const server = await buildServer({ pool, signupCode: SIGNUP_CODE, authRateLimit: 1000, ...(process.env.BENCH_LOG ? { logger: { level: 'info' } } : {}) });
  const serverUrl = await server.listen({ port: 0, host: '127.0.0.1' });
  cleanups.unshift(() => server.close());
  const appServer = await startAppServer({ root: 'dist', port: 0 });
  cleanups.unshift(() => new Promise((r) => appServer.close(r)));
  const appUrl = `http://localhost:${appServer.address().port}/`;

  await api(serverUrl, 'POST', '/accounts', { name: SCOPE.userId, password: PASSWORD, signupCode: SIGNUP_CODE });
  const token = async (name) => (await api(serverUrl, 'POST', '/tokens', { name: SCOPE.userId, password: PASSWORD, device: name })).token;

  const profiles = [mkdtempSync(join(tmpdir(), 'mnemo-sync-laptop-')), mkdtempSync(join(tmpdir(), 'mnemo-sync-phone-'))];
  cleanups.push(() => profiles.forEach((p) => rmSync(p, { recursive: true, force: true })));
  const laptopContext = await browser.launch(profiles[0]);
  cleanups.unshift(() => laptopContext.close());
  const laptop = await device(laptopContext, appUrl, serverUrl, await token('laptop'));

  console.log('▶ laptop writes the space');
  const written = await writeSpace(laptop, N);
  console.log(`  ${N.toLocaleString('en-US')} messages (${(written.chars / 1e6).toFixed(1)} M characters) in ${Math.round(written.ms)} ms`);

  // A space someone has had for a while: embedded before it first syncs (vectors are not sent).
  const laptopEmbedded = await flush(laptop);
  console.log(`  embedded on the laptop in ${Math.round(laptopEmbedded.ms)} ms (${laptopEmbedded.pending} pending)`);

  console.log('▶ initial push (laptop → server)');
  const push = await timedSync(laptop);
  console.log(`  pushed ${push.pushed} changes in ${Math.round(push.ms)} ms (${Math.round((push.pushed / push.ms) * 1000)} changes/s)`);
  const serverBytes = Number((await pool.query('SELECT pg_database_size(current_database()) AS bytes')).rows[0].bytes);

  console.log('▶ initial pull (server → a new device)');
  const phoneContext = await browser.launch(profiles[1]);
  cleanups.unshift(() => phoneContext.close());
  const phone = await device(phoneContext, appUrl, serverUrl, await token('phone'));
  const pull = await timedSync(phone);
  console.log(`  pulled ${pull.pulled} changes (applied ${pull.applied}) in ${Math.round(pull.ms)} ms (${Math.round((pull.pulled / pull.ms) * 1000)} changes/s)`);
  // The phone embeds the pulled rows with its own model: keyword search works at once, vector search after this.
  const phoneEmbedded = await flush(phone);
  console.log(`  then embedded on the phone in ${Math.round(phoneEmbedded.ms)} ms (${phoneEmbedded.pending} pending)`);
  const [laptopCount, phoneCount] = [await messageCount(laptop), await messageCount(phone)];
  if (laptopCount !== N || phoneCount !== N) throw new Error(`message counts after the initial sync: laptop ${laptopCount}, phone ${phoneCount}, expected ${N}`);

  console.log('▶ steady state: one message laptop → phone');
  const conversationId = written.conversationId;
  const latency = { total: [], push: [], pull: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const started = Date.now();
    const sent = await laptop.evaluate(
      async ({ scope, conversationId, round }) => {
        const message = await window.mnemo.space(scope).messages.add({ conversationId, role: 'user', content: `latency probe ${round}` });
        const t = performance.now();
        await window.mnemo.sync.now();
        return { id: message.id, pushMs: performance.now() - t };
      },
      { scope: SCOPE, conversationId, round },
    );
    const got = await phone.evaluate(
      async ({ scope, id }) => {
        const t = performance.now();
        await window.mnemo.sync.now();
        const message = await window.mnemo.space(scope).messages.get(id).catch(() => null);
        return { pullMs: performance.now() - t, content: message?.content ?? null };
      },
      { scope: SCOPE, id: sent.id },
    );
    if (got.content !== `latency probe ${round}`) throw new Error(`round ${round}: the phone did not receive the message (${JSON.stringify(got)})`);
    latency.total.push(Date.now() - started);
    latency.push.push(sent.pushMs);
    latency.pull.push(got.pullMs);
  }
  const figures = {
    'write.laptop': stat([written.ms]),
    'push.initial': stat([push.ms]),
    'push.rate': stat([(push.pushed / push.ms) * 1000], 'changes/s'),
    'pull.initial': stat([pull.ms]),
    'pull.rate': stat([(pull.pulled / pull.ms) * 1000], 'changes/s'),
    'embed.laptop': stat([laptopEmbedded.ms]),
    'embed.phone': stat([phoneEmbedded.ms]),
    'server.bytes': stat([serverBytes], 'bytes'),
    'latency.total': stat(latency.total),
    'latency.push': stat(latency.push),
    'latency.pull': stat(latency.pull),
  };
  for (const [name, f] of Object.entries(figures)) if (!Number.isFinite(f.median)) throw new Error(`figure ${name} is missing`);
  console.log(`  one message: ${figures['latency.total'].median} ms median (p95 ${figures['latency.total'].p95}), push ${figures['latency.push'].median} ms, pull ${figures['latency.pull'].median} ms`);
  output = {
    startedAt: startedAt.toISOString(),
    seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    n: N,
    rounds: ROUNDS,
    chars: written.chars,
    changes: { pushed: push.pushed, pulled: pull.pulled },
    machine: { ...machine, loadEnd: loadavg() },
    versions: { browser: browser.version(), postgres: (await pool.query('SHOW server_version')).rows[0].server_version, node: process.version },
    figures,
  };
} catch (error) {
  console.error(`\nsync benchmark failed: ${error instanceof Error ? error.stack : String(error)}`);
  exitCode = 1;
} finally {
  for (const cleanup of cleanups) await Promise.resolve().then(cleanup).catch(() => undefined);
}

if (output) {
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(output, null, 2)}\n`);
  console.log(`results: ${RESULTS}`);
  if (!OUT && !opts.quick) writeReport(output);
}
process.exit(exitCode);

function writeReport(r) {
  const f = r.figures;
  const BEGIN = '<!-- bench-sync:begin (generated by scripts/bench-sync.mjs; edit outside these markers) -->';
  const END = '<!-- bench-sync:end -->';
  const ms = (v) => (v >= 100 ? `${Math.round(v).toLocaleString('en-US')} ms` : `${v.toFixed(1)} ms`);
  const rate = (v) => `${Math.round(v).toLocaleString('en-US')} changes/s`;
  const generated = [
    BEGIN,
    '',
    `Run of ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${r.seconds} s: N = ${r.n.toLocaleString('en-US')} messages (${(r.chars / 1e6).toFixed(1)} M characters), ${r.machine.cpus} × ${r.machine.cpuModel}; load average ${r.machine.loadStart.map((l) => l.toFixed(1)).join(' / ')} → ${r.machine.loadEnd.map((l) => l.toFixed(1)).join(' / ')}. ${r.versions.browser}, PostgreSQL ${r.versions.postgres}; server and cluster on the same 2 cores as both browsers.`,
    '',
    '| workload | figure |',
    '|---|---|',
    `| laptop writes the space (insertMany, batches of 5,000) | ${ms(f['write.laptop'].median)} |`,
    `| initial push, ${r.changes.pushed.toLocaleString('en-US')} changes | ${ms(f['push.initial'].median)} (${rate(f['push.rate'].median)}) |`,
    `| initial pull on a new device, ${r.changes.pulled.toLocaleString('en-US')} changes | ${ms(f['pull.initial'].median)} (${rate(f['pull.rate'].median)}) |`,
    `| ↳ then embedded on the new device (its own model; vector search from here, keyword search at once) | ${ms(f['embed.phone'].median)} |`,
    `| server database after the push | ${(f['server.bytes'].median / 1e6).toFixed(1)} MB |`,
    `| one message laptop → phone (add + push, then pull), ${r.rounds} rounds | ${ms(f['latency.total'].median)} median, p95 ${ms(f['latency.total'].p95)} |`,
    `| ↳ the laptop's sync.now() (push, and its pull of nothing) | ${ms(f['latency.push'].median)} |`,
    `| ↳ the phone's sync.now() (pull of one change) | ${ms(f['latency.pull'].median)} |`,
    '',
    END,
  ].join('\n');
  const path = resolve('docs/benchmarks.md');
  let doc = readFileSync(path, 'utf8');
  if (!doc.includes(BEGIN) || !doc.includes(END)) doc = `${doc.trimEnd()}\n\n## Sync\n\n${BEGIN}\n${END}\n`;
  doc = doc.slice(0, doc.indexOf(BEGIN)) + generated + doc.slice(doc.indexOf(END) + END.length);
  writeFileSync(path, doc);
  console.log(`report:  ${path}`);
}
