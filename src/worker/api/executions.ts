import type { ExecutionsApi } from '../../shared/api';
import { check } from '../../shared/schemas';
import type { ScopedContext } from './context';

/** Executions record status transitions: queued → running → succeeded | failed | cancelled. */
export function executionsApi({ scope, db, schemas: s, write }: ScopedContext): ExecutionsApi {
  const r = () => db.repos;
  return {
    async start(agentId, sessionId, options) {
      const agent = check(s.id, agentId, 'executions.start');
      const session = sessionId == null ? null : check(s.id, sessionId, 'executions.start');
      const opts = check(s.executionStart, options, 'executions.start');
      return write('agent_executions', (at) => r().executions.start(scope, agent, session, opts, at), { createsSpace: true });
    },
    async run(id) {
      const key = check(s.id, id, 'executions.run');
      return write('agent_executions', (at) => r().executions.transition(scope, key, 'running', null, at));
    },
    async finish(id, status, error) {
      const key = check(s.id, id, 'executions.finish');
      const next = check(s.finishStatus, status, 'executions.finish');
      const message = check(s.nullableError, error, 'executions.finish') ?? null;
      return write('agent_executions', (at) => r().executions.transition(scope, key, next, message, at));
    },
    async get(id) {
      return r().executions.get(scope, check(s.id, id, 'executions.get'));
    },
    async list(request) {
      return r().executions.list(scope, check(s.executionList, request, 'executions.list'));
    },
  };
}
