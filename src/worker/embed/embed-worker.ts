/// <reference lib="webworker" />
// A module Web Worker that owns the transformers.js model, so inference never
// blocks the thread that asked for it (the database worker). Started by
// createWorkerEmbedder() in remote-embedder.ts.
import * as Comlink from 'comlink';
import type { Embedder } from './embedder';
import { createTransformersEmbedder, type TransformersEmbedderOptions } from './transformers-embedder';

let embedder: Embedder | undefined;

const api = {
  /**
   * Loads the model; a second call replaces the first model. onProgress is a
   * separate argument because Comlink only proxies top-level arguments
   * (a Comlink.proxy nested in opts fails to clone).
   */
  async init(
    opts: Omit<TransformersEmbedderOptions, 'onProgress'>,
    onProgress?: TransformersEmbedderOptions['onProgress'],
  ): Promise<{ modelId: string; dims: number }> {
    await embedder?.dispose?.();
    embedder = undefined;
    embedder = await createTransformersEmbedder({ ...opts, ...(onProgress ? { onProgress } : {}) });
    return { modelId: embedder.modelId, dims: embedder.dims };
  },

  async embed(texts: string[]): Promise<Float32Array[]> {
    if (!embedder) throw new Error('embed worker: init() has not completed');
    const vectors = await embedder.embed(texts);
    // Each vector owns its buffer (see transformers-embedder), so none is listed twice.
    return Comlink.transfer(vectors, vectors.map((v) => v.buffer));
  },

  async dispose(): Promise<void> {
    await embedder?.dispose?.();
    embedder = undefined;
  },
};

export type EmbedWorkerApi = typeof api;

Comlink.expose(api);
