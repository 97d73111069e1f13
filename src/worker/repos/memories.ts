import type { MemoryInput, MemoryListRequest, MemoryPatch } from '../../shared/api';
import { fail } from '../../shared/errors';
import { uuidv7 } from '../../shared/ids';
import type { JsonObject, Memory, MemoryKind, Page, Scope } from '../../shared/models';
import type { Sql, SqlValue } from '../engine/sql';
import { fromJsonObject, notFound, paginate, scopeParams, toJson } from './common';

const COLUMNS = `id, kind, content, importance, expires_at AS expiresAt, metadata, source_message_id AS sourceMessageId,
  conversation_id AS conversationId, access_count AS accessCount, last_accessed_at AS lastAccessedAt, created_at AS createdAt, updated_at AS updatedAt`;

type MemoryRow = Omit<Memory, 'metadata'> & { metadata: string };
const toMemory = (row: MemoryRow): Memory => ({ ...row, metadata: fromJsonObject(row.metadata) });

/** A memory is expired once its expiry time has been reached (`expires_at <= now`). */
const LIVE = '(expires_at IS NULL OR expires_at > ?)';

const ORDER: Record<NonNullable<MemoryListRequest['orderBy']>, string> = {
  newest: 'created_at DESC, rowid DESC',
  oldest: 'created_at, rowid',
  importance: 'importance DESC, created_at DESC',
  accessed: 'last_accessed_at IS NULL, last_accessed_at DESC, created_at DESC',
};

