/**
 * Builds the test-only page that runs the shared driver checks on
 * opfs-sahpool in Chromium (e2e/driver.test.ts). Output: .cache/driver-dist.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { mnemo } from '../../src/vite/index.ts';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  publicDir: false,
  plugins: [mnemo()],
  logLevel: 'warn',
  build: { target: 'es2022', outDir: here('../../.cache/driver-dist'), emptyOutDir: true },
});
