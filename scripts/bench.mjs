// `npm run bench`: Mnemo against raw sqlite-wasm (opfs-sahpool, with and
// without FTS5 triggers), Dexie and Orama, all measured in the same run on the
// same generated data, in headless Chromium (or Firefox ESR) with persistent profiles (real
// on-disk OPFS and IndexedDB; FACTS: in-memory contexts are 5–10× slower).
//
//   npm run bench                       default size (see DEFAULT_SIZE), ~10–15 min on 2 cores
//   npm run bench -- --quick            N = 10,000 and fewer repeats, a minute or two
//   npm run bench -- --size 100000      the issue's size
//   npm run bench -- --browser firefox  (chromium, the default, or firefox: scripts/browsers.mjs)
//   npm run bench -- --only bare,app,insert,import,breakdown,encryption,vector   (vector is in no default run; breakdown and encryption not in --quick)
//   npm run bench -- --out DIR          where results.json and benchmarks.md go
//
// Mnemo is measured twice: in a bare page that only opens the library
// (bench/lab.html, every baseline beside it, calls interleaved) and in the
// app itself through `window.mnemo`, as a console script would (bench/console.ts).
// Writes results.json (machine, versions, every figure with its spread, every
// ratio) and the generated part of docs/benchmarks.md. Timings never fail the
// run: the exit code is 0 unless something errors or a figure is missing.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'vite';
import { BROWSERS } from './browsers.mjs';
import { runVfsPage, vfsFailures, vfsMarkdown, vfsTable } from './encryption-vfs.mjs';
import { startServer } from './serve.mjs';

/**
 * 20,000 messages. What bounds the run is Mnemo's embedding queue: measured
 * here at ~130–250 texts/s on 2 cores shared with other work, so each of the
 * two Mnemo stores (library page, app page) waits 1.5–3 min for it at 20k,
 * and the issue's 100,000 would take 7–13 min per page, past the 15-minute
 * budget on its own. `--size 100000` runs the issue's size.
 */
const DEFAULT_SIZE = 20_000;
/** Texts the bare model embeds for its throughput figure (the first ones of the same data). */
const MODEL_TEXTS = 5_000;
const QUICK_SIZE = 10_000;

const PHASES = ['bare', 'app', 'insert', 'import', 'breakdown', 'encryption'];
const OPTIONAL_PHASES = ['vector'];

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    size: { type: 'string' },
    browser: { type: 'string', default: 'chromium' },
    reps: { type: 'string' },
    // --quick leaves out the breakdown (minutes of its own; it explains figures, it is not one).
    only: { type: 'string' },
    out: { type: 'string' },
    // Baselines to leave out of the store phase (raw, dexie, orama): at 1,000,000 messages Orama's index crashes the tab.
    skip: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});
const quick = opts.quick;
const n = opts.size ? positive('size', opts.size) : quick ? QUICK_SIZE : DEFAULT_SIZE;
const browser = BROWSERS[opts.browser];
if (!browser) throw new Error(`--browser ${opts.browser}: one of ${Object.keys(BROWSERS).join(', ')}`);
const config = {
  n,
  browser: opts.browser,
  quick,
  /** Insert samples per contender: the store phase's plus reps − 1 in fresh profiles. */
  reps: opts.reps ? positive('reps', opts.reps) : quick ? 2 : 3,
  store: {
    n,
    pages: quick ? 30 : 100,
    queries: quick ? 30 : 100,
    warmup: quick ? 5 : 10,
    writes: quick ? 100 : 300,
    exports: quick ? 2 : 3,
    embedTimeoutMs: 30 * 60_000,
    skip: (opts.skip ?? '').split(',').map((name) => name.trim()).filter(Boolean),
  },
  cold: quick ? 3 : 7,
  /** Rounds of the encryption phase (each: the three modes in turn, order alternating). */
  encryptionRounds: 2,
  breakdown: { n, writes: quick ? 30 : 100, queries: quick ? 30 : 100, opens: quick ? 3 : 5 },
  phases: (opts.only ?? (quick ? PHASES.filter((p) => p !== 'breakdown' && p !== 'encryption') : PHASES).join(',')).split(',').map((p) => p.trim()).filter(Boolean),
};
for (const phase of config.phases) {
  if (![...PHASES, ...OPTIONAL_PHASES].includes(phase)) throw new Error(`unknown phase "${phase}" (known: ${[...PHASES, ...OPTIONAL_PHASES].join(', ')})`);
}
const OUT = resolve(opts.out ?? (quick ? 'test-results/bench' : '.'));
const RESULTS = opts.out || quick ? join(OUT, 'results.json') : resolve('bench/results.json');
const REPORT = opts.out || quick ? join(OUT, 'benchmarks.md') : resolve('docs/benchmarks.md');

