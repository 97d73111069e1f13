/**
 * Swapping the live database file for validated bytes (replace import,
 * restore). The current state is backed up first and kept in memory until
 * the new file has opened; if it does not open, the old bytes go back.
 */
import type { BackupInfo } from '../../shared/api';
import { rejectImport } from '../engine/reject';
import { snapshotOpen } from '../engine/snapshot';
import { toFailure } from '../engine/sql';
import type { ValidatedFile } from '../engine/validate';
import { backupSettings, putBackupSettings, takeAutomaticBackup, type BackupDeps } from './backups';

/** Files `writeFile` makes room for: the database, its WAL and a temporary file. */
const FILES_PER_WRITE = 3;

export async function replaceDatabase(deps: BackupDeps, file: ValidatedFile, reason: string): Promise<BackupInfo | null> {
  const backup = await takeAutomaticBackup(deps, reason);
  const kept = backupSettings(deps);
  // Storage is reserved now so that from the snapshot to the reopen nothing
  // waits on a promise that needs another task: no other API call can run
  // in between and meet a closed connection or a half-written file.
  await deps.driver.ensureCapacity(FILES_PER_WRITE);
  const previous = snapshotOpen(deps.driver, deps.connection.file, deps.connection.sql);
  deps.connection.sql.close();
  try {
    await deps.driver.writeFile(deps.connection.file, file.bytes);
    deps.connection.reopen(deps.connection.name);
  } catch (error) {
    await deps.driver.writeFile(deps.connection.file, previous);
    deps.connection.reopen(deps.connection.name);
    rejectImport(`the file could not be opened (${toFailure(error, 'open').message})`);
  }
  putBackupSettings(deps, kept);
  deps.events.changed('*', null);
  return backup;
}
