/**
 * Embedding models in Node (unit tests, eval): transformers.js runs in the
 * calling thread on onnxruntime-node (src/node/embedder.ts) and reads model
 * folders from disk. Node-only, so it lives outside the browser-thread
 * folders; callers pass `nodeCatalog(...)` to `openCore({ catalog })`.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { TransformersEmbedderOptions } from '../shared/embed-protocol';
import { BUNDLED_MODELS, createCatalog, importedOptions, type ImportingCatalog } from '../worker/embed/catalog';
import { ModelStore, type StoreDir } from '../worker/embed/model-store';

// Loaded on first use: most tests never load a model, and transformers.js with onnxruntime-node is slow to import.
const inThread = async (opts: TransformersEmbedderOptions) => (await import('./embedder')).createNodeEmbedder(opts);

export interface NodeCatalogOptions {
  /** A directory for imported models (created on first import); without it `install` is absent. */
  importDir?: string;
}

/** `modelsDir`: the folder holding the bundled models (the app's public/models/). */
export function nodeCatalog(modelsDir: string, defaultModel = 'test-hash-64', options: NodeCatalogOptions = {}): ImportingCatalog {
  const { importDir } = options;
  return createCatalog({
    defaultModel,
    shipped: BUNDLED_MODELS,
    store: importDir === undefined ? undefined : new ModelStore(nodeDir(importDir)),
    loadShipped: (modelId) => inThread({ modelId, modelBaseUrl: modelsDir }),
    loadImported: (m) => inThread(importedOptions(m, importDir!.endsWith('/') ? importDir! : `${importDir}/`)),
  });
}

/** The model store's directory on disk. */
export function nodeDir(root: string): StoreDir {
  const absent = (e: unknown) => (e as { code?: unknown })?.code === 'ENOENT';
  return {
    async read(path) {
      try {
        return new Uint8Array(await readFile(join(root, path)));
      } catch (e) {
        if (absent(e)) return undefined;
        throw e;
      }
    },
    async write(path, bytes) {
      const target = join(root, path);
      await mkdir(dirname(target), { recursive: true });
      const temp = `${target}.${process.pid}.tmp`;
      await writeFile(temp, bytes);
      await rename(temp, target);
    },
    async remove(name) {
      await rm(join(root, name), { recursive: true, force: true });
    },
    async list() {
      try {
        return await readdir(root);
      } catch (e) {
        if (absent(e)) return [];
        throw e;
      }
    },
  };
}
