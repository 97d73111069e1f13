/**
 * Way (b) of encryption at rest, the own encrypting VFS, over the `unix` VFS
 * of sqlite-wasm's Node build (the browser wraps the opfs-sahpool pool; see
 * e2e/aead-vfs.test.ts). The raw bytes are read through the underlying VFS.
 */
import type { Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { beforeAll, describe, expect, test } from 'vitest';
import { installAeadVfs, prepareAeadDatabase, type AeadVfs } from '../../src/worker/engine/aead-vfs';
import { loadSqlite } from '../../src/worker/engine/sqlite';

const MARKER = 'zebracorn-marker-7Q';
const UNDER = 'unix';
let sqlite3: Sqlite3Static;
let vfsCount = 0;

beforeAll(async () => {
  sqlite3 = await loadSqlite();
});

const randomKey = () => crypto.getRandomValues(new Uint8Array(32));
function install(key: Uint8Array): AeadVfs {
  return installAeadVfs(sqlite3, { name: `aead-test-${++vfsCount}`, underlying: UNDER, key });
}

function openWith(vfs: string, file: string) {
  const db = new sqlite3.oo1.DB({ filename: file, vfs, flags: 'c' });
  try {
    prepareAeadDatabase(sqlite3, db, 4096);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

type Call = (...args: unknown[]) => number;

/**
 * Opens `file` through the underlying VFS itself (no encryption in between)
 * and hands `use` its io methods; returns undefined when it does not open.
 */
function withRawFile<T>(file: string, flags: number, use: (io: Record<string, Call>, pFile: number) => T): T | undefined {
  const { capi, wasm } = sqlite3;
  const pVfs = capi.sqlite3_vfs_find(UNDER);
  const vfs = fields(new capi.sqlite3_vfs(pVfs));
  const fn = (pointer: number | undefined) => wasm.functionEntry(pointer!) as unknown as Call;
  const pFile = wasm.alloc(vfs['$szOsFile']!) as unknown as number;
  const zName = wasm.allocCString(file, false);
  try {
    wasm.heap8u().fill(0, pFile, pFile + vfs['$szOsFile']!);
    if (fn(vfs['$xOpen'])(pVfs, zName, pFile, flags | capi.SQLITE_OPEN_MAIN_DB, 0) !== 0) return undefined;
    const methods = fields(new capi.sqlite3_io_methods(fields(new capi.sqlite3_file(pFile))['$pMethods']!));
    const io = Object.fromEntries(['xFileSize', 'xRead', 'xWrite', 'xClose'].map((name) => [name, fn(methods[`$${name}`])]));
    try {
      return use(io, pFile);
    } finally {
      io['xClose']!(pFile);
    }
  } finally {
    wasm.dealloc(pFile);
    wasm.dealloc(zName);
  }
}

/** The bytes of `file` as the underlying VFS stores them (empty when absent). */
function rawBytes(file: string): Uint8Array {
  const { capi, wasm } = sqlite3;
  const bytes = withRawFile(file, capi.SQLITE_OPEN_READONLY, (io, pFile) => {
    const pOut = wasm.alloc(8);
    io['xFileSize']!(pFile, pOut);
    const size = Number(wasm.peek64(pOut));
    wasm.dealloc(pOut);
    const buffer = wasm.alloc(Math.max(1, size)) as unknown as number;
    io['xRead']!(pFile, buffer, size, 0n);
    const out = wasm.heap8u().slice(buffer, buffer + size);
    wasm.dealloc(buffer);
    return out;
  });
  return bytes ?? new Uint8Array(0);
}

/** Replaces the stored bytes of `file` through the underlying VFS (creating it if needed). */
function writeRaw(file: string, bytes: Uint8Array) {
  const { capi, wasm } = sqlite3;
  const written = withRawFile(file, capi.SQLITE_OPEN_READWRITE | capi.SQLITE_OPEN_CREATE, (io, pFile) => {
    const buffer = wasm.alloc(Math.max(1, bytes.length)) as unknown as number;
    wasm.heap8u().set(bytes, buffer);
    // In 4 KiB pieces: single writes of a few hundred KiB returned SQLITE_FULL in the Node build's file system.
    for (let at = 0; at < bytes.length; at += 4096) {
      expect(io['xWrite']!(pFile, buffer + at, Math.min(4096, bytes.length - at), BigInt(at))).toBe(0);
    }
    wasm.dealloc(buffer);
    return true;
  });
  expect(written).toBe(true);
}

/** Struct members by their `$` names, which the package's typings do not declare. */
const fields = (struct: unknown) => struct as Record<string, number>;

const contains = (bytes: Uint8Array, text: string) => Buffer.from(bytes).includes(Buffer.from(text));

/** A new sealed database of `rows` rows, checkpointed and closed. */
function sealedFile(vfs: AeadVfs, file: string, rows: number) {
  const db = openWith(vfs.name, file);
  populate(db, rows);
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  db.close();
}

function populate(db: InstanceType<Sqlite3Static['oo1']['DB']>, rows = 300) {
  db.exec("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, body TEXT); CREATE VIRTUAL TABLE IF NOT EXISTS f USING fts5(body, content='t', content_rowid='id')");
  db.exec('BEGIN');
  for (let i = 0; i < rows; i++) {
    db.exec({ sql: 'INSERT INTO t(body) VALUES (?)', bind: [`row ${i} ${MARKER} ${'lorem ipsum '.repeat(i % 40)}`] });
  }
  db.exec("INSERT INTO f(f) VALUES ('rebuild'); COMMIT");
}

describe('own encrypting VFS (way b)', () => {
  test('no stored text reaches the files; search and reads work after reopening', () => {
    const vfs = install(randomKey());
    const file = '/aead-a.db';
    const db = openWith(vfs.name, file);
    expect(db.selectValue('PRAGMA journal_mode')).toBe('wal');
    populate(db);
    // Before any checkpoint the pages are in the WAL.
    expect(rawBytes(`${file}-wal`).length).toBeGreaterThan(100_000);
    expect(contains(rawBytes(`${file}-wal`), MARKER)).toBe(false);
    expect(contains(rawBytes(`${file}-wal`), 'lorem')).toBe(false);
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    const stored = rawBytes(file);
    expect(stored.length).toBeGreaterThan(100_000);
    expect(contains(stored, MARKER)).toBe(false);
    expect(contains(stored, 'SQLite format 3')).toBe(false);
    expect(vfs.counts.sealed).toBeGreaterThan(50);
    db.close();

    const again = openWith(vfs.name, file);
    expect(again.selectValue('PRAGMA integrity_check')).toBe('ok');
    expect(again.selectValue('SELECT count(*) FROM t')).toBe(300);
    // Rows 0, 40, …, 280 have no filler words.
    expect(again.selectValue(`SELECT count(*) FROM f WHERE f MATCH 'ipsum'`)).toBe(292);
    expect(again.selectValue('SELECT body FROM t WHERE id = 5')).toContain(MARKER);
    expect(vfs.counts.opened).toBeGreaterThan(0);
    again.close();
  });

  test('the same rows through the plain VFS leave the marker on disk (the control)', () => {
    const file = '/aead-control.db';
    const db = new sqlite3.oo1.DB({ filename: file, vfs: UNDER, flags: 'c' });
    db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL');
    populate(db);
    expect(contains(rawBytes(`${file}-wal`), MARKER)).toBe(true);
    db.close();
  });

  test('a wrong key opens nothing and changes no byte', () => {
    const file = '/aead-b.db';
    const right = install(randomKey());
    sealedFile(right, file, 50);
    const before = rawBytes(file);
    const wrong = install(randomKey());
    expect(() => {
      const other = openWith(wrong.name, file);
      try {
        other.selectValue('SELECT count(*) FROM t');
      } finally {
        other.close();
      }
    }).toThrow(/SQLITE_IOERR_AUTH/);
    expect(Buffer.from(rawBytes(file)).equals(Buffer.from(before))).toBe(true);
    const back = openWith(right.name, file);
    expect(back.selectValue('SELECT count(*) FROM t')).toBe(50);
    back.close();
  });

  test('a damaged page fails to open instead of returning altered rows', () => {
    const file = '/aead-c.db';
    const vfs = install(randomKey());
    sealedFile(vfs, file, 100);
    // Flip one byte of page 2 through the plain VFS.
    const bytes = rawBytes(file);
    bytes[4096 + 100] = bytes[4096 + 100]! ^ 0xff;
    writeRaw(file, bytes);
    const damaged = openWith(vfs.name, file);
    expect(() => damaged.selectValue(`SELECT count(*) FROM t WHERE body LIKE '%x%'`)).toThrow(/SQLITE_IOERR_AUTH/);
    damaged.close();
  });

  test('WAL padding frames cut at the sync point are sealed whole and recover after a crash', () => {
    const vfs = install(randomKey());
    // psow=0: the unix VFS then pads each durable commit to a sector boundary, as opfs-sahpool does.
    const file = '/aead-e.db';
    const db = new sqlite3.oo1.DB({ filename: `file:${file}?psow=0`, vfs: vfs.name, flags: 'c' });
    prepareAeadDatabase(sqlite3, db, 4096);
    db.exec('PRAGMA synchronous = FULL; CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT)');
    for (let i = 0; i < 40; i++) db.exec({ sql: 'INSERT INTO t(body) VALUES (?)', bind: [`${MARKER} ${i}`] });
    expect(vfs.counts.split).toBeGreaterThan(0);
    expect(vfs.counts.reserveInUse).toBe(0);
    // The files as a crash would leave them: copied before close (which checkpoints).
    const copy = '/aead-e-copy.db';
    writeRaw(copy, rawBytes(file));
    writeRaw(`${copy}-wal`, rawBytes(`${file}-wal`));
    expect(contains(rawBytes(`${file}-wal`), MARKER)).toBe(false);
    db.close();
    const recovered = openWith(vfs.name, copy);
    expect(recovered.selectValue('SELECT count(*) FROM t')).toBe(40);
    expect(recovered.selectValue('PRAGMA integrity_check')).toBe('ok');
    recovered.close();
  });

  test('a rollback journal or temp file is refused, so nothing is written unsealed', () => {
    const vfs = install(randomKey());
    const db = openWith(vfs.name, '/aead-d.db');
    populate(db, 10);
    expect(() => db.exec('PRAGMA journal_mode = DELETE; INSERT INTO t(body) VALUES (1)')).toThrow(/SQLITE_CANTOPEN/);
    db.close();
  });
});
