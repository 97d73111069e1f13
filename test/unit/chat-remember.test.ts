import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { ScopedApi } from '../../src/shared/api';
import { applyExtracted, undoApplied, type RememberPort } from '../../src/ui/chat/remember';
import { parseRoute, routeHash } from '../../src/ui/route';
import { openTest } from './helpers';

const extracted = (content: string, importance = 0.5) => ({ kind: 'long' as const, content, importance, expiresAt: null, metadata: { source: 'extraction' } });

describe('extracted memories through the dedup path, with undo (real in-memory database)', () => {
  let t: Awaited<ReturnType<typeof openTest>>;
  let s: ScopedApi;
  beforeEach(async () => {
    t = await openTest();
    s = t.mnemo.space({ userId: 'u', spaceId: 'chat' });
  });
  afterEach(async () => {
    await t.mnemo.close();
  });

  test('added, updated (similar), ignored (same fact, or stated by the user); undo reverses each', async () => {
    const port: RememberPort = s;
    const stated = await s.memories.add({ kind: 'long', content: 'The user is allergic to peanuts', importance: 0.9, metadata: { source: 'user' } });
    const seats = await s.memories.add({ kind: 'long', content: 'User prefers window seats on long flights', importance: 0.4, metadata: { source: 'chat' } });
    await t.mnemo.embeddings.flush();

    const applied = await applyExtracted(port, [
      extracted('The user lives in Porto'),
      extracted('On long flights, user prefers window seats!'),
      extracted('the user is ALLERGIC to peanuts'),
      // The same words in another order: a near duplicate (not the same text) of the user's own memory.
      extracted('Allergic to peanuts: the user is!'),
    ]);
    expect(applied.map((a) => a.action)).toEqual(['added', 'updated', 'ignored', 'ignored']);
    expect(applied[3]!.previous).toMatchObject({ id: stated.memory.id, metadata: { source: 'user' } });
    expect(applied[1]!.memoryId).toBe(seats.memory.id);
    expect(applied[1]!.previous?.content).toBe('User prefers window seats on long flights');
    // Ignored: the user's own memory is exactly as it was.
    expect(await s.memories.get(stated.memory.id)).toMatchObject({ content: 'The user is allergic to peanuts', importance: 0.9, metadata: { source: 'user' } });
    expect((await s.memories.get(seats.memory.id)).content).toBe('On long flights, user prefers window seats!');

    expect(await undoApplied(port, applied[0]!)).toBe(true);
    expect(await undoApplied(port, applied[1]!)).toBe(true);
    expect(await undoApplied(port, applied[2]!)).toBe(false);
    const left = (await s.memories.list({ kind: 'long' })).items.map((m) => m.content).sort();
    expect(left).toEqual(['The user is allergic to peanuts', 'User prefers window seats on long flights']);
    expect(await s.memories.get(seats.memory.id)).toMatchObject({ importance: 0.4, metadata: { source: 'chat' } });
  });

  test('the same extracted fact twice is added once, then ignored', async () => {
    const [first] = await applyExtracted(s, [extracted('The user plays the cello')]);
    const [second] = await applyExtracted(s, [extracted('The user plays the cello', 0.8)]);
    expect([first!.action, second!.action]).toEqual(['added', 'ignored']);
    expect(await s.memories.get(first!.memoryId)).toMatchObject({ importance: 0.5 });
  });
});

describe('hash routes', () => {
  test.each([
    ['', { view: 'chats', ids: [] }],
    ['#memories', { view: 'memories', ids: [] }],
    ['#chats/s1/c1', { view: 'chats', ids: ['s1', 'c1'] }],
    ['#vectors/my%20notes%2Fa/e1', { view: 'vectors', ids: ['my notes/a', 'e1'] }],
    ['#nowhere/x', { view: 'chats', ids: [] }],
    ['#agents/%E0%A4%A', { view: 'agents', ids: [] }],
  ])('%j', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });

  test('routeHash is the inverse of parseRoute', () => {
    const route = { view: 'vectors' as const, ids: ['a/b #c', 'id-1'] };
    expect(parseRoute(routeHash(route))).toEqual(route);
  });
});
