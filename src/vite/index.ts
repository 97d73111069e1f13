/**
 * Vite plugin for apps that embed Mnemo: module workers, sqlite-wasm kept out
 * of dependency pre-bundling (it loads its .wasm relative to itself), and the
 * cross-origin isolation headers for dev and preview servers.
 */
import type { Plugin } from 'vite';

export const CROSS_ORIGIN_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
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
