-- Keyword search over the shared copy: a tsvector of a row's text columns
-- with a GIN index. The 'simple' configuration (no stemming, no stop words)
-- because a space mixes languages; a tombstone has no text.
ALTER TABLE rows ADD COLUMN search tsvector GENERATED ALWAYS AS (
  to_tsvector('simple',
    coalesce(data->>'title', '') || ' ' || coalesce(data->>'name', '') || ' ' ||
    coalesce(data->>'content', '') || ' ' || coalesce(data->>'text', ''))
) STORED;
CREATE INDEX rows_search ON rows USING gin (search);
