// The raw-path comparison of encryption at rest (bench/vfs.html: none, way (b)
// the own encrypting VFS, way (a) SQLite3 Multiple Ciphers), shared by
// `npm run bench` (its encryption phase) and `npm run bench:encryption`:
// running the page, its checks (which fail a run) and its table.

const MODES = ['plain', 'b', 'a'];
const FIGURES = [
  ['bulkMs', 'bulk insert, batches of 1,000', 'ms'],
  ['addP50Ms', 'durable add p50 (in the worker)', 'ms'],
  ['addP95Ms', 'durable add p95', 'ms'],
  ['searchWarmP50Ms', 'keyword top-10, warm cache, p50', 'ms'],
  ['searchColdP50Ms', 'keyword top-10, cold cache, p50', 'ms'],
  ['coldOpenToFirstPageMs', 'cold open → first page', 'ms'],
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Opens bench/vfs.html in `context` and returns its result (throws when the page failed). */
export async function runVfsPage(context, benchUrl, n, rounds) {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`vfs page: ${error.message}`));
  // The page's module awaits the whole measurement at top level.
  await page.goto(`${benchUrl}vfs.html?n=${n}&rounds=${rounds}`, { waitUntil: 'commit' });
  await page.waitForFunction(() => window.vfsResult !== undefined, undefined, { timeout: 1_800_000, polling: 500 });
  const result = await page.evaluate(() => window.vfsResult);
  await page.close();
  if (result.error) throw new Error(`vfs bench: ${result.error}`);
  return result;
}

/** What must hold whatever the timings; an empty list when all does. */
export function vfsFailures(result) {
  const failures = [];
  for (const [mode, check] of Object.entries(result.checks)) {
    if (check.rowsAfterReopen !== result.expectedRows) failures.push(`${mode}: ${check.rowsAfterReopen} rows after reopening, expected ${result.expectedRows}`);
    if (check.markerMatchesAfterReopen !== result.expectedMarkerMatches) failures.push(`${mode}: full text finds ${check.markerMatchesAfterReopen} marked rows, expected ${result.expectedMarkerMatches}`);
    if (mode === 'plain' && !(check.markerInRawBytes > 0)) failures.push('plain: the control pool shows no marker (the scan would prove nothing)');
    if (mode !== 'plain') {
      if (check.markerInRawBytes !== 0) failures.push(`${mode}: the marker appears ${check.markerInRawBytes} times in the raw OPFS bytes`);
      if (check.wrongKeyRefused !== true) failures.push(`${mode}: a wrong key was not refused`);
      if (check.bytesUnchangedByWrongKey !== true) failures.push(`${mode}: the wrong key changed the stored bytes`);
    }
  }
  return failures;
}

/** Medians per mode and the ratios to plain, by figure. */
export function vfsTable(result) {
  const table = {};
  for (const [key, label, unit] of FIGURES) {
    const [plain, b, a] = MODES.map((mode) => median(result.modes[mode][key]));
    table[key] = { label, unit, plain, b, a, bRatio: b / plain, aRatio: a / plain };
  }
  const [plain, b, a] = MODES.map((mode) => result.modes[mode].fileBytes);
  table.fileBytes = { label: 'file size', unit: 'B', plain, b, a, bRatio: b / plain, aRatio: a / plain };
  return table;
}

/** The table as Markdown. */
export function vfsMarkdown(table) {
  const cell = (value, unit) => (unit === 'B' ? `${(value / 1e6).toFixed(1)} MB` : `${value < 10 ? value.toFixed(2) : Math.round(value).toLocaleString('en-US')} ms`);
  const lines = ['| figure | plain | (b) own VFS | (a) sqlite3mc | (b) ÷ plain | (a) ÷ plain |', '|---|---|---|---|---|---|'];
  for (const row of Object.values(table)) {
    lines.push(`| ${row.label} | ${cell(row.plain, row.unit)} | ${cell(row.b, row.unit)} | ${cell(row.a, row.unit)} | ${row.bRatio.toFixed(2)}× | ${row.aRatio.toFixed(2)}× |`);
  }
  return lines.join('\n');
}
