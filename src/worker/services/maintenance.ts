/**
 * Background upkeep while a database is open: short-term memories expired for
 * longer than the retention (global setting `memories.expiredRetentionDays`,
 * default 7) are swept every minute, and the embedding queue left by an
 * earlier session is resumed. Until then an expired memory can still be read,
 * extended or cleaned up by `cleanupExpired()`; search and default lists skip it.
 */
import type { Changes } from '../events';
import { GLOBAL_SCOPE } from '../../shared/scope';
import type { Db } from '../repos';

/** How often expired short-term memories are swept while the database is open. */
const SWEEP_INTERVAL_MS = 60_000;
const DAY_MS = 86_400_000;
export const RETENTION_SETTING = 'memories.expiredRetentionDays';
const DEFAULT_RETENTION_DAYS = 7;

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

  /** Days an expired memory is kept before the sweep deletes it. */
  private retentionMs(): number {
    const value = this.deps.db.repos.settings.get(GLOBAL_SCOPE, RETENTION_SETTING);
    return (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : DEFAULT_RETENTION_DAYS) * DAY_MS;
  }

  /** Deletes memories expired for longer than the retention, in small batches so reads never wait long. */
  private sweepExpired(): void {
    const { db, events, now } = this.deps;
    try {
      const removed = db.sql.tx(() => db.repos.memories.sweepExpired(now() - this.retentionMs()));
      if (removed > 0) events.changed('memories', null);
    } catch (error) {
      console.warn('mnemo: expired-memory sweep failed', error instanceof Error ? error.name : undefined);
    }
  }
}
