/**
 * The raw baseline's schema and statements, shared by the raw sqlite-wasm
 * worker (bench/raw-worker.ts) and the encryption comparison
 * (bench/vfs-worker.ts): a plain messages table with the one index paging
 * needs, and FTS5 with Mnemo's tokenizer and prefixes.
 */
export const TABLE = `CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY, conversation_id TEXT NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL, created_at INTEGER NOT NULL);
  CREATE INDEX IF NOT EXISTS messages_conversation ON messages (conversation_id, created_at)`;

/** The raw baseline: external-content FTS5 fed by a trigger, as migrations/0002_search.sql declared messages_fts. */
export const FTS = `CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5 (
  content, content = 'messages', content_rowid = 'rowid',
  tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3');
  CREATE TRIGGER IF NOT EXISTS messages_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
  END`;

export const INSERT = 'INSERT INTO messages (conversation_id, role, content, created_at) VALUES (?, ?, ?, ?)';
export const PAGE_AT = 'SELECT * FROM messages WHERE conversation_id = ? ORDER BY created_at, id LIMIT ? OFFSET ?';
export const TOP10 = `SELECT m.id, m.content AS text, t.score FROM
  (SELECT rowid, bm25(messages_fts) AS score FROM messages_fts WHERE messages_fts MATCH ? ORDER BY score LIMIT 10) t
  JOIN messages m ON m.rowid = t.rowid ORDER BY t.score`;
