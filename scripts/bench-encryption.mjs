// `npm run bench:encryption`: the cost of encryption at rest, as ratios
// against an unencrypted database measured in the same run on the same data.
// Two fresh persistent profiles (real on-disk OPFS) run one workload through
// the app's `window.mnemo`: one plain, one encrypted before the first write
// (way (a), SQLite3 Multiple Ciphers). Then the page-cipher candidates of way
// (b), an own encrypting VFS, are timed per 4 KiB page in the same browser
// (bench/cipher.ts). Last, both ways built and run side by side with no
// encryption on the raw path (bench/vfs.ts: way (b) is the own encrypting VFS,
// src/worker/engine/aead-vfs.ts). Timings never fail the run; the checks of
// that last phase do (no stored text in an encrypted pool's raw OPFS bytes,
// rows and full-text matches back after reopening, a wrong key refused with
// no byte changed).
//
//   npm run bench:encryption                  N = 5,000 messages
//   npm run bench:encryption -- --size 20000
//   npm run bench:encryption -- --only vfs --quick   the last phase, N = 1,000, one round (run by npm test)
//   MNEMO_SKIP_BUILD=1 npm run bench:encryption   reuse dist/ and .cache/bench-dist
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { runVfsPage, vfsFailures, vfsMarkdown, vfsTable } from './encryption-vfs.mjs';
import { startServer } from './serve.mjs';

const { values: opts } = parseArgs({
  options: { size: { type: 'string', default: '' }, out: { type: 'string', default: '' }, only: { type: 'string', default: '' }, quick: { type: 'boolean', default: false } },
});
const N = Number(opts.size || (opts.quick ? 1000 : 5000));
const VFS_ROUNDS = opts.quick ? 1 : 3;
const SINGLES = 200;
const QUERIES = ['garden seeds', 'weather tomorrow', 'neighbour cat', 'river boat', 'winter coat', 'kitchen recipe', 'train station', 'mountain walk'];
const PASS = 'benchmark passphrase';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

if (process.env.MNEMO_SKIP_BUILD !== '1') {
  execSync('npx vite build --logLevel error', { stdio: 'inherit' });
  execSync('npx vite build --config bench/vite.config.ts --logLevel error', { stdio: 'inherit' });
}

