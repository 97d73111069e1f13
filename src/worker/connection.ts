/**
 * The open database file: its connection and repositories, swapped as a
 * whole when the file is reopened (initDatabase, a replacing import or
 * restore). Services hold this object, never a connection, so they always
 * reach the current file.
 */
import type { DatabaseInfo } from '../shared/api';
import { fail } from '../shared/errors';
import { openDatabase, type OpenedDatabase } from './engine/database';
import type { StorageDriver } from './engine/driver';
import type { Migration } from './engine/migrations';
import type { Sql } from './engine/sql';
import { createRepos, type Db, type Repos } from './repos';

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function fileFor(name: string): string {
  return `${name}.sqlite3`;
}

export function checkName(name: unknown, context: string): string {
  if (typeof name !== 'string' || !FILE_NAME.test(name)) {
    fail('INVALID_INPUT', `${context}: field 'name' must be 1-64 letters, digits, '.', '_' or '-'`);
  }
  return name;
}

/** What file-level services (backups, import) need of the open file. */
export interface OpenFile extends Db {
  readonly name: string;
  readonly file: string;
  readonly schemaVersion: number;
  /** Closes the current file and opens `name` (or the same file again). */
  reopen(name: string): void;
}

export class Connection implements OpenFile {
  private opened: OpenedDatabase;
  private current: Repos;
  private readonly reopened: Array<() => void> = [];

  constructor(
    private readonly driver: StorageDriver,
    private readonly migrations: Migration[],
    public name: string,
  ) {
    this.opened = openDatabase(driver, fileFor(name), migrations);
    this.current = createRepos(this.opened.sql);
  }

  get sql(): Sql {
    return this.opened.sql;
  }

  get repos(): Repos {
    return this.current;
  }

  get file(): string {
    return this.opened.file;
  }

  get journalMode(): string {
    return this.opened.journalMode;
  }

  get schemaVersion(): number {
    return this.opened.migration.to;
  }

  /** Runs `hook` after every reopen (caches of the old file are stale then). */
  onReopen(hook: () => void): void {
    this.reopened.push(hook);
  }

  reopen(name: string): void {
    this.close();
    this.name = name;
    this.opened = openDatabase(this.driver, fileFor(name), this.migrations);
    this.current = createRepos(this.opened.sql);
    for (const hook of this.reopened) hook();
  }

  close(): void {
    this.driver.persist?.(this.file, this.opened.sql.raw);
    this.opened.sql.close();
  }

  info(warning: string | null): DatabaseInfo {
    return {
      name: this.name,
      storage: this.driver.storage,
      vfs: this.driver.vfs,
      path: this.driver.path(this.file),
      journalMode: this.journalMode,
      warning,
      schemaVersion: this.schemaVersion,
      sqliteVersion: this.driver.sqlite3.version.libVersion,
    };
  }
}
