import * as Comlink from 'comlink';
import type { EmbedWorkerApi, TransformersEmbedderOptions } from '../../shared/embed-protocol';
import type { Embedder } from '../../shared/embedder';

/** A model from the app or OPFS that has not loaded after this long is taken as stuck (a file read that never ends). */
export const INIT_TIMEOUT_MS = 60_000;
/** The same for a hub model, whose first load downloads its weights. */
export const REMOTE_INIT_TIMEOUT_MS = 600_000;
/** An embed call unanswered for this long means the embedding worker hangs: it is stopped, and the next use starts a new one. */
export const EMBED_TIMEOUT_MS = 120_000;

/** What createWorkerEmbedder needs of a Worker (tests pass an in-process fake). */
export type WorkerLike = Comlink.Endpoint & Pick<Worker, 'terminate'>;

export interface WorkerEmbedderLimits {
  initTimeoutMs?: number;
  embedTimeoutMs?: number;
  spawn?: () => WorkerLike;
}

const spawnEmbedWorker = (): WorkerLike => new Worker(new URL('../../embed-worker/main.ts', import.meta.url), { type: 'module', name: 'mnemo-embed' });

/**
 * A transformers.js embedder running in its own module Web Worker. Same
 * options as createTransformersEmbedder (browser paths: modelBaseUrl such as
 * '/models/' or 'opfs:mnemo-models/', wasmBaseUrl such as '/ort/'); the
 * worker reads OPFS itself. dispose() terminates the worker.
 *
 * Nothing waits forever on it: a worker that fails to start or crashes, a
 * model load that has not finished after `initTimeoutMs`, or an embed call unanswered
 * for `embedTimeoutMs` terminates the worker and rejects every pending and
 * later call with the reason (the embedding service then starts a new one).
 */
export async function createWorkerEmbedder(opts: TransformersEmbedderOptions, limits: WorkerEmbedderLimits = {}): Promise<Embedder> {
  const { initTimeoutMs, embedTimeoutMs = EMBED_TIMEOUT_MS, spawn = spawnEmbedWorker } = limits;
  const worker = spawn();
  const api = Comlink.wrap<EmbedWorkerApi>(worker);
  let dead: Error | undefined;
  let kill!: (reason: Error) => void;
  const gone = new Promise<never>((_, reject) => {
    kill = (reason) => {
      if (dead) return;
      dead = reason;
      reject(reason);
      worker.terminate();
    };
  });
  gone.catch(() => {}); // observed through the races below; no unhandled rejection when idle
  worker.addEventListener('error', (e) => kill(new Error(`embed worker failed: ${(e as ErrorEvent).message || 'could not start'}`)));

  const { onProgress, ...rest } = opts;
  const initMs = initTimeoutMs ?? (opts.allowRemote ? REMOTE_INIT_TIMEOUT_MS : INIT_TIMEOUT_MS);
  const stall = setTimeout(() => kill(new Error(`the embedding model "${opts.modelId}" did not finish loading within ${initMs / 1000} s`)), initMs);
  let info: { modelId: string; dims: number };
  try {
    // Functions cannot be structured-cloned; Comlink.proxy calls back across.
    info = await Promise.race([api.init(rest, onProgress ? Comlink.proxy(onProgress) : undefined), gone]);
  } catch (err) {
    kill(err instanceof Error ? err : new Error(String(err)));
    throw err;
  } finally {
    clearTimeout(stall);
  }

  return {
    modelId: info.modelId,
    dims: info.dims,
    embed(texts) {
      if (dead) return Promise.reject(dead);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          kill(new Error(`the embedding worker did not answer within ${embedTimeoutMs / 1000} s and was stopped`));
          reject(dead);
        }, embedTimeoutMs);
      });
      return Promise.race([api.embed(texts), gone, late]).finally(() => clearTimeout(timer));
    },
    async dispose() {
      if (dead) return;
      try {
        await Promise.race([api.dispose(), gone]);
      } finally {
        kill(new Error('the embedder was disposed'));
        api[Comlink.releaseProxy]();
      }
    },
  };
}
