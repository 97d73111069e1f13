import type { ScopedApi } from '../../shared/api';
import { crudApi, type ScopedContext } from './context';

export function conversationsApi(ctx: ScopedContext): ScopedApi['conversations'] {
  const s = ctx.schemas;
  return crudApi(ctx, {
    name: 'conversations',
    table: 'conversations',
    repo: (db) => db.repos.conversations,
    input: s.conversationInput,
    patch: s.conversationPatch,
    list: s.conversationList,
  });
}
