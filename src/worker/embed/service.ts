/**
 * Background embedding: rows queued by the triggers in `embed_queue` are
 * embedded in batches with the current model and stored per (owner, model).
 * The embedder runs elsewhere (its own worker in the browser), so between
 * batches the database thread keeps answering queries. The queue is a table,
 * so it survives reloads; a model change re-queues everything, and search
 * only ever reads vectors of the current model.
 */
import type { EmbeddingStatus, ModelFile, ModelInfo } from '../../shared/api';
import { fail } from '../../shared/errors';
import type { Scope } from '../../shared/models';
import type { Core } from '../core';
import type { Sql } from '../engine/sql';
import { VectorIndex, type SearchHit } from '../search/vector-index';
import type { Embedder } from '../../shared/embedder';

const MODEL_SETTING = 'embeddings.model';
const BATCH = 64;
const OWNER_TABLES = ['messages', 'memories', 'vector_entries', 'chunks'] as const;
export type OwnerTable = (typeof OWNER_TABLES)[number];

const TEXT_OF: Record<OwnerTable, string> = {
  messages: `SELECT q.owner_table AS t, q.owner_id AS id, q.token, m.content AS text, s.user_id AS userId, s.space_id AS spaceId
    FROM embed_queue q JOIN messages m ON m.id = q.owner_id JOIN conversations c ON c.id = m.conversation_id
    JOIN sessions s ON s.id = c.session_id WHERE q.owner_table = 'messages'`,
  memories: `SELECT q.owner_table AS t, q.owner_id AS id, q.token, m.content AS text, m.user_id AS userId, m.space_id AS spaceId
    FROM embed_queue q JOIN memories m ON m.id = q.owner_id WHERE q.owner_table = 'memories'`,
  vector_entries: `SELECT q.owner_table AS t, q.owner_id AS id, q.token, v.content AS text, v.user_id AS userId, v.space_id AS spaceId
    FROM embed_queue q JOIN vector_entries v ON v.id = q.owner_id WHERE q.owner_table = 'vector_entries'`,
  chunks: `SELECT q.owner_table AS t, q.owner_id AS id, q.token,
      CASE WHEN k.heading IS NULL THEN k.text ELSE k.heading || char(10) || k.text END AS text, s.user_id AS userId, s.space_id AS spaceId
    FROM embed_queue q JOIN chunks k ON k.id = q.owner_id JOIN contents d ON d.id = k.content_id
    JOIN stores st ON st.id = d.store_id JOIN sessions s ON s.id = st.session_id WHERE q.owner_table = 'chunks'`,
};

interface QueuedRow {
  t: OwnerTable;
  id: string;
  token: number;
  text: string;
  userId: string;
  spaceId: string;
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

export const scopeKey = (scope: Scope) => `${scope.userId}\u0000${scope.spaceId}`;
export const vectorKey = (table: OwnerTable, id: string) => `${table}:${id}`;

function toBlob(vector: Float32Array): Uint8Array {
  return new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength).slice();
}

function fromBlob(blob: Uint8Array): Float32Array {
  const copy = blob.slice();
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}

/** The in-worker vector cache for one model, with each entry's scope. */
class ModelIndex {
  readonly index: VectorIndex;
  readonly scopes = new Map<string, string>();
  constructor(readonly dims: number) {
    this.index = new VectorIndex(dims);
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

export class EmbeddingService {
  private embedders = new Map<string, Promise<Embedder>>();
  private cache: { modelId: string; index: ModelIndex } | undefined;
  private running: Promise<void> | undefined;
  private lastError: string | null = null;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly core: Core,
    private readonly catalog: ModelCatalog,
  ) {}

  private get sql(): Sql {
    return this.core.sql;
  }

  get modelId(): string {
    const value = this.core.repos.settings.get({ userId: '', spaceId: '' }, MODEL_SETTING);
    return typeof value === 'string' ? value : this.catalog.defaultModel;
  }

  private embedder(modelId = this.modelId): Promise<Embedder> {
    let embedder = this.embedders.get(modelId);
    if (!embedder) {
      embedder = this.catalog.factory(modelId);
      this.embedders.set(modelId, embedder);
      embedder.catch(() => this.embedders.delete(modelId));
    }
    return embedder;
  }

  pending(): number {
    return Number(this.sql.value('SELECT count(*) FROM embed_queue') ?? 0);
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
      embedded: Number(this.sql.value('SELECT count(*) FROM embeddings WHERE model_id = ?', [modelId]) ?? 0),
      error: this.lastError,
      models: this.catalog.models(),
    };
  }

