import type { Core } from '../core';

const tails = new WeakMap<Core, Promise<unknown>>();

/**
 * Runs file operations of one core one after another. Imports, restores and
 * backups wait on storage between their steps; queueing them keeps two of
 * them from interleaving (say, a restore pruning the backup an import just
 * took). Not re-entrant: code already inside must call the unlocked helpers.
 */
export function exclusive<T>(core: Core, fn: () => Promise<T>): Promise<T> {
  const run = (tails.get(core) ?? Promise.resolve()).then(fn);
  tails.set(core, run.catch(() => undefined));
  return run;
}
