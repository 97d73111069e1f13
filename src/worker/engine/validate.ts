/**
 * Checks a database file before it may replace or join the live one. Every
 * check runs on the bytes or on a private in-memory copy, so a refused file
 * leaves the live database untouched.
 */
import { MnemoFailure } from '../../shared/errors';
import type { StorageDriver } from './driver';
import { APPLICATION_ID, assertMigratable, migrate, readSchemaState, type Migration } from './migrations';
import type { Sql } from './sql';
import { inspectHeader } from './header';
import { rejectImport } from './reject';
import { openScratch, serialize } from './snapshot';

export interface ValidatedFile {
  /** The file as it will be used: checked, and migrated to this app's schema when it was older. */
  bytes: Uint8Array;
  schemaVersion: number;
  /** The schema version the file had. */
  migratedFrom: number;
}

/** The live database a file is checked against. */
export interface ImportTarget {
  driver: StorageDriver;
  /** The live file and connection (the storage check counts the backup of it). */
  file: string;
  sql: Sql;
  migrations: Migration[];
  maxImportBytes: number;
  now: () => number;
  /** The app's own checks of the file's content, on the migrated copy; they refuse it by throwing (`rejectImport`). */
  inspect?: (scratch: Sql) => void;
}

/** Integrity problems reported, at most; one is enough to refuse. */
const INTEGRITY_ROWS = 10;

export async function validateDatabaseFile(target: ImportTarget, bytes: Uint8Array): Promise<ValidatedFile> {
  const limit = target.maxImportBytes;
  if (bytes.byteLength > limit) rejectImport(`file too large (${bytes.byteLength} bytes; the limit is ${limit})`);
  inspectHeader(bytes);
  await assertStorageRoom(target, bytes.byteLength);
  let scratch: Sql;
  try {
    scratch = openScratch(target.driver.sqlite3, bytes);
  } catch (error) {
    if (error instanceof Error && error.name === 'WasmAllocError') rejectImport('file too large to open in memory');
    rejectImport('corrupt: the file could not be opened as a database');
  }
  try {
    return checkAndMigrate(target, scratch);
  } catch (error) {
    if (error instanceof MnemoFailure) throw error;
    // SQLite failing to read its own structures (SQLITE_CORRUPT, SQLITE_NOTADB) means the file is damaged.
    rejectImport('corrupt: integrity check failed');
  } finally {
    scratch.close();
  }
}

function checkAndMigrate(target: ImportTarget, scratch: Sql): ValidatedFile {
  const problems = scratch.all(`PRAGMA integrity_check(${INTEGRITY_ROWS})`).map((row) => String(Object.values(row)[0]));
  if (problems.length !== 1 || problems[0] !== 'ok') rejectImport('corrupt: integrity check failed');

  const state = readSchemaState(scratch);
  if (state.applicationId !== APPLICATION_ID) {
    const id = `0x${state.applicationId.toString(16).padStart(8, '0')}`;
    rejectImport(`another application's database (application_id ${id}, expected 0x${APPLICATION_ID.toString(16)})`);
  }
  const latest = target.migrations.at(-1)?.version ?? 0;
  const version = Math.max(state.version, Number(scratch.value('PRAGMA user_version') ?? 0));
  if (version > latest) rejectImport(`schema version ${version} is newer than this app (${latest})`);
  try {
    assertMigratable(state, target.migrations);
  } catch (error) {
    rejectImport(`its migration history does not match this app (${error instanceof MnemoFailure ? error.message : 'unreadable'})`);
  }
  if (state.version < latest) {
    // The same settings a live connection uses, so migrations behave as they do on open.
    scratch.exec('PRAGMA foreign_keys = ON');
    try {
      migrate(scratch, target.migrations, target.now);
    } catch (error) {
      rejectImport(`migrating it from schema version ${state.version} failed (${error instanceof MnemoFailure ? error.message : 'unknown error'})`);
    }
  }
  const violations = scratch.all('PRAGMA foreign_key_check').length;
  if (violations > 0) rejectImport(`corrupt: ${violations} rows reference rows that do not exist`);
  target.inspect?.(scratch);
  return { bytes: serialize(target.driver.sqlite3, scratch.raw), schemaVersion: latest, migratedFrom: state.version };
}

/**
 * The import needs room for the file and for the backup taken before it (a
 * copy of the current database). `navigator.storage.estimate()` is only an
 * estimate, but refusing early beats failing halfway with the disk full.
 */
async function assertStorageRoom(target: ImportTarget, incoming: number): Promise<void> {
  const storage = (globalThis.navigator as WorkerNavigator | undefined)?.storage;
  if (target.driver.storage !== 'opfs' || typeof storage?.estimate !== 'function') return;
  const { quota, usage } = await storage.estimate();
  if (quota === undefined || usage === undefined) return;
  const needed = incoming + target.driver.fileSize(target.file, target.sql.raw);
  const available = quota - usage;
  if (needed > available) {
    rejectImport(`file too large for the available storage (needs about ${needed} bytes, ${available} available)`);
  }
}