function positive(name, text) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got "${text}"`);
  return value;
}

// ---- statistics -------------------------------------------------------------------

const sorted = (values) => [...values].sort((a, b) => a - b);
const quantile = (values, q) => {
  const s = sorted(values);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : Number.NaN;
};
const median = (values) => quantile(values, 0.5);
const round = (value, digits = 3) => (Number.isFinite(value) ? Number(value.toPrecision(digits + 2)) : value);
/** A figure: median and spread of its samples (p95 for series of calls; min/max always). */
const stat = (values, unit = 'ms') => ({
  unit,
  median: round(median(values)),
  p95: round(quantile(values, 0.95)),
  min: round(Math.min(...values)),
  max: round(Math.max(...values)),
  n: values.length,
});

// ---- browser plumbing -------------------------------------------------------------

const origins = { bench: '', app: '' };

async function withBrowser(fn) {
  const profile = mkdtempSync(join(tmpdir(), 'mnemo-bench-'));
  const context = await browser.launch(profile);
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
    if (message.type() === 'error' || (message.text().startsWith('[bench]') && (opts.verbose || !quick))) console.log(`  [${message.type()}] ${message.text()}`);
  });
}

async function openLab(context) {
  const page = await context.newPage();
  watch(page);
  await page.goto(`${origins.bench}lab.html`);
  await page.waitForFunction(() => window.bench !== undefined, undefined, { timeout: 60_000 });
  return page;
}

/** The app page with `window.mnemo` connected, its service worker installed (a returning user's state) and the console script loaded. */
async function openApp(context, consoleScript) {
  const page = await context.newPage();
  watch(page);
  await page.goto(origins.app);
  await page.waitForFunction(() => window.mnemo !== undefined, undefined, { timeout: 120_000 });
  await page.evaluate(() => Promise.race([navigator.serviceWorker?.ready, new Promise((resolve) => setTimeout(resolve, 60_000))]));
  await page.evaluate(consoleScript);
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
  phaseLoad[name] = { loadBefore: round(before), loadAfter: round(loadavg()[0]), seconds: Math.round((Date.now() - started) / 1000) };
  console.log(`  done in ${phaseLoad[name].seconds} s (load average ${loadavg()[0].toFixed(2)})`);
  return result;
}

/** Visits a cold-start page `count` times per kind, kinds alternating, each in a new page after the last one closed. */
async function coldVisits(context, kinds, count) {
  const samples = Object.fromEntries(kinds.flatMap((k) => [[k.name, []], [`${k.name}:opened`, []]]));
  for (let i = 0; i < count; i++) {
    for (const kind of i % 2 === 0 ? kinds : [...kinds].reverse()) {
      const page = await context.newPage();
      watch(page);
      await page.goto(kind.url);
      await page.waitForFunction(() => window.coldResult !== undefined, undefined, { timeout: 120_000 });
      const result = await page.evaluate(() => window.coldResult);
      await page.close();
      if (result.error || !(result.rows > 0)) throw new Error(`cold ${kind.name}: ${result.error ?? `no rows on the first page (${kind.url}: ${JSON.stringify(result)})`}`);
      samples[kind.name].push(result.ms);
      samples[`${kind.name}:opened`].push(result.openedMs);
      // Let the closed page's workers release their OPFS handles and locks.
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return samples;
}

// ---- phases -----------------------------------------------------------------------

async function barePhase() {
  return withBrowser(async (context) => {
    const page = await openLab(context);
    const store = await call(page, 'store', config.store);
    console.log(`  ${n.toLocaleString('en-US')} messages, ${(store.chars / 1e6).toFixed(1)} M characters`);
    const model = await call(page, 'modelThroughput', Math.min(n, MODEL_TEXTS));
    console.log(`  bare model: ${Math.round(model.perSecond)} texts/s`);
    const roundTrips = await call(page, 'roundTrips', 100);
    await page.close();
    await new Promise((r) => setTimeout(r, 1_000));
    const conversation = (key) => `?conversation=${encodeURIComponent(key)}`;
    const rawKey = `01900000-0000-7000-8000-${store.coldConversation.toString(16).padStart(12, '0')}`;
    const cold = await coldVisits(
      context,
      [
        { name: 'mnemo', url: `${origins.bench}cold-mnemo.html${conversation(store.mnemoConversation)}` },
        { name: 'raw', url: `${origins.bench}cold-raw.html${conversation(rawKey)}` },
        { name: 'dexie', url: `${origins.bench}cold-dexie.html${conversation(rawKey)}` },
      ],
      config.cold,
    );
    return { store, model, roundTrips, cold };
  });
}

async function appPhase(consoleScript) {
  return withBrowser(async (context) => {
    const page = await openApp(context, consoleScript);
    const store = await page.evaluate((c) => globalThis.mnemoBench.run(c), config.store);
    await page.close();
    await new Promise((r) => setTimeout(r, 1_000));
    // Navigation → the app sets window.mnemo → one page() answered: caught by a setter installed before any app script runs.
    await context.addInitScript(
      ({ conversation, scope }) => {
        let client;
        Object.defineProperty(window, 'mnemo', {
          configurable: true,
          get: () => client,
          set(value) {
            client = value;
            const openedMs = performance.now();
            value
              .space(scope)
              .messages.page(conversation, { page: 1, pageSize: 50 })
              .then(
                (p) => (window.coldResult = { ms: performance.now(), openedMs, rows: p.items.length }),
                (e) => (window.coldResult = { ms: Number.NaN, rows: 0, error: String(e?.message ?? e) }),
              );
          },
        });
      },
      { conversation: store.mnemoConversation, scope: { userId: 'bench', spaceId: 'bench' } },
    );
    const cold = await coldVisits(context, [{ name: 'mnemo-app', url: origins.app }], config.cold);
    return { store, cold };
  });
}

/** reps − 1 more inserts of the same N rows per contender, each in a fresh profile, rotating the order. */
async function insertPhase(consoleScript) {
  const names = ['raw-plain', 'raw', 'dexie', 'mnemo', 'mnemo-app'];
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (let rep = 1; rep < config.reps; rep++) {
    for (const name of names.map((_, i) => names[(i + rep) % names.length])) {
      const result = await withBrowser(async (context) => {
        if (name !== 'mnemo-app') return call(await openLab(context), 'insertOnly', name, n);
        const page = await openApp(context, consoleScript);
        return page.evaluate((size) => globalThis.mnemoBench.insertOnly(size), n);
      });
      samples[name].push(result.ms);
      console.log(`  rep ${rep + 1} ${name.padEnd(9)} ${ms(result.ms)}`);
    }
  }
  return samples;
}

/** `importConversations` of the same N messages as a ChatGPT export, in fresh profiles (reps times). */
async function importPhase() {
  const samples = [];
  for (let rep = 0; rep < config.reps; rep++) {
    const result = await withBrowser(async (context) => call(await openLab(context), 'importSpeed', n));
    samples.push(result);
    console.log(`  rep ${rep + 1} import    ${ms(result.ms)} (${Math.round((result.messages / result.ms) * 1000)} messages/s, ${(result.bytes / 1e6).toFixed(1)} MB of JSON)`);
  }
  return samples;
}

async function breakdownPhase() {
  return withBrowser(async (context) => {
    const page = await openLab(context);
    const b = config.breakdown;
    return call(page, 'breakdown', b.n, b.writes, b.queries, b.opens);
  });
}

/** Encryption at rest on the raw path, both ways beside none (scripts/encryption-vfs.mjs); its checks fail the run. */
async function encryptionPhase() {
  const result = await withBrowser((context) => runVfsPage(context, origins.bench, n, config.encryptionRounds));
  const failures = vfsFailures(result);
  if (failures.length) throw new Error(`encryption checks failed: ${failures.join('; ')}`);
  const table = vfsTable(result);
  console.log(vfsMarkdown(table));
  return { n, rounds: config.encryptionRounds, table, checks: result.checks, vfsCounts: result.modes.b.vfsCounts };
}

async function vectorPhase() {
  return withBrowser(async (context) => call(await openLab(context), 'vector', 100_000, 384, 50, 5));
}

// ---- figures, ratios, report --------------------------------------------------------

const conversationsOf = (messages) => Math.ceil(messages / 100).toLocaleString('en-US');

function ms(value) {
  if (!Number.isFinite(value)) return '—';
  return value >= 100 ? `${Math.round(value).toLocaleString('en-US')} ms` : `${value.toFixed(value >= 10 ? 1 : 2)} ms`;
}

/** Every measured figure by name; each a median with its spread. */
function buildFigures(r) {
  const f = {};
  const pages = { bare: r.bare?.store, app: r.app?.store };
  const extra = r.insert ?? {};
  if (r.bare) {
    const s = r.bare.store;
    for (const [name, value] of Object.entries(s.insert)) f[`insert.${name}`] = stat([value, ...(extra[name] ?? [])]);
    for (const [key, series] of [['pageFirst', s.pageFirst], ['pageLast', s.pageLast], ['keyword', s.keyword], ['add', s.add]]) {
      for (const [name, values] of Object.entries(series)) f[`${key}.${name}`] = stat(values);
    }
    for (const [name, values] of Object.entries(s.exportMs)) {
      f[`exportMBps.${name}`] = stat(values.map((v) => s.exportBytes[name] / 1e3 / v), 'MB/s');
      f[`exportBytes.${name}`] = stat([s.exportBytes[name]], 'bytes');
    }
    f['model.textsPerSecond'] = stat([r.bare.model.perSecond], 'texts/s');
    f['model.ms'] = stat([r.bare.model.ms]);
    f['model.texts'] = stat([r.bare.model.texts], 'texts');
    f['roundTrip.mnemoInfo'] = stat(r.bare.roundTrips.mnemoInfo);
    f['roundTrip.rawPing'] = stat(r.bare.roundTrips.rawPing);
    for (const [name, values] of Object.entries(r.bare.cold)) f[`cold.${name}`] = stat(values);
  }
  if (r.app) {
    const s = r.app.store;
    f['insert.mnemo-app'] = stat([s.insert.mnemo, ...(extra['mnemo-app'] ?? [])]);
    for (const [key, series] of [['pageFirst', s.pageFirst], ['pageLast', s.pageLast], ['keyword', s.keyword], ['add', s.add]]) f[`${key}.mnemo-app`] = stat(series.mnemo);
    f['exportMBps.mnemo-app'] = stat(s.exportMs.mnemo.map((v) => s.exportBytes.mnemo / 1e3 / v), 'MB/s');
    f['exportBytes.mnemo-app'] = stat([s.exportBytes.mnemo], 'bytes');
    for (const [name, values] of Object.entries(r.app.cold)) f[`cold.${name}`] = stat(values);
  }
  if (r.import?.length) {
    f['import.mnemo'] = stat(r.import.map((x) => x.ms));
    f['importRate.mnemo'] = stat(r.import.map((x) => (x.messages / x.ms) * 1000), 'messages/s');
  }
  for (const [suffix, s] of [['', pages.bare], ['-app', pages.app]]) {
    if (!s) continue;
    const wait = s.untilSearchable.mnemo;
    f[`embedWait.mnemo${suffix}`] = stat([wait.ms]);
    f[`searchable.mnemo${suffix}`] = stat([s.insert.mnemo + wait.ms]);
    f[`embedPendingAtEnd.mnemo${suffix}`] = stat([wait.pending], 'rows');
    f[`hybrid.mnemo${suffix}`] = stat(s.hybrid.mnemo);
    f[`hybridKeyword.mnemo${suffix}`] = stat(s.hybrid['mnemo:keyword']);
    if (s.keywordWhileEmbedding?.mnemo) f[`keywordBusy.mnemo${suffix}`] = stat(s.keywordWhileEmbedding.mnemo);
  }
  return f;
}

/** The issue's table: each workload's Mnemo figures (library page, app page) against its baseline, with the target ratio. */
function buildRows(f) {
  const rows = [];
  const get = (name, field = 'median') => f[name]?.[field];
  const add = (workload, field, mnemoName, baselineName, baselineLabel, target, higherIsBetter = false, libraryOnly = false) => {
    const baseline = get(baselineName, field);
    if (baseline === undefined) return;
    const names = { library: mnemoName, app: `${mnemoName}-app`, baseline: baselineName };
    const values = { library: get(names.library, field), app: get(names.app, field) };
    const ratio = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v === undefined ? null : round(v / baseline)]));
    const met =
      target === null
        ? null
        : Object.fromEntries(Object.entries(ratio).map(([k, v]) => [k, v === null ? null : higherIsBetter ? v >= target : v <= target]));
    rows.push({ workload, field, unit: f[baselineName].unit, figures: names, mnemo: values, baseline: { name: baselineLabel, value: baseline }, ratio, target, higherIsBetter, met, libraryOnly });
  };
  const N = n.toLocaleString('en-US');
  add(`insertMany ${N} (batches of 5,000)`, 'median', 'insert.mnemo', 'insert.raw', 'raw sahpool + FTS5 triggers', 0.45);
  add(`insertMany ${N}`, 'median', 'insert.mnemo', 'insert.raw-plain', 'raw sahpool, no FTS', null);
  add(`insertMany ${N}`, 'median', 'insert.mnemo', 'insert.dexie', 'Dexie bulkAdd (strict)', null);
  add(`insert + embed until searchable (${N})`, 'median', 'searchable.mnemo', 'insert.raw', 'raw + FTS5 triggers, insert', 1.0);
  add(`importConversations, ChatGPT export of ${N}`, 'median', 'import.mnemo', 'insert.mnemo', "Mnemo's own insertMany of the same rows", null, false, true);
  add(`durable add, p50 (300 on the full store)`, 'median', 'add.mnemo', 'add.dexie', 'Dexie add, strict', 0.6);
  add(`durable add, p95`, 'p95', 'add.mnemo', 'add.dexie', 'Dexie add, strict', null);
  add(`durable add, p50`, 'median', 'add.mnemo', 'add.raw', 'raw sahpool + FTS5 triggers', null);
  add(`messages.page first page of 50, p50`, 'median', 'pageFirst.mnemo', 'pageFirst.raw', 'raw SELECT … LIMIT/OFFSET', 1.5);
  add(`messages.page last page of 50, p50`, 'median', 'pageLast.mnemo', 'pageLast.raw', 'raw SELECT … LIMIT/OFFSET', 1.5);
  add(`messages.page first page, p50`, 'median', 'pageFirst.mnemo', 'pageFirst.dexie', 'Dexie compound index', null);
  add(`keyword search top-10, two words, p50`, 'median', 'keyword.mnemo', 'keyword.raw', 'raw FTS5 a OR b + bm25 + join', 1.5);
  add(`keyword search top-10, p95`, 'p95', 'keyword.mnemo', 'keyword.raw', 'raw FTS5 a OR b + bm25 + join', null);
  add(`keyword search top-10, p50`, 'median', 'keyword.mnemo', 'keyword.orama', 'Orama full-text', null);
  add(`hybrid search top-10, p95`, 'p95', 'hybrid.mnemo', 'hybridKeyword.mnemo', "Mnemo's own keyword p95", 3);
  add(`keyword search while the queue embeds, p95`, 'p95', 'keywordBusy.mnemo', 'keyword.mnemo', "Mnemo's own keyword p95, idle", 2);
  add(`cold start → first page answered`, 'median', 'cold.mnemo', 'cold.raw', 'raw worker open → first page', 1.5);
  add(`cold start → first page answered`, 'median', 'cold.mnemo', 'cold.dexie', 'Dexie open → first page', null);
  add(`files.export() throughput`, 'median', 'exportMBps.mnemo', 'exportMBps.raw', 'raw sahpool exportFile()', 0.8, true);
  add(`exported file size`, 'median', 'exportBytes.mnemo', 'exportBytes.raw', 'raw messages + FTS5 file', 1.5);
  // The hybrid and busy-keyword rows compare each page with its own keyword p95.
  for (const [prefix, own, idle, target] of [
    ['hybrid', 'hybrid.mnemo-app', 'hybridKeyword.mnemo-app', 3],
    ['keyword search while', 'keywordBusy.mnemo-app', 'keyword.mnemo-app', 2],
  ]) {
    const row = rows.find((r) => r.workload.startsWith(prefix));
    if (!row || !f[own] || !f[idle]) continue;
    row.ratio.app = round(f[own].p95 / f[idle].p95);
    row.met.app = row.ratio.app <= target;
  }
  return rows;
}

function format(value, unit) {
  if (value === undefined || value === null || !Number.isFinite(value)) return '—';
  if (unit === 'ms') return ms(value);
  if (unit === 'bytes') return `${(value / 1e6).toFixed(1)} MB`;
  if (unit === 'MB/s') return `${Math.round(value)} MB/s`;
  if (unit === 'messages/s') return `${Math.round(value).toLocaleString('en-US')} messages/s`;
  return `${round(value)} ${unit}`;
}

function spread(figure, field) {
  if (!figure) return '';
  if (figure.n === 1) return '';
  if (field === 'p95') return '';
  return figure.n >= 10 ? ` (p95 ${format(figure.p95, figure.unit)})` : ` [${format(figure.min, figure.unit)}–${format(figure.max, figure.unit)}]`;
}

function markdownTable(rows, f) {
  const lines = [
    '| workload | Mnemo, library page | Mnemo, app page | baseline | ratio (library / app) | target | met (library / app) |',
    '|---|---|---|---|---|---|---|',
  ];
  const mark = (v) => (v === null || v === undefined ? '—' : v ? 'met' : 'not met');
  for (const r of rows) {
    const cell = (suffix) => `${format(r.mnemo[suffix], r.unit)}${spread(f[r.figures[suffix]], r.field)}`;
    const baselineFigure = f[r.figures.baseline];
    lines.push(
      `| ${r.workload} | ${cell('library')} | ${cell('app')} | ${r.baseline.name}: ${format(r.baseline.value, r.unit)}${spread(baselineFigure, r.field)} | ${r.ratio.library ?? '—'}× / ${r.ratio.app ?? '—'}× | ${r.target === null ? '' : `${r.higherIsBetter ? '≥' : '≤'} ${r.target}×`} | ${r.target === null ? '' : `${mark(r.met.library)} / ${mark(r.met.app)}`} |`,
    );
  }
  return lines.join('\n');
}

function breakdownMarkdown(b, f) {
  if (!b) return '';
  const table = (title, values) => {
    const out = [`**${title}**`, '', '| step | ms |', '|---|---|'];
    for (const [name, value] of Object.entries(values)) out.push(`| ${name.trim() === name ? name : `↳ ${name.trim()}`} | ${typeof value === 'number' ? value : value} |`);
    return out.join('\n');
  };
  const steps = Object.keys(b.open[0] ?? {});
  const open = Object.fromEntries(steps.map((k) => [k, round(median(b.open.map((o) => o[k])))]));
  const N = config.breakdown.n.toLocaleString('en-US');
  return [
    table(`insertMany of ${N} messages, in one worker without client or model (one run each)`, b.insert),
    table(`durable single write on ${Math.min(config.breakdown.n, 20_000).toLocaleString('en-US')} messages (median of ${config.breakdown.writes})`, b.write),
    table(`keyword top-10 over ${N} messages (median of ${config.breakdown.queries})`, b.read.keyword),
    table(`page of 50 over ${N} messages (median of ${config.breakdown.queries})`, b.read.page),
    table(`open of an existing database in a fresh worker (median of ${b.open.length})`, open),
    f['roundTrip.mnemoInfo']
      ? `One call's round trip from the page, median: \`mnemo.info()\` ${ms(f['roundTrip.mnemoInfo'].median)}, a bare postMessage to a worker ${ms(f['roundTrip.rawPing'].median)}.`
      : '',
  ].join('\n\n');
}

