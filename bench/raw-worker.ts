/**
 * The raw sqlite-wasm baselines: the same package and `opfs-sahpool` VFS as
 * Mnemo (in a pool directory of its own), the same connection pragmas (WAL,
 * EXCLUSIVE, synchronous=FULL) and the same FTS5 configuration, but a plain
 * messages table, one prepared statement in one transaction and nothing else.
 */
import sqlite3InitModule, { type Database, type SAHPoolUtil, type Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { serve } from './rpc';

export type InsertVariant = 'plain' | 'batch-fts' | 'trigger-fts';

export interface RawRow {
  conversationId: string;
  role: string;
  content: string;
  createdAt: number;
}

/** As Mnemo's engine/sqlite.ts: the `opfs` VFSes are not installed (FACTS: shorter start). */
function init(): Promise<Sqlite3Static> {
  (globalThis as { sqlite3ApiConfig?: unknown }).sqlite3ApiConfig = {
    disable: { vfs: { opfs: true, 'opfs-vfs': true, 'opfs-wl': true } },
    warn: () => {},
    debug: () => {},
    log: () => {},
  };
  return sqlite3InitModule();
}

/** FTS5 exactly as migrations/0002_search.sql declares messages_fts. */
const FTS = `CREATE VIRTUAL TABLE messages_fts USING fts5 (
  content, content = 'messages', content_rowid = 'rowid',
  tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3')`;

const SCHEMA: Record<InsertVariant, string> = {
  plain: '',
  'batch-fts': FTS,
  'trigger-fts': `${FTS};
    CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
      INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
    END`,
};

/** Rows per INSERT … SELECT into FTS, as src/worker/search/indexing.ts. */
const FEED_BATCH = 5_000;

const TOP10 = `SELECT m.rowid AS id, m.content AS text, t.score FROM
  (SELECT rowid, bm25(messages_fts) AS score FROM messages_fts WHERE messages_fts MATCH ? ORDER BY score LIMIT 10) t
  JOIN messages m ON m.rowid = t.rowid ORDER BY t.score`;

let sqlite3: Sqlite3Static | undefined;
let pool: SAHPoolUtil | undefined;
let db: Database | undefined;
let variant: InsertVariant = 'plain';

async function openDb(file: string): Promise<Database> {
  sqlite3 ??= await init();
  pool ??= await sqlite3.installOpfsSAHPoolVfs({ name: 'bench-sahpool', directory: '.bench-sahpool' });
  const handle = new pool.OpfsSAHPoolDb(file);
  // A WAL file must be opened with exclusive locking before its first read (FACTS).
  handle.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL');
  return handle;
}

function database(): Database {
  if (!db) throw new Error('open first');
  return db;
}

const handlers = {
  /** Opens a new, empty database file with the schema of one insert variant. */
  async create(file: string, kind: InsertVariant): Promise<{ journalMode: unknown }> {
    db?.close();
    db = await openDb(file);
    variant = kind;
    db.exec(`CREATE TABLE messages (
      id INTEGER PRIMARY KEY, conversation_id TEXT NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL, created_at INTEGER NOT NULL);
      ${SCHEMA[kind]}`);
    return { journalMode: db.selectValue('PRAGMA journal_mode') };
  },

  /** All rows in one transaction through one prepared statement (plus the variant's FTS feeding). */
  insert(rows: RawRow[]): { ms: number; rows: number } {
    const handle = database();
    const started = performance.now();
    const stmt = handle.prepare('INSERT INTO messages (conversation_id, role, content, created_at) VALUES (?, ?, ?, ?)');
    handle.exec('BEGIN IMMEDIATE');
    try {
      for (const row of rows) {
        stmt.bind([row.conversationId, row.role, row.content, row.createdAt]);
        stmt.stepReset();
      }
      if (variant === 'batch-fts') {
        const hi = Number(handle.selectValue('SELECT max(rowid) FROM messages') ?? 0);
        for (let from = 1; from <= hi; from += FEED_BATCH) {
          handle.exec({
            sql: 'INSERT INTO messages_fts (rowid, content) SELECT rowid, content FROM messages WHERE rowid BETWEEN ? AND ?',
            bind: [from, Math.min(hi, from + FEED_BATCH - 1)],
          });
        }
      }
      handle.exec('COMMIT');
    } catch (error) {
      handle.exec('ROLLBACK');
      throw error;
    } finally {
      stmt.finalize();
    }
    return { ms: performance.now() - started, rows: Number(handle.selectValue('SELECT count(*) FROM messages')) };
  },

  /** Top-10 by bm25 for an FTS5 MATCH expression, with each hit's id and text. */
  search(match: string): Array<{ id: number; text: string; score: number }> {
    return database().selectObjects(TOP10, [match]) as Array<{ id: number; text: string; score: number }>;
  },

  /** Does nothing: the cost of one round trip to a worker. */
  ping(): null {
    return null;
  },

  /** How many rows match (context for the search timings; not timed). */
  matches(match: string): number {
    return Number(database().selectValue('SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?', [match]));
  },

  /** Cold-start setup: a database file with one small table and row. */
  async coldSetup(file: string): Promise<void> {
    db?.close();
    db = await openDb(file);
    db.exec(`CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, name TEXT NOT NULL);
      INSERT OR IGNORE INTO sessions VALUES ('s1', 'Benchmark')`);
  },

  /** Cold start: module init, VFS install, open, one query. */
  async cold(file: string): Promise<{ rows: unknown; vfs: string }> {
    db?.close();
    db = await openDb(file);
    return { rows: db.selectValue('SELECT count(*) FROM sessions'), vfs: 'opfs-sahpool' };
  },

  close(): void {
    db?.close();
    db = undefined;
  },
};

export type RawHandlers = typeof handlers;

serve(handlers);
