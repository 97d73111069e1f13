-- Full-text indexes, embeddings and the embedding queue.
--
-- FTS5 tables use external content (the text lives once, in the base table)
-- with the porter stemmer over unicode61 and prefix indexes for 2- and
-- 3-character prefixes, so `plan*` stays an index lookup.
--
-- Triggers keep the indexes in the same transaction as every write. Bulk
-- writers set `index_control.bulk = 1` inside their transaction, insert the
-- rows, feed the indexes with one INSERT … SELECT per 5,000 rows and reset the
-- flag before committing: per-row FTS triggers cost ~4x the rows themselves
-- (FACTS: 19.9 s vs 8.1 s for 100k messages), batch feeding does not.

CREATE TABLE index_control (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  bulk INTEGER NOT NULL DEFAULT 0 CHECK (bulk IN (0, 1))
);
INSERT INTO index_control (id, bulk) VALUES (1, 0);

-- Per-session index bookkeeping, as the seeds' message_index_meta: a session's
-- index is dirty when a searchable row changed after `last_indexed_at`.
-- rebuildIndex() refreshes it. (The FTS tables themselves never lag: the
-- triggers below update them in the writing transaction.)
CREATE TABLE index_meta (
  session_id               TEXT    PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
  last_indexed_at          INTEGER NOT NULL DEFAULT 0,
  doc_count                INTEGER NOT NULL DEFAULT 0,
  index_version            INTEGER NOT NULL DEFAULT 1,
  last_rebuild_duration_ms INTEGER
) WITHOUT ROWID;

