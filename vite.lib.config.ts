// The npm package's browser part (`npm run build:lib`, see docs/library.md):
// the client entry with both workers, SQLite's wasm, the ONNX runtime and the
// bundled model, written to dist-lib/ as plain ES modules whose workers and
// files are referenced by `new URL('./…', import.meta.url)`, a pattern Vite
// and webpack 5 both follow when they bundle the package into an app.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const ortDist = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));

/** Package entries; `mnemo/langchain` builds once src/langchain/index.ts exists. */
export const LIB_ENTRIES: Record<string, string> = {
  index: resolve(root, 'src/client/index.ts'),
  ...(existsSync(resolve(root, 'src/langchain/index.ts')) ? { langchain: resolve(root, 'src/langchain/index.ts') } : {}),
};

const alias = [
  // The package's files travel with it (bundled-files.lib.ts) instead of being served by the app.
  { find: /^\.\/bundled-files$/, replacement: resolve(root, 'src/worker/embed/bundled-files.lib.ts') },
  // As in the app (src/vite/ort-assets.ts): the extern-wasm build, so no unused 27 MB wasm is copied.
  { find: /^onnxruntime-web\/webgpu$/, replacement: join(ortDist, 'ort.webgpu.min.mjs') },
];

export default defineConfig({
  base: './',
  publicDir: false,
  resolve: { alias },
  worker: { format: 'es', rollupOptions: { output: { entryFileNames: 'workers/[name]-[hash].js', chunkFileNames: 'workers/[name]-[hash].js', assetFileNames: 'assets/[name]-[hash][extname]' } } },
  build: {
    outDir: 'dist-lib',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // Readable output that keeps the dependencies' bundler hints (`/* webpackIgnore: true */`); apps minify.
    minify: false,
    modulePreload: false,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      input: LIB_ENTRIES,
      preserveEntrySignatures: 'strict',
      external: [/^@langchain\//],
      output: {
        format: 'es',
        entryFileNames: '[name].js',
        chunkFileNames: 'chunks/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
});
