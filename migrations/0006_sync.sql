-- Sync client: a per-row change log for the tables that sync (docs/sync.md).
--
-- `sync_rows` holds one entry per synced row, ever: its space, its current
-- version (hlc, device; '' = this device) and whether it is a tombstone. A
-- local write marks the entry pending with hlc NULL; before COMMIT one
-- statement stamps every unstamped entry with the transaction's HLC
-- (repos/sync.ts), so the log is written in the same transaction as the
-- data. Pending entries are what the next push sends; the server's
-- acknowledgement clears the flag unless the row changed again meanwhile.
-- Applying a pulled change sets the entry to the remote version, not pending,
-- so remote changes are never sent back as local ones.
--
-- Triggers record single-row writes and cascades (a deleted session's
-- messages become tombstones too). Bulk writers switch the insert triggers off
-- with index_control.bulk, as for the search index, and log their rows with
-- one INSERT … SELECT per 5,000 (repos/search.ts feed). A child row's space
-- is read from its parent's entry, one primary-key lookup.

CREATE TABLE sync_rows (
  n        INTEGER PRIMARY KEY,
  tbl      TEXT    NOT NULL,
  row_id   TEXT    NOT NULL,
  user_id  TEXT    NOT NULL,
  space_id TEXT    NOT NULL,
  hlc      TEXT,
  device   TEXT    NOT NULL DEFAULT '',
  deleted  INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  pending  INTEGER NOT NULL DEFAULT 1 CHECK (pending IN (0, 1)),
  UNIQUE (tbl, row_id)
);
CREATE INDEX sync_rows_unstamped ON sync_rows (n) WHERE hlc IS NULL;
CREATE INDEX sync_rows_pending ON sync_rows (user_id, space_id, n) WHERE pending = 1;

-- The clock of this database's last local or received change, so HLCs keep
-- increasing across reloads.
CREATE TABLE sync_state (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  clock TEXT    NOT NULL
);

-- Per synced space: the server's pull cursor and the conflicts resolved here.
CREATE TABLE sync_spaces (
  user_id      TEXT    NOT NULL,
  space_id     TEXT    NOT NULL,
  cursor       TEXT    NOT NULL DEFAULT '0',
  conflicts    INTEGER NOT NULL DEFAULT 0,
  last_sync_at INTEGER,
  PRIMARY KEY (user_id, space_id)
) WITHOUT ROWID;

