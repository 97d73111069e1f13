import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { ScopedApi } from '../../src/shared/api';
import { count, errorOf, openTest } from './helpers';

const T0 = 1_750_000_000_000;
const A = { userId: 'alice', spaceId: 'home' };
const B = { userId: 'alice', spaceId: 'work' };
const C = { userId: 'bob', spaceId: 'home' };

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
  await t.mnemo.close();
});

const rows = (where = '1') => count(t.sql, `SELECT count(*) FROM vector_entries WHERE ${where}`);

describe('vector entries', () => {
  test('add stores collection, documentId and metadata; get returns it', async () => {
    const entry = await a.vectors.add({ collection: 'notes', content: 'The sky is blue', documentId: 'doc-1', metadata: { page: 3, tags: ['x'] } });
    expect(entry).toMatchObject({
      collection: 'notes', content: 'The sky is blue', documentId: 'doc-1', metadata: { page: 3, tags: ['x'] }, createdAt: T0, updatedAt: T0,
    });
    expect(await a.vectors.get(entry.id)).toEqual(entry);
    expect(t.sql.get('SELECT user_id, space_id, collection, document_id FROM vector_entries WHERE id = ?', [entry.id])).toEqual({
      user_id: 'alice', space_id: 'home', collection: 'notes', document_id: 'doc-1',
    });
    const bare = await a.vectors.add({ collection: 'notes', content: 'no document' });
    expect(bare).toMatchObject({ documentId: null, metadata: {} });
    expect((await errorOf(a.vectors.get('missing'))).code).toBe('NOT_FOUND');
  });

  test('re-adding a documentId in the same collection updates the one row', async () => {
    const first = await a.vectors.add({ collection: 'notes', content: 'v1', documentId: 'doc-1', metadata: { rev: 1 } });
    now = T0 + 1000;
    const second = await a.vectors.add({ collection: 'notes', content: 'v2', documentId: 'doc-1', metadata: { rev: 2 } });
    expect(second).toMatchObject({ id: first.id, content: 'v2', metadata: { rev: 2 }, createdAt: T0, updatedAt: T0 + 1000 });
    expect(rows("document_id = 'doc-1'")).toBe(1);
    expect(await a.vectors.getByDocumentId('notes', 'doc-1')).toEqual(second);
    // Entries without a documentId never merge.
    await a.vectors.add({ collection: 'notes', content: 'same' });
    await a.vectors.add({ collection: 'notes', content: 'same' });
    expect(rows()).toBe(3);
  });

  test('the same documentId in another collection or scope is a separate entry', async () => {
    const home = await a.vectors.add({ collection: 'notes', content: 'home notes', documentId: 'doc-1' });
    const other = await a.vectors.add({ collection: 'docs', content: 'home docs', documentId: 'doc-1' });
    const work = await b.vectors.add({ collection: 'notes', content: 'work notes', documentId: 'doc-1' });
    const bob = await t.mnemo.space(C).vectors.add({ collection: 'notes', content: 'bob notes', documentId: 'doc-1' });
    expect(new Set([home.id, other.id, work.id, bob.id]).size).toBe(4);
    expect(rows("document_id = 'doc-1'")).toBe(4);

    expect((await a.vectors.getByDocumentId('notes', 'doc-1')).content).toBe('home notes');
    expect((await a.vectors.getByDocumentId('docs', 'doc-1')).content).toBe('home docs');
    expect((await b.vectors.getByDocumentId('notes', 'doc-1')).content).toBe('work notes');
    expect((await errorOf(b.vectors.getByDocumentId('docs', 'doc-1'))).code).toBe('NOT_FOUND');
    expect((await errorOf(a.vectors.getByDocumentId('notes', 'doc-2'))).code).toBe('NOT_FOUND');

    // Updating in one scope leaves the others alone.
    await b.vectors.add({ collection: 'notes', content: 'work notes v2', documentId: 'doc-1' });
    expect((await a.vectors.get(home.id)).content).toBe('home notes');
    expect((await errorOf(b.vectors.get(home.id))).code).toBe('NOT_FOUND');
  });

  test('list by collection is paginated, newest first', async () => {
    for (let i = 0; i < 5; i++) await a.vectors.add({ collection: 'notes', content: `n${i}`, createdAt: T0 + i });
    await a.vectors.add({ collection: 'docs', content: 'd0' });
    await b.vectors.add({ collection: 'notes', content: 'foreign' });

    const first = await a.vectors.list({ collection: 'notes', pageSize: 2 });
    expect(first).toMatchObject({ total: 5, page: 1, pageSize: 2, hasNext: true, hasPrev: false });
    expect(first.items.map((e) => e.content)).toEqual(['n4', 'n3']);
    const last = await a.vectors.list({ collection: 'notes', pageSize: 2, page: 3 });
    expect(last).toMatchObject({ total: 5, hasNext: false, hasPrev: true });
    expect(last.items.map((e) => e.content)).toEqual(['n0']);
    expect((await a.vectors.list()).total).toBe(6);
    expect((await a.vectors.list({ collection: 'docs' })).items.map((e) => e.content)).toEqual(['d0']);
    expect((await a.vectors.list({ collection: 'none' })).total).toBe(0);
  });

  test('collections() counts entries per collection of its own scope', async () => {
    expect(await a.vectors.collections()).toEqual([]);
    await a.vectors.add({ collection: 'notes', content: '1' });
    await a.vectors.add({ collection: 'notes', content: '2' });
    await a.vectors.add({ collection: 'docs', content: '3' });
    await b.vectors.add({ collection: 'other', content: '4' });
    expect(await a.vectors.collections()).toEqual([
      { collection: 'docs', count: 1 },
      { collection: 'notes', count: 2 },
    ]);
    expect(await b.vectors.collections()).toEqual([{ collection: 'other', count: 1 }]);
  });

  test('delete removes one entry of its own scope', async () => {
    const mine = await a.vectors.add({ collection: 'notes', content: 'mine' });
    const theirs = await b.vectors.add({ collection: 'notes', content: 'theirs' });
    expect(await a.vectors.delete(theirs.id)).toBe(false);
    expect(await a.vectors.delete(mine.id)).toBe(true);
    expect(await a.vectors.delete(mine.id)).toBe(false);
    expect((await errorOf(a.vectors.get(mine.id))).code).toBe('NOT_FOUND');
    expect(rows()).toBe(1);
    expect((await b.vectors.get(theirs.id)).content).toBe('theirs');
  });

  test('clearVectors() and clearVectors(collection) return counts and stay in scope', async () => {
    for (const c of ['notes', 'notes', 'docs', 'docs', 'docs']) await a.vectors.add({ collection: c, content: c });
    await b.vectors.add({ collection: 'notes', content: 'b' });
    await b.vectors.add({ collection: 'docs', content: 'b' });

    expect(await a.vectors.clearVectors('notes')).toBe(2);
    expect(await a.vectors.collections()).toEqual([{ collection: 'docs', count: 3 }]);
    expect(await a.vectors.clearVectors('notes')).toBe(0);
    expect(await a.vectors.clearVectors('missing')).toBe(0);
    expect(rows("space_id = 'work'")).toBe(2);

    expect(await a.vectors.clearVectors()).toBe(3);
    expect(rows("space_id = 'home'")).toBe(0);
    expect(rows("space_id = 'work'")).toBe(2);
    expect(await a.vectors.clearVectors()).toBe(0);
  });

  test('invalid input is INVALID_INPUT and stores nothing', async () => {
    const bad: unknown[] = [
      { collection: '', content: 'x' },
      { collection: 'c', content: '' },
      { collection: 'c', content: '   ' },
      { collection: 'c', content: 'x', documentId: '' },
      { collection: 'c', content: 'x', metadata: [1, 2] },
      { collection: 'c', content: 'x', embedding: [0.1] },
      { content: 'x' },
    ];
    for (const input of bad) expect((await errorOf(a.vectors.add(input as never))).code, JSON.stringify(input)).toBe('INVALID_INPUT');
    expect((await errorOf(a.vectors.clearVectors(''))).code).toBe('INVALID_INPUT');
    expect((await errorOf(a.vectors.list({ collection: '' }))).code).toBe('INVALID_INPUT');
    expect(rows()).toBe(0);
  });

  test('an explicit id already used, in any scope, is a CONFLICT and changes nothing', async () => {
    const entry = await a.vectors.add({ id: 'fixed-id', collection: 'notes', content: 'original' });
    expect((await errorOf(a.vectors.add({ id: 'fixed-id', collection: 'notes', content: 'again' }))).code).toBe('CONFLICT');
    expect((await errorOf(b.vectors.add({ id: 'fixed-id', collection: 'notes', content: 'steal' }))).code).toBe('CONFLICT');
    expect(await a.vectors.get(entry.id)).toEqual(entry);
    expect(rows()).toBe(1);
  });

  test('update changes content and metadata in its own scope; new content is searchable', async () => {
    const entry = await a.vectors.add({ collection: 'notes', content: 'The sky is blue', documentId: 'doc-1', metadata: { page: 1 } });
    const theirs = await b.vectors.add({ collection: 'notes', content: 'theirs' });
    now = T0 + 1000;
    const changed = await a.vectors.update(entry.id, { content: 'The grass is green' });
    expect(changed).toMatchObject({ content: 'The grass is green', metadata: { page: 1 }, documentId: 'doc-1', collection: 'notes', createdAt: T0, updatedAt: T0 + 1000 });
    const hits = await a.search({ query: 'grass', mode: 'keyword', filters: { kinds: ['vector'] } });
    expect(hits.map((h) => h.id)).toEqual([entry.id]);
    expect(await a.search({ query: 'sky', mode: 'keyword', filters: { kinds: ['vector'] } })).toEqual([]);
    expect(await a.vectors.update(entry.id, { metadata: { page: 2 } })).toMatchObject({ content: 'The grass is green', metadata: { page: 2 } });
    expect((await errorOf(a.vectors.update(theirs.id, { content: 'stolen' }))).code).toBe('NOT_FOUND');
    expect((await b.vectors.get(theirs.id)).content).toBe('theirs');
    for (const bad of [{ content: '' }, { content: '  ' }, { metadata: [1] }, { collection: 'x' }, 'text']) {
      const failure = await errorOf(a.vectors.update(entry.id, bad as never));
      expect(failure.code, JSON.stringify(bad)).toBe('INVALID_INPUT');
      expect(failure.message).toContain('vectors.update');
    }
    expect((await a.vectors.get(entry.id)).metadata).toEqual({ page: 2 });
  });
});
