-- One full-text index over every searchable kind, so BM25 statistics (document
-- count, average length, term frequencies) are shared by messages, memories,
-- vector entries and document chunks and their scores are comparable. With one
-- index per table, a word rare among memories but common among messages got two
-- different IDFs and the merged ranking mixed incomparable numbers.
--
-- The index is contentless (the text lives once, in the base tables); rows
-- leave it through FTS5's 'delete' command with the values they were indexed
-- with, which the triggers have (contentless_delete=1 would need SQLite 3.43,
-- and an exported file must stay queryable by older sqlite3 shells such as
-- Debian 12's 3.40). Its rowid encodes
-- the kind in the low two bits: base rowid * 4 + 0 message, 1 memory,
-- 2 vector entry, 3 chunk. Columns: `title` (a chunk's section heading) and
-- `body` (the text).
--
-- Triggers keep it in the writing transaction, as before; bulk writers switch
-- the insert triggers off with index_control.bulk and feed it per 5,000 rows.

DROP TRIGGER messages_ai;
DROP TRIGGER messages_au;
DROP TRIGGER messages_ad;
DROP TRIGGER memories_ai;
DROP TRIGGER memories_au;
DROP TRIGGER memories_ad;
DROP TRIGGER vector_entries_ai;
DROP TRIGGER vector_entries_au;
DROP TRIGGER vector_entries_ad;
DROP TRIGGER chunks_ai;
DROP TRIGGER chunks_ad;

DROP TABLE messages_fts;
DROP TABLE memories_fts;
DROP TABLE vector_entries_fts;
DROP TABLE chunks_fts;

CREATE VIRTUAL TABLE search_fts USING fts5 (
  title, body, content = '',
  tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3'
);

-- Document frequency per term, read by hybrid search to weigh how much of a
-- query's information a keyword hit holds.
CREATE VIRTUAL TABLE search_vocab USING fts5vocab (search_fts, 'row');

INSERT INTO search_fts (rowid, title, body) SELECT rowid * 4, NULL, content FROM messages;
INSERT INTO search_fts (rowid, title, body) SELECT rowid * 4 + 1, NULL, content FROM memories;
INSERT INTO search_fts (rowid, title, body) SELECT rowid * 4 + 2, NULL, content FROM vector_entries;
INSERT INTO search_fts (rowid, title, body) SELECT rowid * 4 + 3, heading, text FROM chunks;

-- messages
CREATE TRIGGER messages_ai AFTER INSERT ON messages
WHEN (SELECT bulk FROM index_control WHERE id = 1) = 0
BEGIN
  INSERT INTO search_fts (rowid, title, body) VALUES (new.rowid * 4, NULL, new.content);
  INSERT INTO embed_queue (owner_table, owner_id, token) VALUES ('messages', new.id, random())
    ON CONFLICT (owner_table, owner_id) DO UPDATE SET token = excluded.token;
END;
CREATE TRIGGER messages_au AFTER UPDATE OF content ON messages
WHEN old.content IS NOT new.content
BEGIN
  INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', old.rowid * 4, NULL, old.content);
  INSERT INTO search_fts (rowid, title, body) VALUES (new.rowid * 4, NULL, new.content);
  INSERT INTO embed_queue (owner_table, owner_id, token) VALUES ('messages', new.id, random())
    ON CONFLICT (owner_table, owner_id) DO UPDATE SET token = excluded.token;
END;
CREATE TRIGGER messages_ad AFTER DELETE ON messages
BEGIN
  INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', old.rowid * 4, NULL, old.content);
  DELETE FROM embeddings WHERE owner_table = 'messages' AND owner_id = old.id;
  DELETE FROM embed_queue WHERE owner_table = 'messages' AND owner_id = old.id;
END;

-- memories
CREATE TRIGGER memories_ai AFTER INSERT ON memories
WHEN (SELECT bulk FROM index_control WHERE id = 1) = 0
BEGIN
  INSERT INTO search_fts (rowid, title, body) VALUES (new.rowid * 4 + 1, NULL, new.content);
  INSERT INTO embed_queue (owner_table, owner_id, token) VALUES ('memories', new.id, random())
    ON CONFLICT (owner_table, owner_id) DO UPDATE SET token = excluded.token;
END;
CREATE TRIGGER memories_au AFTER UPDATE OF content ON memories
WHEN old.content IS NOT new.content
BEGIN
  INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', old.rowid * 4 + 1, NULL, old.content);
  INSERT INTO search_fts (rowid, title, body) VALUES (new.rowid * 4 + 1, NULL, new.content);
  INSERT INTO embed_queue (owner_table, owner_id, token) VALUES ('memories', new.id, random())
    ON CONFLICT (owner_table, owner_id) DO UPDATE SET token = excluded.token;
END;
CREATE TRIGGER memories_ad AFTER DELETE ON memories
BEGIN
  INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', old.rowid * 4 + 1, NULL, old.content);
  DELETE FROM embeddings WHERE owner_table = 'memories' AND owner_id = old.id;
  DELETE FROM embed_queue WHERE owner_table = 'memories' AND owner_id = old.id;
END;

-- vector entries
CREATE TRIGGER vector_entries_ai AFTER INSERT ON vector_entries
WHEN (SELECT bulk FROM index_control WHERE id = 1) = 0
BEGIN
  INSERT INTO search_fts (rowid, title, body) VALUES (new.rowid * 4 + 2, NULL, new.content);
  INSERT INTO embed_queue (owner_table, owner_id, token) VALUES ('vector_entries', new.id, random())
    ON CONFLICT (owner_table, owner_id) DO UPDATE SET token = excluded.token;
END;
CREATE TRIGGER vector_entries_au AFTER UPDATE OF content ON vector_entries
WHEN old.content IS NOT new.content
BEGIN
  INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', old.rowid * 4 + 2, NULL, old.content);
  INSERT INTO search_fts (rowid, title, body) VALUES (new.rowid * 4 + 2, NULL, new.content);
  INSERT INTO embed_queue (owner_table, owner_id, token) VALUES ('vector_entries', new.id, random())
    ON CONFLICT (owner_table, owner_id) DO UPDATE SET token = excluded.token;
END;
CREATE TRIGGER vector_entries_ad AFTER DELETE ON vector_entries
BEGIN
  INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', old.rowid * 4 + 2, NULL, old.content);
  DELETE FROM embeddings WHERE owner_table = 'vector_entries' AND owner_id = old.id;
  DELETE FROM embed_queue WHERE owner_table = 'vector_entries' AND owner_id = old.id;
END;

-- document chunks (written once per upload; a delete cascades from contents)
CREATE TRIGGER chunks_ai AFTER INSERT ON chunks
WHEN (SELECT bulk FROM index_control WHERE id = 1) = 0
BEGIN
  INSERT INTO search_fts (rowid, title, body) VALUES (new.rowid * 4 + 3, new.heading, new.text);
  INSERT INTO embed_queue (owner_table, owner_id, token) VALUES ('chunks', new.id, random())
    ON CONFLICT (owner_table, owner_id) DO UPDATE SET token = excluded.token;
END;
CREATE TRIGGER chunks_ad AFTER DELETE ON chunks
BEGIN
  INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', old.rowid * 4 + 3, old.heading, old.text);
  DELETE FROM embeddings WHERE owner_table = 'chunks' AND owner_id = old.id;
  DELETE FROM embed_queue WHERE owner_table = 'chunks' AND owner_id = old.id;
END;
