// `npm test`: installs what the tests need (Debian Chromium and Firefox ESR,
// sqlite3 CLI, PostgreSQL), runs the static checks (typecheck, lint, import
// graph), builds, runs the Node unit tests, the sync server's tests (a
// throwaway PostgreSQL cluster from Debian's postgresql package, installed by
// scripts/ensure-postgres.mjs), the browser tests in Chromium and in Firefox ESR
// (MNEMO_TEST_FIREFOX=0 leaves Firefox out) and the example apps of the npm
// package (scripts/test-examples.mjs), and ends with one line
// "N passed, N failed" totalled over every runner; each static check counts as one.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const steps = [];
let passed = 0;
let failed = 0;

/** A Vitest run's reporters: the console, the JSON report in `json`, and its unhandled errors beside it. */
function vitestReporters(json) {
  return ['--reporter=default', '--reporter=./scripts/errors-reporter.mjs', '--reporter=json', `--outputFile=${json}`];
}
/** Where scripts/errors-reporter.mjs writes the unhandled errors of the run whose JSON report is `json`. */
const errorsFileOf = (json) => json.replace(/\.json$/, '-errors.json');
const errorsEnv = (json) => ({ MNEMO_ERRORS_FILE: errorsFileOf(json) });

function run(label, command, args, env = {}) {
  console.log(`\n▶ ${label}`);
  const started = Date.now();
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  const ok = result.status === 0;
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`◀ ${label}: ${ok ? 'ok' : 'failed'} in ${Math.floor(seconds / 60)} min ${seconds % 60} s`);
  steps.push({ label, ok });
  return ok;
}

const unhandled = [];

/**
 * A Vitest step: its JSON report's tests, plus the unhandled errors that
 * scripts/errors-reporter.mjs wrote beside it (the JSON report leaves them out).
 */
