/**
 * Change and progress events for subscribers (each tab's page). Services
 * report through the narrow `Changes` and `ProgressReporter` views; what a
 * change sets off inside the worker (the embedding queue) is attached by the
 * wiring with `afterChange`, so no service needs to know the others.
 */
import type { Listener, MnemoEvent } from '../shared/api';
import type { Scope } from '../shared/models';

export interface Changes {
  /** Tells subscribers that rows of `table` changed (`'*'` for everything; scope null for several or none). */
  changed(table: string, scope: Scope | null): void;
}

export interface ProgressTask {
  step(done: number, detail?: string): void;
  /** The last event of the task: `detail` 'done' unless told otherwise (e.g. 'failed'). */
  end(detail?: string): void;
}

export interface ProgressReporter {
  begin(task: string, total: number): ProgressTask;
}

export class Events implements Changes, ProgressReporter {
  private readonly listeners = new Map<number, Listener>();
  private readonly hooks: Array<(table: string) => void> = [];
  private nextListener = 1;

  subscribe(listener: Listener): number {
    const id = this.nextListener++;
    this.listeners.set(id, listener);
    return id;
  }

  unsubscribe(id: number): boolean {
    return this.listeners.delete(id);
  }

  clear(): void {
    this.listeners.clear();
  }

  /** Runs `hook` after every change event (in the worker, before any listener can react). */
  afterChange(hook: (table: string) => void): void {
    this.hooks.push(hook);
  }

  emit(event: MnemoEvent): void {
    for (const listener of this.listeners.values()) {
      try {
        listener(event);
      } catch {
        // A listener that went away (closed tab) must not break the write that notified it.
      }
    }
  }

  changed(table: string, scope: Scope | null): void {
    this.emit({ type: 'change', table, scope });
    for (const hook of this.hooks) hook(table);
  }

  /**
   * A task's events: each step carries the rate since it began and, when the
   * total is known, the time left at that rate; the last event of a finished
   * task carries the overall rate.
   */
  begin(task: string, total: number): ProgressTask {
    const started = performance.now();
    let reached = 0;
    this.emit({ type: 'progress', task, done: 0, total });
    return {
      step: (done, detail) => {
        reached = Math.max(reached, done);
        const seconds = (performance.now() - started) / 1000;
        const timing: { ratePerSecond?: number; remainingMs?: number } = {};
        if (done > 0 && seconds > 0) {
          timing.ratePerSecond = done / seconds;
          if (done < total) timing.remainingMs = Math.round(((total - done) / timing.ratePerSecond) * 1000);
        }
        this.emit({ type: 'progress', task, done, total, ...(detail ? { detail } : {}), ...timing });
      },
      end: (detail = 'done') => {
        const seconds = (performance.now() - started) / 1000;
        const count = Math.max(total, reached);
        this.emit({ type: 'progress', task, done: total, total, detail, ...(detail === 'done' && count > 0 && seconds > 0 ? { ratePerSecond: count / seconds } : {}) });
      },
    };
  }
}
