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
  // `forceReinitIfPreviouslyFailed` exists at runtime (3.54) but not in the typings.
  const options: Parameters<Sqlite3Static['installOpfsSAHPoolVfs']>[0] & { forceReinitIfPreviouslyFailed?: boolean } = {
    name: POOL_NAME,
    directory: POOL_DIRECTORY,
    initialCapacity: MIN_CAPACITY,
    preserveOnInitFailure: true,
    // A pool still held by a closing tab fails once; a later retry must really retry.
    forceReinitIfPreviouslyFailed: true,
  };
  const pool = await sqlite3.installOpfsSAHPoolVfs(options);
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
      // A journal left next to the replaced file would be replayed onto the new bytes.
      for (const suffix of ['-wal', '-journal']) pool.unlink(toPath(file) + suffix);
      await pool.importDb(toPath(file), bytes);
    },
    async ensureCapacity(files) {
      await pool.reserveMinimumCapacity(pool.getFileCount() + files);
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
