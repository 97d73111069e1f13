/**
 * The embedding work queue. Triggers add rows as their owners are written;
 * the embedding service takes them in batches. A row's token changes when
 * its owner changes again, so a vector computed from older text never
 * dequeues the newer version.
 */
import type { Sql } from '../engine/sql';
import { OWNER_TABLES, type OwnerTable } from './embeddings';

export interface QueuedRow {
  table: OwnerTable;
  id: string;
  token: number;
  text: string;
  userId: string;
  spaceId: string;
}

/** Each owner's text to embed and its scope (child tables reach it through their parents). */
const TEXT_OF: Record<OwnerTable, string> = {
  messages: `SELECT q.owner_table AS "table", q.owner_id AS id, q.token, m.content AS text, s.user_id AS userId, s.space_id AS spaceId
    FROM embed_queue q JOIN messages m ON m.id = q.owner_id JOIN conversations c ON c.id = m.conversation_id
    JOIN sessions s ON s.id = c.session_id WHERE q.owner_table = 'messages'`,
  memories: `SELECT q.owner_table AS "table", q.owner_id AS id, q.token, m.content AS text, m.user_id AS userId, m.space_id AS spaceId
    FROM embed_queue q JOIN memories m ON m.id = q.owner_id WHERE q.owner_table = 'memories'`,
  vector_entries: `SELECT q.owner_table AS "table", q.owner_id AS id, q.token, v.content AS text, v.user_id AS userId, v.space_id AS spaceId
    FROM embed_queue q JOIN vector_entries v ON v.id = q.owner_id WHERE q.owner_table = 'vector_entries'`,
  chunks: `SELECT q.owner_table AS "table", q.owner_id AS id, q.token,
      CASE WHEN k.heading IS NULL THEN k.text ELSE k.heading || char(10) || k.text END AS text, s.user_id AS userId, s.space_id AS spaceId
    FROM embed_queue q JOIN chunks k ON k.id = q.owner_id JOIN contents d ON d.id = k.content_id
    JOIN stores st ON st.id = d.store_id JOIN sessions s ON s.id = st.session_id WHERE q.owner_table = 'chunks'`,
};

export class EmbedQueueRepo {
  constructor(private readonly sql: Sql) {}

  pending(): number {
    return Number(this.sql.value('SELECT count(*) FROM embed_queue') ?? 0);
  }

  /** Up to `limit` queued rows with their text, table by table, leaving out `taken` (a batch still being written). */
  next(limit: number, taken: ReadonlyArray<Pick<QueuedRow, 'table' | 'id'>> = []): QueuedRow[] {
    const skip = new Set(taken.map((row) => `${row.table}:${row.id}`));
    const rows: QueuedRow[] = [];
    for (const table of OWNER_TABLES) {
      if (rows.length >= limit) break;
      const found = this.sql.all<QueuedRow>(`${TEXT_OF[table]} LIMIT ?`, [limit - rows.length + skip.size]);
      rows.push(...found.filter((row) => !skip.has(`${row.table}:${row.id}`)).slice(0, limit - rows.length));
    }
    return rows;
  }

  /** Removes a row; with a token, only if the owner has not been queued again since. */
  remove(table: OwnerTable, id: string, token?: number): void {
    if (token === undefined) this.sql.run('DELETE FROM embed_queue WHERE owner_table = ? AND owner_id = ?', [table, id]);
    else this.sql.run('DELETE FROM embed_queue WHERE owner_table = ? AND owner_id = ? AND token = ?', [table, id, token]);
  }

  /** `remove` with tokens for a batch, in one statement (tokens as decimal text: they are 64-bit). */
  removeMany(rows: ReadonlyArray<Pick<QueuedRow, 'table' | 'id' | 'token'>>): void {
    if (rows.length === 0) return;
    this.sql.run(
      `DELETE FROM embed_queue WHERE (owner_table, owner_id, token) IN
         (SELECT j.value ->> 0, j.value ->> 1, CAST(j.value ->> 2 AS INTEGER) FROM json_each(?) j)`,
      [JSON.stringify(rows.map((row) => [row.table, row.id, String(row.token)]))],
    );
  }

  /** Queues every row that has no vector of this model; returns how many were added. */
  requeueMissing(modelId: string): number {
    let queued = 0;
    for (const table of OWNER_TABLES) {
      queued += this.sql.run(
        `INSERT OR IGNORE INTO embed_queue (owner_table, owner_id, token)
         SELECT ?, o.id, random() FROM ${table} o
         WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.owner_table = ? AND e.owner_id = o.id AND e.model_id = ?)`,
        [table, table, modelId],
      );
    }
    return queued;
  }

  /** Drops rows whose owner was deleted between enqueue and now; they cannot be embedded. */
  dropOrphans(): void {
    for (const table of OWNER_TABLES) {
      this.sql.run(`DELETE FROM embed_queue WHERE owner_table = ? AND owner_id NOT IN (SELECT id FROM ${table})`, [table]);
    }
  }
}
