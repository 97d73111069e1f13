/**
 * Whole-database operations: statistics, health, schema verification and
 * clean-up. These are the named admin calls that cross scopes. Every count is
 * an SQL aggregate; no rows are loaded to be counted.
 */
import type { CleanupResult, HealthReport, IndexStatus, SchemaReport, Stats, TableCounts } from '../shared/api';
import type { Scope } from '../shared/models';
import type { Core } from './core';
import { openDatabase } from './engine/database';
import { createMemoryDriver } from './engine/memory-driver';
import type { Sql } from './engine/sql';

const DAY_MS = 86_400_000;
const ACTIVE_WINDOW_DAYS = 7;

type ScopeRow = Scope & { n: number };

/** Per-table counts grouped by scope; child tables reach their scope through the parent chain. */
const SCOPED_COUNTS: Record<Exclude<keyof TableCounts, 'spaces' | 'longTermMemories' | 'shortTermMemories'>, string> = {
  agents: 'SELECT user_id AS userId, space_id AS spaceId, count(*) AS n FROM agents GROUP BY 1, 2',
  sessions: 'SELECT user_id AS userId, space_id AS spaceId, count(*) AS n FROM sessions GROUP BY 1, 2',
  conversations: `SELECT s.user_id AS userId, s.space_id AS spaceId, count(*) AS n FROM conversations c
    JOIN sessions s ON s.id = c.session_id GROUP BY 1, 2`,
  messages: `SELECT s.user_id AS userId, s.space_id AS spaceId, count(*) AS n FROM messages m
    JOIN conversations c ON c.id = m.conversation_id JOIN sessions s ON s.id = c.session_id GROUP BY 1, 2`,
  memories: 'SELECT user_id AS userId, space_id AS spaceId, count(*) AS n FROM memories GROUP BY 1, 2',
  vectorEntries: 'SELECT user_id AS userId, space_id AS spaceId, count(*) AS n FROM vector_entries GROUP BY 1, 2',
  contents: `SELECT s.user_id AS userId, s.space_id AS spaceId, count(*) AS n FROM contents d
    JOIN stores st ON st.id = d.store_id JOIN sessions s ON s.id = st.session_id GROUP BY 1, 2`,
  chunks: `SELECT s.user_id AS userId, s.space_id AS spaceId, count(*) AS n FROM chunks k JOIN contents d ON d.id = k.content_id
    JOIN stores st ON st.id = d.store_id JOIN sessions s ON s.id = st.session_id GROUP BY 1, 2`,
  settings: 'SELECT user_id AS userId, space_id AS spaceId, count(*) AS n FROM settings GROUP BY 1, 2',
  agentExecutions: 'SELECT user_id AS userId, space_id AS spaceId, count(*) AS n FROM agent_executions GROUP BY 1, 2',
};

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

interface SchemaShape {
  tables: Map<string, string[]>;
  indexes: Set<string>;
  triggers: Set<string>;
}

function readShape(sql: Sql): SchemaShape {
  const tables = new Map<string, string[]>();
  const objects = sql.all<{ type: string; name: string }>(
    "SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  for (const { type, name } of objects) {
    if (type !== 'table') continue;
    const columns = sql.all<{ name: string }>('SELECT name FROM pragma_table_info(?)', [name]).map((c) => c.name);
    tables.set(name, columns);
  }
  return {
    tables,
    indexes: new Set(objects.filter((o) => o.type === 'index').map((o) => o.name)),
    triggers: new Set(objects.filter((o) => o.type === 'trigger').map((o) => o.name)),
  };
}

export class Operations {
  private expected: SchemaShape | undefined;

  constructor(private readonly core: Core) {}

  private get sql(): Sql {
    return this.core.sql;
  }

  async stats(): Promise<Stats> {
    const sql = this.sql;
    const now = this.core.now();
    const totals = emptyCounts();
    const perSpace = new Map<string, Scope & { name: string; counts: TableCounts }>();
    for (const space of sql.all<Scope & { name: string }>(
      "SELECT user_id AS userId, space_id AS spaceId, name FROM spaces WHERE NOT (user_id = '' AND space_id = '') ORDER BY 1, 2",
    )) {
      perSpace.set(JSON.stringify([space.userId, space.spaceId]), { ...space, counts: { ...emptyCounts(), spaces: 1 } });
      totals.spaces += 1;
    }
    const add = (table: keyof TableCounts, rows: ScopeRow[]) => {
      for (const row of rows) {
        totals[table] += row.n;
        const entry = perSpace.get(JSON.stringify([row.userId, row.spaceId]));
        if (entry) entry.counts[table] += row.n;
      }
    };
    for (const [table, query] of Object.entries(SCOPED_COUNTS)) add(table as keyof TableCounts, sql.all<ScopeRow>(query));
    add('longTermMemories', sql.all<ScopeRow>("SELECT user_id AS userId, space_id AS spaceId, count(*) AS n FROM memories WHERE kind = 'long' GROUP BY 1, 2"));
    add('shortTermMemories', sql.all<ScopeRow>("SELECT user_id AS userId, space_id AS spaceId, count(*) AS n FROM memories WHERE kind = 'short' GROUP BY 1, 2"));
    const users = Number(sql.value("SELECT count(DISTINCT user_id) FROM spaces WHERE user_id <> ''") ?? 0);
    const messagesToday = Number(sql.value('SELECT count(*) FROM messages WHERE created_at >= ?', [startOfToday(now)]) ?? 0);
    const activeUsers = Number(
      sql.value(
        `SELECT count(DISTINCT s.user_id) FROM messages m JOIN conversations c ON c.id = m.conversation_id
         JOIN sessions s ON s.id = c.session_id WHERE m.created_at >= ?`,
        [now - ACTIVE_WINDOW_DAYS * DAY_MS],
      ) ?? 0,
    );
    return {
      totals,
      perSpace: [...perSpace.values()],
      uniqueUsers: users,
      uniqueSpaces: totals.spaces,
      messagesToday,
      activeUsers,
      activeWindowDays: ACTIVE_WINDOW_DAYS,
      fileSizeBytes: this.core.driver.fileSize(this.core.file, this.sql.raw),
      storage: await storageEstimate(),
    };
  }

