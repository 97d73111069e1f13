import type { ScopedApi } from '../../shared/api';
import { crudApi, type ScopedContext } from './context';

/** Deleting a session cascades to its conversations, messages, documents and their index entries. */
export function sessionsApi(ctx: ScopedContext): ScopedApi['sessions'] {
  const s = ctx.schemas;
  return crudApi(ctx, { name: 'sessions', table: 'sessions', repo: (db) => db.repos.sessions, input: s.sessionInput, patch: s.sessionPatch, list: s.pageRequest });
}
