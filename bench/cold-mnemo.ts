/**
 * Cold start of the library on a bare page: from navigation to the first page
 * of a conversation answered, `openMnemo()` on the database the store phase
 * filled plus one `messages.page()`. `?conversation=<id>`.
 */
import { openMnemo } from '../src/client';
import { conversationParam } from './cold';
import { MNEMO_NAME_COLD, SCOPE } from './workloads';

try {
  const mnemo = await openMnemo({ name: MNEMO_NAME_COLD, storage: 'opfs' });
  const openedMs = performance.now();
  const page = await mnemo.space(SCOPE).messages.page(conversationParam(), { page: 1, pageSize: 50 });
  const ms = performance.now();
  const info = await mnemo.info();
  window.coldResult = info.warning ? { ms: Number.NaN, rows: 0, error: `not on OPFS: ${info.warning}` } : { ms, openedMs, rows: page.items.length };
} catch (error) {
  window.coldResult = { ms: Number.NaN, rows: 0, error: JSON.stringify(error) };
}
