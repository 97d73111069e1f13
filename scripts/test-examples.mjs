// `npm run test:examples`, a stage of `npm test`: the npm package as an app
// developer meets it. Builds the package (scripts/build-lib.mjs), packs it,
// copies each example under examples/ out of the repository (so nothing can
// resolve from the repository's node_modules), installs the tarball there with
// `npm ci` (the lockfiles leave the tarball's integrity out, so the fresh
// tarball is read, never a cached one), builds each with its own bundler
// (`--no-optimization-minimize` for webpack: minifying 5 MB of workers on a
// shared machine takes minutes and changes no URL), serves the build with
// COOP/COEP and runs the example page in headless Chromium, which stores,
// searches by keyword and by meaning (the bundled model) and, once the package
// has `mnemo/langchain`, asks the LangChain retriever.
//
// Each check counts as one test; the last line is "N passed, N failed", and
// `--report FILE` writes { passed, failed, checks } for scripts/test.mjs.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from './serve.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PACK_DIR = join(ROOT, '.cache', 'pack');
// Examples run in WORK/examples/<name>, the tarball at WORK/.cache/pack/mnemo.tgz:
// the same relative path as in the repository, which the examples' package.json files name.
const WORK = join(tmpdir(), 'mnemo-examples');
const TARBALL = join(WORK, '.cache', 'pack', 'mnemo.tgz');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The flags of e2e/harness.ts.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const checks = [];
function record(name, ok, detail = '') {
  checks.push({ name, ok, detail });
  console.log(`${ok ? '✓' : '✗'} ${name}${detail ? ` — ${detail}` : ''}`);
  return ok;
}

