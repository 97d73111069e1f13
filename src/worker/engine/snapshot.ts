/**
 * Consistent copies of the open database, and in-memory databases made from
 * bytes. Every API call runs on the worker thread one after another, so a
 * checkpoint and a read within one synchronous stretch see one state.
 */
import type { Database, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { fail } from '../../shared/errors';
import type { StorageDriver } from './driver';
import { Sql } from './sql';
import { toRollbackFile } from './header';

/** The database file's bytes as a self-contained rollback-journal SQLite file. */
export function snapshotOpen(driver: StorageDriver, file: string, sql: Sql): Uint8Array {
  if (String(sql.value('PRAGMA journal_mode')) === 'wal') {
    // TRUNCATE moves every WAL frame into the main file, which is then complete on its own.
    const busy = Number(sql.value('PRAGMA wal_checkpoint(TRUNCATE)') ?? 0);
    if (busy !== 0) fail('LOCKED', 'export: the database is busy; try again');
  }
  return toRollbackFile(driver.readFile(file, sql.raw));
}

/**
 * Loads bytes as the in-memory database `schema` of `db` ('main', or a name
 * ATTACHed as ':memory:'). Copies the bytes once, into the WASM heap.
 */
export function deserialize(sqlite3: Sqlite3Static, db: Database, schema: string, bytes: Uint8Array): void {
  const { capi, wasm } = sqlite3;
  const pointer = wasm.allocFromTypedArray(bytes);
  const heap = wasm.heap8u();
  const at = Number(pointer);
  // An in-memory database cannot be in WAL mode; the bytes hold the whole database, so rollback mode loses nothing.
  if (heap[at + 18] === 2) heap[at + 18] = 1;
  if (heap[at + 19] === 2) heap[at + 19] = 1;
  const flags = capi.SQLITE_DESERIALIZE_FREEONCLOSE | capi.SQLITE_DESERIALIZE_RESIZEABLE;
  // On failure SQLite frees the buffer itself (FREEONCLOSE).
  db.checkRc(capi.sqlite3_deserialize(db.pointer!, schema, pointer, bytes.byteLength, bytes.byteLength, flags));
}

/** A private in-memory connection holding a copy of `bytes`. */
export function openScratch(sqlite3: Sqlite3Static, bytes: Uint8Array): Sql {
  const db = new sqlite3.oo1.DB(':memory:', 'c');
  try {
    deserialize(sqlite3, db, 'main', bytes);
  } catch (error) {
    db.close();
    throw error;
  }
  return new Sql(sqlite3, db);
}

/** The bytes of an in-memory database (or attached schema) as a rollback-journal file. */
export function serialize(sqlite3: Sqlite3Static, db: Database, schema = 'main'): Uint8Array {
  return toRollbackFile(sqlite3.capi.sqlite3_js_db_export(db.pointer!, schema));
}

/**
 * Runs `fn` with `bytes` attached to the live connection as `schema`, so rows
 * move between the two with set-based SQL. The attachment is an in-memory
 * copy; it is detached whatever happens.
 */
export function withAttached<T>(sqlite3: Sqlite3Static, sql: Sql, schema: string, bytes: Uint8Array, fn: () => T): T {
  // Schema names here are constants of this module, never input.
  sql.exec(`ATTACH ':memory:' AS ${schema}`);
  try {
    deserialize(sqlite3, sql.raw, schema, bytes);
    return fn();
  } finally {
    sql.exec(`DETACH ${schema}`);
  }
}