CREATE VIRTUAL TABLE messages_fts USING fts5 (
  content, content = 'messages', content_rowid = 'rowid',
  tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE VIRTUAL TABLE memories_fts USING fts5 (
  content, content = 'memories', content_rowid = 'rowid',
  tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE VIRTUAL TABLE vector_entries_fts USING fts5 (
  content, content = 'vector_entries', content_rowid = 'rowid',
  tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE VIRTUAL TABLE chunks_fts USING fts5 (
  heading, text, content = 'chunks', content_rowid = 'rowid',
  tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3'
);

-- Vectors per (owner, model): a model change re-embeds instead of mixing spaces.
CREATE TABLE embeddings (
  owner_table TEXT    NOT NULL CHECK (owner_table IN ('messages', 'memories', 'vector_entries', 'chunks')),
  owner_id    TEXT    NOT NULL,
  model_id    TEXT    NOT NULL,
  -- the owner's scope, copied so the vector cache can filter by scope without joins
  user_id     TEXT    NOT NULL,
  space_id    TEXT    NOT NULL,
  dims        INTEGER NOT NULL CHECK (dims > 0),
  vector      BLOB    NOT NULL CHECK (length(vector) = dims * 4),
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (owner_table, owner_id, model_id)
) WITHOUT ROWID;
CREATE INDEX embeddings_model ON embeddings (model_id);

-- Rows whose text changed since they were last embedded. `token` changes on
-- every enqueue so a worker that embedded an older text does not dequeue a
-- newer one. Triggers enqueue with an UPSERT, not INSERT OR REPLACE: an outer
-- statement's conflict policy (e.g. a message upsert) would override the OR.
CREATE TABLE embed_queue (
  owner_table TEXT    NOT NULL,
  owner_id    TEXT    NOT NULL,
  token       INTEGER NOT NULL,
  PRIMARY KEY (owner_table, owner_id)
) WITHOUT ROWID;

-- messages
CREATE TRIGGER messages_ai AFTER INSERT ON messages
WHEN (SELECT bulk FROM index_control WHERE id = 1) = 0
BEGIN
  INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
  INSERT INTO embed_queue (owner_table, owner_id, token) VALUES ('messages', new.id, random())
    ON CONFLICT (owner_table, owner_id) DO UPDATE SET token = excluded.token;
END;
CREATE TRIGGER messages_au AFTER UPDATE OF content ON messages
WHEN old.content IS NOT new.content
BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
  INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
  INSERT INTO embed_queue (owner_table, owner_id, token) VALUES ('messages', new.id, random())
    ON CONFLICT (owner_table, owner_id) DO UPDATE SET token = excluded.token;
END;
CREATE TRIGGER messages_ad AFTER DELETE ON messages
BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
  DELETE FROM embeddings WHERE owner_table = 'messages' AND owner_id = old.id;
  DELETE FROM embed_queue WHERE owner_table = 'messages' AND owner_id = old.id;
END;

-- memories
CREATE TRIGGER memories_ai AFTER INSERT ON memories
WHEN (SELECT bulk FROM index_control WHERE id = 1) = 0
BEGIN
  INSERT INTO memories_fts (rowid, content) VALUES (new.rowid, new.content);
  INSERT INTO embed_queue (owner_table, owner_id, token) VALUES ('memories', new.id, random())
    ON CONFLICT (owner_table, owner_id) DO UPDATE SET token = excluded.token;
END;
CREATE TRIGGER memories_au AFTER UPDATE OF content ON memories
WHEN old.content IS NOT new.content
BEGIN
  INSERT INTO memories_fts (memories_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
  INSERT INTO memories_fts (rowid, content) VALUES (new.rowid, new.content);
  INSERT INTO embed_queue (owner_table, owner_id, token) VALUES ('memories', new.id, random())
    ON CONFLICT (owner_table, owner_id) DO UPDATE SET token = excluded.token;
END;
CREATE TRIGGER memories_ad AFTER DELETE ON memories
BEGIN
  INSERT INTO memories_fts (memories_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
  DELETE FROM embeddings WHERE owner_table = 'memories' AND owner_id = old.id;
  DELETE FROM embed_queue WHERE owner_table = 'memories' AND owner_id = old.id;
END;

-- vector entries
CREATE TRIGGER vector_entries_ai AFTER INSERT ON vector_entries
WHEN (SELECT bulk FROM index_control WHERE id = 1) = 0
BEGIN
  INSERT INTO vector_entries_fts (rowid, content) VALUES (new.rowid, new.content);
  INSERT INTO embed_queue (owner_table, owner_id, token) VALUES ('vector_entries', new.id, random())
    ON CONFLICT (owner_table, owner_id) DO UPDATE SET token = excluded.token;
END;
CREATE TRIGGER vector_entries_au AFTER UPDATE OF content ON vector_entries
WHEN old.content IS NOT new.content
BEGIN
  INSERT INTO vector_entries_fts (vector_entries_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
  INSERT INTO vector_entries_fts (rowid, content) VALUES (new.rowid, new.content);
  INSERT INTO embed_queue (owner_table, owner_id, token) VALUES ('vector_entries', new.id, random())
    ON CONFLICT (owner_table, owner_id) DO UPDATE SET token = excluded.token;
END;
CREATE TRIGGER vector_entries_ad AFTER DELETE ON vector_entries
BEGIN
  INSERT INTO vector_entries_fts (vector_entries_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
  DELETE FROM embeddings WHERE owner_table = 'vector_entries' AND owner_id = old.id;
  DELETE FROM embed_queue WHERE owner_table = 'vector_entries' AND owner_id = old.id;
END;

-- document chunks (written once per upload; a delete cascades from contents)
CREATE TRIGGER chunks_ai AFTER INSERT ON chunks
WHEN (SELECT bulk FROM index_control WHERE id = 1) = 0
BEGIN
  INSERT INTO chunks_fts (rowid, heading, text) VALUES (new.rowid, new.heading, new.text);
  INSERT INTO embed_queue (owner_table, owner_id, token) VALUES ('chunks', new.id, random())
    ON CONFLICT (owner_table, owner_id) DO UPDATE SET token = excluded.token;
END;
CREATE TRIGGER chunks_ad AFTER DELETE ON chunks
BEGIN
  INSERT INTO chunks_fts (chunks_fts, rowid, heading, text) VALUES ('delete', old.rowid, old.heading, old.text);
  DELETE FROM embeddings WHERE owner_table = 'chunks' AND owner_id = old.id;
  DELETE FROM embed_queue WHERE owner_table = 'chunks' AND owner_id = old.id;
END;
