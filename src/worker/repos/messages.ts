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
 * Fields an upsert sets on an existing row only when the caller gave them
 * (`null` included, which clears); role, content and updated_at are always
 * set. Each has a flag parameter, so one statement serves every combination.
 */
const UPSERT_FIELDS = [
  ['toolCalls', 'tool_calls'],
  ['toolCallId', 'tool_call_id'],
  ['toolResults', 'tool_results'],
  ['thinking', 'thinking'],
  ['thinkingSignature', 'thinking_signature'],
  ['assistantId', 'assistant_id'],
  ['attachments', 'attachments'],
  ['model', 'model'],
  ['tokensUsed', 'tokens_used'],
  ['isStreaming', 'is_streaming'],
  ['source', 'source'],
  ['error', 'error'],
  ['metadata', 'metadata'],
  ['createdAt', 'created_at'],
] as const satisfies ReadonlyArray<readonly [keyof MessageInput, string]>;

/**
 * Streaming upsert: a repeated id updates the row with every field the
 * caller sent. The WHERE keeps an id that belongs to another conversation
 * (and so possibly another scope) untouched.
 */
const UPSERT = `${INSERT}
  ON CONFLICT (id) DO UPDATE SET
    role = excluded.role,
    content = excluded.content,
    updated_at = excluded.updated_at,
    ${UPSERT_FIELDS.map(([, column]) => `${column} = CASE WHEN ? THEN excluded.${column} ELSE ${column} END`).join(',\n    ')}
  WHERE messages.conversation_id = excluded.conversation_id`;

type MessageRow = Record<keyof Message, SqlValue>;

/** What `list` filters on; `limit` is resolved by the caller. */
export interface MessageQuery {
  sessionId?: string;
  conversationId?: string;
  since?: number;
  until?: number;
  roles?: Message['role'][];
  cursor?: string;
  limit: number;
  order?: 'asc' | 'desc';
}

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

