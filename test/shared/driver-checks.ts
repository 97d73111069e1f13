/**
 * One list of storage-driver checks, run on every driver: in Node against the
 * memory driver (test/unit/driver.test.ts) and in real Chromium against
 * opfs-sahpool (e2e/driver.test.ts, through e2e/driver/). wa-sqlite runs its
 * suite per VFS the same way.
 *
 * Imports nothing Node- or DOM-specific: the checks run inside a Worker. Each
 * failure throws an Error whose message says what differed.
 */
import type { Database } from '@sqlite.org/sqlite-wasm';
import type { StorageDriver } from '../../src/worker/engine/driver';
import { openDatabase } from '../../src/worker/engine/database';
import { bundledMigrations } from '../../src/worker/engine/migrations';

export interface DriverUnderTest {
  driver: StorageDriver;
  /** Whether files outlive the driver (a new driver, a browser restart). */
  persistent: boolean;
  /** What `openDatabase` reports on this storage. */
  journalMode: string;
  /** A unique file name for this check (so checks sharing one OPFS pool never meet). */
  file(label: string): string;
}

export interface DriverCheck {
  name: string;
  run(t: DriverUnderTest): Promise<void> | void;
  /** Runs on a new driver over the same storage after `run` (Node: a new driver; Chromium: a browser restart). */
  afterRestart?(t: DriverUnderTest): Promise<void> | void;
}

const SQLITE_MAGIC = 'SQLite format 3\0';

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

function equal<T>(actual: T, expected: T, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  check(a === e, `${what}: expected ${e}, got ${a}`);
}

function throws(fn: () => unknown, what: string): void {
  let threw = false;
  try {
    fn();
  } catch {
    threw = true;
  }
  check(threw, `${what}: expected an error, got none`);
}

async function rejects(fn: () => Promise<unknown>, what: string): Promise<void> {
  let threw = false;
  try {
    await fn();
  } catch {
    threw = true;
  }
  check(threw, `${what}: expected an error, got none`);
}

/** Closes the way Core does: memory storage saves the connection first. */
function close(t: DriverUnderTest, file: string, db: Database): void {
  t.driver.persist?.(file, db);
  db.close();
}