/** Case-, width- and whitespace-insensitive form used for exact-duplicate detection. */
export function contentKey(content: string): string {
  return content.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

export class MemoriesRepo {
  constructor(private readonly sql: Sql) {}

  /** The existing memory of the same kind whose normalized content matches, if any. */
  findSameContent(scope: Scope, kind: MemoryKind, content: string, now: number): string | undefined {
    const id = this.sql.value(`SELECT id FROM memories WHERE user_id = ? AND space_id = ? AND kind = ? AND content_key = ? AND ${LIVE} LIMIT 1`, [
      ...scopeParams(scope), kind, contentKey(content), now,
    ]);
    return id === undefined ? undefined : String(id);
  }

  /** What near-duplicate detection compares: kind, importance and text of one memory of the scope. */
  findForDedup(scope: Scope, id: string): { kind: MemoryKind; importance: number; content: string } | undefined {
    return this.sql.get('SELECT kind, importance, content FROM memories WHERE id = ? AND user_id = ? AND space_id = ?', [id, ...scopeParams(scope)]);
  }

  /** Throws NOT_FOUND unless the conversation is in the scope (a memory may only belong to one of its own). */
  assertConversation(scope: Scope, conversationId: string): void {
    const found = this.sql.value('SELECT 1 FROM conversations c JOIN sessions s ON s.id = c.session_id WHERE c.id = ? AND s.user_id = ? AND s.space_id = ?', [
      conversationId, ...scopeParams(scope),
    ]);
    if (found === undefined) notFound('conversation');
  }

  insert(scope: Scope, input: MemoryInput, now: number): Memory {
    const id = input.id ?? uuidv7(now);
    const createdAt = input.createdAt ?? now;
    this.sql.run(
      `INSERT INTO memories (id, user_id, space_id, kind, content, content_key, importance, expires_at, metadata,
         source_message_id, conversation_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, ...scopeParams(scope), input.kind, input.content, contentKey(input.content), input.importance ?? 0.5,
        expiry(input, now), toJson(input.metadata ?? {}), input.sourceMessageId ?? null, input.conversationId ?? null, createdAt, createdAt],
    );
    return this.get(scope, id, { includeExpired: true, now });
  }

  /**
   * Folds a new memory into an existing duplicate: keeps the higher importance,
   * merges metadata (new keys win), refreshes expiry and content.
   */
  merge(scope: Scope, id: string, input: MemoryInput, now: number): Memory {
    const existing = this.get(scope, id, { includeExpired: true, now });
    const metadata: JsonObject = { ...existing.metadata, ...(input.metadata ?? {}) };
    const importance = Math.max(existing.importance, input.importance ?? existing.importance);
    this.sql.run(
      `UPDATE memories SET content = ?, content_key = ?, importance = ?, expires_at = ?, metadata = ?,
         source_message_id = coalesce(?, source_message_id), conversation_id = coalesce(?, conversation_id), updated_at = ?
       WHERE id = ?`,
      [input.content, contentKey(input.content), importance, expiry(input, now) ?? existing.expiresAt, toJson(metadata), input.sourceMessageId ?? null,
        input.conversationId ?? null, now, id],
    );
    return this.get(scope, id, { includeExpired: true, now });
  }

  get(scope: Scope, id: string, options: { includeExpired?: boolean; now: number }): Memory {
    const live = options.includeExpired ? '' : ` AND ${LIVE}`;
    const params: SqlValue[] = [id, ...scopeParams(scope)];
    if (!options.includeExpired) params.push(options.now);
    const row = this.sql.get<MemoryRow>(`SELECT ${COLUMNS} FROM memories WHERE id = ? AND user_id = ? AND space_id = ?${live}`, params);
    return row ? toMemory(row) : notFound('memory');
  }

  list(scope: Scope, args: MemoryListRequest, now: number): Page<Memory> {
    let where = 'WHERE user_id = ? AND space_id = ?';
    const params: SqlValue[] = [...scopeParams(scope)];
    if (args.kind) {
      where += ' AND kind = ?';
      params.push(args.kind);
    }
    if (args.conversationId !== undefined) {
      this.assertConversation(scope, args.conversationId);
      where += ' AND conversation_id = ?';
      params.push(args.conversationId);
    }
    if (!args.includeExpired) {
      where += ` AND ${LIVE}`;
      params.push(now);
    }
    return paginate(
      this.sql,
      args,
      { count: `SELECT count(*) FROM memories ${where}`, select: `SELECT ${COLUMNS} FROM memories ${where} ORDER BY ${ORDER[args.orderBy ?? 'newest']}`, params },
      toMemory,
    );
  }

  /** Works on expired memories too: extending an expiry brings one back. */
  update(scope: Scope, id: string, patch: MemoryPatch, now: number): Memory {
    const current = this.get(scope, id, { includeExpired: true, now });
    if (current.kind === 'long' && patch.expiresAt != null) {
      fail('INVALID_INPUT', "memories.update: field 'expiresAt' applies to short-term memories only");
    }
    if (patch.conversationId != null) this.assertConversation(scope, patch.conversationId);
    const content = patch.content ?? current.content;
    this.sql.run(
      'UPDATE memories SET content = ?, content_key = ?, importance = ?, expires_at = ?, metadata = ?, conversation_id = ?, updated_at = ? WHERE id = ?',
      [content, contentKey(content), patch.importance ?? current.importance,
        patch.expiresAt === undefined ? current.expiresAt : patch.expiresAt, toJson(patch.metadata ?? current.metadata),
        patch.conversationId === undefined ? current.conversationId : patch.conversationId, now, id],
    );
    return this.get(scope, id, { includeExpired: true, now });
  }

  delete(scope: Scope, id: string): boolean {
    return this.sql.run('DELETE FROM memories WHERE id = ? AND user_id = ? AND space_id = ?', [id, ...scopeParams(scope)]) > 0;
  }

  /** Records a recall of these memories. */
  touch(scope: Scope, ids: string[], now: number): number {
    let changed = 0;
    for (const id of new Set(ids)) {
      changed += this.sql.run(
        `UPDATE memories SET access_count = access_count + 1, last_accessed_at = ? WHERE id = ? AND user_id = ? AND space_id = ? AND ${LIVE}`,
        [now, id, ...scopeParams(scope), now],
      );
    }
    return changed;
  }

  cleanupExpired(scope: Scope, now: number): number {
    return this.sql.run('DELETE FROM memories WHERE user_id = ? AND space_id = ? AND expires_at <= ?', [...scopeParams(scope), now]);
  }

  /** Sweeps expired memories of every scope (background maintenance). */
  sweepExpired(now: number, limit = 5_000): number {
    return this.sql.run('DELETE FROM memories WHERE rowid IN (SELECT rowid FROM memories WHERE expires_at <= ? LIMIT ?)', [now, limit]);
  }

  clearKind(scope: Scope, kind: MemoryKind): number {
    return this.sql.run('DELETE FROM memories WHERE user_id = ? AND space_id = ? AND kind = ?', [...scopeParams(scope), kind]);
  }
}

function expiry(input: MemoryInput, now: number): number | null {
  if (input.ttlMs !== undefined) return now + input.ttlMs;
  return input.expiresAt ?? null;
}
