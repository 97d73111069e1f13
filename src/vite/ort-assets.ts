import { createReadStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';

/** The ONNX runtime files the embedder loads (wasmPaths in src/embed-worker/browser-env.ts). */
const ORT_FILES = {
  'ort-wasm-simd-threaded.mjs': 'text/javascript',
  'ort-wasm-simd-threaded.wasm': 'application/wasm',
} as const;
type OrtFile = keyof typeof ORT_FILES;
const ORT_DIR = 'ort';

/**
 * Serves (dev) and emits (build) onnxruntime-web's plain wasm runtime under
 * `<base>ort/`, so the runtime never comes from a CDN.
 *
 * It also points `onnxruntime-web/webgpu` (what transformers.js imports) at
 * that package's extern-wasm build: the default build references its 27 MB
 * `.asyncify.wasm` through `new URL(…, import.meta.url)`, which the bundler
 * would copy into assets/ although the runtime is loaded from /ort/ instead.
 */
export function ortAssets(): Plugin {
  const require = createRequire(import.meta.url);
  const distDir = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
  const externWasmBuild = join(distDir, 'ort.webgpu.min.mjs');
  let base = '/';

  return {
    name: 'mnemo-ort-assets',
    config: () => ({
      resolve: { alias: [{ find: /^onnxruntime-web\/webgpu$/, replacement: externWasmBuild }] },
    }),
    configResolved(config) {
      base = config.base;
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = req.url?.split('?')[0] ?? '';
        const prefix = `${base}${ORT_DIR}/`;
        const name = path.startsWith(prefix) ? path.slice(prefix.length) : '';
        if (!Object.hasOwn(ORT_FILES, name)) return next();
        res.setHeader('Content-Type', ORT_FILES[name as OrtFile]);
        createReadStream(join(distDir, name)).on('error', next).pipe(res);
      });
    },
    generateBundle() {
      for (const name of Object.keys(ORT_FILES)) {
        this.emitFile({ type: 'asset', fileName: `${ORT_DIR}/${name}`, source: readFileSync(join(distDir, name)) });
      }
    },
  };
}
