/**
 * The package build's version of bundled-files.ts (aliased in
 * vite.lib.config.ts): each file named by a literal `new URL(…, import.meta.url)`
 * so the package build and then the consumer's bundler copy it and rewrite
 * the URL. Never imported by the app.
 */
import type { BundledFiles } from './bundled-files';

export function bundledFiles(): BundledFiles | null {
  return {
    models: {
      'mnemo-glove-100d': {
        'config.json': new URL('../../../public/models/mnemo-glove-100d/config.json', import.meta.url).href,
        'tokenizer.json': new URL('../../../public/models/mnemo-glove-100d/tokenizer.json', import.meta.url).href,
        'tokenizer_config.json': new URL('../../../public/models/mnemo-glove-100d/tokenizer_config.json', import.meta.url).href,
        'onnx/model.onnx': new URL('../../../public/models/mnemo-glove-100d/onnx/model.onnx', import.meta.url).href,
      },
    },
    wasmPaths: {
      mjs: new URL('../../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.mjs', import.meta.url).href,
      wasm: new URL('../../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm', import.meta.url).href,
    },
  };
}
