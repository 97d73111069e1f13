/**
 * Which embedding models exist and how each is loaded. In the browser every
 * transformers.js model runs in its own worker: bundled models load from the
 * app's origin (`/models/<id>/`, runtime from `/ort/`), imported ones from
 * the origin-private file system (see model-store.ts), and the listed remote
 * models are fetched from the model hub once, when online, then read from
 * the browser cache. Node's catalog (tests, eval) is src/node/catalog.ts.
 */
import type { ModelFile, ModelInfo } from '../../shared/api';
import { fail } from '../../shared/errors';
import { OPFS_MODELS_DIR, OPFS_URL_PREFIX, type TransformersEmbedderOptions } from '../../shared/embed-protocol';
import type { Embedder } from '../../shared/embedder';
import { bundledFiles } from './bundled-files';
import { ModelStore, toModelInfo, type StoredModel } from './model-store';
import { createWorkerEmbedder } from './remote-embedder';
import { opfsDir } from './opfs-dir';
import type { ModelCatalog } from './service';
import { createTestEmbedder } from './test-embedder';

export const BUNDLED_MODELS: ModelInfo[] = [
  { id: 'mnemo-glove-100d', dims: 100, source: 'bundled' },
  { id: 'mnemo-test-32d', dims: 32, source: 'test' },
  { id: 'test-hash-64', dims: 64, source: 'test' },
];

/** Larger sentence models a user may download when online (see docs/embeddings.md). */
export const REMOTE_MODELS: Array<ModelInfo & { pooling: 'mean' | 'cls' }> = [
  { id: 'Xenova/bge-small-en-v1.5', dims: 384, source: 'remote', pooling: 'cls' },
  { id: 'Xenova/all-MiniLM-L6-v2', dims: 384, source: 'remote', pooling: 'mean' },
];

/**
 * A catalog whose list can grow by imports. `ready` resolves once the stored
 * imports are known: `models()` answers synchronously and lists them only
 * from then on (`factory` waits for it itself).
 */
export interface ImportingCatalog extends ModelCatalog {
  readonly ready: Promise<void>;
}

const HASH_MODEL = /^test-hash-(\d+)$/;

function hashEmbedder(modelId: string): Embedder | undefined {
  const match = HASH_MODEL.exec(modelId);
  return match ? createTestEmbedder(Number(match[1])) : undefined;
}

export interface CatalogParts {
  defaultModel: string;
  /** Models that come with the app (bundled, test, remote), in listing order. */
  shipped: ModelInfo[];
  loadShipped(modelId: string): Promise<Embedder>;
  /** Absent where models cannot be stored. */
  store: ModelStore | undefined;
  loadImported(model: StoredModel): Promise<Embedder>;
}

/**
 * Imports extend the shipped list; one imported under a remote model's id
 * (the same model, fetched by hand) takes that entry's place and loads from
 * storage. Bundled and test ids cannot be imported over.
 */
export function createCatalog({ defaultModel, shipped, loadShipped, store, loadImported }: CatalogParts): ImportingCatalog {
  const install = async (modelId: string, files: ModelFile[]): Promise<ModelInfo> => {
    const taken = shipped.find((m) => m.id === modelId && m.source !== 'remote');
    if (taken || HASH_MODEL.test(modelId)) fail('CONFLICT', `embeddings.importModel: "${modelId}" is the id of a model that ships with the app`);
    return toModelInfo(await store!.install(modelId, files));
  };
  return {
    defaultModel,
    ready: store?.ready ?? Promise.resolve(),
    models() {
      const imported = store?.list() ?? [];
      const ids = new Set(imported.map((m) => m.id));
      return [...shipped.filter((m) => !ids.has(m.id)), ...imported.map(toModelInfo)];
    },
    async factory(modelId) {
      const hashed = hashEmbedder(modelId);
      if (hashed) return hashed;
      await store?.ready;
      const imported = store?.get(modelId);
      if (imported) return loadImported(imported);
      if (!shipped.some((m) => m.id === modelId)) fail('NOT_FOUND', 'embedding model not found');
      return loadShipped(modelId);
    },
    ...(store ? { install } : {}),
  };
}

/** The browser's imported-model store, or undefined without the origin-private file system. */
function browserStore(): ModelStore | undefined {
  const storage = typeof navigator === 'undefined' ? undefined : navigator.storage;
  return typeof storage?.getDirectory === 'function' ? new ModelStore(opfsDir(OPFS_MODELS_DIR)) : undefined;
}

