/**
 * Where the sync settings live: `.mnemo-sync/<name>.json` in the origin
 * private file system, beside the database pools but outside the database
 * file, so the device token never travels in an export, a backup or an
 * imported copy (nor does the device id: a copied file is not the same device).
 */
import type { Scope } from '../../shared/models';
import { memoryJsonStore, opfsJsonStore, type JsonStore } from '../engine/json-store';

export interface SyncConfig {
  deviceId: string;
  url: string | null;
  token: string | null;
  spaces: Scope[];
  auto: boolean;
  intervalMs: number;
}

export type SyncConfigStore = JsonStore<SyncConfig>;

function isConfig(value: unknown): value is SyncConfig {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Partial<SyncConfig>;
  return typeof c.deviceId === 'string' && Array.isArray(c.spaces) && typeof c.auto === 'boolean' && typeof c.intervalMs === 'number';
}

export const opfsSyncStore = (): SyncConfigStore => opfsJsonStore('.mnemo-sync', isConfig);

/** In-memory databases and Node tests: the same contract over a Map. */
export const memorySyncStore = (): SyncConfigStore => memoryJsonStore<SyncConfig>();
