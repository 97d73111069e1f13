/**
 * Cold start of the Dexie baseline: from navigation to the first page of a
 * conversation answered through the compound index. `?conversation=<key>`.
 */
import { dexiePage, openDexie } from './baselines';
import { conversationParam } from './cold';

try {
  const db = openDexie();
  await db.open();
  const openedMs = performance.now();
  const rows = await dexiePage(db, conversationParam(), 1);
  window.coldResult = { ms: performance.now(), openedMs, rows: rows.length };
} catch (error) {
  window.coldResult = { ms: Number.NaN, rows: 0, error: String(error) };
}
