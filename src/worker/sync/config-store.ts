/**
 * Where the sync settings live: `.mnemo-sync/<name>.json` in the origin
 * private file system, beside the database pools but outside the database
 * file, so the device token never travels in an export, a backup or an
 * imported copy (nor does the device id: a copied file is not the same device).
 */
import type { Scope } from '../../shared/models';

export interface SyncConfig {
  deviceId: string;
  url: string | null;
  token: string | null;
  spaces: Scope[];
  auto: boolean;
  intervalMs: number;
}

export interface SyncConfigStore {
  read(name: string): Promise<SyncConfig | null>;
  write(name: string, config: SyncConfig): Promise<void>;
}

const DIRECTORY = '.mnemo-sync';

function isConfig(value: unknown): value is SyncConfig {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Partial<SyncConfig>;
  return typeof c.deviceId === 'string' && Array.isArray(c.spaces) && typeof c.auto === 'boolean' && typeof c.intervalMs === 'number';
}

export function opfsSyncStore(): SyncConfigStore {
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
      const config: unknown = JSON.parse(text);
      return isConfig(config) ? config : null;
    },
    async write(name, config) {
      // createWritable replaces the file only on close(): a crash leaves the old settings or the new ones.
      const writable = await (await (await dir()).getFileHandle(`${name}.json`, { create: true })).createWritable();
      await writable.write(JSON.stringify(config));
      await writable.close();
    },
  };
}

/** In-memory databases and Node tests: the same contract over a Map. */
export function memorySyncStore(): SyncConfigStore {
  const configs = new Map<string, SyncConfig>();
  return {
    async read(name) {
      return structuredClone(configs.get(name) ?? null);
    },
    async write(name, config) {
      configs.set(name, structuredClone(config));
    },
  };
}
