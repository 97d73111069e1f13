/**
 * Export, import and backups of database files (the `files` namespace of the
 * API). Backups live in `../files/`, the file mechanics in `../engine/`; see docs/decisions.md, "Files:
 * export, import, backups", for why they work the way they do.
 */
import * as Comlink from 'comlink';
import * as v from 'valibot';
import type { ExportOptions, FilesApi, ImportOptions, ImportResult, Limits, SpaceExportOptions } from '../../shared/api';
import { fail } from '../../shared/errors';
import { ENDPOINTS_SETTING } from '../../shared/input/endpoints';
import { check, type Schemas } from '../../shared/schemas';
import { copySpace, mergeFile, tableCounts } from '../engine/copy';
import type { Migration } from '../engine/migrations';
import { snapshotOpen } from '../engine/snapshot';
import { scopedTables } from '../engine/tables';
import { rejectImport } from '../engine/reject';
import { SettingsRepo } from '../repos/settings';
import type { Sql } from '../engine/sql';
import { validateDatabaseFile, type ValidatedFile } from '../engine/validate';
import type { Changes, ProgressReporter } from '../events';
import { BACKUP_ID, backupStatus, findBackup, listBackups, markDownloaded, takeAutomaticBackup, takeBackup, type BackupDeps } from '../files/backups';
import { exportSpaceJson } from '../files/json';
import { exclusive } from '../files/lock';
import { replaceDatabase } from '../files/replace';
import { checkPassphrase, isContainer, unseal, type Sealer } from '../encryption/keys';

export interface FilesDeps extends BackupDeps {
  events: Changes & ProgressReporter;
  migrations: Migration[];
  limits: Pick<Limits, 'maxImportBytes'>;
  schemas: Schemas;
  /** The embedding service's vector cache, which merged rows bypass. */
  vectorCache: { invalidate(): void };
  /** Set while the database is encrypted: exports and downloaded backups leave sealed (`MNEMOENC`). */
  sealer: Sealer | null;
}

const MAX_REASON_CHARS = 64;

/** As schemas.ts does for every API argument: valibot's object schemas alone would take `[]`, a Date or a Map as `{}`. */
function plainObject<const TEntries extends v.ObjectEntries>(entries: TEntries, message: string) {
  const isPlain = (value: unknown) => {
    if (typeof value !== 'object' || value === null) return false;
    const proto = Object.getPrototypeOf(value);
    return proto === Object.prototype || proto === null;
  };
  return v.pipe(v.custom<Record<string, unknown>>(isPlain, message), v.strictObject(entries, message));
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const importOptions = plainObject(
  { mode: v.picklist(['replace', 'merge'], "'replace' or 'merge'"), passphrase: v.optional(v.string('a string')) },
  'an object with mode',
);
const exportOptions = v.optional(plainObject({ markDownloaded: v.optional(v.boolean('a boolean')), plaintext: v.optional(v.boolean('a boolean')) }, 'an object'), {});
const spaceExportOptions = v.optional(plainObject({ plaintext: v.optional(v.boolean('a boolean')) }, 'an object'), {});
const backupId = v.pipe(v.string('a string'), v.regex(BACKUP_ID, 'a backup id'));
const reason = v.optional(
  v.pipe(
    v.string('a string'),
    v.minLength(1, 'a non-empty string'),
    v.maxLength(MAX_REASON_CHARS, `at most ${MAX_REASON_CHARS} characters`),
    // The reason is stored percent-encoded in the backup's file name, which needs well-formed text.
    v.check((text: string) => !LONE_SURROGATE.test(text), 'well-formed Unicode text (no unpaired surrogates)'),
  ),
  'manual',
);

function fileBytes(bytes: unknown, context: string): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  fail('INVALID_INPUT', `${context}: field 'bytes' must be a Uint8Array or an ArrayBuffer`);
}

/** An encrypted export is opened first; the bad-file checks then run on what is inside. */
async function opened(bytes: Uint8Array, passphrase: string | undefined): Promise<Uint8Array> {
  if (!isContainer(bytes)) return bytes;
  if (passphrase === undefined) fail('ENCRYPTED', "files.import: the file is encrypted; pass its passphrase in the field 'passphrase'");
  return unseal(bytes, checkPassphrase(passphrase, 'files.import'));
}

/** Large files cross to the page without a copy. */
function handOver(bytes: Uint8Array): Uint8Array {
  return Comlink.transfer(bytes, [bytes.buffer]);
}

