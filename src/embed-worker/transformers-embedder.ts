/**
 * Runs a transformers.js model in the calling thread. Platform-neutral: the
 * embedding worker (main.ts) passes the browser setup of transformers.js
 * (browser-env.ts), Node tests and eval pass src/node's, so this file names
 * no browser or Node global.
 */
import { env, pipeline, type FeatureExtractionPipeline } from '@huggingface/transformers';
import type { Embedder } from '../shared/embedder';
import type { TransformersEmbedderOptions } from '../shared/embed-protocol';

/** transformers.js keeps its settings in one global `env`; a platform sets what differs between browser and Node. */
export type ConfigureEnv = (transformersEnv: typeof env, opts: TransformersEmbedderOptions) => void;

const DEFAULT_BATCH_SIZE = 32;

/**
 * Pooled (mean unless told otherwise), normalised sentence embeddings from any
 * transformers.js feature-extraction model. Works in Node (onnxruntime-node, models read from
 * the filesystem) and in a browser Web Worker (onnxruntime-web, runtime files
 * served by the app itself; model files from the app, OPFS or the hub).
 *
 * transformers.js keeps its settings in one global `env`, so all embedders in
 * one thread share the latest call's location and remote settings.
 */
export async function createTransformersEmbedder(opts: TransformersEmbedderOptions, configurePlatform: ConfigureEnv): Promise<Embedder> {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  configureEnv(opts);
  configurePlatform(env, opts);

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
  // One source per model: a hub model comes from the cache or the hub, never
  // from modelBaseUrl (where a 404 page could pass for a config file), and a
  // local model never from the hub.
  env.allowRemoteModels = allowRemote;
  env.allowLocalModels = !allowRemote;
  env.localModelPath = opts.modelBaseUrl;
  env.useCustomCache = false;
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
