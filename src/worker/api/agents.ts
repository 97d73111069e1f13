import type { ScopedApi } from '../../shared/api';
import { crudApi, type ScopedContext } from './context';

export function agentsApi(ctx: ScopedContext): ScopedApi['agents'] {
  const s = ctx.schemas;
  return crudApi(ctx, { name: 'agents', table: 'agents', repo: (db) => db.repos.agents, input: s.agentInput, patch: s.agentPatch, list: s.pageRequest });
}
