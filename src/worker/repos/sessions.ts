import type { SessionInput, SessionPatch } from '../../shared/api';
import { uuidv7 } from '../../shared/ids';
import type { Page, Scope, Session } from '../../shared/models';
import type { Sql, SqlValue } from '../engine/sql';
import { fromJsonObject, notFound, paginate, patchSet, scopeParams, str, toJson, type PageArgs } from './common';

const COLUMNS = 'id, name, role, goals, agent_id AS agentId, metadata, created_at AS createdAt, updated_at AS updatedAt';

type SessionRow = Omit<Session, 'metadata'> & { metadata: string };

const toSession = (row: SessionRow): Session => ({ ...row, metadata: fromJsonObject(row.metadata) });

const PATCH_COLUMNS = { name: 'name', role: 'role', goals: 'goals', agentId: 'agent_id', metadata: 'metadata' };

export class SessionsRepo {
  constructor(private readonly sql: Sql) {}

  private assertAgent(scope: Scope, agentId: string | null | undefined): void {
    if (!agentId) return;
    const found = this.sql.value('SELECT 1 FROM agents WHERE id = ? AND user_id = ? AND space_id = ?', [agentId, ...scopeParams(scope)]);
    if (found === undefined) notFound('agent');
  }

  create(scope: Scope, input: SessionInput, now: number): Session {
    this.assertAgent(scope, input.agentId);
    const id = input.id ?? uuidv7(now);
    const createdAt = input.createdAt ?? now;
    this.sql.run(
      `INSERT INTO sessions (id, user_id, space_id, name, role, goals, agent_id, metadata, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, ...scopeParams(scope), input.name, input.role ?? null, input.goals ?? null, input.agentId ?? null,
        toJson(input.metadata ?? {}), createdAt, createdAt],
    );
    return this.get(scope, id);
  }

  exists(scope: Scope, id: string): boolean {
    return this.sql.value('SELECT 1 FROM sessions WHERE id = ? AND user_id = ? AND space_id = ?', [id, ...scopeParams(scope)]) !== undefined;
  }

  assertExists(scope: Scope, id: string): void {
    if (!this.exists(scope, id)) notFound('session');
  }

  get(scope: Scope, id: string): Session {
    const row = this.sql.get<SessionRow>(`SELECT ${COLUMNS} FROM sessions WHERE id = ? AND user_id = ? AND space_id = ?`, [id, ...scopeParams(scope)]);
    return row ? toSession(row) : notFound('session');
  }

  list(scope: Scope, args: PageArgs): Page<Session> {
    return paginate(
      this.sql,
      args,
      {
        count: 'SELECT count(*) FROM sessions WHERE user_id = ? AND space_id = ?',
        select: `SELECT ${COLUMNS} FROM sessions WHERE user_id = ? AND space_id = ? ORDER BY created_at DESC, rowid DESC`,
        params: scopeParams(scope),
      },
      toSession,
    );
  }

  update(scope: Scope, id: string, patch: SessionPatch, now: number): Session {
    this.assertAgent(scope, patch.agentId);
    const { set, params } = patchSet(PATCH_COLUMNS, patch, (key, value): SqlValue =>
      key === 'metadata' ? toJson(value as SessionPatch['metadata']) : str(value as string | null),
    );
    const assignments = set ? `${set}, updated_at = ?` : 'updated_at = ?';
    const changed = this.sql.run(`UPDATE sessions SET ${assignments} WHERE id = ? AND user_id = ? AND space_id = ?`, [
      ...params, now, id, ...scopeParams(scope),
    ]);
    if (changed === 0) notFound('session');
    return this.get(scope, id);
  }

  /** One statement: foreign keys cascade to conversations, messages, documents and executions. */
  delete(scope: Scope, id: string): boolean {
    return this.sql.run('DELETE FROM sessions WHERE id = ? AND user_id = ? AND space_id = ?', [id, ...scopeParams(scope)]) > 0;
  }
}
