import { defineConfig } from 'vitest/config';

/** Retrieval evaluation (`npm run eval`): eval/eval.test.ts over eval/corpus, in Node, no network. */
export default defineConfig({
  test: {
    include: ['eval/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'threads',
    // Print the results table as it is written, without vitest's per-test console framing.
    disableConsoleIntercept: true,
  },
});
