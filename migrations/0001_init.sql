-- Mnemo initial schema. Timestamps are integer Unix milliseconds; ids are
-- text UUIDv7. Root tables carry (user_id, space_id); child tables inherit
-- their scope through the parent row and go with it (ON DELETE CASCADE).

CREATE TABLE schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL,
  checksum   TEXT    NOT NULL,
  applied_at INTEGER NOT NULL
);

CREATE TABLE spaces (
  user_id    TEXT    NOT NULL,
  space_id   TEXT    NOT NULL,
  name       TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, space_id)
) WITHOUT ROWID;

-- The global scope ('', ''): holds settings that belong to no space.
INSERT INTO spaces (user_id, space_id, name, created_at, updated_at) VALUES ('', '', 'global', 0, 0);

CREATE TABLE agents (
  id            TEXT    PRIMARY KEY,
  user_id       TEXT    NOT NULL,
  space_id      TEXT    NOT NULL,
  name          TEXT    NOT NULL,
  description   TEXT,
  model         TEXT,
  system_prompt TEXT,
  is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  FOREIGN KEY (user_id, space_id) REFERENCES spaces (user_id, space_id) ON DELETE CASCADE
);
CREATE INDEX agents_scope ON agents (user_id, space_id, created_at);

CREATE TABLE sessions (
  id         TEXT    PRIMARY KEY,
  user_id    TEXT    NOT NULL,
  space_id   TEXT    NOT NULL,
  name       TEXT    NOT NULL,
  role       TEXT,
  goals      TEXT,
  agent_id   TEXT    REFERENCES agents (id) ON DELETE SET NULL,
  metadata   TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  FOREIGN KEY (user_id, space_id) REFERENCES spaces (user_id, space_id) ON DELETE CASCADE
);
CREATE INDEX sessions_scope ON sessions (user_id, space_id, created_at);
CREATE INDEX sessions_agent ON sessions (agent_id);

CREATE TABLE conversations (
  id         TEXT    PRIMARY KEY,
  session_id TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  title      TEXT,
  status     TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived', 'closed')),
  channel_id TEXT,
  model      TEXT,
  metadata   TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX conversations_session ON conversations (session_id, created_at);
CREATE INDEX conversations_updated ON conversations (updated_at);

-- A rowid table on purpose: the rowid gives a stable insertion order for
-- messages sharing a timestamp and is the key full-text indexing uses.
CREATE TABLE messages (
  id                 TEXT    PRIMARY KEY,
  conversation_id    TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  role               TEXT    NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'tool')),
  content            TEXT    NOT NULL,
  tool_calls         TEXT    CHECK (tool_calls IS NULL OR json_valid(tool_calls)),
  tool_call_id       TEXT,
  tool_results       TEXT    CHECK (tool_results IS NULL OR json_valid(tool_results)),
  thinking           TEXT,
  thinking_signature TEXT,
  assistant_id       TEXT,
  attachments        TEXT    CHECK (attachments IS NULL OR json_valid(attachments)),
  model              TEXT,
  tokens_used        INTEGER CHECK (tokens_used IS NULL OR tokens_used >= 0),
  is_streaming       INTEGER NOT NULL DEFAULT 0 CHECK (is_streaming IN (0, 1)),
  source             TEXT,
  error              TEXT,
  metadata           TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);
CREATE INDEX messages_created ON messages (created_at);

