import type { Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import type { StorageDriver } from './driver';

const POOL_NAME = 'mnemo-sahpool';
const POOL_DIRECTORY = '.mnemo-sahpool';
/** Main file, its WAL, a temp file, plus room for a few backups and an import staging file. */
const MIN_CAPACITY = 12;
/** How long a pool whose files another (dying) worker still holds is retried before it counts as in use. */
const HELD_POOL_WAIT_MS = 10_000;

type Pool = Awaited<ReturnType<Sqlite3Static['installOpfsSAHPoolVfs']>>;

/** Installs a pool (the plain one here, the cipher build's own in cipher-driver.ts) with room for MIN_CAPACITY files. */
export async function installPool(sqlite3: Sqlite3Static, name: string, directory: string): Promise<Pool> {
  // `forceReinitIfPreviouslyFailed` exists at runtime (3.54) but not in the typings.
  const options: Parameters<Sqlite3Static['installOpfsSAHPoolVfs']>[0] & { forceReinitIfPreviouslyFailed?: boolean } = {
    name,
    directory,
    initialCapacity: MIN_CAPACITY,
    preserveOnInitFailure: true,
    // A pool still held by a closing tab fails once; a later retry must really retry.
    forceReinitIfPreviouslyFailed: true,
  };
  // The access handles of a tab that just crashed or closed are released a moment after its
  // lock: wait for them a while before reporting the pool as held by someone else.
  const deadline = Date.now() + HELD_POOL_WAIT_MS;
  for (;;) {
    try {
      const pool = await sqlite3.installOpfsSAHPoolVfs(options);
      await pool.reserveMinimumCapacity(MIN_CAPACITY);
      return pool;
    } catch (error) {
      if ((error as { name?: unknown } | null)?.name !== 'NoModificationAllowedError' || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

export const toPath = (file: string) => (file.startsWith('/') ? file : `/${file}`);

/** The driver methods that only manage the pool's files, the same for a plain and an encrypting pool. */
export function poolFiles(pool: Pool, directory: string): Pick<StorageDriver, 'path' | 'ensureCapacity' | 'deleteFile' | 'listFiles' | 'fileSize'> {
  return {
    path(file) {
      return `opfs:${directory}${toPath(file)}`;
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

/**
 * The `opfs-sahpool` VFS: synchronous access handles kept open in a pool, the
 * fastest OPFS option and the only one that needs no COOP/COEP. It allows one
 * connection per origin, which the leader election upholds.
 */
export async function createSahPoolDriver(sqlite3: Sqlite3Static): Promise<StorageDriver> {
  const pool = await installPool(sqlite3, POOL_NAME, POOL_DIRECTORY);
  return {
    storage: 'opfs',
    vfs: 'opfs-sahpool',
    sqlite3,
    ...poolFiles(pool, POOL_DIRECTORY),
    open(file) {
      return new pool.OpfsSAHPoolDb(toPath(file));
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
  };
}
