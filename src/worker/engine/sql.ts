/**
 * A thin synchronous layer over one sqlite-wasm connection: cached prepared
 * statements, nested transactions through savepoints, and one place where
 * SQLite errors become Mnemo error codes. Every repository talks to SQLite
 * through this and nothing else.
 */
import type { Database, PreparedStatement, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { MnemoFailure, type ErrorCode } from '../../shared/errors';
import { quotaErrorRecently } from './sqlite';

export type SqlValue = string | number | null | bigint | Uint8Array;
export type Params = readonly SqlValue[] | Record<string, SqlValue>;
export type Row = Record<string, SqlValue>;

export const STORAGE_IO_FAILED = 'storage I/O failed';

const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_NOMEM = 7;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_CONSTRAINT = 19;
const SQLITE_NOTADB = 26;

/**
 * Maps a SQLite failure to an error code and a message that names the kind of
 * failure only: SQLite's own text can quote SQL, so it never leaves the worker.
 */
export function toFailure(error: unknown, context: string): MnemoFailure {
  if (error instanceof MnemoFailure) return error;
  const rc = sqliteCode(error);
  const text = error instanceof Error ? error.message : '';
  const primary = rc & 0xff;
  let code: ErrorCode = 'QUERY_FAILED';
  let reason = 'query failed';
  if (primary === SQLITE_CONSTRAINT) {
    if (/UNIQUE|PRIMARY KEY/i.test(text)) {
      code = 'CONFLICT';
      reason = 'a row with the same key already exists';
    } else if (/FOREIGN KEY/i.test(text)) {
      code = 'NOT_FOUND';
      reason = 'a referenced row does not exist';
    } else if (/NOT NULL/i.test(text)) {
      code = 'INVALID_INPUT';
      reason = 'a required field is missing';
    } else if (/CHECK/i.test(text)) {
      code = 'INVALID_INPUT';
      reason = `a value is out of range (${checkedColumn(text)})`;
    } else {
      code = 'INVALID_INPUT';
      reason = 'a constraint failed';
    }
  } else if (primary === SQLITE_FULL) {
    code = 'QUOTA_EXCEEDED';
    reason = 'storage is full';
  } else if (primary === SQLITE_BUSY || primary === SQLITE_LOCKED) {
    code = 'LOCKED';
    reason = 'the database is locked';
  } else if (primary === SQLITE_NOTADB) {
    code = 'ENCRYPTED';
    reason = 'the file is not a readable database (encrypted or not SQLite)';
  } else if (primary === SQLITE_CORRUPT) {
    reason = 'the database file is corrupt';
  } else if (primary === SQLITE_READONLY) {
    reason = 'the database is read-only';
  } else if (primary === SQLITE_IOERR && quotaErrorRecently()) {
    code = 'QUOTA_EXCEEDED';
    reason = 'storage quota exceeded';
  } else if (primary === SQLITE_IOERR || primary === SQLITE_CANTOPEN) {
    reason = STORAGE_IO_FAILED;
  } else if (primary === SQLITE_NOMEM) {
    reason = 'out of memory';
  } else if (/quota|QuotaExceeded/i.test(text)) {
    code = 'QUOTA_EXCEEDED';
    reason = 'storage quota exceeded';
  }
  return new MnemoFailure(code, `${context}: ${reason}`);
}

function hasParams(params: Params | undefined): params is Params {
  if (params === undefined) return false;
  return Array.isArray(params) ? params.length > 0 : Object.keys(params).length > 0;
}

function sqliteCode(error: unknown): number {
  if (typeof error === 'object' && error !== null && 'resultCode' in error) {
    const rc = (error as { resultCode: unknown }).resultCode;
    if (typeof rc === 'number') return rc;
  }
  return 0;
}

/** The column a CHECK constraint guards, taken from the constraint text (column names are schema, not data). */
function checkedColumn(text: string): string {
  const match = /CHECK constraint failed:\s*([a-z_]+)/i.exec(text);
  return match?.[1] ?? 'check';
}

/** The C functions rows are read with, called on the wasm exports directly. */
interface ColumnExports {
  sqlite3_column_count(stmt: number): number;
  sqlite3_column_type(stmt: number, i: number): number;
  sqlite3_column_double(stmt: number, i: number): number;
  sqlite3_column_int64(stmt: number, i: number): bigint;
  sqlite3_column_text(stmt: number, i: number): number;
  sqlite3_column_blob(stmt: number, i: number): number;
  sqlite3_column_bytes(stmt: number, i: number): number;
}

const SQLITE_INTEGER = 1;
const SQLITE_FLOAT = 2;
const SQLITE_TEXT = 3;
const SQLITE_BLOB = 4;

export class Sql {
  readonly raw: Database;
  readonly sqlite3: Sqlite3Static;
  private readonly statements = new Map<string, PreparedStatement>();
  /** Result column names per statement: oo1's `get({})` decodes each name again for every row it returns. */
  private readonly names = new Map<PreparedStatement, string[]>();
  private readonly columns: ColumnExports;
  // ignoreBOM: a text that starts with U+FEFF reads back with it (the default decoder drops it).
  private readonly text = new TextDecoder('utf-8', { ignoreBOM: true });
  private depth = 0;
  private readonly commitHooks: Array<() => void> = [];

  constructor(sqlite3: Sqlite3Static, db: Database) {
    this.sqlite3 = sqlite3;
    this.raw = db;
    this.columns = sqlite3.wasm.exports as ColumnExports;
  }

  /**
   * The current row as an object, read with the C column functions: values
   * as oo1 returns them (integers as numbers, as bigint outside the safe
   * range; blobs copied out of the heap), at a third of oo1's cost per row.
   */
  private row(stmt: PreparedStatement): Row {
    const c = this.columns;
    const ptr = stmt.pointer as number;
    let names = this.names.get(stmt);
    if (names?.length !== c.sqlite3_column_count(ptr)) {
      names = stmt.getColumnNames();
      this.names.set(stmt, names);
    }
    const row: Row = {};
    for (let i = 0; i < names.length; i++) row[names[i]!] = this.cell(ptr, i);
    return row;
  }

  private cell(ptr: number, i: number): SqlValue {
    const c = this.columns;
    switch (c.sqlite3_column_type(ptr, i)) {
      case SQLITE_INTEGER: {
        const d = c.sqlite3_column_double(ptr, i);
        if (Number.isSafeInteger(d)) return d;
        const big = c.sqlite3_column_int64(ptr, i);
        return big >= Number.MIN_SAFE_INTEGER && big <= Number.MAX_SAFE_INTEGER ? Number(big) : big;
      }
      case SQLITE_FLOAT:
        return c.sqlite3_column_double(ptr, i);
      case SQLITE_TEXT: {
        const at = c.sqlite3_column_text(ptr, i);
        const n = c.sqlite3_column_bytes(ptr, i);
        return n === 0 ? '' : this.text.decode(this.sqlite3.wasm.heap8u().subarray(at, at + n));
      }
      case SQLITE_BLOB: {
        const at = c.sqlite3_column_blob(ptr, i);
        const n = c.sqlite3_column_bytes(ptr, i);
        return n === 0 ? new Uint8Array(0) : this.sqlite3.wasm.heap8u().slice(at, at + n);
      }
      default:
        return null;
    }
  }

  private statement(sql: string): PreparedStatement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.raw.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Runs a statement and returns the number of rows it changed. */
  run(sql: string, params?: Params): number {
    const stmt = this.statement(sql);
    try {
      if (hasParams(params)) stmt.bind(params as never);
      stmt.stepReset();
    } finally {
      stmt.reset(true);
    }
    return this.raw.changes();
  }

  get<T = Row>(sql: string, params?: Params): T | undefined {
    const stmt = this.statement(sql);
    try {
      if (hasParams(params)) stmt.bind(params as never);
      return stmt.step() ? (this.row(stmt) as T) : undefined;
    } finally {
      stmt.reset(true);
    }
  }

  all<T = Row>(sql: string, params?: Params): T[] {
    const stmt = this.statement(sql);
    const rows: T[] = [];
    try {
      if (hasParams(params)) stmt.bind(params as never);
      while (stmt.step()) rows.push(this.row(stmt) as T);
    } finally {
      stmt.reset(true);
    }
    return rows;
  }

  /** Calls `fn` with each row in turn, never holding more than one (large scans, e.g. loading a vector index). */
  each<T = Row>(sql: string, params: Params | undefined, fn: (row: T) => void): void {
    const stmt = this.statement(sql);
    try {
      if (hasParams(params)) stmt.bind(params as never);
      while (stmt.step()) fn(this.row(stmt) as T);
    } finally {
      stmt.reset(true);
    }
  }

  value<T extends SqlValue = SqlValue>(sql: string, params?: Params): T | undefined {
    const stmt = this.statement(sql);
    try {
      if (hasParams(params)) stmt.bind(params as never);
      return stmt.step() ? (this.cell(stmt.pointer as number, 0) as T) : undefined;
    } finally {
      stmt.reset(true);
    }
  }

  /** Runs many bindings of one statement (the caller wraps it in a transaction). */
  runEach(sql: string, rows: Iterable<Params>): number {
    const stmt = this.statement(sql);
    let changes = 0;
    for (const params of rows) {
      try {
        if (hasParams(params)) stmt.bind(params as never);
        stmt.stepReset();
        changes += this.raw.changes();
      } finally {
        stmt.reset(true);
      }
    }
    return changes;
  }

  /** Multi-statement SQL without parameters (migrations, pragmas). */
  exec(sql: string): void {
    this.raw.exec(sql);
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  /**
   * Runs `fn` in a transaction: the outermost call uses BEGIN IMMEDIATE so a
   * write never upgrades a read lock midway; nested calls use savepoints so an
   * inner failure rolls back only its own part when the caller catches it.
   */
  tx<T>(fn: () => T): T {
    const name = `sp${this.depth}`;
    const outer = this.depth === 0;
    this.raw.exec(outer ? 'BEGIN IMMEDIATE' : `SAVEPOINT ${name}`);
    this.depth += 1;
    let result: T;
    try {
      result = fn();
      if (outer) for (const hook of this.commitHooks) hook();
      this.raw.exec(outer ? 'COMMIT' : `RELEASE ${name}`);
    } catch (error) {
      try {
        this.raw.exec(outer ? 'ROLLBACK' : `ROLLBACK TO ${name}; RELEASE ${name}`);
      } catch {
        // A failed COMMIT (e.g. storage full) may already have ended the transaction; the original error matters.
      }
      throw error;
    } finally {
      this.depth -= 1;
    }
    return result;
  }

  /** Runs `hook` inside every outermost transaction just before COMMIT (the sync log stamps its entries there). */
  beforeCommit(hook: () => void): void {
    this.commitHooks.push(hook);
  }

  /** Drops cached statements, e.g. before a migration changes the schema. */
  clearStatements(): void {
    for (const stmt of this.statements.values()) stmt.finalize();
    this.statements.clear();
    this.names.clear();
  }

  close(): void {
    this.clearStatements();
    this.raw.close();
  }
}
