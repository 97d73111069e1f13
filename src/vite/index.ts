/**
 * Vite plugin for apps that embed Mnemo (`mnemo/vite` in the package): module
 * workers, Mnemo and sqlite-wasm kept out of dependency pre-bundling (they load
 * their workers and .wasm files relative to themselves), and the cross-origin
 * isolation headers for dev and preview servers; the app's CSP on request.
 */
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { Plugin } from 'vite';

/**
 * The `@langchain/core` entries `mnemo/langchain` imports. Mnemo is kept out
 * of pre-bundling, so the dev server would serve these unbundled, and their
 * CommonJS dependencies (p-queue) fail in the browser; pre-bundling them
 * (when the app has `@langchain/core`) makes `mnemo/langchain` work in `vite`.
 */
export const LANGCHAIN_ENTRIES: readonly string[] = [
  '@langchain/core/chat_history',
  '@langchain/core/documents',
  '@langchain/core/embeddings',
  '@langchain/core/messages',
  '@langchain/core/utils/math',
  '@langchain/core/vectorstores',
];

/** Whether the app at `root` can resolve `@langchain/core` (an optional peer of Mnemo). */
function hasLangChain(root: string): boolean {
  try {
    createRequire(join(root, 'package.json')).resolve('@langchain/core/package.json');
    return true;
  } catch {
    return false;
  }
}

/** Origins a page may call by default besides itself: local model servers (Ollama, LM Studio, llama.cpp). */
export const DEFAULT_CONNECT_SRC: readonly string[] = ['http://localhost:*', 'http://127.0.0.1:*'];
const SOURCE = /^(?:https?|wss?):\/\/(?:\*\.)?[a-z0-9.-]+(?::(?:\d{1,5}|\*))?$/i;

/**
 * The Mnemo app's policy (docs/decisions.md, "Hostile input and CSP"); the same
 * string as in scripts/serve.mjs. 'wasm-unsafe-eval' lets SQLite and the ONNX
 * runtime compile WebAssembly without allowing eval. `connectSrc` lists the
 * origins the page may fetch from besides itself and the embedding-model hosts
 * (the chat's model endpoints); only plain origins are accepted.
 */
export function contentSecurityPolicy(connectSrc: readonly string[] = DEFAULT_CONNECT_SRC): string {
  const bad = connectSrc.find((origin) => !SOURCE.test(origin));
  if (bad !== undefined) throw new Error(`connectSrc: "${bad}" is not an origin like https://api.example.com or http://localhost:*`);
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    "style-src 'self'",
    "img-src 'self' https: data:",
    ["connect-src 'self' https://huggingface.co https://*.huggingface.co https://*.hf.co", ...connectSrc].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function crossOriginHeaders(connectSrc: readonly string[] = DEFAULT_CONNECT_SRC) {
  return {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Content-Security-Policy': contentSecurityPolicy(connectSrc),
  };
}

export const CROSS_ORIGIN_HEADERS = crossOriginHeaders();

export interface MnemoPluginOptions {
  /**
   * Also send the Mnemo app's Content-Security-Policy (contentSecurityPolicy())
   * from the dev and preview servers. Default false: an app sets its own policy
   * (it must allow 'wasm-unsafe-eval' and same-origin workers).
   */
  csp?: boolean;
  /**
   * Origins the page may connect to besides itself, e.g. the chat's model
   * endpoints. Default: `MNEMO_CONNECT_SRC` (space-separated) when set, else
   * `DEFAULT_CONNECT_SRC`.
   */
  connectSrc?: readonly string[];
}

export function mnemo(options: MnemoPluginOptions = {}): Plugin {
  const fromEnv = process.env['MNEMO_CONNECT_SRC']?.trim();
  const connectSrc = options.connectSrc ?? (fromEnv ? fromEnv.split(/\s+/) : DEFAULT_CONNECT_SRC);
  const { 'Content-Security-Policy': policy, ...isolation } = crossOriginHeaders(connectSrc);
  const headers = options.csp ? { ...isolation, 'Content-Security-Policy': policy } : isolation;
  return {
    name: 'mnemo',
    config: (config = {}) => ({
      worker: { format: 'es' },
      optimizeDeps: {
        exclude: ['mnemo', '@sqlite.org/sqlite-wasm', '@evolu/sqlite-wasm'],
        ...(hasLangChain(resolve(config.root ?? process.cwd())) ? { include: [...LANGCHAIN_ENTRIES] } : {}),
      },
      server: { headers },
      preview: { headers },
    }),
  };
}
