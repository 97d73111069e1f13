/**
 * Backups: snapshots of the database kept as separate files of the same
 * storage driver. The registry is the file names themselves
 * (`<db>.backup.<createdAt>.<size>.<id>.<reason>.sqlite3`): nothing inside a
 * database has to be kept in step with them, so replacing, restoring or
 * clearing the database never loses track of its backups, and listing them
 * reads no file contents.
 */
import { fail } from '../../shared/errors';
import { uuidv7 } from '../../shared/ids';
import type { BackupInfo, BackupStatus } from '../../shared/api';
import type { Json } from '../../shared/models';
import { GLOBAL_SCOPE } from '../../shared/scope';
import type { OpenFile } from '../connection';
import { openUnmigrated } from '../engine/database';
import type { StorageDriver } from '../engine/driver';
import { assertMigratable, readSchemaState, type Migration } from '../engine/migrations';
import { snapshotOpen } from '../engine/snapshot';
import type { Changes } from '../events';
import { AdminRepo } from '../repos/admin';
import { SettingsRepo } from '../repos/settings';
import { exclusive } from './lock';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Global settings of the backup feature; they describe this device, so they stay when the data is replaced. */
export const BACKUP_SETTINGS_PREFIX = 'backups.';
const KEEP = { key: 'backups.keep', fallback: 5, min: 1, max: 100 };
const REMIND_AFTER_DAYS = { key: 'backups.remindAfterDays', fallback: 7, min: 1, max: 3650 };
const LAST_DOWNLOADED = 'backups.lastDownloadedAt';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const BACKUP_FILE = new RegExp(`^(.+)\\.backup\\.(\\d+)\\.(\\d+)\\.(${UUID})\\.([^.]*)\\.sqlite3$`);
export const BACKUP_ID = new RegExp(`^${UUID}$`);

/** What backups need: the storage, the open file, the clock and change events (settings they write). */
export interface BackupDeps {
  driver: StorageDriver;
  connection: OpenFile;
  now: () => number;
  events: Changes;
}

export interface BackupFile extends BackupInfo {
  file: string;
}

/** File names may not contain '/', and '.' separates the name's fields. */
function encodeReason(reason: string): string {
  return encodeURIComponent(reason).replace(/\./g, '%2E');
}

