/**
 * What the database worker and the embedding worker (src/embed-worker) agree
 * on: the options that load a transformers.js model, the Comlink API of the
 * embedding worker, and how an OPFS model folder is named. Types and constants
 * only, so neither worker bundles the other's code.
 */
import type { DataType } from '@huggingface/transformers';

/** The store's directory of imported models under the origin-private file system root. */
export const OPFS_MODELS_DIR = 'mnemo-models';
/** A `modelBaseUrl` with this prefix is read from OPFS: `opfs:<path under the OPFS root>/`. */
export const OPFS_URL_PREFIX = 'opfs:';

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
  /** Browser only: full URLs of the two runtime files (the package's bundled copies); wins over wasmBaseUrl. */
  wasmPaths?: { mjs: string; wasm: string };
  /**
   * Browser only: where each file under modelBaseUrl really is, by its path
   * below modelBaseUrl ('mnemo-glove-100d/config.json' → a full URL). Files of
   * modelBaseUrl not listed are answered 404 without a request. Lets a
   * consumer's bundler rename and place the bundled model's files.
   */
  fileUrls?: Record<string, string>;
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

/** The embedding worker's API as the database worker sees it through `Comlink.wrap`. */
export interface EmbedWorkerApi {
  /**
   * Loads the model; a second call replaces the first model. onProgress is a
   * separate argument because Comlink only proxies top-level arguments
   * (a Comlink.proxy nested in opts fails to clone).
   */
  init(
    opts: Omit<TransformersEmbedderOptions, 'onProgress'>,
    onProgress?: TransformersEmbedderOptions['onProgress'],
  ): Promise<{ modelId: string; dims: number }>;
  /** One unit vector per text; each vector's buffer is transferred. */
  embed(texts: string[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}
