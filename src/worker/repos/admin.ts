/**
 * Whole-database queries behind the admin calls (stats, health, index
 * status, clean-up, clear-all). These are the only queries that cross
 * scopes. Every count is an SQL aggregate; no rows are loaded to be counted.
 */
import type { TableCounts } from '../../shared/api';
import type { Scope } from '../../shared/models';
import type { Sql } from '../engine/sql';
import { NOT_GLOBAL_SPACE } from './common';

export type ScopeCount = Scope & { n: number };
export type CountedTable = Exclude<keyof TableCounts, 'spaces'>;

/** Per-table counts grouped by scope; child tables reach their scope through the parent chain. */
const SCOPED_COUNTS: Record<CountedTable, string> = {
  agents: 'SELECT user_id AS userId, space_id AS spaceId, count(*) AS n FROM agents GROUP BY 1, 2',
  sessions: 'SELECT user_id AS userId, space_id AS spaceId, count(*) AS n FROM sessions GROUP BY 1, 2',
  conversations: `SELECT s.user_id AS userId, s.space_id AS spaceId, count(*) AS n FROM conversations c
    JOIN sessions s ON s.id = c.session_id GROUP BY 1, 2`,
  messages: `SELECT s.user_id AS userId, s.space_id AS spaceId, count(*) AS n FROM messages m
    JOIN conversations c ON c.id = m.conversation_id JOIN sessions s ON s.id = c.session_id GROUP BY 1, 2`,
  memories: 'SELECT user_id AS userId, space_id AS spaceId, count(*) AS n FROM memories GROUP BY 1, 2',
  longTermMemories: "SELECT user_id AS userId, space_id AS spaceId, count(*) AS n FROM memories WHERE kind = 'long' GROUP BY 1, 2",
  shortTermMemories: "SELECT user_id AS userId, space_id AS spaceId, count(*) AS n FROM memories WHERE kind = 'short' GROUP BY 1, 2",
  vectorEntries: 'SELECT user_id AS userId, space_id AS spaceId, count(*) AS n FROM vector_entries GROUP BY 1, 2',
  contents: `SELECT s.user_id AS userId, s.space_id AS spaceId, count(*) AS n FROM contents d
    JOIN stores st ON st.id = d.store_id JOIN sessions s ON s.id = st.session_id GROUP BY 1, 2`,
  chunks: `SELECT s.user_id AS userId, s.space_id AS spaceId, count(*) AS n FROM chunks k JOIN contents d ON d.id = k.content_id
    JOIN stores st ON st.id = d.store_id JOIN sessions s ON s.id = st.session_id GROUP BY 1, 2`,
  settings: 'SELECT user_id AS userId, space_id AS spaceId, count(*) AS n FROM settings GROUP BY 1, 2',
  agentExecutions: 'SELECT user_id AS userId, space_id AS spaceId, count(*) AS n FROM agent_executions GROUP BY 1, 2',
};

export const COUNTED_TABLES = Object.keys(SCOPED_COUNTS) as CountedTable[];

export interface IndexStateRow {
  sessionId: string;
  lastIndexedAt: number;
  docCount: number;
  latest: number | null;
}

export class AdminRepo {
  constructor(private readonly sql: Sql) {}

  /** The spaces of every user (the global scope is not a space). */
  spaces(): Array<Scope & { name: string }> {
    return this.sql.all(`SELECT user_id AS userId, space_id AS spaceId, name FROM spaces WHERE ${NOT_GLOBAL_SPACE} ORDER BY 1, 2`);
  }

  countsByScope(table: CountedTable): ScopeCount[] {
    return this.sql.all<ScopeCount>(SCOPED_COUNTS[table]);
  }

