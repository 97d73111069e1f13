/**
 * The 100-byte SQLite file header (https://sqlite.org/fileformat.html#the_database_header):
 * enough to refuse a file that is not SQLite, or that was cut short, before
 * any SQLite code sees it.
 */
import { rejectImport } from './reject';

const MAGIC = 'SQLite format 3\0';
const HEADER_BYTES = 100;
/** Offsets of the write/read format versions: 1 = rollback journal, 2 = WAL. */
const WRITE_VERSION = 18;
const READ_VERSION = 19;

export interface HeaderInfo {
  pageSize: number;
  /** Pages according to the header, or derived from the length when the header's count is not valid. */
  pageCount: number;
}

function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

export function hasSqliteMagic(bytes: Uint8Array): boolean {
  if (bytes.byteLength < HEADER_BYTES) return false;
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) return false;
  return true;
}

/** Checks magic, page size and that the length matches the page count; rejects the import otherwise. */
export function inspectHeader(bytes: Uint8Array): HeaderInfo {
  if (bytes.byteLength === 0) rejectImport('empty file (0 bytes)');
  if (!hasSqliteMagic(bytes)) rejectImport('not a SQLite file');
  const raw = u16(bytes, 16);
  const pageSize = raw === 1 ? 65_536 : raw;
  if (pageSize < 512 || pageSize > 65_536 || (pageSize & (pageSize - 1)) !== 0) {
    rejectImport('corrupt: the header has an invalid page size');
  }
  if (bytes[READ_VERSION]! > 2) rejectImport('written in a file format this SQLite cannot read');
  // The in-header page count is only authoritative when its "version-valid-for"
  // number matches the change counter (files from SQLite before 3.7.0 may not).
  const headerCountValid = u32(bytes, 24) === u32(bytes, 92) && u32(bytes, 28) > 0;
  if (!headerCountValid) {
    if (bytes.byteLength % pageSize !== 0) {
      rejectImport(`truncated (${bytes.byteLength} bytes is not a whole number of ${pageSize}-byte pages)`);
    }
    return { pageSize, pageCount: bytes.byteLength / pageSize };
  }
  const pageCount = u32(bytes, 28);
  const expected = pageCount * pageSize;
  if (bytes.byteLength < expected) rejectImport(`truncated (${bytes.byteLength} of ${expected} bytes)`);
  if (bytes.byteLength > expected) {
    rejectImport(`the file size does not match its header (${bytes.byteLength} bytes, the header describes ${expected})`);
  }
  return { pageSize, pageCount };
}

/**
 * Makes exported bytes open in any sqlite3 as a rollback-journal file: a WAL
 * database's header says "WAL" (2/2), and a reader would then look for a
 * `-wal` file that the export does not carry. The file was checkpointed first,
 * so nothing lives only in the WAL. Mutates and returns `bytes`, trimmed to
 * the header's page count (a storage file may be longer than the database).
 */
export function toRollbackFile(bytes: Uint8Array): Uint8Array {
  if (!hasSqliteMagic(bytes)) return bytes;
  if (bytes[WRITE_VERSION] === 2) bytes[WRITE_VERSION] = 1;
  if (bytes[READ_VERSION] === 2) bytes[READ_VERSION] = 1;
  const raw = u16(bytes, 16);
  const pageSize = raw === 1 ? 65_536 : raw;
  const pages = u32(bytes, 28);
  const size = pages * pageSize;
  return u32(bytes, 24) === u32(bytes, 92) && size > 0 && size < bytes.byteLength ? bytes.subarray(0, size) : bytes;
}
