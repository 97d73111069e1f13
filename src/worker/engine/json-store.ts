/**
 * Small per-database records kept beside the database pools in the origin
 * private file system, outside the database file: `<directory>/<name>.json`.
 * Used for what must never travel in an export, a backup or an imported copy
 * (a database's key record, a device's sync token). `createWritable` replaces
 * the file only on `close()`, so a crash leaves the old record or the new one.
 */

export interface JsonStore<T> {
  /** The record, or null when there is none (or it is not a valid record). */
  read(name: string): Promise<T | null>;
  write(name: string, record: T): Promise<void>;
  /** Removes the record; removing a missing one is not an error. */
  delete(name: string): Promise<void>;
}

const isNotFound = (error: unknown) => (error as { name?: string } | null)?.name === 'NotFoundError';

export function opfsJsonStore<T>(directory: string, isValid: (value: unknown) => value is T): JsonStore<T> {
  const dir = async () => (await navigator.storage.getDirectory()).getDirectoryHandle(directory, { create: true });
  return {
    async read(name) {
      let text: string;
      try {
        text = await (await (await (await dir()).getFileHandle(`${name}.json`)).getFile()).text();
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
      const record: unknown = JSON.parse(text);
      return isValid(record) ? record : null;
    },
    async write(name, record) {
      const writable = await (await (await dir()).getFileHandle(`${name}.json`, { create: true })).createWritable();
      await writable.write(JSON.stringify(record));
      await writable.close();
    },
    async delete(name) {
      try {
        await (await dir()).removeEntry(`${name}.json`);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
  };
}

/** In-memory databases and Node tests: the same contract over a Map (records are copied in and out). */
export function memoryJsonStore<T>(): JsonStore<T> & { records: Map<string, T> } {
  const records = new Map<string, T>();
  return {
    records,
    async read(name) {
      return structuredClone(records.get(name) ?? null);
    },
    async write(name, record) {
      records.set(name, structuredClone(record));
    },
    async delete(name) {
      records.delete(name);
    },
  };
}
