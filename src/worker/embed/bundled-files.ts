/**
 * Where the bundled model's files and the ONNX runtime are when they travel
 * inside the npm package. The app serves them itself (`<base>models/`,
 * `<base>ort/`), so here there are none; the package build (vite.lib.config.ts)
 * swaps in bundled-files.lib.ts, whose `new URL(…, import.meta.url)` calls let
 * a consumer's bundler (Vite, webpack 5) copy each file and rewrite its URL.
 */
export interface BundledFiles {
  /** Model id → path below the model's folder → full URL. */
  models: Record<string, Record<string, string>>;
  wasmPaths: { mjs: string; wasm: string };
}

export function bundledFiles(): BundledFiles | null {
  return null;
}
