/**
 * transformers.js in a browser Web Worker: the ONNX runtime from the app's own
 * origin, hub downloads kept in Cache Storage, `opfs:` model folders read from
 * the origin-private file system without any request.
 */
import type { env as transformersEnv } from '@huggingface/transformers';
import { OPFS_URL_PREFIX } from '../shared/embed-protocol';
import type { ConfigureEnv } from './transformers-embedder';

type Env = typeof transformersEnv;

export const configureBrowserEnv: ConfigureEnv = (env, opts) => {
  const allowRemote = !!opts.allowRemote;
  // transformers.js looks a file up in the cache (key: the hub URL) before
  // fetching it and stores what it downloads, so after one complete
  // download a hub model loads offline. Local files are never cached: the
  // app's own files are precached by its service worker, OPFS files are local.
  env.useBrowserCache = allowRemote;
  if (opts.modelBaseUrl.startsWith(OPFS_URL_PREFIX)) routeOpfsReads(env);
  if (opts.fileUrls) routeListedFiles(env, opts.modelBaseUrl, opts.fileUrls);
  // The app serves the runtime itself (HTTP-cached). transformers.js' own copy
  // in Cache Storage is keyed by URL only and could outlive an app update,
  // pairing a new JS glue with an old wasm.
  env.useWasmCache = false;
  const wasm = env.backends.onnx.wasm;
  if (!wasm) throw new Error('onnxruntime-web has no wasm backend');
  const base = opts.wasmBaseUrl ?? '/ort/';
  // The plain build, not the default .asyncify one: Mnemo runs the wasm
  // execution provider only, and the plain binary is half the size.
  wasm.wasmPaths = opts.wasmPaths ?? { mjs: `${base}ort-wasm-simd-threaded.mjs`, wasm: `${base}ort-wasm-simd-threaded.wasm` };
  // Threads need SharedArrayBuffer, which needs a cross-origin-isolated page.
  if (!globalThis.crossOriginIsolated) wasm.numThreads = 1;
};

let opfsFetch: Env['fetch'] | undefined;

/**
 * In the browser transformers.js reads every local file (and asks whether
 * optional ones exist) with `env.fetch(localModelPath + name + '/' + file)`.
 * This wrapper answers `opfs:` paths from the origin-private file system,
 * 404 included, so such a model loads without any request; other URLs go
 * to the fetch it wraps. A custom cache (`env.customCache`) would not do:
 * it cannot say "absent", so a miss would still reach the network.
 */
function routeOpfsReads(env: Env): void {
  if (env.fetch === opfsFetch) return;
  const next = env.fetch;
  opfsFetch = async (input: string | URL, init?: unknown) => {
    const url = typeof input === 'string' ? input : input.href;
    if (!url.startsWith(OPFS_URL_PREFIX)) return next(input, init);
    const file = await opfsFile(url.slice(OPFS_URL_PREFIX.length));
    if (!file) return new Response(null, { status: 404, statusText: 'Not Found' });
    return new Response(file, { headers: { 'content-length': String(file.size), 'content-type': 'application/octet-stream' } });
  };
  env.fetch = opfsFetch;
}

const listed = new Map<string, Record<string, string>>();
let listedFetch: Env['fetch'] | undefined;

/**
 * Answers reads under `prefix` from `urls` (path below prefix → URL), 404 for
 * any other file there; the model keeps a path-like localModelPath while its
 * files live wherever the consumer's bundler put them.
 */
function routeListedFiles(env: Env, prefix: string, urls: Record<string, string>): void {
  listed.set(prefix, urls);
  if (env.fetch === listedFetch) return;
  const next = env.fetch;
  listedFetch = async (input: string | URL, init?: unknown) => {
    const url = typeof input === 'string' ? input : input.href;
    for (const [base, files] of listed) {
      if (!url.startsWith(base)) continue;
      const target = Object.hasOwn(files, url.slice(base.length)) ? files[url.slice(base.length)] : undefined;
      return target === undefined ? new Response(null, { status: 404, statusText: 'Not Found' }) : next(target, init);
    }
    return next(input, init);
  };
  env.fetch = listedFetch;
}

const isMissing = (e: unknown) => {
  const name = (e as { name?: unknown })?.name;
  return name === 'NotFoundError' || name === 'TypeMismatchError';
};

/**
 * A file in the origin-private file system, by '/'-separated path from its
 * root; undefined if absent. The database worker's model store writes these
 * files (src/worker/embed/opfs-dir.ts); this worker only reads them.
 */
async function opfsFile(path: string): Promise<File | undefined> {
  const segments = path.split('/').filter(Boolean);
  const name = segments.pop();
  if (!name) return undefined;
  try {
    let dir = await navigator.storage.getDirectory();
    for (const segment of segments) dir = await dir.getDirectoryHandle(segment);
    return await (await dir.getFileHandle(name)).getFile();
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}
