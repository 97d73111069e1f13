/**
 * The shape every API write shares: one transaction, then one change event.
 * Listeners hear about a write only after it committed.
 */
import type { Scope } from '../shared/models';
import { isGlobalScope } from '../shared/scope';
import type { Changes } from './events';
import type { Db } from './repos';

export interface WriteDeps {
  db: Db;
  events: Changes;
  now: () => number;
}

/** A write to `table` of one scope; `fn` gets the write's timestamp. */
export type Write = <T>(table: string, fn: (at: number) => T, options?: { createsSpace?: boolean }) => T;

/**
 * Writes bound to `scope`. A creating write (`createsSpace`) makes the space
 * row on first use; deletes and clears never create a space. Writes to the
 * global scope report their change with scope null.
 */
export function scopedWriter({ db, events, now }: WriteDeps, scope: Scope): Write {
  const global = isGlobalScope(scope);
  return (table, fn, options) => {
    const at = now();
    const result = db.sql.tx(() => {
      if (options?.createsSpace && !global) db.repos.spaces.ensure(scope, at);
      return fn(at);
    });
    events.changed(table, global ? null : scope);
    return result;
  };
}

/** A write that is not bound to a scope (admin calls, spaces); `scope` is what the change event names. */
export function write<T>({ db, events, now }: WriteDeps, table: string, scope: Scope | null, fn: (at: number) => T): T {
  const at = now();
  const result = db.sql.tx(() => fn(at));
  events.changed(table, scope);
  return result;
}
