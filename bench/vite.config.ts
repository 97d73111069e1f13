/**
 * Builds the benchmark pages (bench/*.html) with Mnemo's client, workers and
 * assets exactly as the app gets them: the same Vite plugins, the app's
 * public/ folder (bundled embedding models) and the ONNX runtime under /ort/.
 * No service worker. Output: .cache/bench-dist (git-ignored).
 *
 *   npx vite build --config bench/vite.config.ts
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { mnemo } from '../src/vite/index.ts';
import { ortAssets } from '../src/vite/ort-assets.ts';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  publicDir: here('../public'),
  plugins: [mnemo({ csp: true }), ortAssets()],
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['@sqlite.org/sqlite-wasm'] },
  logLevel: 'warn',
  build: {
    target: 'es2022',
    outDir: here('../.cache/bench-dist'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 8192,
    rollupOptions: {
      input: {
        lab: here('lab.html'),
        'cold-mnemo': here('cold-mnemo.html'),
        'cold-raw': here('cold-raw.html'),
        'cold-dexie': here('cold-dexie.html'),
        cipher: here('cipher.html'),
        vfs: here('vfs.html'),
      },
    },
  },
});
