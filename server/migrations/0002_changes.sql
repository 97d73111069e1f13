-- The shared copy of each space: one row per synced Mnemo row holding its
-- latest version (last writer wins by HLC, then device id), deletes kept as
-- tombstones. `seq` orders a space's rows by when the server last changed
-- them; a client's pull cursor is the highest seq it has seen.

CREATE SEQUENCE row_seq AS bigint;

CREATE TABLE rows (
  space_id        text COLLATE "C" NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  table_name      text COLLATE "C" NOT NULL,
  row_id          text COLLATE "C" NOT NULL,
  hlc             text COLLATE "C" NOT NULL,
  device          text COLLATE "C" NOT NULL,
  deleted         boolean NOT NULL,
  data            jsonb,
  embedding_model text,
  embedding       bytea,
  seq             bigint NOT NULL,
  PRIMARY KEY (space_id, table_name, row_id),
  CHECK (deleted = (data IS NULL))
);
CREATE UNIQUE INDEX rows_space_seq ON rows (space_id, seq);

-- Every change id the server has accepted, so a retried push is a no-op.
CREATE TABLE changes (
  space_id    text COLLATE "C" NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
  change_id   text COLLATE "C" NOT NULL,
  table_name  text COLLATE "C" NOT NULL,
  row_id      text COLLATE "C" NOT NULL,
  hlc         text COLLATE "C" NOT NULL,
  device      text COLLATE "C" NOT NULL,
  applied     boolean NOT NULL,
  pushed_by   uuid REFERENCES devices (id) ON DELETE SET NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (space_id, change_id)
);
