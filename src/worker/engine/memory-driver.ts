import type { Database, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import type { StorageDriver } from './driver';

/**
 * In-memory databases. Closed "files" are kept as serialized bytes so export,
 * import and backups behave as on OPFS, only without persistence.
 */
const SQLITE_MAGIC = 'SQLite format 3\0';

/** The check opfs-sahpool's importDb makes, so a write both drivers refuse leaves the old file on both. */
function assertDatabaseBytes(bytes: Uint8Array): void {
  const n = bytes.byteLength;
  if (n < 512 || n % 512 !== 0 || String.fromCharCode(...bytes.subarray(0, 16)) !== SQLITE_MAGIC) {
    throw new Error('not an SQLite database file');
  }
}

export function createMemoryDriver(sqlite3: Sqlite3Static): StorageDriver {
  const files = new Map<string, Uint8Array>();
  const capi = sqlite3.capi;

  function deserialize(db: Database, bytes: Uint8Array): void {
    const pData = sqlite3.wasm.allocFromTypedArray(bytes);
    const flags = capi.SQLITE_DESERIALIZE_FREEONCLOSE | capi.SQLITE_DESERIALIZE_RESIZEABLE;
    const rc = capi.sqlite3_deserialize(db.pointer!, 'main', pData, bytes.byteLength, bytes.byteLength, flags);
    db.checkRc(rc);
  }

  return {
    storage: 'memory',
    vfs: 'memdb',
    sqlite3,
    open(file) {
      const db = new sqlite3.oo1.DB(':memory:', 'c');
      const bytes = files.get(file);
      if (bytes && bytes.byteLength > 0) deserialize(db, bytes);
      return db;
    },
    path(file) {
      return `memory:${file}`;
    },
    readFile(file, open) {
      if (open) return capi.sqlite3_js_db_export(open.pointer!);
      const bytes = files.get(file);
      if (!bytes) throw new Error('no such file');
      return bytes.slice();
    },
    async writeFile(file, bytes) {
      assertDatabaseBytes(bytes);
      files.set(file, bytes.slice());
    },
    async ensureCapacity() {
      // Memory grows on demand.
    },
    deleteFile(file) {
      files.delete(file);
    },
    persist(file, open) {
      // A connection closed already has nothing left to save (a replaced file was written while it was closed).
      if (open.pointer) files.set(file, capi.sqlite3_js_db_export(open.pointer));
    },
    listFiles() {
      return [...files.keys()];
    },
    fileSize(file, open) {
      if (open) {
        const pages = Number(open.selectValue('PRAGMA page_count') ?? 0);
        const pageSize = Number(open.selectValue('PRAGMA page_size') ?? 0);
        return pages * pageSize;
      }
      return files.get(file)?.byteLength ?? 0;
    },
  };
}
