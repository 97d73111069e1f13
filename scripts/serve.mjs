// Serves the built app (dist/) on a fixed localhost port with the
// cross-origin isolation headers the app relies on. Used by `npm start` and
// by the browser tests (which pick a free port).
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.pdf': 'application/pdf',
};

// Origins the page may call besides itself: local model servers (Ollama,
// LM Studio, llama.cpp, vLLM) by default. `MNEMO_CONNECT_SRC` replaces this
// list (space-separated origins such as `https://api.openai.com`), so the chat
// can reach exactly the endpoints configured in the app. Kept identical to
// src/vite/index.ts (e2e/xss.test.ts checks).
export const DEFAULT_CONNECT_SRC = ['http://localhost:*', 'http://127.0.0.1:*'];
const SOURCE = /^(?:https?|wss?):\/\/(?:\*\.)?[a-z0-9.-]+(?::(?:\d{1,5}|\*))?$/i;

/** The connect-src origins from `MNEMO_CONNECT_SRC`, else the default; throws on anything but plain origins. */
export function connectSrcFromEnv(value = process.env.MNEMO_CONNECT_SRC) {
  if (value === undefined || value.trim() === '') return DEFAULT_CONNECT_SRC;
  const origins = value.trim().split(/\s+/);
  const bad = origins.find((origin) => !SOURCE.test(origin));
  if (bad !== undefined) throw new Error(`MNEMO_CONNECT_SRC: "${bad}" is not an origin like https://api.example.com or http://localhost:*`);
  return origins;
}

// Content-Security-Policy: why each directive is there is in docs/decisions.md
// ("Hostile input and CSP"). The Hugging Face hosts are for embedding models
// fetched once when online.
export function contentSecurityPolicy(connectSrc = DEFAULT_CONNECT_SRC) {
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

/** The headers of every answer; the same as CROSS_ORIGIN_HEADERS in src/vite/index.ts. */
export function appHeaders(connectSrc = connectSrcFromEnv()) {
  return {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': contentSecurityPolicy(connectSrc),
  };
}

export const HEADERS = appHeaders();

export function startServer({ root = 'dist', port = 4173, host = '127.0.0.1', connectSrc } = {}) {
  const base = resolve(root);
  const headers = connectSrc === undefined ? HEADERS : appHeaders(connectSrc);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let path = normalize(join(base, decodeURIComponent(url.pathname)));
    if (!path.startsWith(base)) {
      res.writeHead(403).end();
      return;
    }
    let stat;
    try {
      stat = statSync(path);
      if (stat.isDirectory()) {
        path = join(path, 'index.html');
        stat = statSync(path);
      }
    } catch {
      // Unknown paths without an extension are app routes: serve the shell.
      if (extname(url.pathname)) {
        res.writeHead(404, headers).end('not found');
        return;
      }
      path = join(base, 'index.html');
      stat = statSync(path);
    }
    const type = TYPES[extname(path)] ?? 'application/octet-stream';
    const immutable = path.includes(`${join(base, 'assets')}`);
    res.writeHead(200, {
      ...headers,
      'Content-Type': type,
      'Content-Length': stat.size,
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(path).pipe(res);
  });
  return new Promise((resolveStart, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolveStart(server));
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? 4173);
  const server = await startServer({ port });
  const address = server.address();
  console.log(`Mnemo is running at http://localhost:${typeof address === 'object' && address ? address.port : port}/`);
}
