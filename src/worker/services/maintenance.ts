/**
 * Background upkeep while a database is open: expired short-term memories
 * are swept every minute, and the embedding queue left by an earlier session
 * is resumed.
 */
import type { Changes } from '../events';
import type { Db } from '../repos';

/** How often expired short-term memories are swept while the database is open. */
const SWEEP_INTERVAL_MS = 60_000;

export interface MaintenanceDeps {
  db: Db;
  events: Changes;
  now: () => number;
  /** Starts the embedding runner if there is queued work. */
  resumeEmbedding(): void;
}

export class Maintenance {
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly deps: MaintenanceDeps) {}

  start(): void {
    this.sweepExpired();
    // The queue runs in the background; resuming it must not delay opening.
    setTimeout(() => this.deps.resumeEmbedding(), 0);
    this.timer = setInterval(() => this.sweepExpired(), SWEEP_INTERVAL_MS);
    // Node keeps a process alive for pending intervals; the sweep is not a reason to.
    (this.timer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Deletes expired short-term memories in small batches so reads never wait long. */
  private sweepExpired(): void {
    const { db, events, now } = this.deps;
    try {
      const removed = db.sql.tx(() => db.repos.memories.sweepExpired(now()));
      if (removed > 0) events.changed('memories', null);
    } catch (error) {
      console.warn('mnemo: expired-memory sweep failed', error instanceof Error ? error.name : undefined);
    }
  }
}
