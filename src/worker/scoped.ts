/**
 * The scoped API: every method closes over one (userId, spaceId) pair fixed
 * when the handle was made, so no call can name another scope.
 */
import type { MemoryInput, MessageInput, ScopedApi, UploadFile } from '../shared/api';
import { fail } from '../shared/errors';
import type { Scope } from '../shared/models';
import { check } from '../shared/schemas';
import { chunkDocument } from './content/chunk';
import { parseDocument } from './content/parse';
import type { Core } from './core';
import { search } from './search/service';
import { findSimilarMemory } from './search/dedup';

async function fileBytes(file: unknown): Promise<unknown> {
  if (typeof Blob !== 'undefined' && file instanceof Blob) {
    const name = typeof File !== 'undefined' && file instanceof File ? file.name : 'upload';
    return { name, type: file.type || undefined, bytes: new Uint8Array(await file.arrayBuffer()) };
  }
  if (typeof file === 'object' && file !== null && 'bytes' in file) {
    const candidate = file as { bytes: unknown };
    if (candidate.bytes instanceof ArrayBuffer) return { ...candidate, bytes: new Uint8Array(candidate.bytes) };
  }
  return file;
}

/** A near-duplicate reinforces the memory it matches: its importance rises a little. */
function bumped(existing: number, incoming: number | undefined): number {
  return Math.min(1, Math.max(existing, incoming ?? 0) + 0.05);
}

