-- The sync change log is written only once this database syncs.
--
-- Until then every write paid for a log entry nobody reads (its row, the
-- (tbl, row_id) index, the stamp before COMMIT): about a third of a durable
-- messages.add in the worker and a tenth of the file. `index_control.sync_log`
-- now switches the log's insert triggers and the bulk writers' log statement
-- (repos/search.ts feed); the update and delete triggers need no switch, as
-- they only touch entries that exist. Turning it on (repos/sync.ts
-- enableLog, called when sync is configured and before every sync round)
-- logs every existing row as a pending change, as migration 0006 did.
--
-- A database that has talked to a server (a space with sync state, an
-- acknowledged or pulled entry) keeps its log; any other drops it.

ALTER TABLE index_control ADD COLUMN sync_log INTEGER NOT NULL DEFAULT 1 CHECK (sync_log IN (0, 1));
UPDATE index_control SET sync_log = (
  EXISTS (SELECT 1 FROM sync_spaces) OR EXISTS (SELECT 1 FROM sync_rows WHERE pending = 0 OR device <> '')
) WHERE id = 1;
DELETE FROM sync_rows WHERE (SELECT sync_log FROM index_control WHERE id = 1) = 0;

DROP TRIGGER agents_sync_ai;
CREATE TRIGGER agents_sync_ai AFTER INSERT ON agents
WHEN (SELECT sync_log FROM index_control WHERE id = 1) = 1
BEGIN
  INSERT INTO sync_rows (tbl, row_id, user_id, space_id) VALUES ('agents', new.id, new.user_id, new.space_id)
    ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1;
END;

DROP TRIGGER sessions_sync_ai;
CREATE TRIGGER sessions_sync_ai AFTER INSERT ON sessions
WHEN (SELECT sync_log FROM index_control WHERE id = 1) = 1
BEGIN
  INSERT INTO sync_rows (tbl, row_id, user_id, space_id) VALUES ('sessions', new.id, new.user_id, new.space_id)
    ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1;
END;

DROP TRIGGER memories_sync_ai;
CREATE TRIGGER memories_sync_ai AFTER INSERT ON memories
WHEN (SELECT bulk = 0 AND sync_log = 1 FROM index_control WHERE id = 1)
BEGIN
  INSERT INTO sync_rows (tbl, row_id, user_id, space_id) VALUES ('memories', new.id, new.user_id, new.space_id)
    ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1;
END;

DROP TRIGGER vector_entries_sync_ai;
CREATE TRIGGER vector_entries_sync_ai AFTER INSERT ON vector_entries
WHEN (SELECT bulk = 0 AND sync_log = 1 FROM index_control WHERE id = 1)
BEGIN
  INSERT INTO sync_rows (tbl, row_id, user_id, space_id) VALUES ('vector_entries', new.id, new.user_id, new.space_id)
    ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1;
END;

DROP TRIGGER agent_executions_sync_ai;
CREATE TRIGGER agent_executions_sync_ai AFTER INSERT ON agent_executions
WHEN (SELECT sync_log FROM index_control WHERE id = 1) = 1
BEGIN
  INSERT INTO sync_rows (tbl, row_id, user_id, space_id) VALUES ('agent_executions', new.id, new.user_id, new.space_id)
    ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1;
END;

DROP TRIGGER conversations_sync_ai;
CREATE TRIGGER conversations_sync_ai AFTER INSERT ON conversations
WHEN (SELECT sync_log FROM index_control WHERE id = 1) = 1
BEGIN
  INSERT INTO sync_rows (tbl, row_id, user_id, space_id)
    SELECT 'conversations', new.id, p.user_id, p.space_id FROM sync_rows p WHERE p.tbl = 'sessions' AND p.row_id = new.session_id
    ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1;
END;

DROP TRIGGER messages_sync_ai;
CREATE TRIGGER messages_sync_ai AFTER INSERT ON messages
WHEN (SELECT bulk = 0 AND sync_log = 1 FROM index_control WHERE id = 1)
BEGIN
  INSERT INTO sync_rows (tbl, row_id, user_id, space_id)
    SELECT 'messages', new.id, p.user_id, p.space_id FROM sync_rows p WHERE p.tbl = 'conversations' AND p.row_id = new.conversation_id
    ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1;
END;

DROP TRIGGER stores_sync_ai;
CREATE TRIGGER stores_sync_ai AFTER INSERT ON stores
WHEN (SELECT sync_log FROM index_control WHERE id = 1) = 1
BEGIN
  INSERT INTO sync_rows (tbl, row_id, user_id, space_id)
    SELECT 'stores', new.id, p.user_id, p.space_id FROM sync_rows p WHERE p.tbl = 'sessions' AND p.row_id = new.session_id
    ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1;
END;

DROP TRIGGER contents_sync_ai;
CREATE TRIGGER contents_sync_ai AFTER INSERT ON contents
WHEN (SELECT sync_log FROM index_control WHERE id = 1) = 1
BEGIN
  INSERT INTO sync_rows (tbl, row_id, user_id, space_id)
    SELECT 'contents', new.id, p.user_id, p.space_id FROM sync_rows p WHERE p.tbl = 'stores' AND p.row_id = new.store_id
    ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1;
END;

DROP TRIGGER chunks_sync_ai;
CREATE TRIGGER chunks_sync_ai AFTER INSERT ON chunks
WHEN (SELECT sync_log FROM index_control WHERE id = 1) = 1
BEGIN
  INSERT INTO sync_rows (tbl, row_id, user_id, space_id)
    SELECT 'chunks', new.id, p.user_id, p.space_id FROM sync_rows p WHERE p.tbl = 'contents' AND p.row_id = new.content_id
    ON CONFLICT (tbl, row_id) DO UPDATE SET user_id = excluded.user_id, space_id = excluded.space_id, hlc = NULL, device = '', deleted = 0, pending = 1;
END;
