-- Vectors Mnemo computed are stored as float16 (src/worker/engine/vector-codec.ts);
-- a caller's own vectors (registered models) stay float32, exactly as given.
-- A row's format follows from its length, which the CHECK below allows: the
-- table is rebuilt because a CHECK cannot be altered. It is rebuilt under its
-- own name (copy out, drop, create, copy back) because renaming a new table
-- into place fails while other tables' triggers name the dropped one.
--
-- `mnemo_compact_vector(blob, dims)` is registered by the migration runner
-- (engine/migrations.ts); it rewrites a float32 blob as float16. Vectors of a
-- model not registered here are Mnemo's own, but may also be a caller's whose
-- model a merged file has not registered yet: those become float16 here
-- (about 3 significant digits). Later writes never convert a stored vector.
CREATE TABLE embeddings_old AS
  SELECT owner_table, owner_id, model_id, user_id, space_id, dims,
         CASE WHEN model_id IN (SELECT id FROM embedding_models) THEN vector ELSE mnemo_compact_vector(vector, dims) END AS vector,
         created_at
  FROM embeddings;
DROP TABLE embeddings;

CREATE TABLE embeddings (
  owner_table TEXT    NOT NULL CHECK (owner_table IN ('messages', 'memories', 'vector_entries', 'chunks')),
  owner_id    TEXT    NOT NULL,
  model_id    TEXT    NOT NULL,
  -- the owner's scope, copied so the vector cache can filter by scope without joins
  user_id     TEXT    NOT NULL,
  space_id    TEXT    NOT NULL,
  dims        INTEGER NOT NULL CHECK (dims > 0),
  -- float32 (dims * 4 bytes) or float16 (dims * 2 bytes), little-endian
  vector      BLOB    NOT NULL CHECK (length(vector) IN (dims * 4, dims * 2)),
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (owner_table, owner_id, model_id)
) WITHOUT ROWID;
INSERT INTO embeddings (owner_table, owner_id, model_id, user_id, space_id, dims, vector, created_at)
  SELECT owner_table, owner_id, model_id, user_id, space_id, dims, vector, created_at FROM embeddings_old
  ORDER BY owner_table, owner_id, model_id;
DROP TABLE embeddings_old;

-- Vectors per model: what status() and every search's staleness check
-- count. Kept by triggers instead of an index on model_id, which cost about
-- 77 bytes a row (0.77 MB at 10k messages) to serve the same count. Writers
-- update a vector with an UPSERT, never INSERT OR REPLACE: its implicit delete
-- fires no trigger.
CREATE TABLE embedding_counts (
  model_id TEXT    PRIMARY KEY,
  n        INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO embedding_counts (model_id, n) SELECT model_id, count(*) FROM embeddings GROUP BY model_id;
CREATE TRIGGER embeddings_counted_ai AFTER INSERT ON embeddings
BEGIN
  INSERT INTO embedding_counts (model_id, n) VALUES (new.model_id, 1)
    ON CONFLICT (model_id) DO UPDATE SET n = n + 1;
END;
-- A model's row goes with its last vector, as in a database that never had it.
CREATE TRIGGER embeddings_counted_ad AFTER DELETE ON embeddings
BEGIN
  UPDATE embedding_counts SET n = n - 1 WHERE model_id = old.model_id;
  DELETE FROM embedding_counts WHERE model_id = old.model_id AND n <= 0;
END;
CREATE TRIGGER embeddings_counted_au AFTER UPDATE OF model_id ON embeddings
WHEN old.model_id IS NOT new.model_id
BEGIN
  UPDATE embedding_counts SET n = n - 1 WHERE model_id = old.model_id;
  DELETE FROM embedding_counts WHERE model_id = old.model_id AND n <= 0;
  INSERT INTO embedding_counts (model_id, n) VALUES (new.model_id, 1)
    ON CONFLICT (model_id) DO UPDATE SET n = n + 1;
END;
