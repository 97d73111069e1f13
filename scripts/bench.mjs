// `npm run bench`: Mnemo against baselines measured in the same run, in
// headless Debian Chromium with persistent profiles (real on-disk OPFS and
// IndexedDB; FACTS: in-memory contexts make storage 5–10× slower).
//
//   npm run bench -- [--n 100000] [--reps 3] [--queries 100] [--vector-rows 100000]
//                    [--dims 384] [--vector-queries 50] [--writes 300] [--prefill 20000]
//                    [--cold 7] [--only insert,search,vector,write,cold] [--out .cache/bench-results.json]
//                    [--verbose]
//   npm run bench -- --only breakdown [--n 50000]   (where Mnemo's time goes; not in the default run)
//
// Builds bench/*.html with bench/vite.config.ts into .cache/bench-dist, serves
// it with scripts/serve.mjs, runs each phase in a fresh profile, prints a table
// of medians and ratios and writes everything (samples included) to
// .cache/bench-results.json. Wall-clock numbers never fail the run: the exit
// code is 0 unless something errors.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { startServer } from './serve.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const DIST = resolve('.cache/bench-dist');
const PHASES = ['insert', 'search', 'vector', 'write', 'cold'];
const OPTIONAL_PHASES = ['breakdown'];

const { values: opts } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    reps: { type: 'string', default: '3' },
    queries: { type: 'string', default: '100' },
    'vector-rows': { type: 'string', default: '100000' },
    dims: { type: 'string', default: '384' },
    'vector-queries': { type: 'string', default: '50' },
    writes: { type: 'string', default: '300' },
    prefill: { type: 'string', default: '20000' },
    cold: { type: 'string', default: '7' },
    only: { type: 'string', default: PHASES.join(',') },
    out: { type: 'string', default: '.cache/bench-results.json' },
    verbose: { type: 'boolean', default: false },
  },
});
const config = {
  n: int('n'),
  reps: int('reps'),
  queries: int('queries'),
  vectorRows: int('vector-rows'),
  dims: int('dims'),
  vectorQueries: int('vector-queries'),
  writes: int('writes'),
  prefill: int('prefill'),
  cold: int('cold'),
  phases: opts.only.split(',').map((p) => p.trim()).filter(Boolean),
};
const RESULTS = resolve(opts.out);
for (const phase of config.phases) {
  if (![...PHASES, ...OPTIONAL_PHASES].includes(phase)) throw new Error(`unknown phase "${phase}" (known: ${[...PHASES, ...OPTIONAL_PHASES].join(', ')})`);
}