const BEGIN = '<!-- bench:begin (generated by scripts/bench.mjs; edit outside these markers) -->';
const END = '<!-- bench:end -->';

function writeReport(results, rows) {
  const f = results.figures;
  const m = results.machine;
  const generated = [
    BEGIN,
    '',
    `Run of ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${results.seconds} s: N = ${n.toLocaleString('en-US')} messages (${(results.chars / 1e6).toFixed(1)} M characters, conversations of 100, 20–2,000 characters each), ${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB; load average ${m.loadStart.map((l) => l.toFixed(1)).join(' / ')} at the start, ${m.loadEnd.map((l) => l.toFixed(1)).join(' / ')} at the end. ${results.versions.browser}, SQLite ${results.versions.sqlite}, Dexie ${results.versions.dexie}, Orama ${results.versions.orama}.`,
    '',
    'Medians; in brackets the min–max over repeats, or the p95 of a series of calls. Ratios are Mnemo ÷ baseline (for throughput, higher is better). App-page ratios use the baselines measured in the bare page of the same run.',
    '',
    markdownTable(rows, f),
    '',
    f['model.textsPerSecond']
      ? `Embedding: the bundled model alone (in its worker, no database) embeds the first ${f['model.texts'].median.toLocaleString('en-US')} of the same texts at ${Math.round(f['model.textsPerSecond'].median).toLocaleString('en-US')} texts/s (${ms(f['model.ms'].median)}, so ${ms((n / f['model.textsPerSecond'].median) * 1000)} for all ${n.toLocaleString('en-US')}); Mnemo's queue took ${ms(f['embedWait.mnemo']?.median)} after the last batch in the library page${f['embedWait.mnemo-app'] ? ` and ${ms(f['embedWait.mnemo-app'].median)} in the app page` : ''}.`
      : '',
    '',
    f['importRate.mnemo']
      ? `Import: a ChatGPT export of the same ${n.toLocaleString('en-US')} messages (${conversationsOf(n)} conversations) goes in through \`importConversations\` at ${Math.round(f['importRate.mnemo'].median).toLocaleString('en-US')} messages/s (median of ${f['importRate.mnemo'].n}).`
      : '',
    '',
    '### Where Mnemo\'s time goes',
    '',
    breakdownMarkdown(results.results.breakdown, f),
    '',
    ...(results.results.encryption
      ? [
          '### Encryption at rest',
          '',
          `The raw path (messages + FTS5 trigger, no Mnemo API), N = ${results.results.encryption.n.toLocaleString('en-US')} + 200 single adds, ${results.results.encryption.rounds} rounds: no encryption, way (b) the own encrypting VFS, way (a) SQLite3 Multiple Ciphers (the one Mnemo uses; [encryption.md](encryption.md); Mnemo's encrypted figures through its API: \`npm run bench:encryption\`). Medians; ratios to no encryption.`,
          '',
          vfsMarkdown(results.results.encryption.table),
          '',
        ]
      : []),
    END,
  ].join('\n');
  let doc = existsSync(REPORT) ? readFileSync(REPORT, 'utf8') : `# Benchmarks\n\n\`npm run bench\` (see scripts/bench.mjs).\n\n${BEGIN}\n${END}\n`;
  if (!doc.includes(BEGIN) || !doc.includes(END)) doc = `${doc.trimEnd()}\n\n${BEGIN}\n${END}\n`;
  doc = doc.slice(0, doc.indexOf(BEGIN)) + generated + doc.slice(doc.indexOf(END) + END.length);
  mkdirSync(dirname(REPORT), { recursive: true });
  writeFileSync(REPORT, doc);
}

