/**
 * The wiring: opens the database, constructs each service with only what it
 * uses, assembles the API object that `satisfies MnemoApi`, and closes it
 * all again. The worker entry only exposes that object. No logic lives here.
 */
import type { Limits, Listener, OpenOptions } from '../shared/api';
import type { Scope } from '../shared/models';
import { DEFAULT_LIMITS, makeSchemas, type Schemas } from '../shared/schemas';
import { fail } from '../shared/errors';
import { GLOBAL_SCOPE } from '../shared/scope';
import { adminApi } from './api/admin';
import { embeddingsApi } from './api/embeddings';
import { createFilesApi } from './api/files';
import { createScopedApi } from './api/scoped';
import { settingsApi } from './api/settings';
import { spacesApi } from './api/spaces';
import { checkName, Connection, fileFor } from './connection';
import type { StorageDriver } from './engine/driver';
import { createMemoryDriver } from './engine/memory-driver';
import { bundledMigrations, type Migration } from './engine/migrations';
import type { Sql } from './engine/sql';
import { loadSqlite } from './engine/sqlite';
import { guard } from './edge';
import type { MnemoService } from './service';
import { EmbeddingService, type ModelCatalog } from './embed/service';
import { Events } from './events';
import { snapshotBefore, snapshotBeforeMigration, startBackupSchedule } from './files/backups';
import type { Repos } from './repos';
import { ConversationImporter } from './services/conversation-import';
import { DocumentUploader } from './services/document-upload';
import { Maintenance } from './services/maintenance';
import { MemoryAdder } from './services/memory-add';
import { scopedWriter } from './write';
import { syncApi } from './api/sync';
import { memorySyncStore, type SyncConfigStore } from './sync/config-store';
import { SyncService, type SyncDeps } from './sync/engine';
import type { EncryptionApi } from '../shared/api';
import type { Sealer } from './encryption/keys';
import { unavailableEncryption } from './encryption/unavailable';

export { checkName, fileFor } from './connection';
export type { Repos } from './repos';

export interface CoreOptions extends OpenOptions {
  /** Storage driver to use instead of the default for `storage`. */
  driver?: StorageDriver;
  /** Set when OPFS was requested but could not be used. */
  fallbackWarning?: string | null;
  migrations?: Migration[];
  now?: () => number;
  /** Embedding models and how to load them: the worker entry passes the browser's, Node callers src/node's. */
  catalog: ModelCatalog;
  /** Where sync settings (and the device token) are kept: OPFS in the browser, memory by default. */
  syncStore?: SyncConfigStore;
  /** Sync timing (tests shorten it) and the fetch it uses. */
  syncOptions?: Pick<SyncDeps, 'debounceMs' | 'backoffMs' | 'fetch'>;
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
  readonly connection: Connection;
  readonly events = new Events();
  readonly embeddings: EmbeddingService;
  readonly sync: SyncService;
  private readonly maintenance: Maintenance;
  private readonly closers: Array<() => void> = [];

  constructor(driver: StorageDriver, name: string, migrations: Migration[], options: CoreOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.schemas = makeSchemas(this.limits);
    this.now = options.now ?? Date.now;
    this.driver = driver;
    this.migrations = migrations;
    this.warning = options.fallbackWarning ?? null;
    const db = (this.connection = new Connection(driver, migrations, name));
    const { events, now } = this;
    const embeddings = (this.embeddings = new EmbeddingService({ db, now, progress: events, catalog: options.catalog }));
    const sync = (this.sync = new SyncService({
      db,
      events,
      now,
      store: options.syncStore ?? memorySyncStore(),
      name: () => db.name,
      vectors: embeddings,
      ...options.syncOptions,
    }));
    events.afterChange((table) => {
      if (SEARCHABLE.has(table)) embeddings.written();
      sync.written(table);
    });
    sync.start().catch(() => undefined); // unreadable settings: status() reports not configured
    this.maintenance = new Maintenance({ db, events, now, resumeEmbedding: () => embeddings.kick() });
    db.onReopen(() => {
      embeddings.invalidate();
      this.maintenance.stop();
      this.maintenance.start();
    });
    this.maintenance.start();
  }

  get sql(): Sql {
    return this.connection.sql;
  }

  get repos(): Repos {
    return this.connection.repos;
  }

  get name(): string {
    return this.connection.name;
  }

  get file(): string {
    return this.connection.file;
  }

  get schemaVersion(): number {
    return this.connection.schemaVersion;
  }

  subscribe(listener: Listener): number {
    return this.events.subscribe(listener);
  }

  unsubscribe(id: number): boolean {
    return this.events.unsubscribe(id);
  }

  /** Registers clean-up (timers) to run when the database closes. */
  onClose(fn: () => void): void {
    this.closers.push(fn);
  }

  async close(): Promise<void> {
    for (const fn of this.closers.splice(0)) fn();
    this.sync.stop();
    await this.embeddings.stop();
    this.maintenance.stop();
    this.connection.close();
    this.events.clear();
  }
}

export async function openCore(options: CoreOptions): Promise<Core> {
  const name = checkName(options.name ?? 'mnemo', 'openMnemo');
  const sqlite3 = await loadSqlite();
  const driver = options.driver ?? createMemoryDriver(sqlite3);
  const migrations = options.migrations ?? (await bundledMigrations());
  await snapshotBeforeMigration(driver, name, fileFor(name), migrations, options.now);
  return new Core(driver, name, migrations, options);
}

/** What an encrypted database adds: its life-cycle API and the sealing of exports. */
export interface EncryptionHooks {
  encryption: EncryptionApi;
  sealer: Sealer | null;
}

/** Builds the guarded API over a core: each namespace gets only the services it uses. */
export function createMnemo(core: Core, hooks: EncryptionHooks = { encryption: unavailableEncryption(), sealer: null }): MnemoService {
  const { connection: db, driver, events, now, schemas, embeddings, migrations, limits } = core;
  const writes = { db, events, now };
  const backups = { driver, connection: db, now, events };
  core.onClose(startBackupSchedule(backups));
  const scoped = {
    ...writes,
    schemas,
    embeddings,
    search: { db, embeddings, now },
    memories: new MemoryAdder({ ...writes, embeddings }),
    uploads: new DocumentUploader({ ...writes, maxUploadBytes: limits.maxUploadBytes }),
    imports: new ConversationImporter(writes),
  };
  const api = {
    spaces: spacesApi({ ...writes, schemas }),
    space: (scope: Scope) => guard(createScopedApi(scoped, scope), 'space'),
    settings: settingsApi({ scope: GLOBAL_SCOPE, db, schemas, write: scopedWriter(writes, GLOBAL_SCOPE) }),
    ...adminApi({
      ...writes,
      connection: db,
      driver,
      migrations,
      schemas,
      warning: core.warning,
      embeddings,
      backupBefore: (reason) => snapshotBefore(backups, reason),
    }),
    files: createFilesApi({ ...backups, migrations, limits, schemas, vectorCache: embeddings, sealer: hooks.sealer }),
    embeddings: embeddingsApi(embeddings, schemas),
    encryption: hooks.encryption,
    sync: syncApi(core.sync, schemas),
    async subscribe(listener: Listener) {
      if (typeof listener !== 'function') fail('INVALID_INPUT', `subscribe: argument 'listener' must be a function, got ${listener === null ? 'null' : typeof listener}`);
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
