import { defineConfig } from 'vitest/config';

/** Sync server tests: real HTTP against a throwaway PostgreSQL cluster (test/server/global-setup.ts). */
export default defineConfig({
  test: {
    include: ['test/server/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['test/server/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
