import type { Page, Scope, Space } from '../../shared/models';
import type { Sql } from '../engine/sql';
import { NOT_GLOBAL_SPACE as NOT_GLOBAL, notFound, paginate, type PageArgs } from './common';

const COLUMNS = 'user_id AS userId, space_id AS spaceId, name, created_at AS createdAt, updated_at AS updatedAt';

export class SpacesRepo {
  constructor(private readonly sql: Sql) {}

  /** Creates the space row if it does not exist yet; scoped writes call this first. */
  ensure(scope: Scope, now: number): void {
    this.sql.run(
      'INSERT INTO spaces (user_id, space_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [scope.userId, scope.spaceId, scope.spaceId, now, now],
    );
  }

  create(scope: Scope, name: string, now: number): Space {
    const changed = this.sql.run(
      'INSERT INTO spaces (user_id, space_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [scope.userId, scope.spaceId, name, now, now],
    );
    if (changed === 0) this.rename(scope, name, now);
    return this.get(scope);
  }

  get(scope: Scope): Space {
    const row = this.sql.get<Space>(`SELECT ${COLUMNS} FROM spaces WHERE user_id = ? AND space_id = ? AND ${NOT_GLOBAL}`, [
      scope.userId,
      scope.spaceId,
    ]);
    return row ?? notFound('space');
  }

  list(args: PageArgs & { userId?: string }): Page<Space> {
    const where = args.userId === undefined ? NOT_GLOBAL : `${NOT_GLOBAL} AND user_id = ?`;
    const params = args.userId === undefined ? [] : [args.userId];
    return paginate<Space, Space>(
      this.sql,
      args,
      {
        count: `SELECT count(*) FROM spaces WHERE ${where}`,
        select: `SELECT ${COLUMNS} FROM spaces WHERE ${where} ORDER BY user_id, space_id`,
        params,
      },
      (row) => row,
    );
  }

  rename(scope: Scope, name: string, now: number): Space {
    const changed = this.sql.run(`UPDATE spaces SET name = ?, updated_at = ? WHERE user_id = ? AND space_id = ? AND ${NOT_GLOBAL}`, [
      name,
      now,
      scope.userId,
      scope.spaceId,
    ]);
    if (changed === 0) notFound('space');
    return this.get(scope);
  }

  /** Deletes the space; foreign keys cascade to everything in it. */
  /**
   * Removes the space from this device with its sync log: deleting a space is
   * local, never a delete sent to a sync server (a synced space comes back at
   * the next sync unless it is unselected). The caller runs it in a transaction.
   */
  delete(scope: Scope): boolean {
    const deleted = this.sql.run(`DELETE FROM spaces WHERE user_id = ? AND space_id = ? AND ${NOT_GLOBAL}`, [scope.userId, scope.spaceId]) > 0;
    if (deleted) {
      for (const table of ['sync_rows', 'sync_spaces', 'sync_inbox']) {
        this.sql.run(`DELETE FROM ${table} WHERE user_id = ? AND space_id = ?`, [scope.userId, scope.spaceId]);
      }
    }
    return deleted;
  }
}
