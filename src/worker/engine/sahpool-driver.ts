import type { Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import type { StorageDriver } from './driver';

const POOL_NAME = 'mnemo-sahpool';
const POOL_DIRECTORY = '.mnemo-sahpool';
/** Main file, its WAL, a temp file, plus room for a few backups and an import staging file. */
const MIN_CAPACITY = 12;

/**
 * The `opfs-sahpool` VFS: synchronous access handles kept open in a pool, the
 * fastest OPFS option and the only one that needs no COOP/COEP. It allows one
 * connection per origin, which the leader election upholds.
 */
export async function createSahPoolDriver(sqlite3: Sqlite3Static): Promise<StorageDriver> {
  const pool = await sqlite3.installOpfsSAHPoolVfs({
    name: POOL_NAME,
    directory: POOL_DIRECTORY,
    initialCapacity: MIN_CAPACITY,
    preserveOnInitFailure: true,
  });
  await pool.reserveMinimumCapacity(MIN_CAPACITY);
  const toPath = (file: string) => (file.startsWith('/') ? file : `/${file}`);

  return {
    storage: 'opfs',
    vfs: 'opfs-sahpool',
    sqlite3,
    open(file) {
      return new pool.OpfsSAHPoolDb(toPath(file));
    },
    path(file) {
      return `opfs:${POOL_DIRECTORY}${toPath(file)}`;
    },
    readFile(file) {
      return pool.exportFile(toPath(file));
    },
    async writeFile(file, bytes) {
      await pool.reserveMinimumCapacity(pool.getFileCount() + 3);
      pool.importDb(toPath(file), bytes);
    },
    deleteFile(file) {
      pool.unlink(toPath(file));
    },
    listFiles() {
      return pool.getFileNames();
    },
    fileSize(file, open) {
      if (open) {
        const pages = Number(open.selectValue('PRAGMA page_count') ?? 0);
        const pageSize = Number(open.selectValue('PRAGMA page_size') ?? 0);
        return pages * pageSize;
      }
      return pool.getFileNames().includes(toPath(file)) ? pool.exportFile(toPath(file)).byteLength : 0;
    },
  };
}