function printTable(rows) {
  console.log('');
  for (const r of rows) {
    const target = r.target === null ? '' : `target ${r.higherIsBetter ? '≥' : '≤'} ${r.target}× ${r.met.library ? 'met' : 'NOT met'}/${r.met.app === null || r.met.app === undefined ? '—' : r.met.app ? 'met' : 'NOT met'}`;
    console.log(
      `${r.workload.padEnd(44)} ${format(r.mnemo.library, r.unit).padStart(10)} ${format(r.mnemo.app, r.unit).padStart(10)}  vs ${r.baseline.name} ${format(r.baseline.value, r.unit)}  → ${r.ratio.library}× / ${r.ratio.app}×  ${target}`,
    );
  }
}

// ---- main -------------------------------------------------------------------------

const packageVersion = (name) => JSON.parse(readFileSync(resolve('node_modules', name, 'package.json'), 'utf8')).version;
const startedAt = new Date();
const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memoryGb: Math.round(totalmem() / 2 ** 30), loadStart: loadavg() };
console.log(`Mnemo benchmarks: N = ${n}, ${JSON.stringify({ ...config, store: undefined, breakdown: undefined })}`);
console.log(`machine: ${machine.cpus} cores, ${machine.memoryGb} GB, load average ${machine.loadStart.map((l) => l.toFixed(2)).join(' ')}`);

