import * as Comlink from 'comlink';
import type { EmbedWorkerApi, TransformersEmbedderOptions } from '../../shared/embed-protocol';
import type { Embedder } from '../../shared/embedder';

/**
 * A transformers.js embedder running in its own module Web Worker. Same
 * options as createTransformersEmbedder (browser paths: modelBaseUrl such as
 * '/models/' or 'opfs:mnemo-models/', wasmBaseUrl such as '/ort/'); the
 * worker reads OPFS itself. dispose() terminates the worker.
 */
export async function createWorkerEmbedder(opts: TransformersEmbedderOptions): Promise<Embedder> {
  const worker = new Worker(new URL('../../embed-worker/main.ts', import.meta.url), { type: 'module', name: 'mnemo-embed' });
  const api = Comlink.wrap<EmbedWorkerApi>(worker);
  const { onProgress, ...rest } = opts;
  // Functions cannot be structured-cloned; Comlink.proxy calls back across.
  const init = api.init(rest, onProgress ? Comlink.proxy(onProgress) : undefined);
  // A worker that fails to load or crashes never answers Comlink, so its
  // error event must reject every pending call instead of leaving it hanging.
  const crashed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (e) => reject(new Error(`embed worker failed: ${e.message || 'could not start'}`)), { once: true });
  });
  crashed.catch(() => {}); // observed through the races below; no unhandled rejection when idle

  let info: { modelId: string; dims: number };
  try {
    info = await Promise.race([init, crashed]);
  } catch (err) {
    api[Comlink.releaseProxy]();
    worker.terminate();
    throw err;
  }

  return {
    modelId: info.modelId,
    dims: info.dims,
    embed: (texts) => Promise.race([api.embed(texts), crashed]),
    async dispose() {
      try {
        await api.dispose();
      } finally {
        api[Comlink.releaseProxy]();
        worker.terminate();
      }
    },
  };
}