export function createFilesApi(deps: FilesDeps): FilesApi {
  const s = deps.schemas;
  const { driver, connection } = deps;

  type Progress = ReturnType<ProgressReporter['begin']>;

  async function replace(file: ValidatedFile, reason: string): Promise<ImportResult> {
    const backup = await replaceDatabase(deps, file, reason);
    return { mode: 'replace', rows: tableCounts(connection.sql), schemaVersion: file.schemaVersion, migratedFrom: file.migratedFrom, backup };
  }

  async function merge(file: ValidatedFile, progress: Progress): Promise<ImportResult> {
    const backup = await takeAutomaticBackup(deps, 'before-import');
    progress.step(2, 'backed up');
    const rows = mergeFile(connection.sql, file.bytes, (table, index) => progress.step(3 + index, table));
    // Merged vectors were written around the embedding service's in-memory cache.
    deps.vectorCache.invalidate();
    deps.events.changed('*', null);
    return { mode: 'merge', rows, schemaVersion: file.schemaVersion, migratedFrom: file.migratedFrom, backup };
  }

  /**
   * What an imported file may not bring: a `chat.endpoints` setting with an API key in it
   * (`settings.set` refuses one, so no export of this app holds one; keys stay in the browser).
   */
  function inspect(scratch: Sql): void {
    for (const value of new SettingsRepo(scratch).valuesOf(ENDPOINTS_SETTING)) {
      try {
        check(s.endpointsSetting, value, 'files.import');
      } catch (error) {
        rejectImport(`its ${ENDPOINTS_SETTING} setting is not one this app writes (${error instanceof Error ? error.message : 'invalid'})`);
      }
    }
  }

  /** Validation, then the swap or merge; progress steps: validated, (backed up, one per table | replaced). */
  async function importFile(input: Uint8Array, mode: ImportOptions['mode'], task: string, reason: string): Promise<ImportResult> {
    const total = mode === 'replace' ? 2 : 2 + scopedTables(connection.sql.raw, 'main').length;
    const progress = deps.events.begin(task, total);
    try {
      const target = { driver, file: connection.file, sql: connection.sql, migrations: deps.migrations, maxImportBytes: deps.limits.maxImportBytes, now: deps.now, inspect };
      const file = await validateDatabaseFile(target, input);
      progress.step(1, 'validated');
      const result = mode === 'replace' ? await replace(file, reason) : await merge(file, progress);
      progress.end();
      return result;
    } catch (error) {
      progress.end('failed');
      throw error;
    }
  }

  /** The plain bytes as they leave the worker: sealed while the database is encrypted, unless asked otherwise. */
  const outgoing = async (bytes: Uint8Array, plaintext: boolean | undefined) => (deps.sealer && !plaintext ? deps.sealer.seal(bytes) : bytes);

  return {
    async export(options?: ExportOptions) {
      const { markDownloaded: mark = true, plaintext } = check(exportOptions, options, 'files.export');
      const bytes = await outgoing(snapshotOpen(driver, connection.file, connection.sql), plaintext);
      if (mark) markDownloaded(deps, deps.now());
      return handOver(bytes);
    },
    async exportSpace(scope, options?: SpaceExportOptions) {
      const where = check(s.scope, scope, 'files.exportSpace');
      const { plaintext } = check(spaceExportOptions, options, 'files.exportSpace');
      connection.repos.spaces.get(where);
      return handOver(await outgoing(copySpace(connection.sql, deps.migrations, where), plaintext));
    },
    async exportJson(scope, options?: SpaceExportOptions) {
      const where = check(s.scope, scope, 'files.exportJson');
      const { plaintext } = check(spaceExportOptions, options, 'files.exportJson');
      // JSON cannot be sealed: out of an encrypted database it leaves only when asked for in plain text.
      if (deps.sealer && !plaintext) {
        fail('INVALID_INPUT', 'files.exportJson: the database is encrypted and JSON is plain text; pass { plaintext: true } to export the space readable by anyone with the file');
      }
      return JSON.stringify(exportSpaceJson(deps, where));
    },
    async import(bytes: Uint8Array | ArrayBuffer, options: ImportOptions) {
      const input = fileBytes(bytes, 'files.import');
      const { mode, passphrase } = check(importOptions, options, 'files.import');
      const plain = await opened(input, passphrase);
      return exclusive(connection, () => importFile(plain, mode, 'import', 'before-import'));
    },
    backups: {
      async list() {
        return listBackups(driver, connection.name).map(({ file: _file, ...info }) => info);
      },
      async create(text?: string) {
        const why = check(reason, text, 'files.backups.create');
        return exclusive(connection, () => takeBackup(deps, why));
      },
      async restore(id) {
        const target = check(backupId, id, 'files.backups.restore');
        return exclusive(connection, () => importFile(driver.readFile(findBackup(deps, target).file), 'replace', 'restore', 'before-restore'));
      },
      async download(id, options?: ExportOptions) {
        const target = check(backupId, id, 'files.backups.download');
        const { markDownloaded: mark = true, plaintext } = check(exportOptions, options, 'files.backups.download');
        const backup = findBackup(deps, target);
        const bytes = await outgoing(driver.readFile(backup.file), plaintext);
        if (mark) markDownloaded(deps, backup.createdAt);
        return handOver(bytes);
      },
      async delete(id) {
        const target = check(backupId, id, 'files.backups.delete');
        return exclusive(connection, async () => {
          const backup = listBackups(driver, connection.name).find((b) => b.id === target);
          if (!backup) return false;
          driver.deleteFile(backup.file);
          return true;
        });
      },
      async status() {
        return backupStatus(deps);
      },
    },
  };
}
