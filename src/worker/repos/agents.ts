import type { AgentInput, AgentPatch } from '../../shared/api';
import { uuidv7 } from '../../shared/ids';
import type { Agent, Page, Scope } from '../../shared/models';
import type { Sql, SqlValue } from '../engine/sql';
import { notFound, paginate, patchSet, scopeParams, str, type PageArgs } from './common';

const COLUMNS =
  'id, name, description, model, system_prompt AS systemPrompt, is_active AS isActive, created_at AS createdAt, updated_at AS updatedAt';

type AgentRow = Omit<Agent, 'isActive'> & { isActive: number };

const toAgent = (row: AgentRow): Agent => ({ ...row, isActive: row.isActive === 1 });

const PATCH_COLUMNS = { name: 'name', description: 'description', model: 'model', systemPrompt: 'system_prompt', isActive: 'is_active' };

export class AgentsRepo {
  constructor(private readonly sql: Sql) {}

  create(scope: Scope, input: AgentInput, now: number): Agent {
    const id = input.id ?? uuidv7(now);
    const createdAt = input.createdAt ?? now;
    this.sql.run(
      `INSERT INTO agents (id, user_id, space_id, name, description, model, system_prompt, is_active, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, ...scopeParams(scope), input.name, input.description ?? null, input.model ?? null, input.systemPrompt ?? null,
        input.isActive === false ? 0 : 1, createdAt, createdAt],
    );
    return this.get(scope, id);
  }

  find(scope: Scope, id: string): Agent | undefined {
    const row = this.sql.get<AgentRow>(`SELECT ${COLUMNS} FROM agents WHERE id = ? AND user_id = ? AND space_id = ?`, [id, ...scopeParams(scope)]);
    return row && toAgent(row);
  }

  get(scope: Scope, id: string): Agent {
    return this.find(scope, id) ?? notFound('agent');
  }

  list(scope: Scope, args: PageArgs): Page<Agent> {
    return paginate(
      this.sql,
      args,
      {
        count: 'SELECT count(*) FROM agents WHERE user_id = ? AND space_id = ?',
        select: `SELECT ${COLUMNS} FROM agents WHERE user_id = ? AND space_id = ? ORDER BY created_at, rowid`,
        params: scopeParams(scope),
      },
      toAgent,
    );
  }

  update(scope: Scope, id: string, patch: AgentPatch, now: number): Agent {
    const { set, params } = patchSet(PATCH_COLUMNS, patch, (key, value): SqlValue => (key === 'isActive' ? (value ? 1 : 0) : str(value as string | null)));
    const assignments = set ? `${set}, updated_at = ?` : 'updated_at = ?';
    const changed = this.sql.run(`UPDATE agents SET ${assignments} WHERE id = ? AND user_id = ? AND space_id = ?`, [
      ...params, now, id, ...scopeParams(scope),
    ]);
    if (changed === 0) notFound('agent');
    return this.get(scope, id);
  }

  delete(scope: Scope, id: string): boolean {
    return this.sql.run('DELETE FROM agents WHERE id = ? AND user_id = ? AND space_id = ?', [id, ...scopeParams(scope)]) > 0;
  }
}