-- Pulled versions waiting to be applied: a first sync stages every page
-- first, then applies parents before children (a message may come before its
-- conversation in the server's order).
CREATE TABLE sync_inbox (
  n        INTEGER PRIMARY KEY,
  user_id  TEXT    NOT NULL,
  space_id TEXT    NOT NULL,
  rank     INTEGER NOT NULL,
  tbl      TEXT    NOT NULL,
  row_id   TEXT    NOT NULL,
  hlc      TEXT    NOT NULL,
  device   TEXT    NOT NULL,
  deleted  INTEGER NOT NULL,
  data     TEXT,
  -- a caller-supplied vector as the server sent it: {"model", "dims", "vector" (base64)}
  vector   TEXT
);
CREATE INDEX sync_inbox_order ON sync_inbox (user_id, space_id, rank, n);

-- Rows written before this version are pending changes stamped with their
-- updated_at, parents first so children find their space.
INSERT INTO sync_rows (tbl, row_id, user_id, space_id, hlc) SELECT 'agents', id, user_id, space_id, printf('%013d-00000', updated_at) FROM agents;
INSERT INTO sync_rows (tbl, row_id, user_id, space_id, hlc) SELECT 'sessions', id, user_id, space_id, printf('%013d-00000', updated_at) FROM sessions;
INSERT INTO sync_rows (tbl, row_id, user_id, space_id, hlc) SELECT 'memories', id, user_id, space_id, printf('%013d-00000', updated_at) FROM memories;
INSERT INTO sync_rows (tbl, row_id, user_id, space_id, hlc) SELECT 'vector_entries', id, user_id, space_id, printf('%013d-00000', updated_at) FROM vector_entries;
INSERT INTO sync_rows (tbl, row_id, user_id, space_id, hlc) SELECT 'agent_executions', id, user_id, space_id, printf('%013d-00000', updated_at) FROM agent_executions;
INSERT INTO sync_rows (tbl, row_id, user_id, space_id, hlc)
  SELECT 'conversations', c.id, p.user_id, p.space_id, printf('%013d-00000', c.updated_at) FROM conversations c JOIN sync_rows p ON p.tbl = 'sessions' AND p.row_id = c.session_id;
INSERT INTO sync_rows (tbl, row_id, user_id, space_id, hlc)
  SELECT 'messages', c.id, p.user_id, p.space_id, printf('%013d-00000', c.updated_at) FROM messages c JOIN sync_rows p ON p.tbl = 'conversations' AND p.row_id = c.conversation_id;
INSERT INTO sync_rows (tbl, row_id, user_id, space_id, hlc)
  SELECT 'stores', c.id, p.user_id, p.space_id, printf('%013d-00000', c.updated_at) FROM stores c JOIN sync_rows p ON p.tbl = 'sessions' AND p.row_id = c.session_id;
INSERT INTO sync_rows (tbl, row_id, user_id, space_id, hlc)
  SELECT 'contents', c.id, p.user_id, p.space_id, printf('%013d-00000', c.updated_at) FROM contents c JOIN sync_rows p ON p.tbl = 'stores' AND p.row_id = c.store_id;
INSERT INTO sync_rows (tbl, row_id, user_id, space_id, hlc)
  SELECT 'chunks', c.id, p.user_id, p.space_id, printf('%013d-00000', c.created_at) FROM chunks c JOIN sync_rows p ON p.tbl = 'contents' AND p.row_id = c.content_id;
INSERT INTO sync_state (id, clock) SELECT 1, coalesce(max(hlc), '0000000000000-00000') FROM sync_rows;

CREATE TRIGGER agents_sync_ai AFTER INSERT ON agents
BEGIN
  INSERT INTO sync_rows (tbl, row_id, user_id, space_id) VALUES ('agents', new.id, new.user_id, new.space_id)
    ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1;
END;
CREATE TRIGGER sessions_sync_ai AFTER INSERT ON sessions
BEGIN
  INSERT INTO sync_rows (tbl, row_id, user_id, space_id) VALUES ('sessions', new.id, new.user_id, new.space_id)
    ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1;
END;
CREATE TRIGGER memories_sync_ai AFTER INSERT ON memories
WHEN (SELECT bulk FROM index_control WHERE id = 1) = 0
BEGIN
  INSERT INTO sync_rows (tbl, row_id, user_id, space_id) VALUES ('memories', new.id, new.user_id, new.space_id)
    ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1;
END;
CREATE TRIGGER vector_entries_sync_ai AFTER INSERT ON vector_entries
WHEN (SELECT bulk FROM index_control WHERE id = 1) = 0
BEGIN
  INSERT INTO sync_rows (tbl, row_id, user_id, space_id) VALUES ('vector_entries', new.id, new.user_id, new.space_id)
    ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1;
END;
CREATE TRIGGER agent_executions_sync_ai AFTER INSERT ON agent_executions
BEGIN
  INSERT INTO sync_rows (tbl, row_id, user_id, space_id) VALUES ('agent_executions', new.id, new.user_id, new.space_id)
    ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1;
END;
CREATE TRIGGER conversations_sync_ai AFTER INSERT ON conversations
BEGIN
  INSERT INTO sync_rows (tbl, row_id, user_id, space_id)
    SELECT 'conversations', new.id, p.user_id, p.space_id FROM sync_rows p WHERE p.tbl = 'sessions' AND p.row_id = new.session_id
    ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1;
END;
CREATE TRIGGER messages_sync_ai AFTER INSERT ON messages
WHEN (SELECT bulk FROM index_control WHERE id = 1) = 0
BEGIN
  INSERT INTO sync_rows (tbl, row_id, user_id, space_id)
    SELECT 'messages', new.id, p.user_id, p.space_id FROM sync_rows p WHERE p.tbl = 'conversations' AND p.row_id = new.conversation_id
    ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1;
END;
CREATE TRIGGER stores_sync_ai AFTER INSERT ON stores
BEGIN
  INSERT INTO sync_rows (tbl, row_id, user_id, space_id)
    SELECT 'stores', new.id, p.user_id, p.space_id FROM sync_rows p WHERE p.tbl = 'sessions' AND p.row_id = new.session_id
    ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1;
END;
CREATE TRIGGER contents_sync_ai AFTER INSERT ON contents
BEGIN
  INSERT INTO sync_rows (tbl, row_id, user_id, space_id)
    SELECT 'contents', new.id, p.user_id, p.space_id FROM sync_rows p WHERE p.tbl = 'stores' AND p.row_id = new.store_id
    ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1;
END;
CREATE TRIGGER chunks_sync_ai AFTER INSERT ON chunks
BEGIN
  INSERT INTO sync_rows (tbl, row_id, user_id, space_id)
    SELECT 'chunks', new.id, p.user_id, p.space_id FROM sync_rows p WHERE p.tbl = 'contents' AND p.row_id = new.content_id
    ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1;
END;
CREATE TRIGGER agents_sync_au AFTER UPDATE ON agents
BEGIN
  UPDATE sync_rows SET hlc = NULL, device = '', deleted = 0, pending = 1 WHERE tbl = 'agents' AND row_id = new.id;
END;
CREATE TRIGGER agents_sync_ad AFTER DELETE ON agents
BEGIN
  UPDATE sync_rows SET hlc = NULL, device = '', deleted = 1, pending = 1 WHERE tbl = 'agents' AND row_id = old.id;
END;
CREATE TRIGGER sessions_sync_au AFTER UPDATE ON sessions
BEGIN
  UPDATE sync_rows SET hlc = NULL, device = '', deleted = 0, pending = 1 WHERE tbl = 'sessions' AND row_id = new.id;
END;
CREATE TRIGGER sessions_sync_ad AFTER DELETE ON sessions
BEGIN
  UPDATE sync_rows SET hlc = NULL, device = '', deleted = 1, pending = 1 WHERE tbl = 'sessions' AND row_id = old.id;
END;
CREATE TRIGGER memories_sync_au AFTER UPDATE OF kind, content, content_key, importance, expires_at, metadata, source_message_id, conversation_id, updated_at ON memories
BEGIN
  UPDATE sync_rows SET hlc = NULL, device = '', deleted = 0, pending = 1 WHERE tbl = 'memories' AND row_id = new.id;
END;
CREATE TRIGGER memories_sync_ad AFTER DELETE ON memories
BEGIN
  UPDATE sync_rows SET hlc = NULL, device = '', deleted = 1, pending = 1 WHERE tbl = 'memories' AND row_id = old.id;
END;
CREATE TRIGGER vector_entries_sync_au AFTER UPDATE ON vector_entries
BEGIN
  UPDATE sync_rows SET hlc = NULL, device = '', deleted = 0, pending = 1 WHERE tbl = 'vector_entries' AND row_id = new.id;
END;
CREATE TRIGGER vector_entries_sync_ad AFTER DELETE ON vector_entries
BEGIN
  UPDATE sync_rows SET hlc = NULL, device = '', deleted = 1, pending = 1 WHERE tbl = 'vector_entries' AND row_id = old.id;
END;
CREATE TRIGGER agent_executions_sync_au AFTER UPDATE ON agent_executions
BEGIN
  UPDATE sync_rows SET hlc = NULL, device = '', deleted = 0, pending = 1 WHERE tbl = 'agent_executions' AND row_id = new.id;
END;
CREATE TRIGGER agent_executions_sync_ad AFTER DELETE ON agent_executions
BEGIN
  UPDATE sync_rows SET hlc = NULL, device = '', deleted = 1, pending = 1 WHERE tbl = 'agent_executions' AND row_id = old.id;
END;
CREATE TRIGGER conversations_sync_au AFTER UPDATE ON conversations
BEGIN
  UPDATE sync_rows SET hlc = NULL, device = '', deleted = 0, pending = 1 WHERE tbl = 'conversations' AND row_id = new.id;
END;
CREATE TRIGGER conversations_sync_ad AFTER DELETE ON conversations
BEGIN
  UPDATE sync_rows SET hlc = NULL, device = '', deleted = 1, pending = 1 WHERE tbl = 'conversations' AND row_id = old.id;
END;
CREATE TRIGGER messages_sync_au AFTER UPDATE ON messages
BEGIN
  UPDATE sync_rows SET hlc = NULL, device = '', deleted = 0, pending = 1 WHERE tbl = 'messages' AND row_id = new.id;
END;
CREATE TRIGGER messages_sync_ad AFTER DELETE ON messages
BEGIN
  UPDATE sync_rows SET hlc = NULL, device = '', deleted = 1, pending = 1 WHERE tbl = 'messages' AND row_id = old.id;
END;
CREATE TRIGGER stores_sync_au AFTER UPDATE ON stores
BEGIN
  UPDATE sync_rows SET hlc = NULL, device = '', deleted = 0, pending = 1 WHERE tbl = 'stores' AND row_id = new.id;
END;
CREATE TRIGGER stores_sync_ad AFTER DELETE ON stores
BEGIN
  UPDATE sync_rows SET hlc = NULL, device = '', deleted = 1, pending = 1 WHERE tbl = 'stores' AND row_id = old.id;
END;
CREATE TRIGGER contents_sync_au AFTER UPDATE OF filename, mime_type, size, line_count, preview, full_text, chunk_count, metadata, updated_at ON contents
BEGIN
  UPDATE sync_rows SET hlc = NULL, device = '', deleted = 0, pending = 1 WHERE tbl = 'contents' AND row_id = new.id;
END;
CREATE TRIGGER contents_sync_ad AFTER DELETE ON contents
BEGIN
  UPDATE sync_rows SET hlc = NULL, device = '', deleted = 1, pending = 1 WHERE tbl = 'contents' AND row_id = old.id;
END;
CREATE TRIGGER chunks_sync_au AFTER UPDATE ON chunks
BEGIN
  UPDATE sync_rows SET hlc = NULL, device = '', deleted = 0, pending = 1 WHERE tbl = 'chunks' AND row_id = new.id;
END;
CREATE TRIGGER chunks_sync_ad AFTER DELETE ON chunks
BEGIN
  UPDATE sync_rows SET hlc = NULL, device = '', deleted = 1, pending = 1 WHERE tbl = 'chunks' AND row_id = old.id;
END;
