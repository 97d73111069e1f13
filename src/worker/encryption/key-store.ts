/**
 * Where key records live: `.mnemo-keys/<name>.json` in the origin private
 * file system, beside the database pools. Its presence is what makes a
 * database encrypted, so writing it is the commit point of enable and
 * deleting it the commit point of disable. `createWritable` replaces the
 * file only on `close()`, so a crash leaves the old record or the new one.
 */
import { isKeyRecord, type KeyRecord } from './keys';

export interface KeyStore {
  read(name: string): Promise<KeyRecord | null>;
  write(name: string, record: KeyRecord): Promise<void>;
  delete(name: string): Promise<void>;
}

const DIRECTORY = '.mnemo-keys';

export function opfsKeyStore(): KeyStore {
  const dir = async () => (await navigator.storage.getDirectory()).getDirectoryHandle(DIRECTORY, { create: true });
  return {
    async read(name) {
      let text: string;
      try {
        text = await (await (await (await dir()).getFileHandle(`${name}.json`)).getFile()).text();
      } catch (error) {
        if ((error as { name?: string }).name === 'NotFoundError') return null;
        throw error;
      }
      const record: unknown = JSON.parse(text);
      return isKeyRecord(record) ? record : null;
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
        if ((error as { name?: string }).name !== 'NotFoundError') throw error;
      }
    },
  };
}

/** For Node tests: the same contract over a Map. */
export function memoryKeyStore(): KeyStore & { records: Map<string, KeyRecord> } {
  const records = new Map<string, KeyRecord>();
  return {
    records,
    async read(name) {
      return records.get(name) ?? null;
    },
    async write(name, record) {
      records.set(name, structuredClone(record));
    },
    async delete(name) {
      records.delete(name);
    },
  };
}
