// Checks a results.json written by scripts/bench.mjs: the run finished, every
// expected figure is present with a finite median and spread, and every row
// of the table has finite values and ratios. Never checks a timing.
//
//   node scripts/bench-check.mjs test-results/bench/results.json
import { readFileSync } from 'node:fs';

const EXPECTED = [
  ...['raw-plain', 'raw', 'dexie', 'orama', 'mnemo', 'mnemo-app'].map((s) => `insert.${s}`),
  ...['mnemo', 'mnemo-app'].flatMap((s) => [`searchable.${s}`, `embedWait.${s}`, `keywordBusy.${s}`, `hybrid.${s}`, `hybridKeyword.${s}`, `exportMBps.${s}`, `exportBytes.${s}`]),
  ...['pageFirst', 'pageLast'].flatMap((w) => ['raw', 'dexie', 'mnemo', 'mnemo-app'].map((s) => `${w}.${s}`)),
  ...['raw', 'orama', 'mnemo', 'mnemo-app'].map((s) => `keyword.${s}`),
  ...['raw', 'dexie', 'mnemo', 'mnemo-app'].map((s) => `add.${s}`),
  ...['raw', 'dexie', 'mnemo', 'mnemo-app'].flatMap((s) => [`cold.${s}`, `cold.${s}:opened`]),
  'import.mnemo',
  'importRate.mnemo',
  'exportMBps.raw',
  'exportBytes.raw',
  'model.textsPerSecond',
  'roundTrip.mnemoInfo',
  'roundTrip.rawPing',
];
const ROWS = 20;

const file = process.argv[2] ?? 'test-results/bench/results.json';
const results = JSON.parse(readFileSync(file, 'utf8'));
const problems = [];
if (!results.ok) problems.push('the run reported an error');
for (const name of EXPECTED) {
  const figure = results.figures?.[name];
  if (!figure) problems.push(`figure ${name} is missing`);
  else for (const field of ['median', 'p95', 'min', 'max']) if (!Number.isFinite(figure[field])) problems.push(`figure ${name}.${field} is ${figure[field]}`);
}
if (results.rows?.length !== ROWS) problems.push(`${results.rows?.length ?? 0} table rows, expected ${ROWS}`);
for (const row of results.rows ?? []) {
  // A library-only row (the import) has no app-page figure by design.
  const app = row.libraryOnly ? [] : [['Mnemo (app)', row.mnemo.app], ['ratio (app)', row.ratio.app]];
  for (const [what, value] of [['Mnemo (library)', row.mnemo.library], ['baseline', row.baseline.value], ['ratio (library)', row.ratio.library], ...app]) {
    if (!Number.isFinite(value)) problems.push(`${row.workload} vs ${row.baseline.name}: ${what} is ${value}`);
  }
}
for (const name of ['browser', 'sqlite', 'dexie', 'orama']) if (!results.versions?.[name]) problems.push(`version of ${name} is missing`);
for (const problem of problems) console.log(`  ${problem}`);
console.log(problems.length ? `${file}: ${problems.length} problems` : `${file}: ${EXPECTED.length} figures and ${ROWS} rows present and finite`);
process.exit(problems.length ? 1 : 0);
