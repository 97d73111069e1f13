// A Vitest reporter that names every test which passed or failed only after a
// retry, so a retry never hides a flaky test from the log (docs/browsers.md:
// the Firefox stage of `npm test` retries a failed test once).
export default class RetryReporter {
  retried = [];

  onTestCaseResult(testCase) {
    const retries = testCase.diagnostic()?.retryCount ?? 0;
    if (retries === 0) return;
    // The failed attempts' errors stay on the task when a retry passes: the first one says what went wrong.
    const errors = testCase.result().errors ?? testCase.task?.result?.errors ?? [];
    const first = errors[0] ? `\n      first error: ${String(errors[0].message ?? errors[0]).split('\n')[0].slice(0, 300)}` : '';
    this.retried.push(`${testCase.module.moduleId.split('/').slice(-2).join('/')} > ${testCase.fullName}: ${testCase.result().state} after ${retries} ${retries === 1 ? 'retry' : 'retries'}${first}`);
  }

  onTestRunEnd() {
    if (this.retried.length === 0) console.log('\nretried: none');
    else console.log(`\nretried (${this.retried.length}):\n${this.retried.map((line) => `  ${line}`).join('\n')}`);
  }
}
