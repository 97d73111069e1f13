/**
 * Vite plugin for apps that embed Mnemo: module workers, sqlite-wasm kept out
 * of dependency pre-bundling (it loads its .wasm relative to itself), and the
 * cross-origin isolation headers for dev and preview servers.
 */
import type { Plugin } from 'vite';

/**
 * The Mnemo app's policy (docs/decisions.md, "Hostile input and CSP"); the same
 * string as in scripts/serve.mjs. 'wasm-unsafe-eval' lets SQLite and the ONNX
 * runtime compile WebAssembly without allowing eval. An app embedding Mnemo
 * that talks to its own servers or CDNs needs a wider policy (see there).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "style-src 'self'",
  "img-src 'self' https: data:",
  "connect-src 'self' https://huggingface.co https://*.huggingface.co https://*.hf.co",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const CROSS_ORIGIN_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
};

export function mnemo(): Plugin {
  return {
    name: 'mnemo',
    config: () => ({
      worker: { format: 'es' },
      optimizeDeps: { exclude: ['@sqlite.org/sqlite-wasm'] },
      server: { headers: CROSS_ORIGIN_HEADERS },
      preview: { headers: CROSS_ORIGIN_HEADERS },
    }),
  };
}
