/**
 * Index maintenance over the one full-text index. Per-row FTS triggers flush
 * FTS5's pending terms at every row's savepoint (FACTS: 19.9 s vs 8.1 s per
 * 100k messages), so bulk writers switch the insert triggers off for their
 * transaction and feed the index and the embedding queue per 5,000 rows.
 */
import type { Sql } from '../engine/sql';
import { type BulkTable, SearchRepo } from '../repos/search';

const FEED_BATCH = 5_000;

/**
 * Runs `insert` (which must only INSERT rows into `table`) with triggers off,
 * then indexes the rows it added. The caller provides the transaction, so the
 * flag can never stay set: a rollback restores it with everything else.
 */
export function withBulkIndex<T>(sql: Sql, table: BulkTable, insert: () => T): T {
  const repo = new SearchRepo(sql);
  const lo = repo.maxRowid(table) + 1;
  repo.setBulk(true);
  const result = insert();
  const hi = repo.maxRowid(table);
  repo.setBulk(false);
  for (let from = lo; from <= hi; from += FEED_BATCH) repo.feed(table, from, Math.min(hi, from + FEED_BATCH - 1));
  return result;
}

/** Rebuilds the full-text index from the base tables; returns rows indexed per table. */
export function rebuildFts(sql: Sql): Record<string, number> {
  return new SearchRepo(sql).rebuild();
}

/** Throws when the index is damaged or disagrees with its base tables. */
export function checkFts(sql: Sql): void {
  new SearchRepo(sql).check();
}

/** Seeds' index bookkeeping per session: documents indexed and when. */
export function refreshIndexMeta(sql: Sql, now: number, durationMs: number): void {
  new SearchRepo(sql).refreshIndexMeta(now, durationMs);
}
