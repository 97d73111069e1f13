/**
 * Storage behind one small interface so the same repositories run on OPFS in
 * the browser and in memory (private windows, Node unit tests).
 */
import type { Database, Sqlite3Static } from '@sqlite.org/sqlite-wasm';

export interface StorageDriver {
  readonly storage: 'opfs' | 'memory';
  readonly vfs: string;
  readonly sqlite3: Sqlite3Static;
  /** Opens (creating if needed) a database file of this driver. */
  open(file: string): Database;
  /** Human-readable location, e.g. `opfs:/mnemo/mnemo.sqlite3 (opfs-sahpool)`. */
  path(file: string): string;
  /** The bytes of a database file that is not open, or of one that is open and checkpointed. */
  readFile(file: string, open?: Database): Uint8Array;
  /** Replaces a (closed) database file with the given bytes. */
  writeFile(file: string, bytes: Uint8Array): Promise<void>;
  /**
   * Makes room for `files` more files now, so that a `writeFile` right after
   * completes without waiting on storage (nothing else runs in between).
   */
  ensureCapacity(files: number): Promise<void>;
  deleteFile(file: string): void;
  /** Saves an open database before it is closed, where storage is not written through (memory). */
  persist?(file: string, open: Database): void;
  listFiles(): string[];
  /** Size in bytes of a database file, or 0 when it does not exist. */
  fileSize(file: string, open?: Database): number;
}
