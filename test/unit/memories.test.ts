import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { ScopedApi } from '../../src/shared/api';
import { count, errorOf, openTest } from './helpers';

const T0 = 1_750_000_000_000;
const DAY = 86_400_000;
const A = { userId: 'alice', spaceId: 'home' };
const B = { userId: 'alice', spaceId: 'work' };

let now: number;
let t: Awaited<ReturnType<typeof openTest>>;
let a: ScopedApi;
let b: ScopedApi;

beforeEach(async () => {
  now = T0;
  t = await openTest({ now: () => now });
  a = t.mnemo.space(A);
  b = t.mnemo.space(B);
});

afterEach(async () => {
  vi.useRealTimers();
  await t.mnemo.close();
});

const ids = (page: { items: Array<{ id: string }> }) => page.items.map((m) => m.id);
const rows = (where = '1') => count(t.core.sql, `SELECT count(*) FROM memories WHERE ${where}`);

describe('long-term memories', () => {
  test('add, get, update, delete', async () => {
    const added = await a.memories.add({ kind: 'long', content: 'Likes tea', importance: 0.8, metadata: { topic: 'food' } });
    expect(added.action).toBe('added');
    expect(added.memory).toMatchObject({
      kind: 'long', content: 'Likes tea', importance: 0.8, expiresAt: null, metadata: { topic: 'food' },
      accessCount: 0, lastAccessedAt: null, createdAt: T0, updatedAt: T0, sourceMessageId: null,
    });
    expect(await a.memories.get(added.memory.id)).toEqual(added.memory);
    expect((await a.memories.add({ kind: 'long', content: 'default importance' })).memory.importance).toBe(0.5);

    now = T0 + 1000;
    const updated = await a.memories.update(added.memory.id, { content: 'Likes green tea', importance: 0.9 });
    expect(updated).toMatchObject({ content: 'Likes green tea', importance: 0.9, metadata: { topic: 'food' }, createdAt: T0, updatedAt: T0 + 1000 });
    expect(t.core.sql.value('SELECT content_key FROM memories WHERE id = ?', [added.memory.id])).toBe('likes green tea');
    expect((await a.memories.update(added.memory.id, { metadata: { topic: 'drink' } })).metadata).toEqual({ topic: 'drink' });

    expect(await a.memories.delete(added.memory.id)).toBe(true);
    expect(await a.memories.delete(added.memory.id)).toBe(false);
    expect((await errorOf(a.memories.get(added.memory.id))).code).toBe('NOT_FOUND');
    expect((await errorOf(a.memories.update(added.memory.id, { importance: 0.1 }))).code).toBe('NOT_FOUND');
    expect(rows()).toBe(1);
  });

  test('list orders by newest, oldest, importance and accessed', async () => {
    const add = async (content: string, importance: number, createdAt: number) =>
      (await a.memories.add({ kind: 'long', content, importance, createdAt })).memory.id;
    const m1 = await add('one', 0.2, T0 - 3000);
    const m2 = await add('two', 0.9, T0 - 2000);
    const m3 = await add('three', 0.5, T0 - 1000);
    const m4 = await add('four', 0.9, T0 - 4000);

    expect(ids(await a.memories.list())).toEqual([m3, m2, m1, m4]);
    expect(ids(await a.memories.list({ orderBy: 'newest' }))).toEqual([m3, m2, m1, m4]);
    expect(ids(await a.memories.list({ orderBy: 'oldest' }))).toEqual([m4, m1, m2, m3]);
    // Equal importance: the newer one first.
    expect(ids(await a.memories.list({ orderBy: 'importance' }))).toEqual([m2, m4, m3, m1]);

    now = T0 + 10;
    await a.memories.touch([m1]);
    now = T0 + 20;
    await a.memories.touch([m4]);
    // Most recently recalled first; never-recalled ones last, newest first.
    expect(ids(await a.memories.list({ orderBy: 'accessed' }))).toEqual([m4, m1, m3, m2]);
  });

  test('pagination reports totals and flags', async () => {
    for (let i = 0; i < 7; i++) await a.memories.add({ kind: 'long', content: `fact ${i}`, createdAt: T0 + i });
    await a.memories.add({ kind: 'short', content: 'short one' });
    const first = await a.memories.list({ kind: 'long', pageSize: 3 });
    expect(first).toMatchObject({ total: 7, page: 1, pageSize: 3, hasNext: true, hasPrev: false });
    expect(first.items.map((m) => m.content)).toEqual(['fact 6', 'fact 5', 'fact 4']);
    const middle = await a.memories.list({ kind: 'long', pageSize: 3, page: 2 });
    expect(middle).toMatchObject({ total: 7, hasNext: true, hasPrev: true });
    const last = await a.memories.list({ kind: 'long', pageSize: 3, page: 3 });
    expect(last).toMatchObject({ total: 7, hasNext: false, hasPrev: true });
    expect(last.items.map((m) => m.content)).toEqual(['fact 0']);
    expect(await a.memories.list({ kind: 'long', pageSize: 3, page: 4 })).toMatchObject({ items: [], total: 7, hasNext: false, hasPrev: true });
    expect((await a.memories.list()).total).toBe(8);
    expect((await a.memories.list({ kind: 'short' })).total).toBe(1);
    expect((await errorOf(a.memories.list({ page: 0 }))).code).toBe('INVALID_INPUT');
    expect((await errorOf(a.memories.list({ pageSize: 1001 }))).code).toBe('INVALID_INPUT');
  });

  test('an exact duplicate (case and whitespace aside) updates the one row: max importance, merged metadata', async () => {
    const first = await a.memories.add({ kind: 'long', content: 'User lives in  Paris', importance: 0.7, metadata: { src: 'chat', n: 1 } });
    now = T0 + 500;
    const again = await a.memories.add({ kind: 'long', content: '  user LIVES in\nparis ', importance: 0.3, metadata: { n: 2, extra: true } });
    expect(again).toMatchObject({ action: 'updated', reason: 'exact' });
    expect(again.memory.id).toBe(first.memory.id);
    expect(again.memory).toMatchObject({ importance: 0.7, metadata: { src: 'chat', n: 2, extra: true }, createdAt: T0, updatedAt: T0 + 500 });
    expect(rows()).toBe(1);

    const higher = await a.memories.add({ kind: 'long', content: 'USER LIVES IN PARIS', importance: 0.95 });
    expect(higher).toMatchObject({ action: 'updated', memory: { id: first.memory.id, importance: 0.95 } });
    expect(rows()).toBe(1);

    // Unrelated text, the other kind, and another scope are not duplicates.
    expect((await a.memories.add({ kind: 'long', content: 'Owns a red bicycle' })).action).toBe('added');
    expect((await a.memories.add({ kind: 'short', content: 'User lives in Paris' })).action).toBe('added');
    expect((await b.memories.add({ kind: 'long', content: 'User lives in Paris' })).action).toBe('added');
    expect(rows()).toBe(4);
  });

  test('touch bumps access_count and last_accessed_at of memories in its scope', async () => {
    const m = (await a.memories.add({ kind: 'long', content: 'recall me' })).memory;
    const other = (await a.memories.add({ kind: 'long', content: 'leave me' })).memory;
    const foreign = (await b.memories.add({ kind: 'long', content: 'not yours' })).memory;
    now = T0 + 100;
    expect(await a.memories.touch([m.id, m.id, 'missing'])).toBe(1);
    now = T0 + 200;
    expect(await a.memories.touch([m.id])).toBe(1);
    expect(await a.memories.get(m.id)).toMatchObject({ accessCount: 2, lastAccessedAt: T0 + 200 });
    expect(t.core.sql.get('SELECT access_count AS n, last_accessed_at AS at FROM memories WHERE id = ?', [m.id])).toEqual({ n: 2, at: T0 + 200 });
    expect(await a.memories.get(other.id)).toMatchObject({ accessCount: 0, lastAccessedAt: null });
    expect(await a.memories.touch([foreign.id])).toBe(0);
    expect(await b.memories.get(foreign.id)).toMatchObject({ accessCount: 0, lastAccessedAt: null });
    expect(await a.memories.touch([])).toBe(0);
  });

  test('clearLongTerm removes only long-term memories of its own scope', async () => {
    await a.memories.add({ kind: 'long', content: 'a1' });
    await a.memories.add({ kind: 'long', content: 'a2' });
    await a.memories.add({ kind: 'short', content: 'a3' });
    await b.memories.add({ kind: 'long', content: 'b1' });
    expect(await a.memories.clearLongTerm()).toBe(2);
    expect(rows("user_id = 'alice' AND space_id = 'home'")).toBe(1);
    expect(rows("user_id = 'alice' AND space_id = 'home' AND kind = 'short'")).toBe(1);
    expect(rows("space_id = 'work'")).toBe(1);
    expect(await a.memories.clearLongTerm()).toBe(0);
  });

  test('invalid input is INVALID_INPUT and stores nothing', async () => {
    const bad: unknown[] = [
      { kind: 'long', content: 'x', importance: 1.01 },
      { kind: 'long', content: 'x', importance: -0.01 },
      { kind: 'long', content: 'x', importance: Number.NaN },
      { kind: 'long', content: 'x', importance: Number.POSITIVE_INFINITY },
      { kind: 'long', content: '' },
      { kind: 'long', content: ' \n\t ' },
      { kind: 'long', content: 'x', colour: 'red' },
      { kind: 'medium', content: 'x' },
      { content: 'x' },
      { kind: 'long', content: 'x', expiresAt: T0 + 1000 },
      { kind: 'long', content: 'x', ttlMs: 1000 },
      { kind: 'short', content: 'x', ttlMs: 0 },
      { kind: 'short', content: 'x', expiresAt: 1.5 },
    ];
    for (const input of bad) {
      const error = await errorOf(a.memories.add(input as never));
      expect(error.code, JSON.stringify(input)).toBe('INVALID_INPUT');
    }
    expect((await errorOf(a.memories.add({ kind: 'long', content: 'x', colour: 'red' } as never))).message).toMatch(/unexpected field 'colour'/);
    expect((await errorOf(a.memories.add({ kind: 'long', content: 'x', expiresAt: T0 + 1000 }))).message).toMatch(/expiresAt/);
    expect(rows()).toBe(0);

    const m = (await a.memories.add({ kind: 'long', content: 'valid' })).memory;
    for (const patch of [{ importance: 2 }, { content: '' }, { kind: 'short' }, { importance: Number.NaN }]) {
      expect((await errorOf(a.memories.update(m.id, patch as never))).code, JSON.stringify(patch)).toBe('INVALID_INPUT');
    }
    expect(await a.memories.get(m.id)).toEqual(m);
  });

  test('a long-term memory cannot be given an expiry by update either', async () => {
    // add() rejects expiresAt on long-term memories; update() must keep the same rule,
    // otherwise the expiry sweep silently deletes long-term memories.
    const m = (await a.memories.add({ kind: 'long', content: 'permanent fact' })).memory;
    const error = await errorOf(a.memories.update(m.id, { expiresAt: T0 + 1000 }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(t.core.sql.value('SELECT expires_at FROM memories WHERE id = ?', [m.id])).toBeNull();
  });
});

describe('short-term memories', () => {
  test('expiresAt and ttlMs set the expiry; update can change or clear it', async () => {
    const abs = (await a.memories.add({ kind: 'short', content: 'absolute', expiresAt: T0 + 5000 })).memory;
    const rel = (await a.memories.add({ kind: 'short', content: 'relative', ttlMs: 60_000 })).memory;
    const forever = (await a.memories.add({ kind: 'short', content: 'no expiry' })).memory;
    expect(abs.expiresAt).toBe(T0 + 5000);
    expect(rel.expiresAt).toBe(T0 + 60_000);
    expect(forever.expiresAt).toBeNull();
    expect(t.core.sql.value('SELECT expires_at FROM memories WHERE id = ?', [rel.id])).toBe(T0 + 60_000);
    expect((await a.memories.update(abs.id, { expiresAt: T0 + 9000 })).expiresAt).toBe(T0 + 9000);
    expect((await a.memories.update(abs.id, { expiresAt: null })).expiresAt).toBeNull();
  });

  test('expiry boundary: expiresAt === now is expired, now + 1 is not', async () => {
    const atNow = (await a.memories.add({ kind: 'short', content: 'ends now', expiresAt: T0 + 100 })).memory;
    const later = (await a.memories.add({ kind: 'short', content: 'ends later', expiresAt: T0 + 101 })).memory;
    const past = (await a.memories.add({ kind: 'short', content: 'concluded', expiresAt: T0 + 50 })).memory;
    now = T0 + 100;
    expect(ids(await a.memories.list())).toEqual([later.id]);
    expect(ids(await a.memories.list({ kind: 'short' }))).toEqual([later.id]);
    expect((await a.memories.list()).total).toBe(1);
    const all = await a.memories.list({ includeExpired: true, orderBy: 'oldest' });
    expect(ids(all)).toEqual([atNow.id, later.id, past.id]);
    expect(all.total).toBe(3);

    // Expired rows stay readable and can be extended until cleanup or the retention sweep.
    expect((await a.memories.get(atNow.id)).expiresAt).toBe(T0 + 100);
    expect((await a.memories.get(past.id)).content).toBe('concluded');
    expect((await a.memories.get(later.id)).id).toBe(later.id);
    expect((await a.search({ query: 'concluded', mode: 'keyword' })).map((h) => h.id)).toEqual([]);

    now = T0 + 101;
    expect((await a.memories.get(later.id)).id).toBe(later.id);
    expect((await a.memories.list()).total).toBe(0);
    await a.memories.update(past.id, { expiresAt: T0 + 10_000 });
    expect(ids(await a.memories.list())).toEqual([past.id]);
    expect((await a.search({ query: 'concluded', mode: 'keyword' })).map((h) => h.id)).toEqual([past.id]);
  });

  test('cleanupExpired returns the number removed, only in its scope', async () => {
    await a.memories.add({ kind: 'short', content: 'a expired 1', expiresAt: T0 + 10 });
    await a.memories.add({ kind: 'short', content: 'a expired 2', expiresAt: T0 + 20 });
    const keep = (await a.memories.add({ kind: 'short', content: 'a live', expiresAt: T0 + 21 })).memory;
    await a.memories.add({ kind: 'long', content: 'a long' });
    await b.memories.add({ kind: 'short', content: 'b expired', expiresAt: T0 + 10 });
    now = T0 + 20;
    expect(await a.memories.cleanupExpired()).toBe(2);
    expect(await a.memories.cleanupExpired()).toBe(0);
    expect(rows("space_id = 'home'")).toBe(2);
    expect((await a.memories.get(keep.id)).id).toBe(keep.id);
    expect(rows("space_id = 'work'")).toBe(1);
    expect(await b.memories.cleanupExpired()).toBe(1);
    expect(rows()).toBe(2);
  });

  test('clearShortTerm removes only short-term memories of its own scope', async () => {
    await a.memories.add({ kind: 'short', content: 's1' });
    await a.memories.add({ kind: 'short', content: 's2', expiresAt: T0 + 5 });
    await a.memories.add({ kind: 'long', content: 'l1' });
    await b.memories.add({ kind: 'short', content: 's3' });
    expect(await a.memories.clearShortTerm()).toBe(2);
    expect(rows("space_id = 'home'")).toBe(1);
    expect(rows("space_id = 'home' AND kind = 'long'")).toBe(1);
    expect(rows("space_id = 'work' AND kind = 'short'")).toBe(1);
  });

  test('a duplicate short-term memory refreshes the expiry of the one row', async () => {
    const first = (await a.memories.add({ kind: 'short', content: 'Meeting at 3', ttlMs: 1000 })).memory;
    now = T0 + 800;
    const again = await a.memories.add({ kind: 'short', content: 'meeting AT 3', ttlMs: 1000 });
    expect(again).toMatchObject({ action: 'updated', memory: { id: first.id, expiresAt: T0 + 1800 } });
    expect(rows()).toBe(1);
  });

  test('the periodic sweep removes rows expired for longer than the retention, in every scope', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    now = T0;
    const swept = await openTest({ now: () => now });
    try {
      const x = swept.mnemo.space(A);
      const y = swept.mnemo.space(B);
      await x.memories.add({ kind: 'short', content: 'x gone', expiresAt: T0 + 100 });
      const live = (await x.memories.add({ kind: 'short', content: 'x live', expiresAt: T0 + 101 })).memory;
      await y.memories.add({ kind: 'short', content: 'y gone', expiresAt: T0 + 50 });
      await x.memories.add({ kind: 'long', content: 'x long' });
      await swept.mnemo.settings.set('memories.expiredRetentionDays', 1);
      now = T0 + 49 + DAY;
      vi.advanceTimersByTime(60_000);
      expect(count(swept.core.sql, 'SELECT count(*) FROM memories')).toBe(4);
      now = T0 + 100 + DAY;
      vi.advanceTimersByTime(59_999);
      expect(count(swept.core.sql, 'SELECT count(*) FROM memories')).toBe(4);
      vi.advanceTimersByTime(1);
      expect(swept.core.sql.all<{ id: string }>("SELECT id FROM memories WHERE kind = 'short'").map((r) => r.id)).toEqual([live.id]);
      expect(count(swept.core.sql, "SELECT count(*) FROM memories WHERE kind = 'long'")).toBe(1);
    } finally {
      await swept.mnemo.close();
    }
  });

  test('opening the database sweeps rows expired for longer than the default 7 days (reopen via initDatabase)', async () => {
    await a.memories.add({ kind: 'short', content: 'gone', expiresAt: T0 + 100 });
    const live = (await a.memories.add({ kind: 'short', content: 'live', expiresAt: T0 + 101 })).memory;
    await b.memories.add({ kind: 'short', content: 'gone too', expiresAt: T0 + 1 });
    await a.memories.add({ kind: 'long', content: 'long' });
    now = T0 + 100 + 7 * DAY;
    // The memory driver only reopens what was saved into it, so save the open file first.
    const { driver, file } = t.core;
    await driver.writeFile(file, driver.readFile(file, t.core.sql.raw));
    await t.mnemo.initDatabase();
    const sql = t.core.sql;
    // 'live' expired a millisecond less than 7 days ago: kept, readable, not listed.
    expect(sql.all<{ content: string }>('SELECT content FROM memories ORDER BY content').map((r) => r.content)).toEqual(['live', 'long']);
    expect((await t.mnemo.space(A).memories.get(live.id)).content).toBe('live');
  });
});