function decodeReason(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function backupFileName(db: string, info: BackupInfo): string {
  return `${db}.backup.${info.createdAt}.${info.sizeBytes}.${info.id}.${encodeReason(info.reason)}.sqlite3`;
}

/** Backups of database `db`, newest first. */
export function listBackups(driver: StorageDriver, db: string): BackupFile[] {
  const backups: BackupFile[] = [];
  for (const name of driver.listFiles()) {
    const file = name.replace(/^\//, '');
    const match = BACKUP_FILE.exec(file);
    if (!match || match[1] !== db) continue;
    backups.push({ id: match[4]!, createdAt: Number(match[2]), sizeBytes: Number(match[3]), reason: decodeReason(match[5]!), file });
  }
  return backups.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

export function findBackup(deps: BackupDeps, id: string): BackupFile {
  return listBackups(deps.driver, deps.connection.name).find((b) => b.id === id) ?? fail('NOT_FOUND', 'backup not found');
}

function integerSetting(settings: SettingsRepo, spec: { key: string; fallback: number; min: number; max: number }): number {
  const value = settings.get(GLOBAL_SCOPE, spec.key);
  return typeof value === 'number' && Number.isInteger(value) && value >= spec.min && value <= spec.max ? value : spec.fallback;
}


async function writeBackup(driver: StorageDriver, db: string, bytes: Uint8Array, reason: string, now: number, keep: number): Promise<BackupInfo> {
  const info: BackupInfo = { id: uuidv7(now), createdAt: now, sizeBytes: bytes.byteLength, reason };
  await driver.writeFile(backupFileName(db, info), bytes);
  for (const old of listBackups(driver, db).slice(keep)) driver.deleteFile(old.file);
  return info;
}

/** Takes a backup of the open database. Callers hold the files lock. */
export async function takeBackup(deps: BackupDeps, reason: string): Promise<BackupInfo> {
  const db = deps.connection.name;
  const bytes = snapshotOpen(deps.driver, deps.connection.file, deps.connection.sql);
  return writeBackup(deps.driver, db, bytes, reason, deps.now(), integerSetting(deps.connection.repos.settings, KEEP));
}

/**
 * The automatic kind (before imports, restores, clearing; scheduled): skipped
 * while the database holds no data, which has nothing to lose and whose
 * snapshot would push a useful one out of the kept N. Callers hold the lock.
 */
export async function takeAutomaticBackup(deps: BackupDeps, reason: string): Promise<BackupInfo | null> {
  return deps.connection.repos.admin.hasData() ? takeBackup(deps, reason) : null;
}

/**
 * An automatic snapshot before a destructive operation, e.g.
 * `await snapshotBefore(deps, 'before-clear-all')`. Resolves to null when
 * the database holds no data.
 */
export function snapshotBefore(deps: BackupDeps, reason: string): Promise<BackupInfo | null> {
  return exclusive(deps.connection, () => takeAutomaticBackup(deps, reason));
}

/**
 * A snapshot of a database file that is about to be migrated, taken before
 * anything opens it for writing. Call it before `openDatabase` (it opens and
 * closes the file itself); it does nothing for a file that is new, current,
 * empty, or that `openDatabase` will refuse anyway.
 */
export async function snapshotBeforeMigration(
  driver: StorageDriver,
  name: string,
  file: string,
  migrations: Migration[],
  now: () => number = Date.now,
): Promise<BackupInfo | null> {
  if (!driver.listFiles().some((f) => f.replace(/^\//, '') === file)) return null;
  const sql = openUnmigrated(driver, file);
  let bytes: Uint8Array;
  let keep: number;
  try {
    const state = readSchemaState(sql);
    if (!state.hasTables || state.version >= (migrations.at(-1)?.version ?? 0) || !new AdminRepo(sql).hasData()) return null;
    try {
      assertMigratable(state, migrations);
    } catch {
      return null;
    }
    bytes = snapshotOpen(driver, file, sql);
    keep = integerSetting(new SettingsRepo(sql), KEEP);
  } finally {
    sql.close();
  }
  return writeBackup(driver, name, bytes, 'before-migration', now(), keep);
}

/**
 * Takes a 'scheduled' backup whenever the newest backup (of any kind) is
 * older than `everyMs` (default 24 h), checking every `checkMs` (default 1 h)
 * while the database is open, first after `firstCheckMs` (default 1 min, so
 * it never competes with start-up). Returns a function that stops it.
 */
export function startBackupSchedule(deps: BackupDeps, options: { everyMs?: number; checkMs?: number; firstCheckMs?: number } = {}): () => void {
  const everyMs = options.everyMs ?? DAY_MS;
  const tick = () => {
    exclusive(deps.connection, async () => {
      const newest = listBackups(deps.driver, deps.connection.name)[0];
      if (newest && deps.now() - newest.createdAt < everyMs) return;
      await takeAutomaticBackup(deps, 'scheduled');
    }).catch((error: unknown) => {
      console.warn('mnemo: scheduled backup failed', error instanceof Error ? error.name : undefined);
    });
  };
  const first = setTimeout(tick, options.firstCheckMs ?? 60_000);
  const timer = setInterval(tick, options.checkMs ?? HOUR_MS);
  // Node keeps a process alive for pending timers; a backup schedule is not a reason to.
  (first as { unref?: () => void }).unref?.();
  (timer as { unref?: () => void }).unref?.();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}

/** Records that the user took a copy made at `takenAt`; only ever moves forward. */
export function markDownloaded(deps: BackupDeps, takenAt: number): void {
  const current = deps.connection.repos.settings.get(GLOBAL_SCOPE, LAST_DOWNLOADED);
  if (typeof current === 'number' && current >= takenAt) return;
  deps.connection.sql.tx(() => deps.connection.repos.settings.set(GLOBAL_SCOPE, LAST_DOWNLOADED, takenAt, deps.now()));
  deps.events.changed('settings', null);
}

export function backupStatus(deps: BackupDeps): BackupStatus {
  const backups = listBackups(deps.driver, deps.connection.name);
  const settings = deps.connection.repos.settings;
  const last = settings.get(GLOBAL_SCOPE, LAST_DOWNLOADED);
  const lastDownloadedAt = typeof last === 'number' ? last : null;
  const remindAfterDays = integerSetting(settings, REMIND_AFTER_DAYS);
  const stale = lastDownloadedAt === null || deps.now() - lastDownloadedAt > remindAfterDays * DAY_MS;
  return {
    count: backups.length,
    totalBytes: backups.reduce((sum, b) => sum + b.sizeBytes, 0),
    lastBackupAt: backups[0]?.createdAt ?? null,
    lastDownloadedAt,
    keep: integerSetting(settings, KEEP),
    remindAfterDays,
    reminderDue: stale && deps.connection.repos.admin.hasData(),
  };
}

/** The backup feature's own global settings, which stay with the device across replace and restore. */
export function backupSettings(deps: BackupDeps): Record<string, Json> {
  return Object.fromEntries(Object.entries(deps.connection.repos.settings.list(GLOBAL_SCOPE)).filter(([key]) => key.startsWith(BACKUP_SETTINGS_PREFIX)));
}

export function putBackupSettings(deps: BackupDeps, kept: Record<string, Json>): void {
  const settings = deps.connection.repos.settings;
  const at = deps.now();
  deps.connection.sql.tx(() => {
    for (const key of Object.keys(backupSettings(deps))) if (!(key in kept)) settings.delete(GLOBAL_SCOPE, key);
    for (const [key, value] of Object.entries(kept)) settings.set(GLOBAL_SCOPE, key, value, at);
  });
}
