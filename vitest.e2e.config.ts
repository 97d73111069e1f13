import { defineConfig } from 'vitest/config';

/** Browser tests: Node drives real headless Chromium or Firefox (MNEMO_BROWSER) through Playwright against the built app. */
export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['e2e/global-setup.ts'],
    fileParallelism: false,
    // Firefox over WebDriver BiDi takes 1.5–2× as long per step as Chromium over CDP (measured on 2 loaded cores).
    testTimeout: process.env.MNEMO_BROWSER === 'firefox' ? 240_000 : 120_000,
    hookTimeout: process.env.MNEMO_BROWSER === 'firefox' ? 240_000 : 120_000,
  },
});