function countVitest(file, label) {
  const errorsFile = errorsFileOf(file);
  if (existsSync(errorsFile)) {
    const errors = JSON.parse(readFileSync(errorsFile, 'utf8'));
    failed += errors.length;
    for (const error of errors) unhandled.push(`${label}: ${error.name}: ${error.message}${error.origin ? ` (${error.origin})` : ''}\n${error.stack}`);
    if (errors.length) console.log(`${label}: ${errors.length} unhandled error(s), counted as failed`);
  }
  if (!existsSync(file)) {
    console.log(`${label}: no report was written`);
    failed += 1;
    return;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests + (report.numRuntimeErrors ?? 0);
  // A file that fails to load runs no test yet must count as a failure.
  const brokenFiles = report.testResults.filter((r) => r.status === 'failed' && r.assertionResults.length === 0).length;
  failed += brokenFiles;
  console.log(`${label}: ${report.numPassedTests} passed, ${report.numFailedTests} failed${brokenFiles ? `, ${brokenFiles} files failed to load` : ''}`);
}

/** scripts/test-examples.mjs's report: each of its checks is one test. */
function countChecks(file, label) {
  if (!existsSync(file)) {
    console.log(`${label}: no report was written`);
    failed += 1;
    return;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.passed;
  failed += report.failed;
  console.log(`${label}: ${report.passed} passed, ${report.failed} failed`);
}

/** A static check: one passed or one failed test in the totals. */
function check(label, command, args) {
  if (run(label, command, args)) passed += 1;
  else failed += 1;
}

rmSync('test-results', { recursive: true, force: true });
mkdirSync('test-results', { recursive: true });

if (!run('Install browser dependencies', 'node', ['scripts/ensure-browsers.mjs'])) failed += 1;

// One project per thread (src/*/tsconfig.json) plus the Node side (tsconfig.json).
check('Typecheck', 'npx', ['tsc', '-b']);
check('Lint', 'npm', ['run', '--silent', 'lint']);
check('Import graph: no cycles, no imports across threads, core.ts only in the wiring, no SQL outside repos/engine', 'npm', ['run', '--silent', 'check:imports']);
if (!run('Build', 'npx', ['vite', 'build', '--logLevel', 'warn'])) failed += 1;

run('Unit tests (Node, in-memory SQLite)', 'npx', ['vitest', 'run', ...vitestReporters('test-results/unit.json')], errorsEnv('test-results/unit.json'));
countVitest('test-results/unit.json', 'unit');

if (run('Install PostgreSQL for the sync server tests', 'node', ['scripts/ensure-postgres.mjs'])) {
  run('Sync server tests (Node, real PostgreSQL, real HTTP)', 'npx', [
    'vitest', 'run', '-c', 'vitest.server.config.ts', ...vitestReporters('test-results/server.json'),
  ], errorsEnv('test-results/server.json'));
  countVitest('test-results/server.json', 'server');
} else failed += 1;

run('Browser tests (headless Chromium, real OPFS)', 'npx', [
  'vitest', 'run', '-c', 'vitest.e2e.config.ts', ...vitestReporters('test-results/e2e.json'),
], { MNEMO_SKIP_BUILD: '1', ...errorsEnv('test-results/e2e.json') });
countVitest('test-results/e2e.json', 'browser');

// The same suite in Firefox ESR (docs/browsers.md), counted in the same totals. A failed
// test is retried once; scripts/retry-reporter.mjs names every test that needed it, so a
// retry never hides a flaky test. MNEMO_TEST_FIREFOX=0 leaves the stage out (local runs).
if (process.env.MNEMO_TEST_FIREFOX !== '0') {
  run('Browser tests (headless Firefox ESR, real OPFS)', 'npx', [
    'vitest', 'run', '-c', 'vitest.e2e.config.ts', '--retry=1', '--reporter=./scripts/retry-reporter.mjs', ...vitestReporters('test-results/e2e-firefox.json'),
  ], { MNEMO_SKIP_BUILD: '1', MNEMO_BROWSER: 'firefox', ...errorsEnv('test-results/e2e-firefox.json') });
  countVitest('test-results/e2e-firefox.json', 'browser (Firefox)');
} else console.log('\nFirefox browser tests left out (MNEMO_TEST_FIREFOX=0)');

// The npm package as a developer installs it: packed, installed in examples/vite-app
// and examples/webpack-app, built with each bundler and run in Chromium.
run('Package in example apps (Vite, webpack 5)', 'node', ['scripts/test-examples.mjs', '--report', 'test-results/examples.json']);
countChecks('test-results/examples.json', 'examples');

// Quick benchmark (N = 10,000): counted as one test that passes when every
// figure is present and finite; no timing is ever checked. Its output goes to
// test-results/bench, never over the committed bench/results.json.
if (
  run('Quick benchmark', 'node', ['scripts/bench.mjs', '--quick', '--out', 'test-results/bench'], { MNEMO_SKIP_BUILD: '1' }) &&
  run('Quick benchmark: every figure present and finite', 'node', ['scripts/bench-check.mjs', 'test-results/bench/results.json'])
) passed += 1;
else failed += 1;

// Encryption at rest, way (a) (SQLite3 Multiple Ciphers) and way (b) (the own encrypting VFS)
// beside no encryption on the raw path, N = 1,000 (pages built by the quick benchmark above): one
// test that passes when neither encrypted pool's raw OPFS bytes hold the stored marker (the plain
// pool's do), rows and full-text matches come back after reopening, and a wrong key is refused
// with no byte changed. Timings are never checked.
if (
  run('Encryption ways (a) and (b): raw OPFS bytes, reopen, wrong key', 'node', [
    'scripts/bench-encryption.mjs', '--only', 'vfs', '--quick', '--out', 'test-results/bench/encryption-vfs.json',
  ], { MNEMO_SKIP_BUILD: '1' })
) passed += 1;
else failed += 1;

// Quick sync benchmark (2,000 messages between two profiles through the server on a
// throwaway PostgreSQL): one test that passes when both devices end with every
// message and every figure is present; timings are never checked.
if (run('Quick sync benchmark', 'node', ['scripts/bench-sync.mjs', '--quick', '--out', 'test-results/bench'], { MNEMO_SKIP_BUILD: '1' })) passed += 1;
else failed += 1;

for (const error of unhandled) console.log(`\nunhandled error in ${error}`);
for (const step of steps) if (!step.ok) console.log(`step failed: ${step.label}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && steps.every((s) => s.ok) ? 0 : 1);