/** Listed names may carry a leading '/' (sahpool); callers strip it (files/backups.ts). */
function listed(t: DriverUnderTest, file: string): boolean {
  return t.driver.listFiles().some((name) => name.replace(/^\//, '') === file);
}

function count(db: Database, table = 'notes'): number {
  return Number(db.selectValue(`SELECT count(*) FROM ${table}`));
}

function tableCount(db: Database): number {
  return Number(db.selectValue("SELECT count(*) FROM sqlite_schema WHERE type = 'table'"));
}

/** A closed file holding `rows` rows in table `notes`. */
function makeFile(t: DriverUnderTest, file: string, rows: number): void {
  const db = t.driver.open(file);
  db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  db.exec('BEGIN');
  for (let i = 0; i < rows; i++) db.exec({ sql: 'INSERT INTO notes (body) VALUES (?)', bind: [`note ${i}`] });
  db.exec('COMMIT');
  close(t, file, db);
}

/** Asserts the bytes are one whole SQLite file: magic, and length = page size × page count from the header. */
function assertSqliteFile(bytes: Uint8Array, what: string): void {
  const magic = String.fromCharCode(...bytes.subarray(0, 16));
  equal(magic, SQLITE_MAGIC, `${what}: header magic`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rawPageSize = view.getUint16(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  const pageCount = view.getUint32(28);
  equal(bytes.byteLength, pageSize * pageCount, `${what}: length = page size × page count`);
}

export const driverChecks: DriverCheck[] = [
  {
    name: 'describes itself: storage, VFS and a path naming the file',
    run(t) {
      check(t.driver.storage === 'opfs' || t.driver.storage === 'memory', `unknown storage ${t.driver.storage}`);
      check(t.driver.vfs.length > 0, 'vfs is empty');
      const file = t.file('described');
      check(t.driver.path(file).includes(file), `path ${t.driver.path(file)} does not name ${file}`);
      check(t.driver.path(file).startsWith(`${t.driver.storage}:`), `path ${t.driver.path(file)} does not start with its storage`);
    },
  },
  {
    name: 'open creates a database; committed rows read back on the same and on a new connection',
    run(t) {
      const file = t.file('rw');
      check(!listed(t, file), 'file listed before it was created');
      makeFile(t, file, 3);
      check(listed(t, file), 'file not listed after it was created and closed');
      const db = t.driver.open(file);
      equal(db.selectValues('SELECT body FROM notes ORDER BY id'), ['note 0', 'note 1', 'note 2'], 'rows after reopen');
      close(t, file, db);
    },
  },
  {
    name: 'a rolled-back transaction leaves nothing, also after reopening',
    run(t) {
      const file = t.file('rollback');
      makeFile(t, file, 1);
      const db = t.driver.open(file);
      db.exec('BEGIN');
      db.exec("INSERT INTO notes (body) VALUES ('rolled back')");
      db.exec('CREATE TABLE later (x)');
      equal(count(db), 2, 'rows inside the transaction');
      db.exec('ROLLBACK');
      equal(count(db), 1, 'rows after rollback');
      close(t, file, db);
      const again = t.driver.open(file);
      equal(count(again), 1, 'rows after rollback and reopen');
      equal(tableCount(again), 1, 'tables after rollback and reopen');
      close(t, file, again);
    },
  },
  {
    name: 'two files are independent databases',
    run(t) {
      const a = t.file('a');
      const b = t.file('b');
      makeFile(t, a, 2);
      makeFile(t, b, 5);
      const dbA = t.driver.open(a);
      const dbB = t.driver.open(b);
      equal([count(dbA), count(dbB)], [2, 5], 'rows in a and b, both open');
      close(t, a, dbA);
      close(t, b, dbB);
    },
  },
  {
    name: 'readFile gives a whole SQLite file, open (checkpointed) or closed, with every committed row',
    async run(t) {
      const file = t.file('export');
      makeFile(t, file, 50);
      const closed = t.driver.readFile(file);
      assertSqliteFile(closed, 'closed file');
      const db = t.driver.open(file);
      db.exec("INSERT INTO notes (body) VALUES ('while open')");
      const open = t.driver.readFile(file, db);
      assertSqliteFile(open, 'open file');
      equal(open.byteLength, t.driver.fileSize(file, db), 'readFile length = fileSize of the open file');
      close(t, file, db);
      equal(t.driver.fileSize(file), t.driver.readFile(file).byteLength, 'fileSize = readFile length of the closed file');
      const copy = t.file('export-copy');
      await t.driver.writeFile(copy, open);
      const again = t.driver.open(copy);
      equal(count(again), 51, 'rows in a copy made from the open file’s bytes');
      close(t, copy, again);
    },
  },
  {
    name: 'writeFile replaces a closed file; the new bytes open and are listed',
    async run(t) {
      const source = t.file('source');
      const target = t.file('target');
      makeFile(t, source, 7);
      makeFile(t, target, 1);
      const bytes = t.driver.readFile(source);
      await t.driver.ensureCapacity(1);
      await t.driver.writeFile(target, bytes);
      check(listed(t, target), 'written file is not listed');
      equal(t.driver.fileSize(target), bytes.byteLength, 'fileSize of the written file');
      const db = t.driver.open(target);
      equal(count(db), 7, 'rows after writeFile');
      close(t, target, db);
      await t.driver.writeFile(t.file('fresh'), bytes);
      check(listed(t, t.file('fresh')), 'writeFile did not create a new file');
    },
  },
  {
    name: 'writeFile refuses bytes that are not a SQLite database and keeps the old file',
    async run(t) {
      const file = t.file('kept');
      makeFile(t, file, 4);
      const before = t.driver.readFile(file);
      const junk = new Uint8Array(4096).fill(0x41);
      await rejects(() => t.driver.writeFile(file, junk), 'writing 4096 bytes of "A"');
      await rejects(() => t.driver.writeFile(file, before.slice(0, 100)), 'writing a truncated database');
      equal([...t.driver.readFile(file)].join(), [...before].join(), 'bytes after refused writes');
      const db = t.driver.open(file);
      equal(count(db), 4, 'rows after refused writes');
      close(t, file, db);
    },
  },
  {
    name: 'deleteFile removes a file: unlisted, size 0, unreadable, reopens empty',
    run(t) {
      const file = t.file('deleted');
      makeFile(t, file, 2);
      check(t.driver.fileSize(file) > 0, 'size before delete is 0');
      t.driver.deleteFile(file);
      check(!listed(t, file), 'deleted file still listed');
      equal(t.driver.fileSize(file), 0, 'size after delete');
      throws(() => t.driver.readFile(file), 'readFile of a deleted file');
      const db = t.driver.open(file);
      equal(tableCount(db), 0, 'tables in a reopened deleted file');
      close(t, file, db);
      t.driver.deleteFile(file);
    },
  },
  {
    name: 'a missing file: size 0, readFile fails, not listed',
    run(t) {
      const file = t.file('never-written');
      equal(t.driver.fileSize(file), 0, 'size of a missing file');
      throws(() => t.driver.readFile(file), 'readFile of a missing file');
      check(!listed(t, file), 'a missing file is listed');
    },
  },
  {
    name: 'listed names (backup-style, with dots and %) go back into readFile and deleteFile',
    async run(t) {
      const file = t.file('db.backup.1712000000000.8192.0190a1b2-c3d4.before%2Eimport.sqlite3');
      makeFile(t, file, 1);
      const name = t.driver.listFiles().find((n) => n.replace(/^\//, '') === file);
      check(name !== undefined, `${file} not listed`);
      assertSqliteFile(t.driver.readFile(name), 'file read by its listed name');
      t.driver.deleteFile(name);
      check(!listed(t, file), 'file still listed after deleting it by its listed name');
    },
  },
  {
    name: 'openDatabase: journal mode, foreign keys and migrations as promised for this storage',
    async run(t) {
      const file = t.file('mnemo');
      const migrations = await bundledMigrations();
      const first = openDatabase(t.driver, file, migrations);
      equal(first.journalMode, t.journalMode, 'journal mode reported');
      equal(String(first.sql.value('PRAGMA journal_mode')), t.journalMode, 'journal mode of the connection');
      equal(Number(first.sql.value('PRAGMA foreign_keys')), 1, 'foreign_keys');
      equal(first.migration.applied, migrations.map((m) => m.version), 'migrations applied to a new file');
      first.sql.exec("INSERT INTO spaces (user_id, space_id, name, created_at, updated_at) VALUES ('u', 's', 'n', 1, 1)");
      close(t, file, first.sql.raw);
      const second = openDatabase(t.driver, file, migrations);
      equal(second.migration.applied, [], 'migrations applied on reopen');
      equal(second.journalMode, t.journalMode, 'journal mode reported on reopen');
      equal(Number(second.sql.value("SELECT count(*) FROM spaces WHERE user_id = 'u'")), 1, 'rows after reopen');
      if (t.journalMode === 'wal') equal(Number(second.sql.value('PRAGMA wal_checkpoint(TRUNCATE)')), 0, 'checkpoint busy flag');
      const bytes = t.driver.readFile(file, second.sql.raw);
      assertSqliteFile(bytes, 'checkpointed export');
      close(t, file, second.sql.raw);
    },
  },
  {
    name: 'files outlive the driver only where the storage persists',
    run(t) {
      makeFile(t, t.file('kept-across-restart'), 9);
    },
    afterRestart(t) {
      const file = t.file('kept-across-restart');
      if (!t.persistent) {
        check(!listed(t, file), 'a memory file survived a new driver');
        throws(() => t.driver.readFile(file), 'readFile of a file from an earlier memory driver');
        return;
      }
      check(listed(t, file), 'file not listed after restart');
      const db = t.driver.open(file);
      equal(count(db), 9, 'rows after restart');
      close(t, file, db);
    },
  },
];