  /** Pages in use per table, its indexes counted with it, largest first. */
  bytesPerTable(): Record<string, number> {
    const rows = this.sql.all<{ t: string; bytes: number }>(
      `SELECT CASE WHEN m.type = 'index' THEN m.tbl_name ELSE d.name END AS t, sum(d.pgsize) AS bytes
       FROM dbstat d LEFT JOIN sqlite_schema m ON m.name = d.name GROUP BY t ORDER BY bytes DESC`,
    );
    return Object.fromEntries(rows.map((r) => [r.t, Number(r.bytes)]));
  }

  uniqueUsers(): number {
    return Number(this.sql.value(`SELECT count(DISTINCT user_id) FROM spaces WHERE ${NOT_GLOBAL_SPACE}`) ?? 0);
  }

  messagesSince(since: number): number {
    return Number(this.sql.value('SELECT count(*) FROM messages WHERE created_at >= ?', [since]) ?? 0);
  }

  /** Users with a message created at or after `since`. */
  activeUsersSince(since: number): number {
    return Number(
      this.sql.value(
        `SELECT count(DISTINCT s.user_id) FROM messages m JOIN conversations c ON c.id = m.conversation_id
         JOIN sessions s ON s.id = c.session_id WHERE m.created_at >= ?`,
        [since],
      ) ?? 0,
    );
  }

  /** Whether there is any data: a space of a user (the global scope alone is not data). */
  hasData(): boolean {
    return this.sql.value(`SELECT 1 FROM spaces WHERE ${NOT_GLOBAL_SPACE} LIMIT 1`) !== undefined;
  }

  quickCheck(): string[] {
    return this.sql.all('PRAGMA quick_check').map((row) => String(Object.values(row)[0]));
  }

  foreignKeyViolations(): number {
    return this.sql.all('PRAGMA foreign_key_check').length;
  }

  schemaVersion(): number {
    return Number(this.sql.value('SELECT max(version) FROM schema_migrations') ?? 0);
  }

  journalMode(): string {
    return String(this.sql.value('PRAGMA journal_mode') ?? '');
  }

  /** Per session: the last rebuild, its document count and the newest message or chunk change. */
  indexState(sessionId?: string): IndexStateRow[] {
    return this.sql.all<IndexStateRow>(
      `SELECT s.id AS sessionId, coalesce(im.last_indexed_at, 0) AS lastIndexedAt, coalesce(im.doc_count, 0) AS docCount,
         max(coalesce((SELECT max(m.updated_at) FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.session_id = s.id), 0),
             coalesce((SELECT max(k.created_at) FROM chunks k JOIN contents d ON d.id = k.content_id JOIN stores st ON st.id = d.store_id
                       WHERE st.session_id = s.id), 0)) AS latest
       FROM sessions s LEFT JOIN index_meta im ON im.session_id = s.id
       WHERE ? IS NULL OR s.id = ?
       ORDER BY s.created_at`,
      [sessionId ?? null, sessionId ?? null],
    );
  }

  /** Deletes conversations last active before `cutoff` (messages cascade); the caller runs it in a transaction. */
  deleteConversationsBefore(cutoff: number): { conversations: number; messages: number } {
    const messages = Number(
      this.sql.value('SELECT count(*) FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE updated_at < ?)', [cutoff]) ?? 0,
    );
    const conversations = this.sql.run('DELETE FROM conversations WHERE updated_at < ?', [cutoff]);
    return { conversations, messages };
  }

  /** Deletes every space (cascading to all data) and every setting; the caller runs it in a transaction. */
  clearAll(): void {
    this.sql.run(`DELETE FROM spaces WHERE ${NOT_GLOBAL_SPACE}`);
    this.sql.run('DELETE FROM settings');
    // Clearing this device is not a delete for the sync server: the log goes too, as in a fresh file.
    this.sql.run('DELETE FROM sync_rows');
    this.sql.run('DELETE FROM sync_spaces');
    this.sql.run('DELETE FROM sync_inbox');
    this.sql.run("UPDATE sync_state SET clock = '0000000000000-00000'");
    this.sql.run('UPDATE index_control SET sync_log = 0 WHERE id = 1');
  }
}
