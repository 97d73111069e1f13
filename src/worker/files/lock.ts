const tails = new WeakMap<object, Promise<unknown>>();

/**
 * Runs file operations on one database (`key`: its open file) one after another. Imports, restores and
 * backups wait on storage between their steps; queueing them keeps two of
 * them from interleaving (say, a restore pruning the backup an import just
 * took). Not re-entrant: code already inside must call the unlocked helpers.
 */
export function exclusive<T>(key: object, fn: () => Promise<T>): Promise<T> {
  const run = (tails.get(key) ?? Promise.resolve()).then(fn);
  tails.set(key, run.catch(() => undefined));
  return run;
}