function sh(label, command, args, cwd) {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const ok = result.status === 0;
  if (!ok) console.log(`${label} failed:\n${result.stdout}\n${result.stderr}`.slice(-4000));
  return { ok, ms: Date.now() - started, stdout: result.stdout };
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

async function waitForHttp(url, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const response = await fetch(url);
      if (response.ok) return response;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** `vite preview` (or `vite`, the dev server) of the example: the mnemo() plugin's headers are part of what is tested. */
async function vitePreview(dir, command = 'preview') {
  const port = await freePort();
  const args = command === 'dev' ? [] : [command];
  const child = spawn('npx', ['vite', ...args, '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: dir, stdio: 'ignore', detached: true });
  const url = `http://127.0.0.1:${port}/`;
  await waitForHttp(url, 30_000);
  const close = async () => {
    // The process group of the `npx vite preview` started above, never any other.
    if (child.pid) process.kill(-child.pid, 'SIGTERM');
  };
  return { url, close };
}

/** A plain static server with COOP/COEP (scripts/serve.mjs), as a webpack app is typically hosted. */
async function staticServer(dir) {
  const server = await startServer({ root: join(dir, 'dist'), port: 0 });
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(() => r())) };
}

const EXAMPLES = [
  { name: 'vite-app', serve: vitePreview, build: ['run', 'build'], dev: (dir) => vitePreview(dir, 'dev') },
  { name: 'webpack-app', serve: staticServer, build: ['run', 'build', '--', '--no-optimization-minimize'] },
];

function packageBuild() {
  const built = sh('build:lib', 'node', ['scripts/build-lib.mjs'], ROOT);
  if (!record('package: npm run build:lib', built.ok, `${(built.ms / 1000).toFixed(1)} s`)) return false;
  mkdirSync(PACK_DIR, { recursive: true });
  const packed = sh('npm pack', 'npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', PACK_DIR], ROOT);
  if (!packed.ok) return record('package: npm pack', false);
  const [report] = JSON.parse(packed.stdout);
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(dirname(TARBALL), { recursive: true });
  copyFileSync(join(PACK_DIR, report.filename), TARBALL);
  rmSync(join(PACK_DIR, report.filename));
  const langchain = report.files.some((f) => f.path === 'dist-lib/langchain.js');
  record('package: npm pack', true, `${report.files.length} files, ${(report.size / 1e6).toFixed(1)} MB packed${langchain ? ', with mnemo/langchain' : ''}`);
  return { langchain };
}

/** Every check of one example; returns nothing, records each. */
/** Opens the example page in a fresh profile; resolves to what it wrote to window.mnemoExample. */
async function pageResult(url) {
  const profile = mkdtempSync(join(tmpdir(), 'mnemo-example-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true });
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset['done'] === 'true', undefined, { timeout: 120_000 });
    return await page.evaluate(() => window.mnemoExample);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

async function runExample({ name, serve, build: buildArgs, dev }, { langchain }) {
  const dir = join(WORK, 'examples', name);
  const started = Date.now();
  cpSync(join(ROOT, 'examples', name), dir, { recursive: true, filter: (src) => !/[\\/](node_modules|dist)$/.test(src) });
  const install = sh(`${name}: npm ci`, 'npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], dir);
  const installed = join(dir, 'node_modules', 'mnemo');
  const fromTarball =
    install.ok &&
    existsSync(installed) &&
    !lstatSync(installed).isSymbolicLink() &&
    readFileSync(join(installed, 'dist-lib', 'index.js'), 'utf8') === readFileSync(join(ROOT, 'dist-lib', 'index.js'), 'utf8') &&
    !existsSync(join(installed, 'src'));
  if (!record(`${name}: npm ci installs the freshly packed tarball`, fromTarball, `${(install.ms / 1000).toFixed(1)} s`)) return;

  const build = sh(`${name}: npm run build`, 'npm', buildArgs, dir);
  const files = build.ok ? readdirSync(join(dir, 'dist'), { recursive: true }).map(String) : [];
  const count = (ending) => files.filter((f) => f.endsWith(ending)).length;
  const assets = count('.wasm') >= 2 && count('.onnx') === 1 && count('.mjs') >= 1;
  if (!record(`${name}: builds with its bundler; SQLite's and ONNX's wasm, the runtime and the model are in the output`, build.ok && assets, `${(build.ms / 1000).toFixed(1)} s, ${files.length} files`)) return;

  const server = await serve(dir);
  const profile = mkdtempSync(join(tmpdir(), 'mnemo-example-'));
  let context;
  try {
    const head = await fetch(server.url);
    record(
      `${name}: served cross-origin isolated`,
      head.headers.get('cross-origin-opener-policy') === 'same-origin' && head.headers.get('cross-origin-embedder-policy') === 'require-corp',
    );

    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true });
    const page = await context.newPage();
    const origin = new URL(server.url).origin;
    const foreign = [];
    const failed = [];
    context.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) foreign.push(url);
    });
    context.on('requestfailed', (request) => failed.push(`${request.url()} (${request.failure()?.errorText})`));
    context.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.url()} (${response.status()})`);
    });
    page.on('pageerror', (error) => console.log(`${name}: page error: ${error.message}`));
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset['done'] === 'true', undefined, { timeout: 120_000 });
    const result = await page.evaluate(() => window.mnemoExample);
    console.log(`${name}: page result ${JSON.stringify(result)}`);

    record(`${name}: page opens Mnemo in its workers (crossOriginIsolated)`, result?.ok === true && result.crossOriginIsolated === true, result?.error ?? '');
    record(`${name}: stores messages and memories, keyword search finds them`, result?.messages === 2 && /Lisbon/.test(result?.keywordTop ?? ''));
    record(
      `${name}: the bundled model embeds every row and vector search ranks by meaning`,
      result?.embedding?.modelId === 'mnemo-glove-100d' && result.embedding.pending === 0 && result.embedding.error === null && result.embedding.embedded >= 4 && result.vectorTopIsMemory === true,
      `top hit: ${result?.vectorTop}`,
    );
    record(`${name}: bad input rejects with INVALID_INPUT`, result?.refused === 'INVALID_INPUT');
    record(`${name}: every file came from the app's own origin, none failed`, foreign.length === 0 && failed.length === 0, [...foreign, ...failed].slice(0, 5).join(', '));
    if (langchain) {
      record(
        `${name}: LangChain retriever (MnemoVectorStore.fromTexts(…).asRetriever().invoke(…))`,
        /Eiffel/.test(result?.langchain?.top ?? '') && result.langchain.topic === 'travel',
        result?.langchain ? JSON.stringify(result.langchain) : `enable it in examples/${name}/src/main.js`,
      );
    }
  } catch (error) {
    record(`${name}: page run`, false, String(error?.message ?? error));
  } finally {
    await context?.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
  if (dev) {
    // The dev server serves the installed package unbundled: the worker and file URLs must work as they are.
    const devServer = await dev(dir);
    try {
      const result = await pageResult(devServer.url);
      record(`${name}: the same page from the dev server stores and searches`, result?.ok === true && result.crossOriginIsolated === true && result.vectorTopIsMemory === true, result?.error ?? '');
    } catch (error) {
      record(`${name}: the same page from the dev server stores and searches`, false, String(error?.message ?? error));
    } finally {
      await devServer.close();
    }
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function main() {
  const reportAt = process.argv.indexOf('--report');
  const started = Date.now();
  const only = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--report');
  const pack = packageBuild();
  if (pack) {
    for (const example of EXAMPLES.filter((e) => only.length === 0 || only.includes(e.name))) await runExample(example, pack);
  }
  rmSync(WORK, { recursive: true, force: true });
  const passed = checks.filter((c) => c.ok).length;
  const failed = checks.length - passed;
  if (reportAt > 0) writeFileSync(process.argv[reportAt + 1], JSON.stringify({ passed, failed, checks }, null, 2));
  console.log(`examples: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && checks.length > 0 ? 0 : 1);
}

await main();
