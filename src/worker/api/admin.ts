/**
 * The whole-database calls of the API root: info, statistics, health,
 * schema verification, index maintenance and clean-up. These are the named
 * admin calls that cross scopes.
 */
import type { IndexStatus, MnemoApi, Stats, TableCounts } from '../../shared/api';
import type { Scope } from '../../shared/models';
import { check, type Schemas } from '../../shared/schemas';
import { scopeKey } from '../../shared/scope';
import { checkName, type Connection } from '../connection';
import type { StorageDriver } from '../engine/driver';
import type { Migration } from '../engine/migrations';
import { migratedShape, readSchemaShape, type SchemaShape } from '../engine/schema-shape';
import { COUNTED_TABLES } from '../repos/admin';
import { write, type WriteDeps } from '../write';

const DAY_MS = 86_400_000;
const ACTIVE_WINDOW_DAYS = 7;

export interface AdminDeps extends WriteDeps {
  connection: Pick<Connection, 'name' | 'file' | 'sql' | 'repos' | 'reopen' | 'info'>;
  driver: StorageDriver;
  migrations: Migration[];
  schemas: Schemas;
  /** Set when OPFS was requested but could not be used. */
  warning: string | null;
  embeddings: { invalidate(): void; requeueMissing(): number };
  /** Takes an automatic backup before a destructive call (none while the database is empty). */
  backupBefore(reason: string): Promise<unknown>;
}

type AdminApi = Pick<
  MnemoApi,
  'info' | 'initDatabase' | 'getDatabasePath' | 'stats' | 'healthCheck' | 'verifySchema' | 'cleanupOldConversations' | 'clearAll' | 'rebuildIndex' | 'indexStatus'
>;

function emptyCounts(): TableCounts {
  return {
    spaces: 0, agents: 0, sessions: 0, conversations: 0, messages: 0, memories: 0, longTermMemories: 0,
    shortTermMemories: 0, vectorEntries: 0, contents: 0, chunks: 0, settings: 0, agentExecutions: 0,
  };
}

function startOfToday(now: number): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

async function storageEstimate(): Promise<Stats['storage']> {
  const storage = (globalThis.navigator as WorkerNavigator | undefined)?.storage;
  if (!storage?.estimate) return { usage: null, quota: null, persisted: null };
  const estimate = await storage.estimate();
  const persisted = storage.persisted ? await storage.persisted() : null;
  return { usage: estimate.usage ?? null, quota: estimate.quota ?? null, persisted };
}