CREATE TABLE memories (
  id                TEXT    PRIMARY KEY,
  user_id           TEXT    NOT NULL,
  space_id          TEXT    NOT NULL,
  kind              TEXT    NOT NULL CHECK (kind IN ('long', 'short')),
  content           TEXT    NOT NULL,
  -- normalized content (case, whitespace) for exact-duplicate detection
  content_key       TEXT    NOT NULL,
  importance        REAL    NOT NULL DEFAULT 0.5 CHECK (importance >= 0 AND importance <= 1),
  expires_at        INTEGER,
  metadata          TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  source_message_id TEXT    REFERENCES messages (id) ON DELETE SET NULL,
  access_count      INTEGER NOT NULL DEFAULT 0,
  last_accessed_at  INTEGER,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  FOREIGN KEY (user_id, space_id) REFERENCES spaces (user_id, space_id) ON DELETE CASCADE
);
CREATE INDEX memories_scope ON memories (user_id, space_id, kind, created_at);
CREATE INDEX memories_importance ON memories (user_id, space_id, kind, importance);
CREATE INDEX memories_dedup ON memories (user_id, space_id, kind, content_key);
CREATE INDEX memories_expiry ON memories (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX memories_source ON memories (source_message_id) WHERE source_message_id IS NOT NULL;

CREATE TABLE vector_entries (
  id          TEXT    PRIMARY KEY,
  user_id     TEXT    NOT NULL,
  space_id    TEXT    NOT NULL,
  collection  TEXT    NOT NULL,
  document_id TEXT,
  content     TEXT    NOT NULL,
  metadata    TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  FOREIGN KEY (user_id, space_id) REFERENCES spaces (user_id, space_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX vector_entries_document
  ON vector_entries (user_id, space_id, collection, document_id) WHERE document_id IS NOT NULL;
CREATE INDEX vector_entries_collection ON vector_entries (user_id, space_id, collection, created_at);

-- One document store per session.
CREATE TABLE stores (
  id         TEXT    PRIMARY KEY,
  session_id TEXT    NOT NULL UNIQUE REFERENCES sessions (id) ON DELETE CASCADE,
  name       TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE contents (
  id               TEXT    PRIMARY KEY,
  store_id         TEXT    NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  filename         TEXT    NOT NULL,
  mime_type        TEXT    NOT NULL,
  size             INTEGER NOT NULL CHECK (size >= 0),
  line_count       INTEGER NOT NULL CHECK (line_count >= 0),
  preview          TEXT    NOT NULL,
  full_text        TEXT    NOT NULL,
  chunk_count      INTEGER NOT NULL DEFAULT 0,
  metadata         TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  last_accessed_at INTEGER,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX contents_store ON contents (store_id, created_at);

CREATE TABLE chunks (
  id          TEXT    PRIMARY KEY,
  content_id  TEXT    NOT NULL REFERENCES contents (id) ON DELETE CASCADE,
  chunk_index INTEGER NOT NULL CHECK (chunk_index >= 0),
  text        TEXT    NOT NULL,
  start_line  INTEGER NOT NULL CHECK (start_line >= 1),
  end_line    INTEGER NOT NULL CHECK (end_line >= start_line),
  heading     TEXT,
  created_at  INTEGER NOT NULL,
  UNIQUE (content_id, chunk_index)
);

CREATE TABLE settings (
  user_id    TEXT    NOT NULL,
  space_id   TEXT    NOT NULL,
  key        TEXT    NOT NULL,
  value      TEXT    NOT NULL CHECK (json_valid(value)),
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, space_id, key),
  FOREIGN KEY (user_id, space_id) REFERENCES spaces (user_id, space_id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE agent_executions (
  id          TEXT    PRIMARY KEY,
  user_id     TEXT    NOT NULL,
  space_id    TEXT    NOT NULL,
  agent_id    TEXT    NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  session_id  TEXT    REFERENCES sessions (id) ON DELETE CASCADE,
  status      TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  started_at  INTEGER,
  finished_at INTEGER,
  error       TEXT,
  metadata    TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  FOREIGN KEY (user_id, space_id) REFERENCES spaces (user_id, space_id) ON DELETE CASCADE
);
CREATE INDEX agent_executions_scope ON agent_executions (user_id, space_id, created_at);
CREATE INDEX agent_executions_agent ON agent_executions (agent_id, status);
CREATE INDEX agent_executions_session ON agent_executions (session_id);
