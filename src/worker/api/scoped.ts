/**
 * The scoped API: every method closes over one (userId, spaceId) pair fixed
 * when the handle was made, so no call can name another scope.
 */
import type { ImportPart, ScopedApi } from '../../shared/api';
import { fail } from '../../shared/errors';
import type { Scope } from '../../shared/models';
import { check, type Schemas } from '../../shared/schemas';
import type { ConversationImporter } from '../services/conversation-import';
import type { DocumentUploader } from '../services/document-upload';
import type { MemoryAdder } from '../services/memory-add';
import { search, type SearchDeps } from '../search/service';
import { scopedWriter, type WriteDeps } from '../write';
import { agentsApi } from './agents';
import type { EmbeddingAccess, ScopedContext } from './context';
import { conversationsApi } from './conversations';
import { documentsApi } from './documents';
import { executionsApi } from './executions';
import { memoriesApi } from './memories';
import { messagesApi } from './messages';
import { sessionsApi } from './sessions';
import { settingsApi } from './settings';
import { vectorsApi } from './vectors';

export interface ScopedDeps extends WriteDeps {
  schemas: Schemas;
  embeddings: EmbeddingAccess;
  search: SearchDeps;
  memories: Pick<MemoryAdder, 'add' | 'addMany'>;
  uploads: Pick<DocumentUploader, 'upload'>;
  imports: Pick<ConversationImporter, 'import' | 'cancel'>;
}

export function createScopedApi(deps: ScopedDeps, scopeInput: unknown): ScopedApi {
  const scope: Scope = Object.freeze({ ...check(deps.schemas.scope, scopeInput, 'space') });
  const ctx: ScopedContext = { scope, db: deps.db, schemas: deps.schemas, now: deps.now, write: scopedWriter(deps, scope), embeddings: deps.embeddings };
  return {
    scope,
    agents: agentsApi(ctx),
    sessions: sessionsApi(ctx),
    conversations: conversationsApi(ctx),
    messages: messagesApi(ctx),
    history: {
      async clear(request) {
        const { before } = check(ctx.schemas.historyClearRequest, request, 'history.clear');
        return ctx.write('messages', () => ctx.db.repos.messages.clearHistory(ctx.scope, before));
      },
    },
    memories: memoriesApi(ctx, deps.memories),
    vectors: vectorsApi(ctx),
    documents: documentsApi(ctx, deps.uploads),
    settings: settingsApi(ctx),
    executions: executionsApi(ctx),
    async search(request) {
      return search(deps.search, scope, check(deps.schemas.searchRequest, request, 'search'));
    },
    async importConversations(input, options) {
      const list = Array.isArray(input) ? check(deps.schemas.importFileList, input, 'importConversations') : [input];
      const parts = list.map((part, i) => {
        const where = Array.isArray(input) ? `importConversations[${i}]` : 'importConversations';
        if (typeof Blob !== 'undefined' && part instanceof Blob) {
          if (typeof (part as { name?: unknown }).name !== 'string') fail('INVALID_INPUT', `${where}: a Blob needs a 'name' (pass a File)`);
          return part as ImportPart;
        }
        return check(deps.schemas.importFile, part, where);
      });
      return deps.imports.import(scope, parts, check(deps.schemas.importOptions, options, 'importConversations'));
    },
    async cancelImport() {
      return deps.imports.cancel(scope);
    },
  };
}
