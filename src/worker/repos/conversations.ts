import type { ConversationInput, ConversationListRequest, ConversationPatch } from '../../shared/api';
import { uuidv7 } from '../../shared/ids';
import type { Conversation, Page, Scope } from '../../shared/models';
import type { Sql, SqlValue } from '../engine/sql';
import { fromJsonObject, notFound, paginate, patchSet, scopeParams, str, toJson } from './common';

const COLUMNS =
  'c.id, c.session_id AS sessionId, c.title, c.status, c.channel_id AS channelId, c.model, c.metadata, c.created_at AS createdAt, c.updated_at AS updatedAt';
/** Conversations inherit their scope from the session they belong to. */
const IN_SCOPE = 'FROM conversations c JOIN sessions s ON s.id = c.session_id WHERE s.user_id = ? AND s.space_id = ?';

type ConversationRow = Omit<Conversation, 'metadata'> & { metadata: string };

const toConversation = (row: ConversationRow): Conversation => ({ ...row, metadata: fromJsonObject(row.metadata) });

const PATCH_COLUMNS = { title: 'title', status: 'status', channelId: 'channel_id', model: 'model', metadata: 'metadata' };

export class ConversationsRepo {
  constructor(private readonly sql: Sql) {}

  create(scope: Scope, input: ConversationInput, now: number): Conversation {
    const session = this.sql.value('SELECT 1 FROM sessions WHERE id = ? AND user_id = ? AND space_id = ?', [input.sessionId, ...scopeParams(scope)]);
    if (session === undefined) notFound('session');
    const id = input.id ?? uuidv7(now);
    const createdAt = input.createdAt ?? now;
    this.sql.run(
      `INSERT INTO conversations (id, session_id, title, status, channel_id, model, metadata, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, input.sessionId, input.title ?? null, input.status ?? 'active', input.channelId ?? null, input.model ?? null,
        toJson(input.metadata ?? {}), createdAt, createdAt],
    );
    return this.get(scope, id);
  }

  /** The fingerprint an import stored on this conversation (`metadata.import.fingerprint`), or null. */
  importFingerprint(scope: Scope, id: string): string | null {
    const value = this.sql.value(`SELECT json_extract(c.metadata, '$.import.fingerprint') ${IN_SCOPE} AND c.id = ?`, [...scopeParams(scope), id]);
    return typeof value === 'string' ? value : null;
  }

  /**
   * Import: inserts the conversation, or replaces what the source says about
   * it (title, status, model, metadata, times) when it is already stored in
   * the same scope. It stays in the session it is in (the user may have moved
   * it, or imported with another `sessionId`). The caller checked the session
   * belongs to the scope.
   */
  upsertImported(input: { id: string; sessionId: string; title: string | null; status: string; model: string | null; metadata: string; createdAt: number; updatedAt: number }): void {
    this.sql.run(
      `INSERT INTO conversations (id, session_id, title, status, channel_id, model, metadata, created_at, updated_at)
       VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET title = excluded.title, status = excluded.status, model = excluded.model,
         metadata = excluded.metadata, created_at = excluded.created_at, updated_at = excluded.updated_at
       WHERE (SELECT user_id || char(0) || space_id FROM sessions WHERE id = conversations.session_id)
           = (SELECT user_id || char(0) || space_id FROM sessions WHERE id = excluded.session_id)`,
      [input.id, input.sessionId, input.title, input.status, input.model, input.metadata, input.createdAt, input.updatedAt],
    );
  }

  exists(scope: Scope, id: string): boolean {
    return this.sql.value(`SELECT 1 ${IN_SCOPE} AND c.id = ?`, [...scopeParams(scope), id]) !== undefined;
  }

  assertExists(scope: Scope, id: string): void {
    if (!this.exists(scope, id)) notFound('conversation');
  }

  get(scope: Scope, id: string): Conversation {
    const row = this.sql.get<ConversationRow>(`SELECT ${COLUMNS} ${IN_SCOPE} AND c.id = ?`, [...scopeParams(scope), id]);
    return row ? toConversation(row) : notFound('conversation');
  }

  list(scope: Scope, args: ConversationListRequest): Page<Conversation> {
    let where = '';
    const params: SqlValue[] = [...scopeParams(scope)];
    if (args.sessionId !== undefined) {
      where += ' AND c.session_id = ?';
      params.push(args.sessionId);
    }
    if (args.status !== undefined) {
      where += ' AND c.status = ?';
      params.push(args.status);
    }
    return paginate(
      this.sql,
      args,
      {
        count: `SELECT count(*) ${IN_SCOPE}${where}`,
        select: `SELECT ${COLUMNS} ${IN_SCOPE}${where} ORDER BY c.updated_at DESC, c.rowid DESC`,
        params,
      },
      toConversation,
    );
  }

  update(scope: Scope, id: string, patch: ConversationPatch, now: number): Conversation {
    this.assertExists(scope, id);
    const { set, params } = patchSet(PATCH_COLUMNS, patch, (key, value): SqlValue =>
      key === 'metadata' ? toJson(value as ConversationPatch['metadata']) : str(value as string | null),
    );
    const assignments = set ? `${set}, updated_at = ?` : 'updated_at = ?';
    this.sql.run(`UPDATE conversations SET ${assignments} WHERE id = ?`, [...params, now, id]);
    return this.get(scope, id);
  }

  /** Marks activity so "old conversations" means old by last use, not by creation. */
  touch(ids: Iterable<string>, now: number): void {
    this.sql.runEach('UPDATE conversations SET updated_at = max(updated_at, ?) WHERE id = ?', [...ids].map((id) => [now, id]));
  }

  delete(scope: Scope, id: string): boolean {
    if (!this.exists(scope, id)) return false;
    return this.sql.run('DELETE FROM conversations WHERE id = ?', [id]) > 0;
  }
}
