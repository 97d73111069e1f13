/**
 * Background embedding: rows queued by the triggers in `embed_queue` are
 * embedded in batches with the current model and stored per (owner, model).
 * The embedder runs elsewhere (its own worker in the browser), so between
 * batches the database thread keeps answering queries. The queue is a table,
 * so it survives reloads; a model change re-queues everything, and search
 * only ever reads vectors of the current model.
 */
import type { EmbeddingDistance, EmbeddingModelInfo, EmbeddingModelInput, EmbeddingStatus, ModelFile, ModelInfo, RegisteredModel } from '../../shared/api';
import { fail } from '../../shared/errors';
import type { Scope } from '../../shared/models';
import { GLOBAL_SCOPE, scopeKey } from '../../shared/scope';
import type { ProgressReporter } from '../events';
import type { Db } from '../repos';
import type { OwnerTable } from '../repos/embeddings';
import type { QueuedRow } from '../repos/embed-queue';
import { VectorIndex, type SearchHit } from '../search/vector-index';
import type { Embedder } from '../../shared/embedder';

export type { OwnerTable } from '../repos/embeddings';

const MODEL_SETTING = 'embeddings.model';
/** Rows per embedding call: fewer round trips to the embedding worker, one short write transaction each. */
const BATCH = 256;
/**
 * The queue waits until writes have been quiet this long: embedding between
 * the batches of a bulk insert or between the chat messages of a burst made
 * each write wait for a vector transaction (the benchmark's breakdown).
 */
const QUIET_MS = 150;
/** Rows per vector-write transaction: a batch is written in slices so calls wait for one slice at most. */
const WRITE_SLICE = 64;
/**
 * After a failed run (the model did not load, the embedding worker hung) the
 * queue tries again by itself after these delays, then waits for the next
 * write or flush(); a run that succeeds starts the sequence over.
 */
export const RETRY_DELAYS_MS = [5_000, 30_000, 120_000];

/**
 * Lets queued messages (API calls) run: a message round trip, not a timer, so
 * it is not clamped to 4 ms when nested (HTML timers) and costs the queue
 * next to nothing.
 */
