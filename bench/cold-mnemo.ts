/**
 * Cold start through Mnemo: from navigation (performance.now() counts from
 * the navigation's start) to the first answered query, `openMnemo()` plus one
 * `sessions.list()`. With `?setup` it first creates the database.
 */
import { openMnemo } from '../src/client';
import type { ColdResult } from './cold-raw';

const setup = new URLSearchParams(location.search).has('setup');
try {
  const mnemo = await openMnemo({ name: 'bench-cold', storage: 'opfs' });
  const openedMs = performance.now();
  const space = mnemo.space({ userId: 'bench', spaceId: 'cold' });
  if (setup) await space.sessions.create({ name: 'Benchmark' });
  const page = await space.sessions.list();
  const ms = performance.now();
  const info = await mnemo.info();
  window.coldResult = { ms, openedMs, rows: page.items.length, vfs: info.warning ? `${info.vfs} (${info.warning})` : info.vfs } satisfies ColdResult;
} catch (error) {
  window.coldResult = { ms: Number.NaN, rows: 0, vfs: '', error: JSON.stringify(error) };
}