const needsApp = config.phases.some((p) => p === 'app' || p === 'insert');
if (needsApp && !(process.env.MNEMO_SKIP_BUILD && existsSync('dist/index.html'))) {
  console.log('▶ build the app → dist');
  await build({ logLevel: 'error' });
}
console.log('▶ build the bench pages → .cache/bench-dist');
await build({ configFile: resolve('bench/vite.config.ts'), logLevel: 'error' });
const [consoleBuild] = await build({
  configFile: false,
  logLevel: 'error',
  build: { write: false, minify: false, lib: { entry: resolve('bench/console.ts'), formats: ['iife'], name: 'mnemoBenchConsole', fileName: 'console' } },
});
const consoleScript = consoleBuild.output[0].code;

const servers = [];
for (const [key, root] of [['bench', '.cache/bench-dist'], ['app', 'dist']]) {
  const server = await startServer({ root, port: 0 });
  servers.push(server);
  origins[key] = `http://localhost:${server.address().port}/`;
}

let exitCode = 0;
const results = {};
try {
  results.bare = await phase('bare', barePhase);
  results.app = await phase('app', () => appPhase(consoleScript));
  results.insert = await phase('insert', () => insertPhase(consoleScript));
  results.import = await phase('import', importPhase);
  results.breakdown = await phase('breakdown', breakdownPhase);
  results.encryption = await phase('encryption', encryptionPhase);
  results.vector = await phase('vector', vectorPhase);
} catch (error) {
  console.error(`\nbenchmark failed: ${error instanceof Error ? error.stack : String(error)}`);
  exitCode = 1;
} finally {
  for (const server of servers) server.close();
}

