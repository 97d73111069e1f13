/**
 * The database service behind the API: one open connection, its
 * repositories, change and progress events. `createMnemo` wires it into the
 * object that `satisfies MnemoApi`; the worker entry only exposes that.
 */
import type {
  DatabaseInfo,
  Limits,
  Listener,
  MnemoApi,
  MnemoEvent,
  ModelFile,
  OpenOptions,
  ScopedApi,
  SettingsApi,
} from '../shared/api';
import { fail } from '../shared/errors';
import type { Scope } from '../shared/models';
import { check, DEFAULT_LIMITS, makeSchemas, type Schemas } from '../shared/schemas';
import { openDatabase, type OpenedDatabase } from './engine/database';
import type { StorageDriver } from './engine/driver';
import { createMemoryDriver } from './engine/memory-driver';
import { bundledMigrations, type Migration } from './engine/migrations';
import type { Sql } from './engine/sql';
import { loadSqlite } from './engine/sqlite';
import { guard } from './edge';
import { rebuildFts, refreshIndexMeta } from './search/indexing';
import { Operations } from './operations';
import { AgentsRepo } from './repos/agents';
import { ConversationsRepo } from './repos/conversations';
import { DocumentsRepo } from './repos/documents';
import { ExecutionsRepo } from './repos/executions';
import { MemoriesRepo } from './repos/memories';
import { MessagesRepo } from './repos/messages';
import { SessionsRepo } from './repos/sessions';
import { GLOBAL_SCOPE, SettingsRepo } from './repos/settings';
import { SpacesRepo } from './repos/spaces';
import { VectorsRepo } from './repos/vectors';
import { createScopedApi } from './scoped';
import { EmbeddingService, type ModelCatalog } from './embed/service';
import { createFilesApi, snapshotBefore, snapshotBeforeMigration, startBackupSchedule } from './files';


export function createRepos(sql: Sql) {
  return {
    spaces: new SpacesRepo(sql),
    agents: new AgentsRepo(sql),
    sessions: new SessionsRepo(sql),
    conversations: new ConversationsRepo(sql),
    messages: new MessagesRepo(sql),
    memories: new MemoriesRepo(sql),
    vectors: new VectorsRepo(sql),
    documents: new DocumentsRepo(sql),
    settings: new SettingsRepo(sql),
    executions: new ExecutionsRepo(sql),
  };
}

export type Repos = ReturnType<typeof createRepos>;

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** How often expired short-term memories are swept while the database is open. */
const SWEEP_INTERVAL_MS = 60_000;

export interface CoreOptions extends OpenOptions {
  /** Storage driver to use instead of the default for `storage`. */
  driver?: StorageDriver;
  /** Set when OPFS was requested but could not be used. */
  fallbackWarning?: string | null;
  migrations?: Migration[];
  now?: () => number;
  /** Embedding models and how to load them: the worker entry passes the browser's, Node callers src/node's. */
  catalog: ModelCatalog;
}

/** Tables whose writes can change what search and the embedding queue see. */
const SEARCHABLE = new Set(['*', 'messages', 'memories', 'vector_entries', 'contents', 'chunks', 'sessions', 'conversations', 'spaces']);

export class Core {
  readonly limits: Limits;
  readonly schemas: Schemas;
  readonly now: () => number;
  readonly driver: StorageDriver;
  readonly migrations: Migration[];
  readonly warning: string | null;
  private opened: OpenedDatabase;
  private currentRepos: Repos;
  private readonly listeners = new Map<number, Listener>();
  private nextListener = 1;
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  readonly embeddings: EmbeddingService;
  name: string;

  constructor(driver: StorageDriver, name: string, migrations: Migration[], options: CoreOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.schemas = makeSchemas(this.limits);
    this.now = options.now ?? Date.now;
    this.driver = driver;
    this.migrations = migrations;
    this.warning = options.fallbackWarning ?? null;
    this.name = name;
    this.opened = openDatabase(driver, fileFor(name), migrations);
    this.currentRepos = createRepos(this.opened.sql);
    this.embeddings = new EmbeddingService(this, options.catalog);
    this.startMaintenance();
  }

  get sql(): Sql {
    return this.opened.sql;
  }

  get repos(): Repos {
    return this.currentRepos;
  }

  get file(): string {
    return this.opened.file;
  }

  get journalMode(): string {
    return this.opened.journalMode;
  }

  get schemaVersion(): number {
    return this.opened.migration.to;
  }