/** The message a freshly inserted row holds, from the values `bindings` produced for it. */
function fromBindings(values: SqlValue[]): Message {
  const [id, conversationId, role, content, toolCalls, toolCallId, toolResults, thinking, thinkingSignature, assistantId, attachments, model,
    tokensUsed, isStreaming, source, error, metadata, createdAt, updatedAt] = values;
  return toMessage({
    id, conversationId, role, content, toolCalls, toolCallId, toolResults, thinking, thinkingSignature, assistantId, attachments, model,
    tokensUsed, isStreaming, source, error, metadata, createdAt, updatedAt,
  } as MessageRow);
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
    const values = bindings(input, id, now);
    this.sql.run(INSERT, values);
    // The row is exactly what was bound: answering from the values saves a scoped read per durable write.
    return fromBindings(values);
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
    const given = UPSERT_FIELDS.map(([field]) => (input[field] === undefined ? 0 : 1));
    const changed = this.sql.run(UPSERT, [...bindings({ ...input, updatedAt: input.updatedAt ?? now }, input.id, now), ...given]);
    if (changed === 0) fail('CONFLICT', 'messages.upsert: the id belongs to a message of another conversation');
    return this.get(scope, input.id);
  }

  /** Of `ids`, those that exist in the scope, with the conversation holding each. */
  holders(scope: Scope, ids: string[]): Map<string, string> {
    const out = new Map<string, string>();
    for (let i = 0; i < ids.length; i += 500) {
      const batch = ids.slice(i, i + 500);
      const rows = this.sql.all<{ id: string; c: string }>(
        `SELECT m.id AS id, m.conversation_id AS c ${SCOPED} AND m.id IN (${batch.map(() => '?').join(', ')})`,
        [...scopeParams(scope), ...batch],
      );
      for (const row of rows) out.set(String(row.id), String(row.c));
    }
    return out;
  }

  /** Moves messages of the scope into another conversation of the scope (an import's branch switch). */
  moveTo(scope: Scope, ids: string[], conversationId: string): number {
    this.assertConversations(scope, new Set([conversationId]));
    let moved = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const batch = ids.slice(i, i + 500);
      moved += this.sql.run(
        `UPDATE messages SET conversation_id = ? WHERE id IN (SELECT m.id ${SCOPED} AND m.id IN (${batch.map(() => '?').join(', ')}))`,
        [conversationId, ...scopeParams(scope), ...batch],
      );
    }
    return moved;
  }

  get(scope: Scope, id: string): Message {
    const row = this.sql.get<MessageRow>(`SELECT ${COLUMNS} ${SCOPED} AND m.id = ?`, [...scopeParams(scope), id]);
    return row ? toMessage(row) : notFound('message');
  }

  rowid(id: string): number | undefined {
    const value = this.sql.value('SELECT rowid FROM messages WHERE id = ?', [id]);
    return value === undefined ? undefined : Number(value);
  }

  page(scope: Scope, conversationId: string, args: PageRequest & { order?: 'asc' | 'desc' }): Page<Message> {
    this.assertConversations(scope, new Set([conversationId]));
    const direction = args.order === 'desc' ? 'DESC' : 'ASC';
    return paginate(
      this.sql,
      args,
      {
        count: 'SELECT count(*) FROM messages WHERE conversation_id = ?',
        select: `SELECT ${COLUMNS} FROM messages m WHERE m.conversation_id = ? ORDER BY m.created_at ${direction}, m.rowid ${direction}`,
        params: [conversationId],
      },
      toMessage,
    );
  }

  /**
   * Messages of the scope in (created_at, rowid) order from a cursor, at most
   * `limit`; the cursor names the last row returned, so pages never skip or
   * repeat a row while others are added.
   */
  list(scope: Scope, args: MessageQuery): { items: Message[]; nextCursor: string | null } {
    const desc = args.order === 'desc';
    const { where, params } = this.filter(scope, args);
    let clause = where;
    if (args.cursor !== undefined) {
      const [at, rowid] = args.cursor.split('_').map(Number) as [number, number];
      clause += desc ? ' AND (m.created_at, m.rowid) < (?, ?)' : ' AND (m.created_at, m.rowid) > (?, ?)';
      params.push(at, rowid);
    }
    const direction = desc ? 'DESC' : 'ASC';
    const rows = this.sql.all<MessageRow & { rowid: number }>(
      `SELECT ${COLUMNS}, m.rowid AS rowid ${SCOPED}${clause} ORDER BY m.created_at ${direction}, m.rowid ${direction} LIMIT ?`,
      [...params, args.limit + 1],
    );
    const more = rows.length > args.limit;
    const page = more ? rows.slice(0, args.limit) : rows;
    const last = page.at(-1);
    return { items: page.map(toMessage), nextCursor: more && last ? `${Number(last.createdAt)}_${Number(last.rowid)}` : null };
  }

  count(scope: Scope, args: { conversationId?: string; sessionId?: string }): number {
    const { where, params } = this.filter(scope, args);
    return Number(this.sql.value(`SELECT count(*) ${SCOPED}${where}`, params) ?? 0);
  }

  /** Scope and filter conditions shared by `list` and `count` (a conversation outside the scope is NOT_FOUND). */
  private filter(scope: Scope, args: Omit<MessageQuery, 'limit' | 'cursor' | 'order'>): { where: string; params: SqlValue[] } {
    if (args.conversationId !== undefined) this.assertConversations(scope, new Set([args.conversationId]));
    const params: SqlValue[] = [...scopeParams(scope)];
    let where = '';
    const add = (clause: string, ...values: SqlValue[]) => {
      where += ` AND ${clause}`;
      params.push(...values);
    };
    if (args.sessionId !== undefined) add('c.session_id = ?', args.sessionId);
    if (args.conversationId !== undefined) add('m.conversation_id = ?', args.conversationId);
    if (args.since !== undefined) add('m.created_at >= ?', args.since);
    if (args.until !== undefined) add('m.created_at < ?', args.until);
    if (args.roles?.length) add(`m.role IN (${args.roles.map(() => '?').join(', ')})`, ...args.roles);
    return { where, params };
  }

  /** Deletes the scope's messages (created before `before`, if given); returns how many. */
  clearHistory(scope: Scope, before?: number): number {
    return this.sql.run(
      `DELETE FROM messages WHERE ${before === undefined ? '' : 'created_at < ? AND '}conversation_id IN
        (SELECT c.id FROM conversations c JOIN sessions s ON s.id = c.session_id WHERE s.user_id = ? AND s.space_id = ?)`,
      [...(before === undefined ? [] : [before]), ...scopeParams(scope)],
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