function yieldToCalls(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

export type EmbedderFactory = (modelId: string) => Promise<Embedder>;

export interface ModelCatalog {
  models(): ModelInfo[];
  factory: EmbedderFactory;
  /** Stores a user-provided model folder so `factory` can load it; absent where models cannot be stored. */
  install?(modelId: string, files: ModelFile[]): Promise<ModelInfo>;
  /** Resolves once `models()` lists stored (imported) models too. */
  readonly ready?: Promise<void>;
  /** The model used until the user picks another. */
  defaultModel: string;
}

export const vectorKey = (table: OwnerTable, id: string) => `${table}:${id}`;

/** The in-worker vector cache for one model, with each entry's scope. */
class ModelIndex {
  readonly index: VectorIndex;
  readonly scopes = new Map<string, string>();
  /** The connection's total change count when the index was last found in step with the table. */
  checkedAt = -1;
  constructor(readonly dims: number, distance: EmbeddingDistance) {
    this.index = new VectorIndex(dims, { normalize: distance === 'cosine' });
  }
  put(key: string, scope: string, vector: Float32Array): void {
    this.index.upsert(key, vector);
    this.scopes.set(key, scope);
  }
  remove(key: string): void {
    this.index.delete(key);
    this.scopes.delete(key);
  }
}

/** What search and memory dedup use: embed a query, find its nearest stored vectors. */
export interface VectorSearch {
  embedQuery(text: string): Promise<{ modelId: string; vector: Float32Array }>;
  /** Many texts at once (fewer round trips to the embedding worker). */
  embedTexts(texts: string[]): Promise<{ modelId: string; vectors: Float32Array[] }>;
  /** Nearest neighbours of `query` among one model's vectors (Mnemo's or a registered one) in one scope. */
  nearest(modelId: string, query: Float32Array, scope: Scope, k: number, accept?: (key: string) => boolean): SearchHit[];
}

/** Stores vectors (Mnemo's or a caller's) for rows being written, keeping the loaded indexes in step. */
export interface VectorStore {
  storeVector(table: OwnerTable, id: string, scope: Scope, modelId: string, vector: Float32Array): void;
  /** Runs a write that stores vectors: if it fails, the indexes it touched are dropped (and rebuilt from the table when next used). */
  vectorWrite<T>(fn: () => T): T;
}

export interface EmbeddingDeps {
  db: Db;
  now: () => number;
  progress: ProgressReporter;
  catalog: ModelCatalog;
  /** Delays of the runner's own retries after a failed run (default `RETRY_DELAYS_MS`). */
  retryDelaysMs?: readonly number[];
}

export class EmbeddingService implements VectorSearch, VectorStore {
  private embedders = new Map<string, Promise<Embedder>>();
  /** Each settled embedder promise's value, so a query can be posted to the embedding worker without waiting a turn. */
  private loaded = new WeakMap<Promise<Embedder>, Embedder>();
  /** Loaded vector indexes by model: the current model's and those of registered models searched since. */
  private caches = new Map<string, ModelIndex>();
  /** Models whose index the running `vectorWrite` changed. */
  private touched = new Set<string>();
  private running: Promise<void> | undefined;
  private lastError: string | null = null;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  private retries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  private readonly db: Db;
  private readonly now: () => number;
  private readonly progress: ProgressReporter;
  private readonly catalog: ModelCatalog;

  private readonly retryDelaysMs: readonly number[] | undefined;

  constructor(deps: EmbeddingDeps) {
    ({ db: this.db, now: this.now, progress: this.progress, catalog: this.catalog, retryDelaysMs: this.retryDelaysMs } = deps);
  }

  get modelId(): string {
    const value = this.db.repos.settings.get(GLOBAL_SCOPE, MODEL_SETTING);
    return typeof value === 'string' ? value : this.catalog.defaultModel;
  }

  private embedder(modelId = this.modelId): Promise<Embedder> {
    let embedder = this.embedders.get(modelId);
    if (!embedder) {
      embedder = this.catalog.factory(modelId);
      this.embedders.set(modelId, embedder);
      const pending = embedder;
      pending.then((e) => this.loaded.set(pending, e)).catch(() => this.embedders.delete(modelId));
    }
    return embedder;
  }

  /**
   * Drops a model's embedder after a failed embed call, so the next use loads
   * it again: the worker embedder stops its worker when it hangs or crashes,
   * and a stopped worker never answers again.
   */
  private retire(modelId: string, pending: Promise<Embedder>): void {
    if (this.embedders.get(modelId) !== pending) return;
    this.embedders.delete(modelId);
    void pending.then((e) => e.dispose?.()).catch(() => {});
  }

  pending(): number {
    return this.db.repos.embedQueue.pending();
  }

  async status(): Promise<EmbeddingStatus> {
    await this.catalog.ready;
    const modelId = this.modelId;
    let dims: number | null = null;
    let ready = false;
    try {
      dims = (await this.embedder(modelId)).dims;
      ready = true;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : 'the model could not be loaded';
    }
    return {
      modelId,
      dims,
      ready,
      pending: this.pending(),
      embedded: this.db.repos.embeddings.count(modelId),
      error: this.lastError,
      models: this.catalog.models(),
    };
  }

  /** Switches the model: vectors of other models are dropped and every row is queued again. */
  async setModel(modelId: string): Promise<EmbeddingStatus> {
    await this.catalog.ready;
    if (!this.catalog.models().some((m) => m.id === modelId)) fail('NOT_FOUND', 'embedding model not found');
    await this.embedder(modelId);
    const { sql, repos } = this.db;
    sql.tx(() => {
      repos.settings.set(GLOBAL_SCOPE, MODEL_SETTING, modelId, this.now());
      repos.embeddings.deleteOtherModels(modelId);
      repos.embedQueue.requeueMissing(modelId);
    });
    this.invalidate();
    this.lastError = null;
    this.kick();
    return this.status();
  }

  /** Adds a model from files the user picked (a transformers.js model folder). */
  async importModel(modelId: string, files: ModelFile[]): Promise<ModelInfo> {
    if (!Array.isArray(files) || files.some((f) => typeof f?.path !== 'string' || !(f.bytes instanceof Uint8Array))) {
      fail('INVALID_INPUT', "embeddings.importModel: field 'files' must be an array of { path, bytes }");
    }
    if (!this.catalog.install) fail('INVALID_INPUT', 'embeddings.importModel: models cannot be stored in this environment');
    // The catalog checks the folder's contents; only after it stored them is the old embedder retired.
    const info = await this.catalog.install(modelId, files);
    const old = this.embedders.get(modelId);
    this.embedders.delete(modelId);
    void old?.then((e) => e.dispose?.()).catch(() => {});
    if (modelId === this.modelId) {
      const { sql, repos } = this.db;
      sql.tx(() => {
        repos.embeddings.deleteModel(modelId);
        repos.embedQueue.requeueMissing(modelId);
      });
      this.caches.delete(modelId);
      this.kick();
    }
    return info;
  }

  /** Queues every row that has no vector of this model (used after model changes, imports, rebuilds). */
  requeueMissing(modelId = this.modelId): number {
    return this.db.repos.embedQueue.requeueMissing(modelId);
  }

  private lastWriteAt = 0;

  /** A searchable row was written: the runner starts (or goes on) once writes are quiet. */
  written(): void {
    this.lastWriteAt = performance.now();
    this.kick();
  }

  /** Resolves once no write has been seen for QUIET_MS (at once after stop()); always yields once so queued calls run. */
  private async quiet(): Promise<void> {
    let wait = this.lastWriteAt + QUIET_MS - performance.now();
    do {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
      wait = this.lastWriteAt + QUIET_MS - performance.now();
    } while (wait > 0 && !this.stopped);
  }

  /** Starts the background runner if it is not running. */
  kick(): void {
    if (this.running || this.stopped) return;
    this.running = this.run()
      .catch((error: unknown) => {
        this.lastError = error instanceof Error ? error.message : 'embedding failed';
      })
      .finally(() => {
        this.running = undefined;
        // After stop() the connection may be closed: release waiters without touching SQL.
        if (this.stopped || this.lastError || this.pending() === 0) {
          for (const resolve of this.idleWaiters.splice(0)) resolve();
          if (!this.stopped && this.lastError && this.pending() > 0) this.retryLater();
          else this.retries = 0;
        } else this.kick();
      });
  }

  private retryLater(): void {
    const delay = (this.retryDelaysMs ?? RETRY_DELAYS_MS)[this.retries];
    if (delay === undefined || this.retryTimer !== undefined) return;
    this.retries += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, delay);
  }

  /** Stops the runner; resolves once an in-flight batch has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.running;
  }

  /** Starts a run (retrying after an earlier error) and resolves when the queue is empty, the run gave up on an error, or after the timeout. */
  async flush(timeoutMs = 60_000): Promise<EmbeddingStatus> {
    this.kick();
    if (this.pending() > 0 && this.running) {
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => setTimeout(resolve, timeoutMs)),
      ]);
    }
    return this.status();
  }

  private async run(): Promise<void> {
    // Loading a model costs seconds and megabytes; an empty queue needs none of it.
    if (this.pending() === 0) return;
    const modelId = this.modelId;
    const pending = this.embedder(modelId);
    let embedder: Embedder;
    try {
      embedder = await pending;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : 'the model could not be loaded';
      return;
    }
    const total = this.pending();
    if (total === 0) return;
    const task = this.progress.begin('embedding', total);
    const started = performance.now();
    let done = 0;
    try {
      // Pipelined: the next batch is read and posted to the embedding worker before this one is
      // written, so the model (its own thread) and the database writes overlap.
      const start = (writing: QueuedRow[] = []): { batch: QueuedRow[]; vectors: Promise<Float32Array[]> } | null => {
        const batch = this.db.repos.embedQueue.next(BATCH, writing);
        if (batch.length === 0) return null;
        const vectors = embedder.embed(batch.map((r) => r.text));
        vectors.catch(() => {}); // observed when awaited; a batch abandoned on stop must not be reported
        return { batch, vectors };
      };
      await this.quiet();
      if (this.stopped || this.modelId !== modelId) return;
      let current = start();
      while (current) {
        const vectors = await current.vectors;
        // Writes have priority: the batch waits for quiet before it is written.
        await this.quiet();
        if (this.stopped || this.modelId !== modelId) return;
        const { batch } = current;
        const following = start(batch);
        // Calls that arrived while the next batch was read answer before this one is written.
        await yieldToCalls();
        if (this.stopped || this.modelId !== modelId) return;
        const now = this.now();
        const { sql, repos } = this.db;
        // Written in slices, each its own transaction, with queued calls answered between them: a
        // search that arrives mid-batch waits for one slice, not for the whole batch.
        for (let at = 0; at < batch.length; at += WRITE_SLICE) {
          if (at > 0) await yieldToCalls();
          if (this.stopped || this.modelId !== modelId) return;
          const slice = batch.slice(at, at + WRITE_SLICE);
          const stored = sql.tx(() => {
            const written = repos.embeddings.putQueued(slice.map((row, i) => ({ ...row, vector: vectors[at + i]! })), modelId, now);
            repos.embedQueue.removeMany(slice);
            return written;
          });
          const cache = this.caches.get(modelId);
          if (cache) slice.forEach((row, i) => cache.put(vectorKey(row.table, row.id), scopeKey(row), stored[i]!));
          done += slice.length;
        }
        const seconds = (performance.now() - started) / 1000;
        const rate = done / Math.max(seconds, 1e-3);
        task.step(Math.min(done, total), `${Math.round(rate)} rows/s, about ${Math.ceil(Math.max(0, total - done) / rate)} s left`);
        current = following;
      }
      // Rows still queued that no batch could read are orphans (their owner was deleted after it was
      // queued): dropped here, at the end, so a drain without orphans never pays for the scan (it
      // was a 20–30 ms pause at the start of every drain of a 10,000-row queue, answering nothing).
      if (this.pending() > 0) this.dropOrphans();
      this.lastError = null;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : 'embedding failed';
      this.retire(modelId, pending);
    } finally {
      task.end();
    }
  }

  private dropOrphans(): void {
    this.db.sql.tx(() => this.db.repos.embedQueue.dropOrphans());
  }

  /**
   * With the model loaded, the text is posted to the embedding worker before
   * this returns, so the caller's own work (hybrid's keyword side) runs while
   * the embedding worker embeds the query.
   */
  embedQuery(text: string): Promise<{ modelId: string; vector: Float32Array }> {
    const modelId = this.modelId;
    const pending = this.embedder(modelId);
    const loaded = this.loaded.get(pending);
    const vectors = loaded ? loaded.embed([text]) : pending.then((e) => e.embed([text]));
    return vectors.then(
      ([vector]) => ({ modelId, vector: vector! }),
      (error: unknown) => {
        this.retire(modelId, pending);
        throw error;
      },
    );
  }

  /** Vectors of the current model for `texts`, in batches like the queue's. */
  async embedTexts(texts: string[]): Promise<{ modelId: string; vectors: Float32Array[] }> {
    const modelId = this.modelId;
    const pending = this.embedder(modelId);
    const embedder = await pending;
    const vectors: Float32Array[] = [];
    try {
      for (let i = 0; i < texts.length; i += BATCH) vectors.push(...(await embedder.embed(texts.slice(i, i + BATCH))));
    } catch (error) {
      this.retire(modelId, pending);
      throw error;
    }
    return { modelId, vectors };
  }

  /** A registered (caller's) model, or undefined. */
  callerModel(modelId: string): RegisteredModel | undefined {
    return this.db.repos.callerModels.get(modelId);
  }

  /** Registers a model for caller vectors; the same id again with the same shape is a no-op. */
  async register(input: EmbeddingModelInput): Promise<RegisteredModel> {
    await this.catalog.ready;
    const distance = input.distance ?? 'cosine';
    if (this.catalog.models().some((m) => m.id === input.id)) fail('CONFLICT', "embeddings.register: field 'id' names a model Mnemo runs itself");
    const { sql, repos } = this.db;
    return sql.tx(() => {
      const existing = repos.callerModels.get(input.id);
      if (existing) {
        if (existing.dims !== input.dims || existing.distance !== distance) fail('CONFLICT', 'embeddings.register: the model is registered with other dims or distance');
        return existing;
      }
      // Vectors can arrive before their model (a merged file keeps them, not the registry): they must fit.
      const stored = repos.embeddings.dims(input.id);
      if (stored !== null && stored !== input.dims) fail('CONFLICT', `embeddings.register: vectors of ${stored} dimensions are stored under this id`);
      return repos.callerModels.insert(input.id, input.dims, distance, this.now());
    });
  }

  /** Forgets a registered model and its vectors. */
  unregister(modelId: string): boolean {
    const removed = this.db.sql.tx(() => this.db.repos.callerModels.delete(modelId));
    this.caches.delete(modelId);
    return removed;
  }

  /** The catalog's models and the registered ones, with their stored vector counts. */
  async models(): Promise<EmbeddingModelInfo[]> {
    await this.catalog.ready;
    const counts = this.db.repos.embeddings.countsByModel();
    const current = this.modelId;
    const own: EmbeddingModelInfo[] = this.catalog
      .models()
      .map((m) => ({ id: m.id, dims: m.dims, distance: 'cosine', source: m.source, current: m.id === current, embedded: counts.get(m.id) ?? 0 }));
    const caller: EmbeddingModelInfo[] = this.db.repos.callerModels
      .list()
      .map((m) => ({ id: m.id, dims: m.dims, distance: m.distance, source: 'caller', current: false, embedded: counts.get(m.id) ?? 0 }));
    return [...own, ...caller];
  }

  /**
   * A model's vector index, loaded lazily (streaming its vectors from the
   * table) and rebuilt when deletes (which reach the table through cascades)
   * left it over 10% stale.
   */
  private index(modelId: string): ModelIndex | undefined {
    // Counting a large model's vectors costs milliseconds per search; nothing written since the last count, no count.
    const changes = this.db.sql.raw.changes(true);
    const cached = this.caches.get(modelId);
    if (cached && cached.checkedAt === changes) return cached;
    const stored = this.db.repos.embeddings.count(modelId);
    if (stored === 0) return undefined;
    if (cached && cached.index.size <= stored * 1.1 + 16 && cached.index.size >= stored) {
      cached.checkedAt = changes;
      return cached;
    }
    // Released before the new one is built: two copies of a large model's vectors may not fit.
    this.caches.delete(modelId);
    const distance = this.callerModel(modelId)?.distance ?? 'cosine';
    let index: ModelIndex | undefined;
    this.db.repos.embeddings.each(modelId, (row) => {
      index ??= new ModelIndex(row.vector.length, distance);
      index.put(vectorKey(row.table, row.id), scopeKey(row), row.vector);
    });
    if (index) {
      index.checkedAt = changes;
      this.caches.set(modelId, index);
    }
    // Loaded inside a write, it may hold rows that are rolled back.
    if (this.db.sql.inTransaction) this.touched.add(modelId);
    return index;
  }

  /** Nearest neighbours within one scope; keys are `table:id`. */
  nearest(modelId: string, query: Float32Array, scope: Scope, k: number, accept?: (key: string) => boolean): SearchHit[] {
    const cache = this.index(modelId);
    if (!cache || cache.dims !== query.length) return [];
    const wanted = scopeKey(scope);
    return cache.index.search(query, k, {
      filter: (key) => cache.scopes.get(key) === wanted && (!accept || accept(key)),
      candidates: Math.max(k * 10, 200),
    });
  }

  /**
   * Stores a vector computed outside the queue: one the caller brought (kept
   * exactly), or the current model's computed for memory dedup (stored
   * compact like the queue's, and dequeued).
   */
  storeVector(table: OwnerTable, id: string, scope: Scope, modelId: string, vector: Float32Array): void {
    const { repos } = this.db;
    const own = modelId === this.modelId;
    const stored = repos.embeddings.put({ table, id, userId: scope.userId, spaceId: scope.spaceId, vector }, modelId, this.now(), !own);
    if (own) repos.embedQueue.remove(table, id);
    const cache = this.caches.get(modelId);
    if (cache) {
      this.touched.add(modelId);
      cache.put(vectorKey(table, id), scopeKey(scope), stored);
    }
  }

  vectorWrite<T>(fn: () => T): T {
    this.touched.clear();
    try {
      return fn();
    } catch (error) {
      for (const modelId of this.touched) this.caches.delete(modelId);
      throw error;
    } finally {
      this.touched.clear();
    }
  }

  /** Drops the loaded indexes (after imports, restores, clear-all). */
  invalidate(): void {
    this.caches.clear();
  }
}
