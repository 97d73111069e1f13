import { env, pipeline, type DataType, type FeatureExtractionPipeline } from '@huggingface/transformers';
import type { Embedder } from './embedder';
import { OPFS_URL_PREFIX, opfsFile } from './model-store';

export interface TransformersEmbedderOptions {
  /** Names the model (the embedder's modelId); also its folder under modelBaseUrl unless `folder` is given, or its hub id (remote). */
  modelId: string;
  /**
   * Where local model folders live: an absolute URL path such as '/models/'
   * in the browser (prefix the app's base path if it has one; not a full
   * URL: transformers.js 4.3.1 looks for tokenizer_config.json only at
   * non-URL local paths), `opfs:<dir>/` for a directory of the browser's
   * origin-private file system (read without any network), or a filesystem
   * path in Node. Not consulted for remote models.
   */
  modelBaseUrl: string;
  /** The model's folder under modelBaseUrl when it is not named modelId; one path segment. */
  folder?: string;
  /** Browser only: where the app serves ort-wasm-simd-threaded.{mjs,wasm}, e.g. '/ort/'. */
  wasmBaseUrl?: string;
  /**
   * modelId is a Hugging Face hub id: download the files once and keep them
   * in the browser's Cache Storage (in Node, transformers.js' disk cache),
   * from where later loads read them, offline included.
   */
  allowRemote?: boolean;
  /** Texts per inference call; a batch is padded to its longest text. */
  batchSize?: number;
  /** Called after each batch of an embed() call with texts done so far and the call's total. */
  onProgress?: (done: number, total: number) => void;
  /** transformers.js dtype (selects onnx/model{,_fp16,_quantized,…}.onnx); default: the model config's, else the device default. */
  dtype?: DataType;
  /** How token vectors become one text vector: 'mean' (default; static models, MiniLM) or 'cls' (what BGE models are trained for). */
  pooling?: 'mean' | 'cls';
}

const DEFAULT_BATCH_SIZE = 32;
const IS_NODE = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/**
 * Pooled (mean unless told otherwise), normalised sentence embeddings from any
 * transformers.js feature-extraction model. Works in Node (onnxruntime-node, models read from
 * the filesystem) and in a browser Web Worker (onnxruntime-web, runtime files
 * served by the app itself; model files from the app, OPFS or the hub).
 *
 * transformers.js keeps its settings in one global `env`, so all embedders in
 * one thread share the latest call's location and remote settings.
 */
export async function createTransformersEmbedder(opts: TransformersEmbedderOptions): Promise<Embedder> {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  configureEnv(opts);

  const pooling = opts.pooling ?? 'mean';
  const name = opts.allowRemote ? opts.modelId : (opts.folder ?? opts.modelId);
  const extractor = await pipeline('feature-extraction', name, opts.dtype ? { dtype: opts.dtype } : {}).catch((cause: unknown) => {
    // A missing file often surfaces as a JSON error (SPA servers answer 404s with index.html): name what was loaded.
    const reason = cause instanceof Error ? cause.message : String(cause);
    const from = opts.allowRemote ? 'the model hub or the browser cache' : `${opts.modelBaseUrl}${name}/`;
    throw new Error(`cannot load embedding model "${opts.modelId}" from ${from}: ${reason}`, { cause });
  });
  const run = async (batch: string[]): Promise<Float32Array[]> => {
    const output = await extractor(batch, { pooling, normalize: true });
    const [rows, width] = output.dims;
    if (rows !== batch.length || width === undefined) throw new Error(`unexpected embedding shape [${output.dims.join(', ')}]`);
    const data = output.data as Float32Array; // pooled output is float32 whatever the weights' dtype
    // One copy per text, so each vector owns its buffer (transferable on its own).
    return Array.from({ length: rows }, (_, i) => unitOrZero(data.slice(i * width, (i + 1) * width)));
  };

  const dims = hiddenSize(extractor) ?? (await run(['dimension probe']))[0]!.length;

  return {
    modelId: opts.modelId,
    dims,
    async embed(texts: string[]): Promise<Float32Array[]> {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        out.push(...(await run(texts.slice(i, i + batchSize))));
        opts.onProgress?.(out.length, texts.length);
      }
      return out;
    },
    dispose: () => extractor.dispose(),
  };
}

function configureEnv(opts: TransformersEmbedderOptions): void {
  const allowRemote = !!opts.allowRemote;
  const fromOpfs = opts.modelBaseUrl.startsWith(OPFS_URL_PREFIX);
  if (IS_NODE && fromOpfs) throw new Error('opfs: model folders exist only in browsers');
  // One source per model: a hub model comes from the cache or the hub, never
  // from modelBaseUrl (where a 404 page could pass for a config file), and a
  // local model never from the hub.
  env.allowRemoteModels = allowRemote;
  env.allowLocalModels = !allowRemote;
  env.localModelPath = opts.modelBaseUrl;
  env.useCustomCache = false;
  if (IS_NODE) {
    // Local files are read in place; only downloads are worth a disk cache.
    env.useFSCache = allowRemote;
    return;
  }
  // transformers.js looks a file up in the cache (key: the hub URL) before
  // fetching it and stores what it downloads, so after one complete
  // download a hub model loads offline. Local files are never cached: the
  // app's own files are precached by its service worker, OPFS files are local.
  env.useBrowserCache = allowRemote;
  if (fromOpfs) routeOpfsReads();
  // The app serves the runtime itself (HTTP-cached). transformers.js' own copy
  // in Cache Storage is keyed by URL only and could outlive an app update,
  // pairing a new JS glue with an old wasm.
  env.useWasmCache = false;
  const wasm = env.backends.onnx.wasm;
  if (!wasm) throw new Error('onnxruntime-web has no wasm backend');
  const base = opts.wasmBaseUrl ?? '/ort/';
  // The plain build, not the default .asyncify one: Mnemo runs the wasm
  // execution provider only, and the plain binary is half the size.
  wasm.wasmPaths = { mjs: `${base}ort-wasm-simd-threaded.mjs`, wasm: `${base}ort-wasm-simd-threaded.wasm` };
  // Threads need SharedArrayBuffer, which needs a cross-origin-isolated page.
  if (!globalThis.crossOriginIsolated) wasm.numThreads = 1;
}

let opfsFetch: typeof env.fetch | undefined;

/**
 * In the browser transformers.js reads every local file (and asks whether
 * optional ones exist) with `env.fetch(localModelPath + name + '/' + file)`.
 * This wrapper answers `opfs:` paths from the origin-private file system,
 * 404 included, so such a model loads without any request; other URLs go
 * to the fetch it wraps. A custom cache (`env.customCache`) would not do:
 * it cannot say "absent", so a miss would still reach the network.
 */
function routeOpfsReads(): void {
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

/** config.json's hidden_size, the width of the pooled output for BERT-like models. */
function hiddenSize(extractor: FeatureExtractionPipeline): number | undefined {
  const size: unknown = (extractor.model.config as { hidden_size?: unknown }).hidden_size;
  return typeof size === 'number' && Number.isInteger(size) && size > 0 ? size : undefined;
}

/** normalize:true divides by the norm, so a text without known tokens comes out NaN. */
function unitOrZero(v: Float32Array): Float32Array {
  return Number.isFinite(v[0]) ? v : v.fill(0);
}