export function adminApi(deps: AdminDeps): AdminApi {
  const { connection, driver, schemas: s } = deps;
  let expected: SchemaShape | undefined;

  return {
    async info() {
      return connection.info(deps.warning);
    },
    async initDatabase(name?: string) {
      connection.reopen(checkName(name ?? connection.name, 'initDatabase'));
      deps.events.changed('*', null);
      return connection.info(deps.warning);
    },
    async getDatabasePath() {
      return { path: driver.path(connection.file), vfs: driver.vfs, storage: driver.storage };
    },

    async stats() {
      const admin = connection.repos.admin;
      const now = deps.now();
      const totals = emptyCounts();
      const perSpace = new Map<string, Scope & { name: string; counts: TableCounts }>();
      for (const space of admin.spaces()) {
        perSpace.set(scopeKey(space), { ...space, counts: { ...emptyCounts(), spaces: 1 } });
        totals.spaces += 1;
      }
      for (const table of COUNTED_TABLES) {
        for (const row of admin.countsByScope(table)) {
          totals[table] += row.n;
          const entry = perSpace.get(scopeKey(row));
          if (entry) entry.counts[table] += row.n;
        }
      }
      return {
        totals,
        perSpace: [...perSpace.values()],
        uniqueUsers: admin.uniqueUsers(),
        uniqueSpaces: totals.spaces,
        messagesToday: admin.messagesSince(startOfToday(now)),
        activeUsers: admin.activeUsersSince(now - ACTIVE_WINDOW_DAYS * DAY_MS),
        activeWindowDays: ACTIVE_WINDOW_DAYS,
        fileSizeBytes: driver.fileSize(connection.file, connection.sql.raw),
        bytesPerTable: admin.bytesPerTable(),
        storage: await storageEstimate(),
      };
    },

    async healthCheck() {
      const admin = connection.repos.admin;
      const quickCheck = admin.quickCheck();
      const foreignKeyViolations = admin.foreignKeyViolations();
      const latestVersion = deps.migrations.at(-1)?.version ?? 0;
      const schemaVersion = admin.schemaVersion();
      // Derived tables are only read once the schema is current: an older one may lack them.
      const derivedDataIssues =
        schemaVersion === latestVersion ? [...connection.repos.search.countIssues(), ...connection.repos.embeddings.countIssues()] : [];
      return {
        ok: quickCheck.length === 1 && quickCheck[0] === 'ok' && foreignKeyViolations === 0 && schemaVersion === latestVersion && derivedDataIssues.length === 0,
        quickCheck,
        foreignKeyViolations,
        derivedDataIssues,
        schemaVersion,
        latestVersion,
        vfs: driver.vfs,
        journalMode: admin.journalMode(),
      };
    },

    /** Compares the live schema with a scratch in-memory database built from the same migrations. */
    async verifySchema() {
      expected ??= migratedShape(driver.sqlite3, deps.migrations);
      const actual = readSchemaShape(connection.sql);
      const missingTables: string[] = [];
      const missingColumns: string[] = [];
      for (const [table, columns] of expected.tables) {
        const present = actual.tables.get(table);
        if (!present) {
          missingTables.push(table);
          continue;
        }
        for (const column of columns) if (!present.includes(column)) missingColumns.push(`${table}.${column}`);
      }
      const missingIndexes = [...expected.indexes].filter((name) => !actual.indexes.has(name));
      const missingTriggers = [...expected.triggers].filter((name) => !actual.triggers.has(name));
      return {
        ok: missingTables.length + missingColumns.length + missingIndexes.length + missingTriggers.length === 0,
        missingTables,
        missingColumns,
        missingIndexes,
        missingTriggers,
      };
    },

    /** Removes conversations whose last activity is older than `days`, with everything derived from them. */
    async cleanupOldConversations(days: number) {
      const cutoff = deps.now() - check(s.days, days, 'cleanupOldConversations') * DAY_MS;
      return write(deps, 'conversations', null, () => connection.repos.admin.deleteConversationsBefore(cutoff));
    },

    /** Deletes every row of every scope; the schema and migration history stay. */
    async clearAll(options) {
      check(s.clearAll, options, 'clearAll');
      await deps.backupBefore('before-clear-all');
      write(deps, '*', null, () => connection.repos.admin.clearAll());
      deps.embeddings.invalidate();
    },

    async rebuildIndex() {
      const started = performance.now();
      const sql = connection.sql;
      const result = sql.tx(() => {
        const rows = connection.repos.search.rebuild();
        connection.repos.embeddings.recount();
        const queuedForEmbedding = deps.embeddings.requeueMissing();
        connection.repos.search.refreshIndexMeta(deps.now(), Math.round(performance.now() - started));
        return { rows, queuedForEmbedding };
      });
      deps.embeddings.invalidate();
      deps.events.changed('*', null);
      return { ...result, durationMs: Math.round(performance.now() - started) };
    },

    /**
     * Per-session index state, as the seeds define it: dirty when a message or
     * document chunk of the session is newer than the last rebuild.
     */
    async indexStatus(sessionId?: string): Promise<IndexStatus[]> {
      const id = sessionId === undefined ? undefined : check(s.id, sessionId, 'indexStatus');
      return connection.repos.admin
        .indexState(id)
        .map((r) => ({ sessionId: r.sessionId, dirty: Number(r.latest ?? 0) > r.lastIndexedAt, lastIndexedAt: r.lastIndexedAt, docCount: r.docCount }));
    },
  };
}
