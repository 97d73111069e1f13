-- Bring your own embeddings, and memories tied to a conversation.
--
-- `embedding_models` registers the vector spaces whose vectors the caller
-- computes (OpenAI, Cohere, a local model): id, dimensions and the distance
-- search ranks by. Their vectors live in `embeddings` like the bundled
-- model's, under the registered id; the queue never computes them, and a
-- model change (`setModel`) keeps them. The registry holds no user data, so
-- it belongs to no scope: merges and space exports leave it out, and an
-- imported vector waits for its model to be registered again.
CREATE TABLE embedding_models (
  id         TEXT    PRIMARY KEY,
  dims       INTEGER NOT NULL CHECK (dims BETWEEN 1 AND 65536),
  distance   TEXT    NOT NULL DEFAULT 'cosine' CHECK (distance IN ('cosine', 'dot')),
  created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- A memory may belong to one conversation (extracted from it, about it); it
-- goes when the conversation goes. The writer checks the conversation is in
-- the memory's scope.
ALTER TABLE memories ADD COLUMN conversation_id TEXT REFERENCES conversations (id) ON DELETE CASCADE;
CREATE INDEX memories_conversation ON memories (conversation_id) WHERE conversation_id IS NOT NULL;
