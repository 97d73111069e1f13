import type { ExecutionListRequest } from '../../shared/api';
import { fail } from '../../shared/errors';
import { uuidv7 } from '../../shared/ids';
import type { AgentExecution, ExecutionStatus, JsonObject, Page, Scope } from '../../shared/models';
import type { Sql, SqlValue } from '../engine/sql';
import { fromJsonObject, notFound, paginate, scopeParams, toJson } from './common';

const COLUMNS = `id, agent_id AS agentId, session_id AS sessionId, status, started_at AS startedAt, finished_at AS finishedAt,
  error, metadata, created_at AS createdAt, updated_at AS updatedAt`;

type ExecutionRow = Omit<AgentExecution, 'metadata'> & { metadata: string };
const toExecution = (row: ExecutionRow): AgentExecution => ({ ...row, metadata: fromJsonObject(row.metadata) });

/** Allowed status transitions; finished executions are final. */
const NEXT: Record<ExecutionStatus, ExecutionStatus[]> = {
  queued: ['running', 'cancelled', 'failed'],
  running: ['succeeded', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

export class ExecutionsRepo {
  constructor(private readonly sql: Sql) {}

  start(scope: Scope, agentId: string, sessionId: string | null, options: { queued?: boolean; metadata?: JsonObject }, now: number): AgentExecution {
    if (this.sql.value('SELECT 1 FROM agents WHERE id = ? AND user_id = ? AND space_id = ?', [agentId, ...scopeParams(scope)]) === undefined) {
      notFound('agent');
    }
    if (sessionId && this.sql.value('SELECT 1 FROM sessions WHERE id = ? AND user_id = ? AND space_id = ?', [sessionId, ...scopeParams(scope)]) === undefined) {
      notFound('session');
    }
    const id = uuidv7(now);
    const status: ExecutionStatus = options.queued ? 'queued' : 'running';
    this.sql.run(
      `INSERT INTO agent_executions (id, user_id, space_id, agent_id, session_id, status, started_at, metadata, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, ...scopeParams(scope), agentId, sessionId, status, status === 'running' ? now : null, toJson(options.metadata ?? {}), now, now],
    );
    return this.get(scope, id);
  }

  transition(scope: Scope, id: string, status: ExecutionStatus, error: string | null, now: number): AgentExecution {
    const current = this.get(scope, id);
    if (!NEXT[current.status].includes(status)) {
      fail('CONFLICT', `execution cannot move from ${current.status} to ${status}`);
    }
    const finished = status !== 'running';
    this.sql.run(
      `UPDATE agent_executions SET status = ?, error = ?, updated_at = ?,
         started_at = coalesce(started_at, ?), finished_at = ?
       WHERE id = ?`,
      [status, error, now, now, finished ? now : null, id],
    );
    return this.get(scope, id);
  }

  get(scope: Scope, id: string): AgentExecution {
    const row = this.sql.get<ExecutionRow>(`SELECT ${COLUMNS} FROM agent_executions WHERE id = ? AND user_id = ? AND space_id = ?`, [id, ...scopeParams(scope)]);
    return row ? toExecution(row) : notFound('execution');
  }

  list(scope: Scope, args: ExecutionListRequest): Page<AgentExecution> {
    let where = 'WHERE user_id = ? AND space_id = ?';
    const params: SqlValue[] = [...scopeParams(scope)];
    for (const [key, column] of [['agentId', 'agent_id'], ['sessionId', 'session_id'], ['status', 'status']] as const) {
      const value = args[key];
      if (value !== undefined) {
        where += ` AND ${column} = ?`;
        params.push(value);
      }
    }
    return paginate(
      this.sql,
      args,
      { count: `SELECT count(*) FROM agent_executions ${where}`, select: `SELECT ${COLUMNS} FROM agent_executions ${where} ORDER BY created_at DESC, rowid DESC`, params },
      toExecution,
    );
  }
}