  /** Closes the current file and opens another (or the same one again). */
  reopen(name: string): void {
    this.stopMaintenance();
    this.driver.persist?.(this.file, this.opened.sql.raw);
    this.opened.sql.close();
    this.name = name;
    this.opened = openDatabase(this.driver, fileFor(name), this.migrations);
    this.currentRepos = createRepos(this.opened.sql);
    this.embeddings.invalidate();
    this.startMaintenance();
  }

  private readonly closers: Array<() => void> = [];

  /** Registers clean-up (timers) to run when the database closes. */
  onClose(fn: () => void): void {
    this.closers.push(fn);
  }

  async close(): Promise<void> {
    for (const fn of this.closers.splice(0)) fn();
    await this.embeddings.stop();
    this.stopMaintenance();
    this.driver.persist?.(this.file, this.opened.sql.raw);
    this.opened.sql.close();
    this.listeners.clear();
  }

  private startMaintenance(): void {
    this.sweepExpired();
    // Resume the embedding queue left by an earlier session; it runs in the background.
    setTimeout(() => this.embeddings.kick(), 0);
    this.sweepTimer = setInterval(() => this.sweepExpired(), SWEEP_INTERVAL_MS);
    // Node keeps a process alive for pending intervals; the sweep is not a reason to.
    (this.sweepTimer as { unref?: () => void }).unref?.();
  }