/** The files of the bundled model, below its folder. */
export const BUNDLED_MODEL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'] as const;

/** Where the browser catalog finds the bundled model and the ONNX runtime. */
export interface AssetLocations {
  /** The app's base as an absolute URL (its path prefixes /models/ and /ort/). */
  baseUrl: string;
  /** Full URL of a folder holding `<model id>/config.json` and the rest (openMnemo's `modelBaseUrl`). */
  modelBaseUrl?: string;
  /** Full URL of a folder holding ort-wasm-simd-threaded.{mjs,wasm} (openMnemo's `wasmBaseUrl`). */
  wasmBaseUrl?: string;
}

/** A path-like prefix for models whose files are listed one by one (fileUrls). */
export const LISTED_PREFIX = '/mnemo-bundled-models/';

/**
 * Model and runtime locations for the embedding worker: the caller's folders
 * if given, else the package's bundled copies (bundled-files.ts), else the
 * app's own `<base>models/` and `<base>ort/`.
 */
export function assetLocations({ baseUrl, modelBaseUrl: modelBase, wasmBaseUrl: wasmBase }: AssetLocations): Pick<
  TransformersEmbedderOptions,
  'modelBaseUrl' | 'fileUrls' | 'wasmBaseUrl' | 'wasmPaths'
> {
  const bundled = bundledFiles();
  const wasm = wasmBase
    ? { wasmPaths: { mjs: new URL('ort-wasm-simd-threaded.mjs', wasmBase).href, wasm: new URL('ort-wasm-simd-threaded.wasm', wasmBase).href } }
    : bundled
      ? { wasmPaths: bundled.wasmPaths }
      : { wasmBaseUrl: new URL('ort/', baseUrl).pathname };
  if (modelBase) {
    const fileUrls = Object.fromEntries(
      BUNDLED_MODELS.filter((m) => m.source === 'bundled').flatMap((m) =>
        BUNDLED_MODEL_FILES.map((file) => [`${m.id}/${file}`, new URL(`${m.id}/${file}`, modelBase).href]),
      ),
    );
    return { modelBaseUrl: LISTED_PREFIX, fileUrls, ...wasm };
  }
  if (bundled) {
    const fileUrls = Object.fromEntries(
      Object.entries(bundled.models).flatMap(([id, files]) => Object.entries(files).map(([file, url]) => [`${id}/${file}`, url])),
    );
    return { modelBaseUrl: LISTED_PREFIX, fileUrls, ...wasm };
  }
  // Paths, not full URLs: see modelBaseUrl in src/shared/embed-protocol.ts.
  return { modelBaseUrl: new URL('models/', baseUrl).pathname, ...wasm };
}

export function browserCatalog(where: AssetLocations, defaultModel = 'mnemo-glove-100d'): ImportingCatalog {
  const { modelBaseUrl, fileUrls, ...wasm } = assetLocations(where);
  // A static import (0.7 kB): a lazy chunk would import comlink back from the worker's
  // entry chunk in the npm package, which Vite's dev server then runs twice.
  const inWorker = (opts: TransformersEmbedderOptions) => createWorkerEmbedder({ ...wasm, ...opts });
  return createCatalog({
    defaultModel,
    shipped: [...BUNDLED_MODELS, ...REMOTE_MODELS.map(({ pooling: _pooling, ...m }) => m)],
    store: browserStore(),
    loadShipped(modelId) {
      const remote = REMOTE_MODELS.find((m) => m.id === modelId);
      // Hub models: the int8 weights (the wasm default, named so Node would pick the same).
      return inWorker(
        remote ? { modelId, modelBaseUrl, allowRemote: true, pooling: remote.pooling, dtype: 'q8' } : { modelId, modelBaseUrl, ...(fileUrls ? { fileUrls } : {}) },
      );
    },
    loadImported: (m) => inWorker(importedOptions(m, `${OPFS_URL_PREFIX}${OPFS_MODELS_DIR}/`)),
  });
}

export function importedOptions(m: StoredModel, modelBaseUrl: string): TransformersEmbedderOptions {
  // The store only records dtypes transformers.js knows (see DTYPE_SUFFIX in model-store.ts).
  const dtype = m.dtype as TransformersEmbedderOptions['dtype'];
  return { modelId: m.id, modelBaseUrl, folder: m.folder, ...(dtype ? { dtype } : {}) };
}
