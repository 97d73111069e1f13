import { defineConfig } from 'vite';
import { mnemo } from 'mnemo/vite';

// mnemo(): module workers, Mnemo kept out of dependency pre-bundling, and the
// COOP/COEP headers for `vite` and `vite preview`. Nothing to copy by hand:
// the workers, SQLite's wasm, the ONNX runtime and the model are referenced
// with `new URL(…, import.meta.url)` and land in dist/assets/.
export default defineConfig({
  plugins: [mnemo()],
  build: { target: 'es2022' },
});