  healthCheck(): HealthReport {
    const quickCheck = this.sql.all<{ quick_check: string }>('PRAGMA quick_check').map((r) => String(Object.values(r)[0]));
    const foreignKeyViolations = this.sql.all('PRAGMA foreign_key_check').length;
    const latestVersion = this.core.migrations.at(-1)?.version ?? 0;
    const schemaVersion = Number(this.sql.value('SELECT max(version) FROM schema_migrations') ?? 0);
    return {
      ok: quickCheck.length === 1 && quickCheck[0] === 'ok' && foreignKeyViolations === 0 && schemaVersion === latestVersion,
      quickCheck,
      foreignKeyViolations,
      schemaVersion,
      latestVersion,
      vfs: this.core.driver.vfs,
      journalMode: String(this.sql.value('PRAGMA journal_mode') ?? ''),
    };
  }

  /** Compares the live schema with a scratch in-memory database built from the same migrations. */
  async verifySchema(): Promise<SchemaReport> {
    if (!this.expected) {
      const scratch = openDatabase(createMemoryDriver(this.core.driver.sqlite3), 'verify', this.core.migrations);
      try {
        this.expected = readShape(scratch.sql);
      } finally {
        scratch.sql.close();
      }
    }
    const actual = readShape(this.sql);
    const missingTables: string[] = [];
    const missingColumns: string[] = [];
    for (const [table, columns] of this.expected.tables) {
      const present = actual.tables.get(table);
      if (!present) {
        missingTables.push(table);
        continue;
      }
      for (const column of columns) if (!present.includes(column)) missingColumns.push(`${table}.${column}`);
    }
    const missingIndexes = [...this.expected.indexes].filter((name) => !actual.indexes.has(name));
    const missingTriggers = [...this.expected.triggers].filter((name) => !actual.triggers.has(name));
    return {
      ok: missingTables.length + missingColumns.length + missingIndexes.length + missingTriggers.length === 0,
      missingTables,
      missingColumns,
      missingIndexes,
      missingTriggers,
    };
  }

  /**
   * Per-session index state, as the seeds define it: dirty when a message or
   * document chunk of the session is newer than the last rebuild.
   */
  indexStatus(sessionId?: string): IndexStatus[] {
    const rows = this.sql.all<{ sessionId: string; lastIndexedAt: number; docCount: number; latest: number | null }>(
      `SELECT s.id AS sessionId, coalesce(im.last_indexed_at, 0) AS lastIndexedAt, coalesce(im.doc_count, 0) AS docCount,
         max(coalesce((SELECT max(m.updated_at) FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.session_id = s.id), 0),
             coalesce((SELECT max(k.created_at) FROM chunks k JOIN contents d ON d.id = k.content_id JOIN stores st ON st.id = d.store_id
                       WHERE st.session_id = s.id), 0)) AS latest
       FROM sessions s LEFT JOIN index_meta im ON im.session_id = s.id
       WHERE ? IS NULL OR s.id = ?
       ORDER BY s.created_at`,
      [sessionId ?? null, sessionId ?? null],
    );
    return rows.map((r) => ({ sessionId: r.sessionId, dirty: Number(r.latest ?? 0) > r.lastIndexedAt, lastIndexedAt: r.lastIndexedAt, docCount: r.docCount }));
  }

  /** Removes conversations whose last activity is older than `days`, with everything derived from them. */
  cleanupOldConversations(days: number): CleanupResult {
    const cutoff = this.core.now() - days * DAY_MS;
    const result = this.sql.tx(() => {
      const messages = Number(
        this.sql.value('SELECT count(*) FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE updated_at < ?)', [cutoff]) ?? 0,
      );
      const conversations = this.sql.run('DELETE FROM conversations WHERE updated_at < ?', [cutoff]);
      return { conversations, messages };
    });
    this.core.changed('conversations', null);
    return result;
  }

  /** Deletes every row of every scope; the schema and migration history stay. */
  clearAll(): void {
    this.sql.tx(() => {
      this.sql.run("DELETE FROM spaces WHERE NOT (user_id = '' AND space_id = '')");
      this.sql.run('DELETE FROM settings');
    });
    this.core.changed('*', null);
  }
}

async function storageEstimate(): Promise<Stats['storage']> {
  const storage = (globalThis.navigator as WorkerNavigator | undefined)?.storage;
  if (!storage?.estimate) return { usage: null, quota: null, persisted: null };
  const estimate = await storage.estimate();
  const persisted = storage.persisted ? await storage.persisted() : null;
  return { usage: estimate.usage ?? null, quota: estimate.quota ?? null, persisted };
}
