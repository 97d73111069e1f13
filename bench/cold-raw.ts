/**
 * Cold start of the raw baseline: from navigation (performance.now() counts
 * from the navigation's start) to the first page of a conversation answered,
 * through a worker that initialises sqlite-wasm, installs `opfs-sahpool` and
 * opens the file the store phase filled. `?conversation=<key>`.
 */
import { RAW_FILES, rawPage, rawWorker } from './baselines';
import { conversationParam } from './cold';

try {
  const raw = rawWorker();
  await raw.call('open', RAW_FILES.trigger);
  const openedMs = performance.now();
  const rows = await rawPage(raw, conversationParam(), 1);
  window.coldResult = { ms: performance.now(), openedMs, rows: rows.length };
} catch (error) {
  window.coldResult = { ms: Number.NaN, rows: 0, error: String(error) };
}
