// The embedding worker: a module Web Worker that owns the transformers.js
// model, so inference never blocks the thread that asked for it (the database
// worker). Started by createWorkerEmbedder() in src/worker/embed/remote-embedder.ts.
import * as Comlink from 'comlink';
import type { EmbedWorkerApi } from '../shared/embed-protocol';
import type { Embedder } from '../shared/embedder';
import { configureBrowserEnv } from './browser-env';
import { createTransformersEmbedder } from './transformers-embedder';

let embedder: Embedder | undefined;

const api: EmbedWorkerApi = {
  async init(opts, onProgress) {
    await embedder?.dispose?.();
    embedder = undefined;
    embedder = await createTransformersEmbedder({ ...opts, ...(onProgress ? { onProgress } : {}) }, configureBrowserEnv);
    return { modelId: embedder.modelId, dims: embedder.dims };
  },

  async embed(texts) {
    if (!embedder) throw new Error('embed worker: init() has not completed');
    const vectors = await embedder.embed(texts);
    // Each vector owns its buffer (see transformers-embedder), so none is listed twice.
    return Comlink.transfer(vectors, vectors.map((v) => v.buffer));
  },

  async dispose() {
    await embedder?.dispose?.();
    embedder = undefined;
  },
};

Comlink.expose(api);
