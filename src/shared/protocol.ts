/**
 * The messages between a page (src/client) and its database worker
 * (src/worker/main.ts): the worker entry's Comlink API and what the worker
 * tells its page. The client is typed from these, never from worker code.
 */
import type { MnemoEvent, OpenOptions } from './api';
import type { Scope } from './models';

export interface Ownership {
  isOwner: boolean;
  /** The tab id of the worker that holds the database; '' until one is known. */
  ownerId: string;
  /** This tab's worker. */
  tabId: string;
}

/** What a worker tells its own page: database events and ownership changes. */
export type Notice = MnemoEvent | ({ type: 'ownership' } & Ownership);

/** The database worker entry as exposed with Comlink. */
export interface WorkerEntry {
  /** Registers the page's one receiver of events and ownership changes. */
  listen(callback: (notice: Notice) => void): void;
  /**
   * Joins the database once (the promise is cached; a failed worker is
   * discarded by the client): waits for an owner, which may be this worker,
   * and for its database to answer.
   */
  open(options?: OpenOptions): Promise<void>;
  /** Runs one API call (a method path, on `space(scope)` when scope is set) on the owner's database. */
  call(path: string[], scope: Scope | null, args: unknown[]): Promise<unknown>;
  ownership(): Promise<Ownership>;
  /** Leaves the group; an owner closes the file and hands the lock on. */
  close(): Promise<void>;
}
