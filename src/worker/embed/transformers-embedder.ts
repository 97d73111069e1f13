import { env, pipeline, type DataType, type FeatureExtractionPipeline } from '@huggingface/transformers';
import type { Embedder } from './embedder';

export interface TransformersEmbedderOptions {
  /** Folder name under modelBaseUrl (local) or hub id (remote), e.g. 'mnemo-glove-100d'. */
  modelId: string;
  /**
   * Where local model folders live: an absolute URL path such as '/models/'
   * in the browser (prefix the app's base path if it has one), or a
   * filesystem path in Node.
   */
  modelBaseUrl: string;
  /** Browser only: where the app serves ort-wasm-simd-threaded.{mjs,wasm}, e.g. '/ort/'. */
  wasmBaseUrl?: string;
  /** Allow downloading models from the Hugging Face hub (cached in the browser Cache API). */
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
 * served by the app itself).
 *
 * transformers.js keeps its settings in one global `env`, so all embedders in
 * one thread share the latest call's location and remote settings.
 */
export async function createTransformersEmbedder(opts: TransformersEmbedderOptions): Promise<Embedder> {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  configureEnv(opts);

  const pooling = opts.pooling ?? 'mean';
  const extractor = await pipeline('feature-extraction', opts.modelId, opts.dtype ? { dtype: opts.dtype } : {}).catch(
    (cause: unknown) => {
      // A missing file often surfaces as a JSON error (SPA servers answer 404s with index.html): name what was loaded.
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new Error(`cannot load embedding model "${opts.modelId}" from ${opts.modelBaseUrl}: ${reason}`, { cause });
    },
  );
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
  env.allowRemoteModels = allowRemote;
  env.allowLocalModels = true;
  env.localModelPath = opts.modelBaseUrl;
  if (IS_NODE) {
    // Local files are read in place; only downloads are worth a disk cache.
    env.useFSCache = allowRemote;
    return;
  }
  env.useBrowserCache = allowRemote;
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

/** config.json's hidden_size, the width of the pooled output for BERT-like models. */
function hiddenSize(extractor: FeatureExtractionPipeline): number | undefined {
  const size: unknown = (extractor.model.config as { hidden_size?: unknown }).hidden_size;
  return typeof size === 'number' && Number.isInteger(size) && size > 0 ? size : undefined;
}

/** normalize:true divides by the norm, so a text without known tokens comes out NaN. */
function unitOrZero(v: Float32Array): Float32Array {
  return Number.isFinite(v[0]) ? v : v.fill(0);
}
