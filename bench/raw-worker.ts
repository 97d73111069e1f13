/**
 * The raw sqlite-wasm baselines: the same package and `opfs-sahpool` VFS as
 * Mnemo (in a pool directory of its own), the same connection pragmas (WAL,
 * EXCLUSIVE, synchronous=FULL) and the same FTS5 configuration, but a plain
 * messages table with the one index paging needs, a prepared statement per
 * call and nothing else. What a developer writing SQL by hand would ship.
 */
import sqlite3InitModule, { type Database, type PreparedStatement, type SAHPoolUtil, type Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { FTS, INSERT, PAGE_AT, TABLE, TOP10 } from './raw-schema';
import { serve } from './rpc';

/** 'plain': no full text; 'trigger': FTS5 fed by an AFTER INSERT trigger (the "raw trigger path"). */
export type RawVariant = 'plain' | 'trigger';

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

let sqlite3Ready: Promise<Sqlite3Static> | undefined;
/** This worker's pool: it serves one file. */
let poolReady: Promise<SAHPoolUtil> | undefined;
let db: Database | undefined;
let file = '';
let insertStmt: PreparedStatement | undefined;

/**
 * A pool per file, named after it: a sahpool directory can be held by one
 * worker at a time, and the page runs the no-FTS and the trigger baselines
 * side by side.
 */
function pool(name: string): Promise<SAHPoolUtil> {
  sqlite3Ready ??= init();
  const id = `bench-${name.replace(/[^a-z0-9]+/gi, '')}`;
  poolReady ??= sqlite3Ready.then((sqlite3) => sqlite3.installOpfsSAHPoolVfs({ name: id, directory: `.${id}` }));
  return poolReady;
}

async function openDb(name: string): Promise<Database> {
  const vfs = await pool(name);
  close();
  const handle = new vfs.OpfsSAHPoolDb(name);
  // A WAL file must be opened with exclusive locking before its first read (FACTS).
  handle.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL');
  file = name;
  db = handle;
  return handle;
}

function database(): Database {
  if (!db) throw new Error('open first');
  return db;
}

function close(): void {
  insertStmt?.finalize();
  insertStmt = undefined;
  db?.close();
  db = undefined;
}

function bindRow(stmt: PreparedStatement, row: RawRow): void {
  stmt.bind([row.conversationId, row.role, row.content, row.createdAt]);
  stmt.stepReset();
}

const handlers = {
  /** A new, empty database file with the variant's schema (any old file of that name is dropped first). */
  async create(name: string, variant: RawVariant): Promise<{ journalMode: string }> {
    close();
    (await pool(name)).unlink(name);
    const handle = await openDb(name);
    handle.exec(variant === 'trigger' ? `${TABLE}; ${FTS}` : TABLE);
    return { journalMode: String(handle.selectValue('PRAGMA journal_mode')) };
  },

  /** Opens an existing file (the cold-start path). */
  async open(name: string): Promise<void> {
    await openDb(name);
  },

  /** One batch in one transaction through one prepared statement. */
  insertBatch(rows: RawRow[]): number {
    const handle = database();
    insertStmt ??= handle.prepare(INSERT);
    handle.exec('BEGIN IMMEDIATE');
    try {
      for (const row of rows) bindRow(insertStmt, row);
      handle.exec('COMMIT');
    } catch (error) {
      handle.exec('ROLLBACK');
      throw error;
    }
    return rows.length;
  },

  /** One durable row in its own (autocommit) transaction; returns it as read back, as an API would. */
  add(row: RawRow): unknown {
    const handle = database();
    insertStmt ??= handle.prepare(INSERT);
    bindRow(insertStmt, row);
    return handle.selectObject('SELECT * FROM messages WHERE id = last_insert_rowid()');
  },

  count(): number {
    return Number(database().selectValue('SELECT count(*) FROM messages'));
  },

  page(conversationId: string, limit: number, offset: number): unknown[] {
    return database().selectObjects(PAGE_AT, [conversationId, limit, offset]);
  },

  /** Top-10 by bm25 for an FTS5 MATCH expression, with each hit's id and text. */
  search(match: string): Array<{ id: number; text: string; score: number }> {
    return database().selectObjects(TOP10, [match]) as Array<{ id: number; text: string; score: number }>;
  },

  /** The database file as bytes: the WAL checkpointed into it first (FACTS), then the pool's exportFile. */
  async exportFile(): Promise<Uint8Array> {
    database().exec('PRAGMA wal_checkpoint(TRUNCATE)');
    return (await pool(file)).exportFile(file);
  },

  /** Does nothing: the cost of one round trip to a worker. */
  ping(): null {
    return null;
  },

  close,
};

export type RawHandlers = typeof handlers;

serve(handlers);