machine.loadEnd = loadavg();
const figures = buildFigures(results);
const rows = buildRows(figures);
printTable(rows);
console.log(`\nload average at start ${machine.loadStart.map((l) => l.toFixed(2)).join(' ')}, at end ${machine.loadEnd.map((l) => l.toFixed(2)).join(' ')} (${machine.cpus} cores)`);

const output = {
  startedAt: startedAt.toISOString(),
  seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
  config,
  chars: results.bare?.store.chars ?? results.app?.store.chars ?? 0,
  machine,
  versions: {
    browser: browser.version(),
    sqlite: results.bare?.store.sqliteVersion ?? null,
    sqliteWasm: packageVersion('@sqlite.org/sqlite-wasm'),
    dexie: packageVersion('dexie'),
    orama: packageVersion('@orama/orama'),
    transformers: packageVersion('@huggingface/transformers'),
    node: process.version,
  },
  phaseLoad,
  figures,
  rows,
  results: { breakdown: results.breakdown, encryption: results.encryption, vector: results.vector, model: results.bare?.model, import: results.import },
  ok: exitCode === 0,
};
mkdirSync(dirname(RESULTS), { recursive: true });
writeFileSync(RESULTS, `${JSON.stringify(output, null, 2)}\n`);
writeReport(output, rows);
console.log(`results: ${RESULTS}\nreport:  ${REPORT}`);
process.exit(exitCode);
