/** transformers.js in Node: onnxruntime-node, model folders read from disk in place. */
import { createTransformersEmbedder, type ConfigureEnv } from '../embed-worker/transformers-embedder';
import { OPFS_URL_PREFIX, type TransformersEmbedderOptions } from '../shared/embed-protocol';
import type { Embedder } from '../shared/embedder';

const configureNodeEnv: ConfigureEnv = (env, opts) => {
  if (opts.modelBaseUrl.startsWith(OPFS_URL_PREFIX)) throw new Error('opfs: model folders exist only in browsers');
  // Local files are read in place; only downloads are worth a disk cache.
  env.useFSCache = !!opts.allowRemote;
};

/** A transformers.js embedder in this thread. */
export function createNodeEmbedder(opts: TransformersEmbedderOptions): Promise<Embedder> {
  return createTransformersEmbedder(opts, configureNodeEnv);
}
