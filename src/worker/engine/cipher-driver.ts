/**
 * The encrypted storage driver: SQLite3 Multiple Ciphers (`@evolu/sqlite-wasm`,
 * its own wasm build) over its own `opfs-sahpool` pool, loaded by dynamic
 * import only when a database is encrypted, so plain databases keep the one
 * official build and never download this one.
 *
 * The pool's VFS does not encrypt by itself (`PRAGMA key` fails there and
 * later writes would go to disk in plaintext), so it is wrapped with
 * `sqlite3mc_vfs_create` and every file is opened through the wrapper, keyed
 * before its first read. To the rest of the worker the driver is transparent:
 * `readFile` hands out the plain SQLite file (pages read through the codec),
 * `writeFile` stores plain bytes encrypted, so backups, restore, replace and
 * export work unchanged and nothing plain reaches the disk.
 */
import type { Database, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { fail } from '../../shared/errors';
import type { StorageDriver } from './driver';
import { installPool, poolFiles, toPath } from './sahpool-driver';
import { deserialize } from './snapshot';

const POOL_NAME = 'mnemo-sahpool-enc';
const POOL_DIRECTORY = '.mnemo-sahpool-enc';
const CIPHER_VFS = `multipleciphers-${POOL_NAME}`;
/** The data key is 256 random bits: the cipher's own passphrase stretching would only slow every open. */
const KDF_ITER = 1;
const SCRATCH = '/.mnemo-vacuum-scratch';

let loading: Promise<Sqlite3Static> | undefined;

/** The cipher build, once per worker; the official build's `sqlite3ApiConfig` (no `opfs` VFS) applies to it too. */
function loadCipherSqlite(): Promise<Sqlite3Static> {
  loading ??= import('@evolu/sqlite-wasm').then(async (module) => {
    // Same API shape as the official package (FACTS: "same API shape"); only its typings are a separate copy.
    const init = module.default as unknown as () => Promise<Sqlite3Static>;
    return init();
  });
  return loading;
}

/** The sqlite3mc calls, which the package's typings do not declare. */
interface CipherCapi {
  sqlite3mc_vfs_create(vfs: string, makeDefault: number): number;
}

let installed: Promise<{ sqlite3: Sqlite3Static; pool: Awaited<ReturnType<typeof installPool>> }> | undefined;

function installCipherPool() {
  installed ??= (async () => {
    const sqlite3 = await loadCipherSqlite();
    const pool = await installPool(sqlite3, POOL_NAME, POOL_DIRECTORY);
    const rc = (sqlite3.capi as unknown as CipherCapi).sqlite3mc_vfs_create(POOL_NAME, 0);
    if (rc !== 0) fail('QUERY_FAILED', 'encryption: the cipher VFS could not be created');
    return { sqlite3, pool };
  })();
  installed.catch(() => {
    installed = undefined;
  });
  return installed;
}

/** `PRAGMA` text for the key: hex of random bytes, never user text. */
function keyPragmas(hexKey: string): string {
  return `PRAGMA cipher = 'chacha20'; PRAGMA kdf_iter = ${KDF_ITER}; PRAGMA hexkey = '${hexKey}';`;
}

/**
 * Keys a fresh connection and proves the key before anything else runs:
 * sqlite3mc accepts any key and only the first read fails (SQLITE_NOTADB).
 */
function keyed(sqlite3: Sqlite3Static, file: string, hexKey: string): Database {
  const db = new sqlite3.oo1.DB({ filename: toPath(file), vfs: CIPHER_VFS, flags: 'c' });
  try {
    db.exec(keyPragmas(hexKey));
    // A WAL file must get exclusive locking before its first read (FACTS).
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.selectValue('SELECT count(*) FROM sqlite_schema');
  } catch (error) {
    db.close();
    const code = (error as { resultCode?: number }).resultCode;
    if (code === sqlite3.capi.SQLITE_NOTADB) fail('ENCRYPTED', 'encryption: the key does not open this database (wrong passphrase or damaged file)');
    throw error;
  }
  return db;
}

export interface CipherDriver extends StorageDriver {
  /** Whether the pool holds `file`. */
  has(file: string): boolean;
}

export async function createCipherDriver(hexKey: string): Promise<CipherDriver> {
  if (!/^[0-9a-f]{64}$/.test(hexKey)) fail('ENCRYPTED', 'encryption: invalid data key');
  const { sqlite3, pool } = await installCipherPool();
  const has = (file: string) => pool.getFileNames().includes(toPath(file));
  const plainCopy = (db: Database) => sqlite3.capi.sqlite3_js_db_export(db.pointer!, 'main');

  return {
    storage: 'opfs',
    vfs: CIPHER_VFS,
    sqlite3,
    has,
    ...poolFiles(pool, POOL_DIRECTORY),
    open(file) {
      return keyed(sqlite3, file, hexKey);
    },
    readFile(file, open) {
      if (open) return plainCopy(open);
      const db = keyed(sqlite3, file, hexKey);
      try {
        return plainCopy(db);
      } finally {
        db.close();
      }
    },
    async writeFile(file, bytes) {
      await pool.reserveMinimumCapacity(pool.getFileCount() + 3);
      for (const suffix of ['', '-wal', '-journal']) pool.unlink(toPath(file) + suffix);
      // Measured: sqlite3mc ignores key parameters in a VACUUM INTO target's URI (the copy came out
      // plain), but encrypts the target with the main database's key. So the plain bytes are attached
      // in memory to a keyed connection of an empty scratch file (never written), and vacuumed from there.
      const main = keyed(sqlite3, SCRATCH, hexKey);
      try {
        main.exec("ATTACH ':memory:' AS plain_copy");
        deserialize(sqlite3, main, 'plain_copy', bytes);
        main.exec({ sql: 'VACUUM plain_copy INTO ?', bind: [`file:${toPath(file)}?vfs=${CIPHER_VFS}`] });
      } finally {
        main.close();
        pool.unlink(SCRATCH);
      }
    },
  };
}
