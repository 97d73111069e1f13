-- The full-text index without prefix indexes. `prefix = '2 3'` kept an extra
-- entry per 2- and 3-character prefix of every token: on 10,000 chat messages
-- (4.1 MB of text) the index was 8.8 MB with them and 3.8 MB without, and
-- building it took 3.5 s against 0.8 s (sqlite3 shell, same file). Only a
-- query the user writes as `word*` uses them; without them FTS5 merges the
-- doclists of every term with that prefix, measured 1.6–2× slower for `co*`
-- and `con*` over 100,000 messages, still a fraction of a second. Everything
-- else about the index is as migration 0003 made it, and the triggers, which
-- name the table, keep working on the new one.

DROP TABLE search_vocab;
DROP TABLE search_fts;

CREATE VIRTUAL TABLE search_fts USING fts5 (
  title, body, content = '',
  tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE search_vocab USING fts5vocab (search_fts, 'row');

INSERT INTO search_fts (rowid, title, body) SELECT rowid * 4, NULL, content FROM messages;
INSERT INTO search_fts (rowid, title, body) SELECT rowid * 4 + 1, NULL, content FROM memories;
INSERT INTO search_fts (rowid, title, body) SELECT rowid * 4 + 2, NULL, content FROM vector_entries;
INSERT INTO search_fts (rowid, title, body) SELECT rowid * 4 + 3, heading, text FROM chunks;
