import type { MessageInput } from '../../shared/api';
import { fail, MnemoFailure } from '../../shared/errors';
import { uuidv7 } from '../../shared/ids';
import type { Message, Page, PageRequest, Scope } from '../../shared/models';
import type { Sql, SqlValue } from '../engine/sql';
import { toFailure } from '../engine/sql';
import { withBulkIndex } from './search';
import { fromJson, fromJsonObject, notFound, paginate, scopeParams, toJson } from './common';

const COLUMNS = `m.id, m.conversation_id AS conversationId, m.role, m.content, m.tool_calls AS toolCalls,
  m.tool_call_id AS toolCallId, m.tool_results AS toolResults, m.thinking, m.thinking_signature AS thinkingSignature,
  m.assistant_id AS assistantId, m.attachments, m.model, m.tokens_used AS tokensUsed, m.is_streaming AS isStreaming,
  m.source, m.error, m.metadata, m.created_at AS createdAt, m.updated_at AS updatedAt`;

/** Messages inherit scope through conversation → session. */
const SCOPED = `FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN sessions s ON s.id = c.session_id
  WHERE s.user_id = ? AND s.space_id = ?`;

const INSERT = `INSERT INTO messages (id, conversation_id, role, content, tool_calls, tool_call_id, tool_results, thinking,
  thinking_signature, assistant_id, attachments, model, tokens_used, is_streaming, source, error, metadata, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/**
 * Streaming upsert: a repeated id updates the text and streaming state, and
 * any other field the caller sent. The WHERE keeps an id that belongs to
 * another conversation (and so possibly another scope) untouched.
 */
const UPSERT = `${INSERT}
  ON CONFLICT (id) DO UPDATE SET
    content = excluded.content,
    is_streaming = excluded.is_streaming,
    updated_at = excluded.updated_at,
    tool_calls = coalesce(excluded.tool_calls, tool_calls),
    tool_results = coalesce(excluded.tool_results, tool_results),
    thinking = coalesce(excluded.thinking, thinking),
    thinking_signature = coalesce(excluded.thinking_signature, thinking_signature),
    tokens_used = coalesce(excluded.tokens_used, tokens_used),
    model = coalesce(excluded.model, model),
    error = coalesce(excluded.error, error),
    metadata = CASE WHEN excluded.metadata = '{}' THEN metadata ELSE excluded.metadata END
  WHERE messages.conversation_id = excluded.conversation_id`;

type MessageRow = Record<keyof Message, SqlValue>;

export function toMessage(row: MessageRow): Message {
  return {
    id: String(row.id),
    conversationId: String(row.conversationId),
    role: row.role as Message['role'],
    content: String(row.content),
    toolCalls: fromJson(row.toolCalls),
    toolCallId: row.toolCallId === null ? null : String(row.toolCallId),
    toolResults: fromJson(row.toolResults),
    thinking: row.thinking === null ? null : String(row.thinking),
    thinkingSignature: row.thinkingSignature === null ? null : String(row.thinkingSignature),
    assistantId: row.assistantId === null ? null : String(row.assistantId),
    attachments: fromJson(row.attachments),
    model: row.model === null ? null : String(row.model),
    tokensUsed: row.tokensUsed === null ? null : Number(row.tokensUsed),
    isStreaming: Number(row.isStreaming) === 1,
    source: row.source === null ? null : String(row.source),
    error: row.error === null ? null : String(row.error),
    metadata: fromJsonObject(row.metadata),
    createdAt: Number(row.createdAt),
    updatedAt: Number(row.updatedAt),
  };
}

function bindings(input: MessageInput, id: string, now: number): SqlValue[] {
  const createdAt = input.createdAt ?? now;
  return [
    id,
    input.conversationId,
    input.role,
    input.content,
    toJson(input.toolCalls),
    input.toolCallId ?? null,
    toJson(input.toolResults),
    input.thinking ?? null,
    input.thinkingSignature ?? null,
    input.assistantId ?? null,
    toJson(input.attachments),
    input.model ?? null,
    input.tokensUsed ?? null,
    input.isStreaming ? 1 : 0,
    input.source ?? null,
    input.error ?? null,
    toJson(input.metadata ?? {}),
    createdAt,
    input.updatedAt ?? Math.max(createdAt, now),
  ];
}

export class MessagesRepo {
  constructor(private readonly sql: Sql) {}

  /** Throws NOT_FOUND unless every conversation id is in the scope. */
  private assertConversations(scope: Scope, ids: Set<string>): void {
    for (const id of ids) {
      const found = this.sql.value(
        'SELECT 1 FROM conversations c JOIN sessions s ON s.id = c.session_id WHERE c.id = ? AND s.user_id = ? AND s.space_id = ?',
        [id, ...scopeParams(scope)],
      );
      if (found === undefined) notFound('conversation');
    }
  }

  add(scope: Scope, input: MessageInput, now: number): Message {
    this.assertConversations(scope, new Set([input.conversationId]));
    const id = input.id ?? uuidv7(now);
    this.sql.run(INSERT, bindings(input, id, now));
    return this.get(scope, id);
  }

  /** All rows or none: the caller runs this inside one transaction. */
  insertMany(scope: Scope, inputs: MessageInput[], now: number): string[] {
    this.assertConversations(scope, new Set(inputs.map((m) => m.conversationId)));
    const ids: string[] = [];
    let index = 0;
    try {
      withBulkIndex(this.sql, 'messages', () => this.sql.runEach(
        INSERT,
        (function* () {
          for (const input of inputs) {
            const id = input.id ?? uuidv7(now);
            ids.push(id);
            yield bindings(input, id, now);
            index += 1;
          }
        })(),
      ));
    } catch (error) {
      const failure = toFailure(error, `messages.insertMany: row ${index}`);
      throw new MnemoFailure(failure.code, `${failure.message}; nothing was inserted`);
    }
    return ids;
  }

  upsert(scope: Scope, input: MessageInput & { id: string }, now: number): Message {
    this.assertConversations(scope, new Set([input.conversationId]));
    const changed = this.sql.run(UPSERT, bindings({ ...input, updatedAt: input.updatedAt ?? now }, input.id, now));
    if (changed === 0) fail('CONFLICT', 'messages.upsert: the id belongs to a message of another conversation');
    return this.get(scope, input.id);
  }

  get(scope: Scope, id: string): Message {
    const row = this.sql.get<MessageRow>(`SELECT ${COLUMNS} ${SCOPED} AND m.id = ?`, [...scopeParams(scope), id]);
    return row ? toMessage(row) : notFound('message');
  }

  rowid(id: string): number | undefined {
    const value = this.sql.value('SELECT rowid FROM messages WHERE id = ?', [id]);
    return value === undefined ? undefined : Number(value);
  }

  page(scope: Scope, conversationId: string, args: PageRequest): Page<Message> {
    this.assertConversations(scope, new Set([conversationId]));
    return paginate(
      this.sql,
      args,
      {
        count: 'SELECT count(*) FROM messages WHERE conversation_id = ?',
        select: `SELECT ${COLUMNS} FROM messages m WHERE m.conversation_id = ? ORDER BY m.created_at, m.rowid`,
        params: [conversationId],
      },
      toMessage,
    );
  }

  delete(scope: Scope, id: string): boolean {
    return (
      this.sql.run(
        `DELETE FROM messages WHERE id = ? AND conversation_id IN
          (SELECT c.id FROM conversations c JOIN sessions s ON s.id = c.session_id WHERE s.user_id = ? AND s.space_id = ?)`,
        [id, ...scopeParams(scope)],
      ) > 0
    );
  }

  deleteByConversation(scope: Scope, conversationId: string): number {
    this.assertConversations(scope, new Set([conversationId]));
    return this.sql.run('DELETE FROM messages WHERE conversation_id = ?', [conversationId]);
  }

  deleteBySession(scope: Scope, sessionId: string): number {
    const session = this.sql.value('SELECT 1 FROM sessions WHERE id = ? AND user_id = ? AND space_id = ?', [sessionId, ...scopeParams(scope)]);
    if (session === undefined) notFound('session');
    return this.sql.run('DELETE FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE session_id = ?)', [sessionId]);
  }
}
