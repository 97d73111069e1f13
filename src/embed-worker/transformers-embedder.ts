/**
 * Runs a transformers.js model in the calling thread. Platform-neutral: the
 * embedding worker (main.ts) passes the browser setup of transformers.js
 * (browser-env.ts), Node tests and eval pass src/node's, so this file names
 * no browser or Node global.
 */
import { env, pipeline, Tensor, type FeatureExtractionPipeline } from '@huggingface/transformers';
import type { Embedder } from '../shared/embedder';
import type { TransformersEmbedderOptions } from '../shared/embed-protocol';
import { lookupTokenizer, staticLookup, type StaticLookup, type TokenizerJson } from './static-lookup';

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
  const lookup = pooling === 'mean' ? await staticLookupOf(extractor, dims, run) : undefined;
  // A lookup has no padded batch to size: unless told otherwise it reports progress per 256 texts.
  const step = lookup && opts.batchSize === undefined ? LOOKUP_PROGRESS_STEP : batchSize;

  return {
    modelId: opts.modelId,
    dims,
    runtime: lookup ? 'static-lookup' : 'onnx',
    async embed(texts: string[]): Promise<Float32Array[]> {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += step) {
        const batch = texts.slice(i, i + step);
        out.push(...(lookup ? batch.map((text) => lookup.embed(text)) : await run(batch)));
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

/** Texts whose vectors must come out of the lookup exactly as out of the pipeline before it is used. */
const LOOKUP_PROBES = [
  'The quick brown fox jumps over the lazy dog.',
  'Café crème in Zürich, naïve résumé — ÉCOLE [SEP] [CLS] x [UNK]',
  '中文 查询 mixed with English words, numbers 2024 and symbols #@!',
  '',
];

const LOOKUP_PROGRESS_STEP = 256;

/** Rows read from the model's session per call when the lookup table is built. */
const TABLE_CHUNK = 4096;

/**
 * The fast path of a static model (src/embed-worker/static-lookup.ts), or
 * undefined for any model it does not cover exactly: the model must declare
 * itself a per-token lookup in config.json, its tokenizer must be of the
 * handled shape, and the probe texts must give the pipeline's vectors bit
 * for bit. The rows are the session's own output for every vocabulary id.
 */
async function staticLookupOf(
  extractor: FeatureExtractionPipeline,
  dims: number,
  run: (batch: string[]) => Promise<Float32Array[]>,
): Promise<StaticLookup | undefined> {
  if ((extractor.model.config as { mnemo_static_lookup?: unknown }).mnemo_static_lookup !== true) return undefined;
  const tokenizer = extractor.tokenizer as unknown as { _tokenizerJSON?: TokenizerJson; _tokenizerConfig?: Record<string, unknown>; model_max_length?: number };
  const config = tokenizer._tokenizerConfig ?? {};
  if (!tokenizer._tokenizerJSON || config.remove_space || config.do_lowercase_and_remove_accent) return undefined;
  const tokens = lookupTokenizer(tokenizer._tokenizerJSON, tokenizer.model_max_length ?? Number.NaN);
  if (!tokens) return undefined;
  // The largest id + 1 (a spread into Math.max would pass one argument per vocabulary word).
  const ids = [...Object.values(tokenizer._tokenizerJSON.model?.vocab ?? {}), ...(tokenizer._tokenizerJSON.added_tokens ?? []).map((t) => t.id)];
  const size = ids.reduce((max, id) => Math.max(max, id), -1) + 1;
  const rows = new Float32Array(size * dims);
  for (let from = 0; from < size; from += TABLE_CHUNK) {
    const n = Math.min(TABLE_CHUNK, size - from);
    const output = (await extractor.model({
      input_ids: new Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(from + i)), [1, n]),
      attention_mask: new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
      token_type_ids: new Tensor('int64', new BigInt64Array(n), [1, n]),
    })) as { last_hidden_state?: Tensor };
    const data = output.last_hidden_state?.data;
    if (!(data instanceof Float32Array) || data.length !== n * dims) return undefined;
    rows.set(data, from * dims);
  }
  const lookup = staticLookup(tokens, rows, dims);
  const expected = await run(LOOKUP_PROBES);
  const same = LOOKUP_PROBES.every((text, i) => {
    const got = lookup.embed(text);
    return got.every((v, k) => Object.is(v, expected[i]![k]) || (v === 0 && expected[i]![k] === 0));
  });
  return same ? lookup : undefined;
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