function int(name) {
  const value = Number(opts[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got "${opts[name]}"`);
  return value;
}

// ---- statistics -------------------------------------------------------------------

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : Number.NaN;
};
const median = (values) => quantile(values, 0.5);

// ---- browser plumbing -------------------------------------------------------------

let origin = '';

async function withBrowser(fn) {
  const profile = mkdtempSync(join(tmpdir(), 'mnemo-bench-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true });
  try {
    return await fn(context);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

function watch(page) {
  page.on('pageerror', (error) => console.error(`  page error: ${error.message}`));
  page.on('console', (message) => {
    if (opts.verbose || message.type() === 'error') console.log(`  [${message.type()}] ${message.text()}`);
  });
}

async function openLab(context) {
  const page = await context.newPage();
  watch(page);
  await page.goto(`${origin}lab.html`);
  await page.waitForFunction(() => window.bench !== undefined, undefined, { timeout: 60_000 });
  return page;
}

/** Runs one `window.bench` method in a page; evaluation has no timeout of its own. */
const call = (page, method, ...args) => page.evaluate(({ method, args }) => window.bench[method](...args), { method, args });

const phaseLoad = {};
async function phase(name, fn) {
  if (!config.phases.includes(name)) return undefined;
  const started = Date.now();
  const before = loadavg()[0];
  console.log(`\n▶ ${name} (load average ${before.toFixed(2)})`);
  const result = await fn();
  phaseLoad[name] = { before, after: loadavg()[0], seconds: Math.round((Date.now() - started) / 1000) };
  console.log(`  done in ${phaseLoad[name].seconds} s (load average ${phaseLoad[name].after.toFixed(2)})`);
  return result;
}

// ---- phases -----------------------------------------------------------------------

const INSERT_VARIANTS = ['plain', 'batch-fts', 'trigger-fts', 'mnemo'];

async function insertPhase() {
  const samples = Object.fromEntries(INSERT_VARIANTS.map((v) => [v, []]));
  const details = [];
  for (let rep = 0; rep < config.reps; rep++) {
    // Rotate the order so no variant always runs first (or right after the slowest).
    const order = INSERT_VARIANTS.map((_, i) => INSERT_VARIANTS[(i + rep) % INSERT_VARIANTS.length]);
    for (const variant of order) {
      const result = await withBrowser(async (context) => call(await openLab(context), 'insert', variant, config.n));
      if (result.rows !== config.n) throw new Error(`${variant}: ${result.rows} rows stored, expected ${config.n}`);
      samples[variant].push(result.ms);
      details.push({ rep, variant, ...result });
      console.log(`  rep ${rep + 1} ${variant.padEnd(11)} ${ms(result.ms)}${result.inWorkerMs ? ` (in worker ${ms(result.inWorkerMs)})` : ''}  ${(result.chars / 1e6).toFixed(1)} M chars`);
    }
  }
  return { samples, details };
}

async function searchPhase() {
  return withBrowser(async (context) => {
    const page = await openLab(context);
    const setup = await call(page, 'searchSetup', config.n, 600_000);
    console.log(`  loaded ${config.n}: Mnemo insertMany ${ms(setup.mnemoInsertMs)}, embedding drained in ${ms(setup.embedMs)} (${JSON.stringify(setup.embedding)}),`);
    console.log(`  raw batch-FTS ${ms(setup.rawInsertMs)}, Orama load ${ms(setup.oramaLoadMs)}`);
    const keyword = await call(page, 'keyword', config.queries, 10);
    console.log(`  keyword: same top-10 texts as raw FTS5 in ${keyword.sameTop10}/${keyword.queries.length} queries; hits returned ${JSON.stringify(keyword.medianHits)}, median matching rows ${keyword.medianMatchingRows}`);
    const semantic = await call(page, 'semantic', 30, 3);
    return { setup, keyword, semantic };
  });
}

async function vectorPhase() {
  return withBrowser(async (context) => {
    const page = await openLab(context);
    const result = await call(page, 'vector', config.vectorRows, config.dims, config.vectorQueries, 5);
    console.log(`  ${config.vectorRows} × ${config.dims}: generated ${ms(result.generateMs)}, index built ${ms(result.indexMs)} (simd ${result.simd}), Orama built ${ms(result.oramaMs)}`);
    return result;
  });
}

async function writePhase() {
  return withBrowser(async (context) => {
    const page = await openLab(context);
    const setup = await call(page, 'writeSetup', config.prefill, 600_000);
    console.log(`  prefilled ${JSON.stringify(setup)}`);
    const block = 25;
    const count = Math.ceil(config.writes / block) * block;
    const writes = await call(page, 'writes', count, block, block);
    // Each add followed (untimed) by embeddings.flush(): the add alone, on an idle worker.
    const drained = await call(page, 'writes', Math.ceil(count / 3 / block) * block, block, block, true);
    return { setup, ...writes, drained };
  });
}

async function coldPhase() {
  return withBrowser(async (context) => {
    const visit = async (kind, setup = false) => {
      const page = await context.newPage();
      watch(page);
      await page.goto(`${origin}cold-${kind}.html${setup ? '?setup' : ''}`);
      await page.waitForFunction(() => window.coldResult !== undefined, undefined, { timeout: 60_000 });
      const result = await page.evaluate(() => window.coldResult);
      await page.close();
      if (result.error || result.vfs !== 'opfs-sahpool') throw new Error(`cold ${kind}: ${result.error ?? `ran on ${result.vfs}`}`);
      // Let the closed page's workers release their OPFS handles and locks.
      await new Promise((r) => setTimeout(r, 500));
      if (result.openedMs !== undefined) opened.push(result.openedMs);
      return result.ms;
    };
    const opened = [];
    // First visits create the files and warm the HTTP cache, as for a returning user.
    for (const kind of ['mnemo', 'raw']) await visit(kind, true);
    opened.length = 0;
    const samples = { mnemo: [], raw: [], mnemoOpened: opened };
    for (let i = 0; i < config.cold; i++) {
      for (const kind of i % 2 === 0 ? ['mnemo', 'raw'] : ['raw', 'mnemo']) samples[kind].push(await visit(kind));
    }
    return samples;
  });
}

async function breakdownPhase() {
  return withBrowser(async (context) => {
    const page = await openLab(context);
    const result = await call(page, 'breakdown', config.n, 100, config.queries, 5);
    const print = (title, values) => {
      console.log(`  ${title}`);
      for (const [name, value] of Object.entries(values)) console.log(`    ${name.padEnd(72)} ${typeof value === 'number' ? ms(value) : value}`);
    };
    print(`bulk insert of ${config.n.toLocaleString('en-US')} messages (one run each):`, result.insert);
    print('durable single write on 20,000 messages (p50 of 100):', result.write);
    print(`keyword top-10 over ${config.n.toLocaleString('en-US')} messages (p50 of ${config.queries}):`, result.keyword);
    const steps = Object.keys(result.open[0] ?? {});
    print(`open of an existing database, fresh worker (median of ${result.open.length}):`, Object.fromEntries(steps.map((k) => [k, median(result.open.map((o) => o[k]))])));
    return result;
  });
}

// ---- report -----------------------------------------------------------------------

function ms(value) {
  if (!Number.isFinite(value)) return '—';
  return value >= 100 ? `${Math.round(value).toLocaleString('en-US')} ms` : `${value.toFixed(value >= 10 ? 1 : 2)} ms`;
}

function row(name, mnemo, baseline, target, note = '') {
  const ratio = mnemo / baseline;
  return { name, mnemo, baseline, ratio, target: target ?? null, met: target === undefined ? null : ratio <= target, note };
}

function buildRows(r) {
  const rows = [];
  const n = config.n.toLocaleString('en-US');
  if (r.insert) {
    const m = Object.fromEntries(Object.entries(r.insert.samples).map(([k, v]) => [k, median(v)]));
    rows.push(row(`bulk insert ${n} (insertMany, with FTS) vs raw, no FTS`, m.mnemo, m.plain, 1.25));
    rows.push(row(`bulk insert ${n} vs raw + batch-fed FTS5`, m.mnemo, m['batch-fts'], undefined, 'same FTS work as Mnemo'));
    rows.push(row(`bulk insert ${n} with FTS vs raw + FTS5 trigger`, m.mnemo, m['trigger-fts'], 0.45));
    rows.push(row(`  raw batch-fed FTS5 vs raw, no FTS`, m['batch-fts'], m.plain, undefined, 'cost of full text alone'));
  }
  if (r.write) {
    rows.push(row(`durable single write p50 (messages.add) vs Dexie strict`, median(r.write.mnemo), median(r.write.dexie), 0.6));
    rows.push(row(`  durable single write p95`, quantile(r.write.mnemo, 0.95), quantile(r.write.dexie, 0.95)));
    rows.push(row(`  same, embedding queue drained between writes`, median(r.write.drained.mnemo), median(r.write.drained.dexie), undefined, 'add alone, idle worker'));
    rows.push(row(`  one call round trip p50: mnemo.info() vs bare postMessage`, median(r.write.mnemoInfo), median(r.write.rawPing), undefined, 'messaging cost alone'));
  }
  if (r.search) {
    const t = r.search.keyword.times;
    rows.push(row(`keyword top-10 p50 vs raw FTS5 MATCH + bm25`, median(t.mnemo), median(t.raw), 1.5));
    rows.push(row(`keyword top-10 p50 vs Orama full-text`, median(t.mnemo), median(t.orama), 0.5));
  }
  if (r.vector) {
    const v = r.vector;
    const size = `${config.vectorRows.toLocaleString('en-US')}×${config.dims}`;
    rows.push(row(`vector top-10 ${size} p50 vs plain JS float scan`, median(v.index), median(v.plain), 0.25, `recall@10 ${v.recallIndex.toFixed(4)} (target ≥ 0.99)`));
    rows.push(row(`vector top-10 ${size} p50 vs Orama`, median(v.index), median(v.orama), undefined, `Orama recall@10 ${v.recallOrama.toFixed(4)}`));
    rows.push(row(`  as Mnemo calls it (scope filter, 200 candidates) vs plain`, median(v.indexScoped), median(v.plain)));
  }
  if (r.cold) rows.push(row(`cold start to first answered query vs raw sqlite-wasm`, median(r.cold.mnemo), median(r.cold.raw), 1.2));
  return rows;
}

function printTable(rows) {
  const cells = rows.map((x) => [
    x.name,
    ms(x.mnemo),
    ms(x.baseline),
    `${x.ratio.toFixed(3)}×`,
    x.target === null ? '' : `≤ ${x.target}×`,
    x.met === null ? '' : x.met ? '✓' : '✗',
    x.note,
  ]);
  const head = ['benchmark (medians)', 'Mnemo', 'baseline', 'ratio', 'target', '', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => c.map((v, i) => (i >= 1 && i <= 3 ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd();
  console.log(`\n${line(head)}\n${widths.map((w) => '─'.repeat(w)).join('  ')}`);
  for (const c of cells) console.log(line(c));
}

// ---- main -------------------------------------------------------------------------

const startedAt = new Date();
const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memoryGb: Math.round(totalmem() / 2 ** 30), loadStart: loadavg() };
console.log(`Mnemo benchmarks: ${JSON.stringify(config)}`);
console.log(`machine: ${machine.cpus} cores, ${machine.memoryGb} GB, load average ${machine.loadStart.map((l) => l.toFixed(2)).join(' ')}`);

console.log('▶ build bench pages → .cache/bench-dist');
await build({ configFile: resolve('bench/vite.config.ts'), logLevel: 'error' });

const server = await startServer({ root: DIST, port: 0 });
const address = server.address();
origin = `http://localhost:${typeof address === 'object' && address ? address.port : 0}/`;

let exitCode = 0;
const results = {};
try {
  results.insert = await phase('insert', insertPhase);
  results.search = await phase('search', searchPhase);
  results.vector = await phase('vector', vectorPhase);
  results.write = await phase('write', writePhase);
  results.cold = await phase('cold', coldPhase);
  results.breakdown = await phase('breakdown', breakdownPhase);
} catch (error) {
  console.error(`\nbenchmark failed: ${error instanceof Error ? error.stack : String(error)}`);
  exitCode = 1;
} finally {
  server.close();
}

const rows = buildRows(results);
printTable(rows);
const info = [];
if (results.search) {
  const s = results.search;
  info.push(`keyword p95: Mnemo ${ms(quantile(s.keyword.times.mnemo, 0.95))}, raw ${ms(quantile(s.keyword.times.raw, 0.95))}, Orama ${ms(quantile(s.keyword.times.orama, 0.95))}; same top-10 as raw: ${s.keyword.sameTop10}/${s.keyword.queries.length}`);
  info.push(`Mnemo search through its bundled model (${s.setup.embedding.dims}-d, ${s.setup.embedding.embedded} rows): vector p50 ${ms(median(s.semantic.vector))}, hybrid p50 ${ms(median(s.semantic.hybrid))}`);
  info.push(`loading ${config.n}: Mnemo insertMany ${ms(s.setup.mnemoInsertMs)} + embedding queue drained ${ms(s.setup.embedMs)}; Orama insertMultiple ${ms(s.setup.oramaLoadMs)}`);
}
if (results.vector) info.push(`vector p50: index ${ms(median(results.vector.index))}, plain ${ms(median(results.vector.plain))}, Orama ${ms(median(results.vector.orama))}`);
for (const line of info) console.log(`  ${line}`);
machine.loadEnd = loadavg();
console.log(`\nload average at start ${machine.loadStart.map((l) => l.toFixed(2)).join(' ')}, at end ${machine.loadEnd.map((l) => l.toFixed(2)).join(' ')} (${machine.cpus} cores)`);

mkdirSync(dirname(RESULTS), { recursive: true });
writeFileSync(
  RESULTS,
  `${JSON.stringify({ startedAt: startedAt.toISOString(), seconds: Math.round((Date.now() - startedAt.getTime()) / 1000), config, machine, phaseLoad, rows, info, results, ok: exitCode === 0 }, null, 2)}\n`,
);
console.log(`results written to ${RESULTS}`);
process.exit(exitCode);
