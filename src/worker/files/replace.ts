/**
 * Swapping the live database file for validated bytes (replace import,
 * restore). The current state is backed up first and kept in memory until
 * the new file has opened; if it does not open, the old bytes go back.
 */
import type { BackupInfo } from '../../shared/api';
import type { Core } from '../core';
import { toFailure } from '../engine/sql';
import { backupSettings, putBackupSettings, takeAutomaticBackup } from './backups';
import { rejectImport } from './reject';
import { snapshotOpen } from './snapshot';
import type { ValidatedFile } from './validate';

/** Files `writeFile` makes room for: the database, its WAL and a temporary file. */
const FILES_PER_WRITE = 3;

export async function replaceDatabase(core: Core, file: ValidatedFile, reason: string): Promise<BackupInfo | null> {
  const backup = await takeAutomaticBackup(core, reason);
  const kept = backupSettings(core);
  // Storage is reserved now so that from the snapshot to the reopen nothing
  // waits on a promise that needs another task: no other API call can run
  // in between and meet a closed connection or a half-written file.
  await core.driver.ensureCapacity(FILES_PER_WRITE);
  const previous = snapshotOpen(core.driver, core.file, core.sql);
  core.sql.close();
  try {
    await core.driver.writeFile(core.file, file.bytes);
    core.reopen(core.name);
  } catch (error) {
    await core.driver.writeFile(core.file, previous);
    core.reopen(core.name);
    rejectImport(`the file could not be opened (${toFailure(error, 'open').message})`);
  }
  putBackupSettings(core, kept);
  core.changed('*', null);
  return backup;
}