  private stopMaintenance(): void {
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  /** Deletes expired short-term memories in small batches so reads never wait long. */
  private sweepExpired(): void {
    try {
      const removed = this.sql.tx(() => this.repos.memories.sweepExpired(this.now()));
      if (removed > 0) this.changed('memories', null);
    } catch (error) {
      console.warn('mnemo: expired-memory sweep failed', error instanceof Error ? error.name : undefined);
    }
  }

  subscribe(listener: Listener): number {
    const id = this.nextListener++;
    this.listeners.set(id, listener);
    return id;
  }

  unsubscribe(id: number): boolean {
    return this.listeners.delete(id);
  }

  emit(event: MnemoEvent): void {
    for (const listener of this.listeners.values()) {
      try {
        listener(event);
      } catch {
        // A listener that went away (closed tab) must not break the write that notified it.
      }
    }
  }

  changed(table: string, scope: Scope | null): void {
    this.emit({ type: 'change', table, scope });
    if (SEARCHABLE.has(table)) this.embeddings.kick();
  }

  readonly progress = {
    begin: (task: string, total: number) => {
      this.emit({ type: 'progress', task, done: 0, total });
      return {
        step: (done: number, detail?: string) => this.emit({ type: 'progress', task, done, total, ...(detail ? { detail } : {}) }),
        end: () => this.emit({ type: 'progress', task, done: total, total, detail: 'done' }),
      };
    },
  };

  settingsApi(scope: Scope): SettingsApi {
    const s = this.schemas;
    const context = scope === GLOBAL_SCOPE ? 'mnemo.settings' : 'settings';
    return {
      get: async (key) => this.repos.settings.get(scope, check(s.settingKey, key, `${context}.get`)),
      set: async (key, value) => {
        const name = check(s.settingKey, key, `${context}.set`);
        const json = check(s.jsonValue, value, `${context}.set`);
        const at = this.now();
        this.sql.tx(() => {
          if (scope !== GLOBAL_SCOPE) this.repos.spaces.ensure(scope, at);
          this.repos.settings.set(scope, name, json, at);
        });
        this.changed('settings', scope === GLOBAL_SCOPE ? null : scope);
      },
      delete: async (key) => {
        const name = check(s.settingKey, key, `${context}.delete`);
        const removed = this.sql.tx(() => this.repos.settings.delete(scope, name));
        this.changed('settings', scope === GLOBAL_SCOPE ? null : scope);
        return removed;
      },
      list: async () => this.repos.settings.list(scope),
    };
  }

  info(): DatabaseInfo {
    return {
      name: this.name,
      storage: this.driver.storage,
      vfs: this.driver.vfs,
      path: this.driver.path(this.file),
      journalMode: this.journalMode,
      warning: this.warning,
      schemaVersion: this.schemaVersion,
      sqliteVersion: this.driver.sqlite3.version.libVersion,
    };
  }
}

export function fileFor(name: string): string {
  return `${name}.sqlite3`;
}

export function checkName(name: unknown, context: string): string {
  if (typeof name !== 'string' || !FILE_NAME.test(name)) {
    fail('INVALID_INPUT', `${context}: field 'name' must be 1-64 letters, digits, '.', '_' or '-'`);
  }
  return name;
}

/** The API object behind `Comlink.expose`, with its extra event calls. */
export interface MnemoService extends MnemoApi {
  space(scope: Scope): ScopedApi;
  subscribe(listener: Listener): Promise<number>;
  unsubscribe(id: number): Promise<boolean>;
}

export async function openCore(options: CoreOptions): Promise<Core> {
  const name = checkName(options.name ?? 'mnemo', 'openMnemo');
  const sqlite3 = await loadSqlite();
  const driver = options.driver ?? createMemoryDriver(sqlite3);
  const migrations = options.migrations ?? (await bundledMigrations());
  await snapshotBeforeMigration(driver, name, fileFor(name), migrations, options.now);
  return new Core(driver, name, migrations, options);
}

/** Builds the guarded API over a core. */
export function createMnemo(core: Core): MnemoService {
  const ops = new Operations(core);
  core.onClose(startBackupSchedule(core));
  const s = core.schemas;
  const api = {
    spaces: {
      async list(request) {
        return core.repos.spaces.list(check(s.spaceList, request, 'spaces.list'));
      },
      async get(scope) {
        return core.repos.spaces.get(check(s.scope, scope, 'spaces.get'));
      },
      async create(input) {
        const value = check(s.spaceInput, input, 'spaces.create');
        const space = core.sql.tx(() => core.repos.spaces.create(value, value.name ?? value.spaceId, core.now()));
        core.changed('spaces', value);
        return space;
      },
      async rename(scope, name) {
        const where = check(s.scope, scope, 'spaces.rename');
        const value = check(s.name, name, 'spaces.rename');
        const space = core.sql.tx(() => core.repos.spaces.rename(where, value, core.now()));
        core.changed('spaces', where);
        return space;
      },
      async delete(scope) {
        const where = check(s.scope, scope, 'spaces.delete');
        const removed = core.sql.tx(() => core.repos.spaces.delete(where));
        core.changed('spaces', where);
        return removed;
      },
    },
    space: (scope: Scope) => guard(createScopedApi(core, scope), 'space'),
    settings: core.settingsApi(GLOBAL_SCOPE),
    async info() {
      return core.info();
    },
    async initDatabase(name?: string) {
      core.reopen(checkName(name ?? core.name, 'initDatabase'));
      core.changed('*', null);
      return core.info();
    },
    async getDatabasePath() {
      return { path: core.driver.path(core.file), vfs: core.driver.vfs, storage: core.driver.storage };
    },
    stats: () => ops.stats(),
    healthCheck: async () => ops.healthCheck(),
    verifySchema: () => ops.verifySchema(),
    async cleanupOldConversations(days: number) {
      return ops.cleanupOldConversations(check(s.days, days, 'cleanupOldConversations'));
    },
    async clearAll(options) {
      check(s.clearAll, options, 'clearAll');
      await snapshotBefore(core, 'before-clear-all');
      ops.clearAll();
      core.embeddings.invalidate();
    },
    files: createFilesApi(core),
    embeddings: {
      status: () => core.embeddings.status(),
      async setModel(modelId: string) {
        return core.embeddings.setModel(check(s.modelId, modelId, 'embeddings.setModel'));
      },
      async importModel(modelId: string, files: ModelFile[]) {
        return core.embeddings.importModel(check(s.modelId, modelId, 'embeddings.importModel'), files);
      },
      async flush(timeoutMs?: number) {
        return core.embeddings.flush(check(s.timeoutMs, timeoutMs, 'embeddings.flush'));
      },
    },
    async rebuildIndex() {
      const started = performance.now();
      const result = core.sql.tx(() => {
        const rows = rebuildFts(core.sql);
        const queuedForEmbedding = core.embeddings.requeueMissing();
        refreshIndexMeta(core.sql, core.now(), Math.round(performance.now() - started));
        return { rows, queuedForEmbedding };
      });
      core.embeddings.invalidate();
      core.changed('*', null);
      return { ...result, durationMs: Math.round(performance.now() - started) };
    },
    async indexStatus(sessionId?: string) {
      const id = sessionId === undefined ? undefined : check(s.id, sessionId, 'indexStatus');
      return ops.indexStatus(id);
    },
    async subscribe(listener: Listener) {
      return core.subscribe(listener);
    },
    async unsubscribe(id: number) {
      return core.unsubscribe(id);
    },
    async close() {
      await core.close();
    },
  } satisfies MnemoService;
  return guard(api);
}
