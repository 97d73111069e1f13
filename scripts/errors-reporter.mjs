// A Vitest reporter that writes the run's unhandled errors (an uncaught
// exception or rejection outside any test, a failing teardown) to the file in
// MNEMO_ERRORS_FILE. Vitest exits 1 on them but its JSON report leaves them out,
// so scripts/test.mjs reads this file, counts each as a failure and prints them
// again beside the totals, where a shortened CI log still shows them.
import { writeFileSync } from 'node:fs';

export default class ErrorsReporter {
  onTestRunEnd(_modules, unhandledErrors) {
    const file = process.env.MNEMO_ERRORS_FILE;
    if (!file) return;
    const errors = [...unhandledErrors].map((error) => ({
      name: error?.name ?? 'Error',
      message: String(error?.message ?? error),
      stack: String(error?.stack ?? '').split('\n').slice(0, 12).join('\n'),
      origin: error?.VITEST_TEST_PATH ?? error?.VITEST_TEST_NAME ?? null,
    }));
    writeFileSync(file, JSON.stringify(errors, null, 2));
  }
}
