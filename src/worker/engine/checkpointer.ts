/**
 * WAL checkpoints in idle time. By default SQLite copies the WAL back into the
 * database file inside the COMMIT that takes the WAL past 1,000 pages, so
 * every such write pays for the pages of the writes before it: each bulk
 * batch of a few megabytes was written twice before its call returned, and
 * one single-row write in about a hundred paid for the hundred. With
 * `wal_autocheckpoint` raised (database.ts) the checkpoint runs here instead,
 * once writes have been quiet for `idleMs`; the raised limit stays as the
 * bound while writes never pause. Durability is the WAL's either way.
 */
import type { Sql } from './sql';

/** Quiet time after the last commit before the WAL is checkpointed. */
export const CHECKPOINT_IDLE_MS = 1_000;

export interface Checkpointer {
  /** Cancels a waiting checkpoint (before the connection closes, which checkpoints itself). */
  stop(): void;
}

export function idleCheckpoints(sql: Sql, idleMs = CHECKPOINT_IDLE_MS): Checkpointer {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  sql.afterCommit(() => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      try {
        // PASSIVE never waits; with exclusive locking no reader can hold frames back.
        sql.value('PRAGMA wal_checkpoint(PASSIVE)');
      } catch (error) {
        // A failed checkpoint loses nothing (the frames stay in the WAL); the next commit tries again.
        console.warn('mnemo: WAL checkpoint failed', error instanceof Error ? error.message : error);
      }
    }, idleMs);
    (timer as { unref?: () => void }).unref?.();
  });
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
