import type { MessagesApi } from '../../shared/api';
import { check } from '../../shared/schemas';
import { callerVector } from '../embed/caller-vectors';
import { deriveId, scopeNamespace } from '../import/ids';
import type { ScopedContext } from './context';

/**
 * Every write also moves its conversations' `updated_at`, which orders
 * conversation lists. A caller's vector (`embedding`) is checked before the
 * write and stored with the row in its transaction.
 */
export function messagesApi({ scope, db, schemas: s, write, embeddings }: ScopedContext): MessagesApi {
  const r = () => db.repos;
  const lookup = (modelId: string) => embeddings.callerModel(modelId);
  /** The space's default conversation, made on first use; its ids derive from the scope so every tab finds the same one. */
  const defaultConversation = (at: number): string => {
    const key = scopeNamespace(scope);
    const sessionId = deriveId(key, 'mnemo', 'default-session');
    const conversationId = deriveId(key, 'mnemo', 'default-conversation');
    if (!r().conversations.exists(scope, conversationId)) {
      r().spaces.ensure(scope, at);
      if (!r().sessions.exists(scope, sessionId)) r().sessions.create(scope, { id: sessionId, name: 'Default' }, at);
      r().conversations.create(scope, { id: conversationId, sessionId, title: 'History' }, at);
    }
    return conversationId;
  };
  return {
    async add(message) {
      const input = check(s.messageAdd, message, 'messages.add');
      const vector = callerVector(lookup, input, 'messages.add');
      return embeddings.vectorWrite(() =>
        write('messages', (at) => {
          const value = { ...input, conversationId: input.conversationId ?? defaultConversation(at) };
          const added = r().messages.add(scope, value, at);
          r().conversations.touch([value.conversationId], at);
          if (vector) embeddings.storeVector('messages', added.id, scope, vector.modelId, vector.vector);
          return added;
        }),
      );
    },
    async insertMany(messages) {
      const values = check(s.messageBatch, messages, 'messages.insertMany');
      if (values.length === 0) return { inserted: 0, ids: [] };
      const vectors = values.map((value, i) => callerVector(lookup, value, 'messages.insertMany', `${i}.`));
      return embeddings.vectorWrite(() =>
        write('messages', (at) => {
          const ids = r().messages.insertMany(scope, values, at);
          r().conversations.touch(new Set(values.map((m) => m.conversationId)), at);
          vectors.forEach((vector, i) => {
            if (vector) embeddings.storeVector('messages', ids[i]!, scope, vector.modelId, vector.vector);
          });
          return { inserted: ids.length, ids };
        }),
      );
    },
    async upsert(message) {
      const value = check(s.messageWithId, message, 'messages.upsert');
      const vector = callerVector(lookup, value, 'messages.upsert');
      return embeddings.vectorWrite(() =>
        write('messages', (at) => {
          const saved = r().messages.upsert(scope, value, at);
          r().conversations.touch([value.conversationId], at);
          if (vector) embeddings.storeVector('messages', saved.id, scope, vector.modelId, vector.vector);
          return saved;
        }),
      );
    },
    async get(id) {
      return r().messages.get(scope, check(s.id, id, 'messages.get'));
    },
    async page(conversationId, request) {
      const key = check(s.id, conversationId, 'messages.page');
      return r().messages.page(scope, key, check(s.messagePageRequest, request, 'messages.page'));
    },
    async recent(conversationId, request) {
      const key = check(s.id, conversationId, 'messages.recent');
      const { limit, before } = check(s.messageRecentRequest, request, 'messages.recent');
      return r().messages.list(scope, { conversationId: key, limit: limit ?? 20, order: 'desc', ...(before === undefined ? {} : { cursor: before }) });
    },
    async list(request) {
      const value = check(s.messageListRequest, request, 'messages.list');
      return r().messages.list(scope, { ...value, limit: value.limit ?? 100 });
    },
    async count(request) {
      return r().messages.count(scope, check(s.messageCountRequest, request, 'messages.count'));
    },
    async delete(id) {
      const key = check(s.id, id, 'messages.delete');
      return write('messages', () => r().messages.delete(scope, key));
    },
    async deleteByConversation(conversationId) {
      const key = check(s.id, conversationId, 'messages.deleteByConversation');
      return write('messages', () => r().messages.deleteByConversation(scope, key));
    },
    async deleteBySession(sessionId) {
      const key = check(s.id, sessionId, 'messages.deleteBySession');
      return write('messages', () => r().messages.deleteBySession(scope, key));
    },
  };
}