  /** Switches the model: vectors of other models are dropped and every row is queued again. */
  async setModel(modelId: string): Promise<EmbeddingStatus> {
    await this.catalog.ready;
    if (!this.catalog.models().some((m) => m.id === modelId)) fail('NOT_FOUND', 'embedding model not found');
    await this.embedder(modelId);
    this.sql.tx(() => {
      this.core.repos.settings.set({ userId: '', spaceId: '' }, MODEL_SETTING, modelId, this.core.now());
      this.sql.run('DELETE FROM embeddings WHERE model_id <> ?', [modelId]);
      this.requeueMissing(modelId);
    });
    this.cache = undefined;
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
      this.sql.tx(() => {
        this.sql.run('DELETE FROM embeddings WHERE model_id = ?', [modelId]);
        this.requeueMissing(modelId);
      });
      this.cache = undefined;
      this.kick();
    }
    return info;
  }

  /** Queues every row that has no vector of this model (used after model changes, imports, rebuilds). */
  requeueMissing(modelId = this.modelId): number {
    let queued = 0;
    for (const table of OWNER_TABLES) {
      queued += this.sql.run(
        `INSERT OR IGNORE INTO embed_queue (owner_table, owner_id, token)
         SELECT ?, o.id, random() FROM ${table} o
         WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.owner_table = ? AND e.owner_id = o.id AND e.model_id = ?)`,
        [table, table, modelId],
      );
    }
    return queued;
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
        } else this.kick();
      });
  }

  /** Stops the runner; resolves once an in-flight batch has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** Resolves when the queue is empty (or the runner gave up on an error), or after the timeout. */
  async flush(timeoutMs = 60_000): Promise<EmbeddingStatus> {
    this.kick();
    if (this.pending() > 0 && !this.lastError) {
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => setTimeout(resolve, timeoutMs)),
      ]);
    }
    return this.status();
  }

  private nextBatch(): QueuedRow[] {
    const rows: QueuedRow[] = [];
    for (const table of OWNER_TABLES) {
      if (rows.length >= BATCH) break;
      rows.push(...this.sql.all<QueuedRow>(`${TEXT_OF[table]} LIMIT ?`, [BATCH - rows.length]));
    }
    return rows;
  }

  private async run(): Promise<void> {
    // Loading a model costs seconds and megabytes; an empty queue needs none of it.
    if (this.pending() === 0) return;
    const modelId = this.modelId;
    let embedder: Embedder;
    try {
      embedder = await this.embedder(modelId);
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : 'the model could not be loaded';
      return;
    }
    const total = this.pending();
    if (total === 0) return;
    const task = this.core.progress.begin('embedding', total);
    let done = 0;
    try {
      // Orphans (owner deleted between enqueue and now) cannot be embedded; drop them.
      this.dropOrphans();
      for (;;) {
        if (this.stopped || this.modelId !== modelId) return;
        const batch = this.nextBatch();
        if (batch.length === 0) break;
        const vectors = await embedder.embed(batch.map((r) => r.text));
        if (this.stopped || this.modelId !== modelId) return;
        const now = this.core.now();
        this.sql.tx(() => {
          batch.forEach((row, i) => {
            const vector = vectors[i]!;
            this.sql.run(
              `INSERT OR REPLACE INTO embeddings (owner_table, owner_id, model_id, user_id, space_id, dims, vector, created_at)
               SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM embed_queue WHERE owner_table = ? AND owner_id = ?)`,
              [row.t, row.id, modelId, row.userId, row.spaceId, vector.length, toBlob(vector), now, row.t, row.id],
            );
            this.sql.run('DELETE FROM embed_queue WHERE owner_table = ? AND owner_id = ? AND token = ?', [row.t, row.id, row.token]);
          });
        });
        const cache = this.cache?.modelId === modelId ? this.cache.index : undefined;
        if (cache) batch.forEach((row, i) => cache.put(vectorKey(row.t, row.id), scopeKey(row), vectors[i]!));
        done += batch.length;
        task.step(Math.min(done, total));
        // Let queued API calls run between batches.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      this.lastError = null;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : 'embedding failed';
    } finally {
      task.end();
    }
  }

  private dropOrphans(): void {
    this.sql.tx(() => {
      for (const table of OWNER_TABLES) {
        this.sql.run(`DELETE FROM embed_queue WHERE owner_table = ? AND owner_id NOT IN (SELECT id FROM ${table})`, [table]);
      }
    });
  }

  async embedQuery(text: string): Promise<{ modelId: string; vector: Float32Array }> {
    const modelId = this.modelId;
    const [vector] = await (await this.embedder(modelId)).embed([text]);
    return { modelId, vector: vector! };
  }

  /**
   * The vector cache of the current model, loaded lazily and rebuilt when
   * deletes (which reach the table through cascades) left it over 10% stale.
   */
  private index(modelId: string): ModelIndex | undefined {
    const stored = Number(this.sql.value('SELECT count(*) FROM embeddings WHERE model_id = ?', [modelId]) ?? 0);
    if (stored === 0) return undefined;
    const cached = this.cache?.modelId === modelId ? this.cache.index : undefined;
    if (cached && cached.index.size <= stored * 1.1 + 16 && cached.index.size >= stored) return cached;
    const rows = this.sql.all<{ t: OwnerTable; id: string; userId: string; spaceId: string; dims: number; vector: Uint8Array }>(
      'SELECT owner_table AS t, owner_id AS id, user_id AS userId, space_id AS spaceId, dims, vector FROM embeddings WHERE model_id = ?',
      [modelId],
    );
    const index = new ModelIndex(rows[0]!.dims);
    for (const row of rows) index.put(vectorKey(row.t, row.id), scopeKey(row), fromBlob(row.vector));
    this.cache = { modelId, index };
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

  /** Stores a vector computed outside the queue (e.g. for memory dedup) and dequeues the row. */
  storeVector(table: OwnerTable, id: string, scope: Scope, modelId: string, vector: Float32Array): void {
    this.sql.run(
      `INSERT OR REPLACE INTO embeddings (owner_table, owner_id, model_id, user_id, space_id, dims, vector, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [table, id, modelId, scope.userId, scope.spaceId, vector.length, toBlob(vector), this.core.now()],
    );
    this.sql.run('DELETE FROM embed_queue WHERE owner_table = ? AND owner_id = ?', [table, id]);
    if (this.cache?.modelId === modelId) this.cache.index.put(vectorKey(table, id), scopeKey(scope), vector);
  }

  /** Drops the cache (after imports, restores, clear-all). */
  invalidate(): void {
    this.cache = undefined;
  }
}