const WORDS = 'garden seeds weather tomorrow neighbour cat river boat winter coat kitchen recipe train station mountain walk letter friend morning coffee book shelf window light market bread'.split(' ');
/** Deterministic text: the same N messages in both profiles. */
function messages(count, offset = 0) {
  let state = 12345 + offset;
  const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31), state);
  return Array.from({ length: count }, (_, i) => {
    const words = Array.from({ length: 18 }, () => WORDS[next() % WORDS.length]);
    return `message ${offset + i}: ${words.join(' ')}`;
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function withProfile(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'mnemo-bench-enc-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ARGS });
  try {
    return await fn(context, dir);
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function open(context, url) {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.mnemo !== undefined, undefined, { timeout: 120_000 });
  return page;
}

/** The workload, identical for both modes. */
async function workload(page, encrypted) {
  const result = {};
  if (encrypted) {
    const t = Date.now();
    await page.evaluate((pass) => window.mnemo.encryption.enable(pass), PASS);
    result.enableEmptyMs = Date.now() - t;
  }
  const conversationId = await page.evaluate(async () => {
    const s = window.mnemo.space({ userId: 'bench', spaceId: 'enc' });
    const session = await s.sessions.create({ name: 'Bench' });
    return (await s.conversations.create({ sessionId: session.id })).id;
  });
  result.bulkMs = await page.evaluate(
    async ({ conversationId, texts }) => {
      const s = window.mnemo.space({ userId: 'bench', spaceId: 'enc' });
      const start = performance.now();
      for (let i = 0; i < texts.length; i += 1000) {
        await s.messages.insertMany(texts.slice(i, i + 1000).map((content) => ({ conversationId, role: 'user', content })));
      }
      return performance.now() - start;
    },
    { conversationId, texts: messages(N) },
  );
  await page.evaluate(() => window.mnemo.embeddings.flush(600_000));
  result.singleAddP50Ms = await page.evaluate(
    async ({ conversationId, texts }) => {
      const s = window.mnemo.space({ userId: 'bench', spaceId: 'enc' });
      const times = [];
      for (const content of texts) {
        const start = performance.now();
        await s.messages.add({ conversationId, role: 'assistant', content });
        times.push(performance.now() - start);
      }
      return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
    },
    { conversationId, texts: messages(SINGLES, N) },
  );
  await page.evaluate(() => window.mnemo.embeddings.flush(600_000));
  for (const mode of ['keyword', 'vector']) {
    result[`${mode}SearchP50Ms`] = await page.evaluate(
      async ({ queries, mode }) => {
        const s = window.mnemo.space({ userId: 'bench', spaceId: 'enc' });
        const times = [];
        for (let round = 0; round < 4; round++) {
          for (const query of queries) {
            const start = performance.now();
            await s.search({ query, mode, limit: 10 });
            if (round > 0) times.push(performance.now() - start);
          }
        }
        return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
      },
      { queries: QUERIES, mode },
    );
  }
  // Cold start: navigation to the first page of the conversation answered (encrypted: the unlock included).
  const colds = [];
  const unlocks = [];
  for (let i = 0; i < 3; i++) {
    await page.reload();
    await page.waitForFunction(() => window.mnemo !== undefined, undefined, { timeout: 120_000 });
    const timing = await page.evaluate(
      async ({ conversationId, pass, encrypted }) => {
        let unlockMs = 0;
        if (encrypted) {
          const start = performance.now();
          await window.mnemo.encryption.unlock(pass);
          unlockMs = performance.now() - start;
        }
        await window.mnemo.space({ userId: 'bench', spaceId: 'enc' }).messages.page(conversationId, { page: 1, pageSize: 50 });
        return { ms: performance.now(), unlockMs };
      },
      { conversationId, pass: PASS, encrypted },
    );
    colds.push(timing.ms);
    unlocks.push(timing.unlockMs);
  }
  result.coldStartMs = median(colds);
  if (encrypted) result.unlockMs = median(unlocks);
  result.fileBytes = await page.evaluate(async () => (await window.mnemo.stats()).fileSizeBytes);
  if (encrypted) {
    const t = Date.now();
    await page.evaluate((pass) => window.mnemo.encryption.disable(pass), PASS);
    result.disableMs = Date.now() - t;
    const t2 = Date.now();
    await page.evaluate((pass) => window.mnemo.encryption.enable(pass), PASS);
    result.enablePopulatedMs = Date.now() - t2;
  }
  return result;
}

function wasmSizes() {
  const dir = resolve('dist/assets');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.wasm') && f.startsWith('sqlite3'))
    .map((f) => statSync(join(dir, f)).size)
    .sort((a, b) => a - b);
}

const app = await startServer({ root: 'dist', port: 0 });
const bench = await startServer({ root: '.cache/bench-dist', port: 0 });
const appUrl = `http://localhost:${app.address().port}/`;
const benchUrl = `http://localhost:${bench.address().port}/`;
const load = loadavg()[0];
/** Way (a) against way (b) against none on the raw path, with the checks that fail the run. */
async function vfsPhase() {
  const result = await withProfile((context) => runVfsPage(context, benchUrl, N, VFS_ROUNDS));
  const table = vfsTable(result);
  console.log(`\nraw path, N = ${N} (+200 single adds), ${VFS_ROUNDS} round(s); medians; ratio to plain`);
  console.log(vfsMarkdown(table));
  console.log(`(b) pages sealed/opened/split: ${JSON.stringify(result.modes.b.vfsCounts)}`);
  console.log(`checks: ${JSON.stringify(result.checks)}`);
  const failures = vfsFailures(result);
  for (const failure of failures) console.error(`FAILED: ${failure}`);
  if (failures.length) process.exitCode = 1;
  return { ...result, table };
}

try {
  if (opts.only === 'vfs') {
    const vfs = await vfsPhase();
    if (opts.out) writeFileSync(opts.out, `${JSON.stringify({ n: N, cpus: cpus().length, load1: load, date: new Date().toISOString(), vfs }, null, 2)}\n`);
  } else {
  const plain = await withProfile(async (context) => workload(await open(context, appUrl), false));
  const encrypted = await withProfile(async (context) => workload(await open(context, appUrl), true));
  console.log(JSON.stringify({ plain, encrypted }));
  const cipher = await withProfile(async (context) => {
    const page = await context.newPage();
    // The page's module awaits the whole measurement at top level, so its load event comes only at the end.
    await page.goto(`${benchUrl}cipher.html`, { waitUntil: 'commit' });
    await page.waitForFunction(() => window.cipherResult !== undefined, undefined, { timeout: 300_000 });
    return page.evaluate(() => window.cipherResult);
  });
  const rows = ['bulkMs', 'singleAddP50Ms', 'keywordSearchP50Ms', 'vectorSearchP50Ms', 'coldStartMs', 'fileBytes'].map((key) => ({
    key,
    plain: plain[key],
    encrypted: encrypted[key],
    ratio: encrypted[key] / plain[key],
  }));
  const [plainWasm, cipherWasm] = wasmSizes();
  const results = { n: N, cpus: cpus().length, load1: load, date: new Date().toISOString(), rows, plain, encrypted, cipher, wasmBytes: { plain: plainWasm, cipher: cipherWasm } };
  console.log(`encryption bench: N = ${N} messages, ${cpus().length} cores, load ${load.toFixed(1)}`);
  console.log('| figure | plain | encrypted (a) | ratio |\n|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.key} | ${r.plain.toFixed(2)} | ${r.encrypted.toFixed(2)} | ${r.ratio.toFixed(2)}× |`);
  console.log(`unlock (PBKDF2 600k + open) ${encrypted.unlockMs.toFixed(0)} ms; enable empty ${encrypted.enableEmptyMs} ms, populated ${encrypted.enablePopulatedMs} ms; disable ${encrypted.disableMs} ms`);
  console.log(`sqlite wasm: plain ${plainWasm} B, cipher ${cipherWasm} B (${(cipherWasm / plainWasm).toFixed(2)}×)`);
  console.log(`(b) per 4 KiB page, seal + open: ${JSON.stringify(cipher)}`);
  results.vfs = await vfsPhase();
  if (opts.out) writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);
  }
} finally {
  app.close();
  bench.close();
}