export function createScopedApi(core: Core, scopeInput: unknown): ScopedApi {
  const s = core.schemas;
  const scope: Scope = Object.freeze({ ...check(s.scope, scopeInput, 'space') });
  // Read through to the current repositories: initDatabase() and a replacing import reopen the file.
  const r = new Proxy({} as Core['repos'], { get: (_t, key) => core.repos[key as keyof Core['repos']] });
  const now = () => core.now();

  /**
   * A write: one transaction, listeners told afterwards. Creating writes make
   * the space row on first use; deletes and clears never create a space.
   */
  function write<T>(table: string, fn: (at: number) => T, creates = false): T {
    const at = now();
    const result = core.sql.tx(() => {
      if (creates) r.spaces.ensure(scope, at);
      return fn(at);
    });
    core.changed(table, scope);
    return result;
  }

  return {
    scope,
    agents: {
      async create(input) {
        const value = check(s.agentInput, input, 'agents.create');
        return write('agents', (at) => r.agents.create(scope, value, at), true);
      },
      async get(id) {
        return r.agents.get(scope, check(s.id, id, 'agents.get'));
      },
      async list(request) {
        return r.agents.list(scope, check(s.pageRequest, request, 'agents.list'));
      },
      async update(id, patch) {
        const key = check(s.id, id, 'agents.update');
        const value = check(s.agentPatch, patch, 'agents.update');
        return write('agents', (at) => r.agents.update(scope, key, value, at));
      },
      async delete(id) {
        const key = check(s.id, id, 'agents.delete');
        return write('agents', () => r.agents.delete(scope, key));
      },
    },
    sessions: {
      async create(input) {
        const value = check(s.sessionInput, input, 'sessions.create');
        return write('sessions', (at) => r.sessions.create(scope, value, at), true);
      },
      async get(id) {
        return r.sessions.get(scope, check(s.id, id, 'sessions.get'));
      },
      async list(request) {
        return r.sessions.list(scope, check(s.pageRequest, request, 'sessions.list'));
      },
      async update(id, patch) {
        const key = check(s.id, id, 'sessions.update');
        const value = check(s.sessionPatch, patch, 'sessions.update');
        return write('sessions', (at) => r.sessions.update(scope, key, value, at));
      },
      async delete(id) {
        const key = check(s.id, id, 'sessions.delete');
        return write('sessions', () => r.sessions.delete(scope, key));
      },
    },
    conversations: {
      async create(input) {
        const value = check(s.conversationInput, input, 'conversations.create');
        return write('conversations', (at) => r.conversations.create(scope, value, at), true);
      },
      async get(id) {
        return r.conversations.get(scope, check(s.id, id, 'conversations.get'));
      },
      async list(request) {
        return r.conversations.list(scope, check(s.conversationList, request, 'conversations.list'));
      },
      async update(id, patch) {
        const key = check(s.id, id, 'conversations.update');
        const value = check(s.conversationPatch, patch, 'conversations.update');
        return write('conversations', (at) => r.conversations.update(scope, key, value, at));
      },
      async delete(id) {
        const key = check(s.id, id, 'conversations.delete');
        return write('conversations', () => r.conversations.delete(scope, key));
      },
    },
    messages: {
      async add(message) {
        const value = check(s.message, message, 'messages.add') as MessageInput;
        return write('messages', (at) => {
          const added = r.messages.add(scope, value, at);
          r.conversations.touch([value.conversationId], at);
          return added;
        });
      },
      async insertMany(messages) {
        const values = check(s.messageBatch, messages, 'messages.insertMany') as MessageInput[];
        if (values.length === 0) return { inserted: 0, ids: [] };
        return write('messages', (at) => {
          const ids = r.messages.insertMany(scope, values, at);
          r.conversations.touch(new Set(values.map((m) => m.conversationId)), at);
          return { inserted: ids.length, ids };
        });
      },
      async upsert(message) {
        const value = check(s.messageWithId, message, 'messages.upsert') as MessageInput & { id: string };
        return write('messages', (at) => {
          const saved = r.messages.upsert(scope, value, at);
          r.conversations.touch([value.conversationId], at);
          return saved;
        });
      },
      async get(id) {
        return r.messages.get(scope, check(s.id, id, 'messages.get'));
      },
      async page(conversationId, request) {
        const key = check(s.id, conversationId, 'messages.page');
        return r.messages.page(scope, key, check(s.pageRequest, request, 'messages.page'));
      },
      async delete(id) {
        const key = check(s.id, id, 'messages.delete');
        return write('messages', () => r.messages.delete(scope, key));
      },
      async deleteByConversation(conversationId) {
        const key = check(s.id, conversationId, 'messages.deleteByConversation');
        return write('messages', () => r.messages.deleteByConversation(scope, key));
      },
      async deleteBySession(sessionId) {
        const key = check(s.id, sessionId, 'messages.deleteBySession');
        return write('messages', () => r.messages.deleteBySession(scope, key));
      },
    },
    memories: {
      async add(input) {
        const value = check(s.memoryInput, input, 'memories.add') as MemoryInput;
        if (value.kind === 'long' && (value.expiresAt != null || value.ttlMs !== undefined)) {
          fail('INVALID_INPUT', "memories.add: field 'expiresAt' applies to short-term memories only");
        }
        if (value.sourceMessageId) r.messages.get(scope, value.sourceMessageId);
        // Semantic near-duplicates need the vector first; computing it happens outside the write transaction.
        const similar = r.memories.findSameContent(scope, value.kind, value.content, now()) ? undefined : await findSimilarMemory(core, scope, value);
        return write('memories', (at) => {
          const duplicate = r.memories.findSameContent(scope, value.kind, value.content, at);
          if (duplicate) return { memory: r.memories.merge(scope, duplicate, value, at), action: 'updated' as const, reason: 'exact' as const };
          if (similar?.match) {
            const memory = r.memories.merge(scope, similar.match.id, { ...value, importance: bumped(similar.match.importance, value.importance) }, at);
            return { memory, action: 'updated' as const, reason: 'similar' as const, similarity: similar.match.similarity };
          }
          const memory = r.memories.insert(scope, value, at);
          if (similar) core.embeddings.storeVector('memories', memory.id, scope, similar.modelId, similar.vector);
          return { memory, action: 'added' as const };
        }, true);
      },
      async get(id) {
        return r.memories.get(scope, check(s.id, id, 'memories.get'), { now: now() });
      },
      async list(request) {
        return r.memories.list(scope, check(s.memoryList, request, 'memories.list'), now());
      },
      async update(id, patch) {
        const key = check(s.id, id, 'memories.update');
        const value = check(s.memoryPatch, patch, 'memories.update');
        return write('memories', (at) => r.memories.update(scope, key, value, at));
      },
      async delete(id) {
        const key = check(s.id, id, 'memories.delete');
        return write('memories', () => r.memories.delete(scope, key));
      },
      async touch(ids) {
        const keys = check(s.idList, ids, 'memories.touch');
        return write('memories', (at) => r.memories.touch(scope, keys, at));
      },
      async cleanupExpired() {
        return write('memories', (at) => r.memories.cleanupExpired(scope, at));
      },
      async clearLongTerm() {
        return write('memories', () => r.memories.clearKind(scope, 'long'));
      },
      async clearShortTerm() {
        return write('memories', () => r.memories.clearKind(scope, 'short'));
      },
    },
    vectors: {
      async add(input) {
        const value = check(s.vectorInput, input, 'vectors.add');
        return write('vector_entries', (at) => r.vectors.add(scope, value, at).entry, true);
      },
      async get(id) {
        return r.vectors.get(scope, check(s.id, id, 'vectors.get'));
      },
      async getByDocumentId(collection, documentId) {
        const name = check(s.collection, collection, 'vectors.getByDocumentId');
        return r.vectors.getByDocumentId(scope, name, check(s.id, documentId, 'vectors.getByDocumentId'));
      },
      async list(request) {
        return r.vectors.list(scope, check(s.vectorList, request, 'vectors.list'));
      },
      async collections() {
        return r.vectors.collections(scope);
      },
      async delete(id) {
        const key = check(s.id, id, 'vectors.delete');
        return write('vector_entries', () => r.vectors.delete(scope, key));
      },
      async clearVectors(collection) {
        const name = collection === undefined ? undefined : check(s.collection, collection, 'vectors.clearVectors');
        return write('vector_entries', () => r.vectors.clear(scope, name));
      },
    },
    documents: {
      async upload(sessionId, file, options) {
        const key = check(s.id, sessionId, 'documents.upload');
        const upload = check(s.upload, await fileBytes(file), 'documents.upload') as UploadFile;
        const opts = check(s.uploadOptions, options, 'documents.upload');
        r.sessions.assertExists(scope, key);
        const task = core.progress.begin('upload', 3);
        try {
          const parsed = await parseDocument(upload, { maxBytes: core.limits.maxUploadBytes });
          task.step(1);
          const chunks = chunkDocument(parsed.text, parsed.kind, opts.maxChunkChars ? { maxChars: opts.maxChunkChars } : undefined);
          task.step(2);
          const stored = write('contents', (at) =>
            r.documents.insert(
              key,
              {
                filename: upload.name,
                mimeType: parsed.mimeType,
                size: upload.bytes.byteLength,
                lineCount: parsed.lineCount,
                preview: parsed.preview,
                fullText: parsed.text,
                metadata: { ...(opts.metadata ?? {}), kind: parsed.kind, ...(parsed.pageCount ? { pageCount: parsed.pageCount } : {}) },
                chunks,
              },
              at,
            ),
          );
          task.step(3);
          return r.documents.find(scope, stored.id) ?? fail('NOT_FOUND', 'document not found');
        } finally {
          task.end();
        }
      },
      async list(sessionId, request) {
        const key = check(s.id, sessionId, 'documents.list');
        r.sessions.assertExists(scope, key);
        return r.documents.list(scope, key, check(s.pageRequest, request, 'documents.list'));
      },
      async get(id) {
        return r.documents.get(scope, check(s.id, id, 'documents.get'), now());
      },
      async chunks(contentId) {
        return r.documents.chunks(scope, check(s.id, contentId, 'documents.chunks'));
      },
      async delete(id) {
        const key = check(s.id, id, 'documents.delete');
        return write('contents', () => r.documents.delete(scope, key));
      },
    },
    settings: core.settingsApi(scope),
    async search(request) {
      return search(core, scope, check(s.searchRequest, request, 'search'));
    },
    executions: {
      async start(agentId, sessionId, options) {
        const agent = check(s.id, agentId, 'executions.start');
        const session = sessionId == null ? null : check(s.id, sessionId, 'executions.start');
        const opts = check(s.executionStart, options, 'executions.start');
        return write('agent_executions', (at) => r.executions.start(scope, agent, session, opts, at), true);
      },
      async run(id) {
        const key = check(s.id, id, 'executions.run');
        return write('agent_executions', (at) => r.executions.transition(scope, key, 'running', null, at));
      },
      async finish(id, status, error) {
        const key = check(s.id, id, 'executions.finish');
        const next = check(s.finishStatus, status, 'executions.finish');
        const message = check(s.nullableError, error, 'executions.finish') ?? null;
        return write('agent_executions', (at) => r.executions.transition(scope, key, next, message, at));
      },
      async get(id) {
        return r.executions.get(scope, check(s.id, id, 'executions.get'));
      },
      async list(request) {
        return r.executions.list(scope, check(s.executionList, request, 'executions.list'));
      },
    },
  };
}
