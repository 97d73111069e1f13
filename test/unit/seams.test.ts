/**
 * The worker's seams tested alone: services built from narrow fakes instead
 * of a whole database service, and the helpers every module shares.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { MnemoEvent } from '../../src/shared/api';
import { uuidv7 } from '../../src/shared/ids';
import { GLOBAL_SCOPE, isGlobalScope, scopeFromKey, scopeKey } from '../../src/shared/scope';
import { Connection } from '../../src/worker/connection';
import type { VectorSearch, VectorStore } from '../../src/worker/embed/service';
import { createMemoryDriver } from '../../src/worker/engine/memory-driver';
import { bundledMigrations } from '../../src/worker/engine/migrations';
import type { QueuedRow } from '../../src/worker/repos/embed-queue';
import { loadSqlite } from '../../src/worker/engine/sqlite';
import { Events } from '../../src/worker/events';
import { MemoryAdder } from '../../src/worker/services/memory-add';

const A = { userId: 'alice', spaceId: 'home' };
const T0 = 1_750_000_000_000;

describe('scopeKey', () => {
  test('round-trips any ids, separators included', () => {
    for (const scope of [A, { userId: 'a\u0000b', spaceId: 'c' }, { userId: '"', spaceId: '\\' }, GLOBAL_SCOPE]) {
      expect(scopeFromKey(scopeKey(scope))).toEqual(scope);
    }
  });

  test('gives different scopes different keys where a separator would not', () => {
    expect(scopeKey({ userId: 'a\u0000b', spaceId: 'c' })).not.toBe(scopeKey({ userId: 'a', spaceId: 'b\u0000c' }));
    expect(scopeKey({ ...A, extra: 1 } as typeof A)).toBe(scopeKey(A));
  });

  test('only the empty pair is the global scope', () => {
    expect(isGlobalScope({ userId: '', spaceId: '' })).toBe(true);
    expect(isGlobalScope({ userId: '', spaceId: 'x' })).toBe(false);
  });
});

describe('uuidv7', () => {
  test('RFC 9562 layout: the time in the first 48 bits, version 7, variant 10, the rest random', () => {
    const at = Date.UTC(2026, 11, 6, 4, 20, 0, 123);
    const id = uuidv7(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16)).toBe(at);
  });

  test('strictly increasing within one millisecond and across the random pool refills; never repeated', () => {
    const at = Date.UTC(2027, 0, 1);
    const ids = Array.from({ length: 5_000 }, () => uuidv7(at)); // > 4,096 per ms: the counter rolls into the next ms
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // The random tails differ (62 random bits each).
    expect(new Set(ids.map((id) => id.slice(19))).size).toBe(ids.length);
  });
});

describe('Events', () => {
  test('listeners hear a change before the in-worker hooks run; progress runs from 0 to total', () => {
    const events = new Events();
    const order: string[] = [];
    events.subscribe((e: MnemoEvent) => order.push(e.type === 'change' ? `listener:${e.table}` : `progress:${e.done}/${e.total}`));
    events.afterChange((table) => order.push(`hook:${table}`));
    events.changed('messages', A);
    const task = events.begin('upload', 3);
    task.step(2);
    task.end();
    expect(order).toEqual(['listener:messages', 'hook:messages', 'progress:0/3', 'progress:2/3', 'progress:3/3']);
  });

  test('a throwing listener does not stop the others', () => {
    const events = new Events();
    const heard: string[] = [];
    events.subscribe(() => {
      throw new Error('gone');
    });
    events.subscribe((e) => heard.push(e.type));
    events.changed('*', null);
    expect(heard).toEqual(['change']);
  });
});

describe('MemoryAdder with fake vectors (no model, no Core)', () => {
  let db: Connection;
  let events: Events;
  let changes: string[];
  let stored: string[];
  let nearestId: string | undefined;
  const vector = new Float32Array([1, 0, 0]);

  const embeddings: VectorSearch & VectorStore & { callerModel: () => undefined } = {
    embedQuery: async () => ({ modelId: 'fake', vector }),
    embedTexts: async (texts) => ({ modelId: 'fake', vectors: texts.map(() => vector) }),
    nearest: () => (nearestId ? [{ id: `memories:${nearestId}`, score: 0.99 }] : []),
    storeVector: (table, id) => void stored.push(`${table}:${id}`),
    vectorWrite: (fn) => fn(),
    callerModel: () => undefined,
  };

  beforeEach(async () => {
    db = new Connection(createMemoryDriver(await loadSqlite()), await bundledMigrations(), 'seams');
    events = new Events();
    changes = [];
    stored = [];
    nearestId = undefined;
    events.subscribe((e) => e.type === 'change' && changes.push(e.table));
  });

  afterEach(() => db.close());

  const adder = () => new MemoryAdder({ db, events, now: () => T0, embeddings });

  test('a new memory is added, its dedup vector kept, and the space created', async () => {
    const result = await adder().add(A, { kind: 'long', content: 'Prefers window seats' });
    expect(result.action).toBe('added');
    expect(stored).toEqual([`memories:${result.memory.id}`]);
    expect(changes).toEqual(['memories']);
    expect(db.repos.spaces.get(A).name).toBe('home');
  });

  test('a near neighbour with the same facts updates it instead, importance bumped', async () => {
    const first = await adder().add(A, { kind: 'long', content: 'Flight LH 1234 leaves at noon', importance: 0.5 });
    nearestId = first.memory.id;
    const second = await adder().add(A, { kind: 'long', content: 'Flight LH 1234 departs at noon' });
    expect(second).toMatchObject({ action: 'updated', reason: 'similar', similarity: 0.99 });
    expect(second.memory.id).toBe(first.memory.id);
    expect(second.memory.importance).toBeCloseTo(0.55);
  });

  test('a near neighbour with other numbers is a different fact', async () => {
    const first = await adder().add(A, { kind: 'long', content: 'Locker code 4411' });
    nearestId = first.memory.id;
    expect((await adder().add(A, { kind: 'long', content: 'Locker code 9083' })).action).toBe('added');
  });

  test('a model that never answers does not hold the add: past the wait it dedups by text and stores no vector of its own', async () => {
    const stuck = { ...embeddings, embedTexts: () => new Promise<never>(() => {}) };
    const waiting = new MemoryAdder({ db, events, now: () => T0, embeddings: stuck, modelWaitMs: 50 });
    const started = Date.now();
    const first = await waiting.add(A, { kind: 'long', content: 'Prefers aisle seats' });
    expect(first.action).toBe('added');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(stored).toEqual([]);
    // Text dedup still works without the model: the same text again updates the memory.
    expect(await waiting.add(A, { kind: 'long', content: 'Prefers aisle seats' })).toMatchObject({ action: 'updated', reason: 'exact' });
    // The row stays queued, so the queue embeds it once the model answers.
    expect(db.repos.embedQueue.next(10).map((row) => row.id)).toEqual([first.memory.id]);
  });

  test('long-term memories refuse an expiry before anything is written', async () => {
    await expect(adder().add(A, { kind: 'long', content: 'x', ttlMs: 5 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(changes).toEqual([]);
  });
});

describe('embedding repositories', () => {
  let db: Connection;
  beforeEach(async () => {
    db = new Connection(createMemoryDriver(await loadSqlite()), await bundledMigrations(), 'seams');
  });
  afterEach(() => db.close());

  test('the queue holds new rows, requeues rows without a vector, and vectors round-trip', () => {
    const { repos, sql } = db;
    const memory = sql.tx(() => {
      repos.spaces.ensure(A, T0);
      return repos.memories.insert(A, { kind: 'long', content: 'hello there' }, T0);
    });
    const [queued] = repos.embedQueue.next(10);
    expect(queued).toMatchObject({ table: 'memories', id: memory.id, text: 'hello there', ...A });
    const vector = new Float32Array([0.25, -1, 3]);
    sql.tx(() => {
      repos.embeddings.putQueued([{ table: 'memories', id: memory.id, ...A, vector }], 'm1', T0);
      repos.embedQueue.removeMany([queued!]);
    });
    expect(repos.embedQueue.pending()).toBe(0);
    const stored: unknown[] = [];
    repos.embeddings.each('m1', (row) => stored.push(row));
    expect(stored).toEqual([{ table: 'memories', id: memory.id, ...A, vector }]);
    expect(repos.embedQueue.requeueMissing('m1')).toBe(0);
    expect(repos.embedQueue.requeueMissing('m2')).toBe(1);
  });

  test('a vector for a row that left the queue is not stored', () => {
    db.repos.embeddings.putQueued([{ table: 'memories', id: 'gone', ...A, vector: new Float32Array([1]) }], 'm1', T0);
    expect(db.repos.embeddings.count('m1')).toBe(0);
  });

  test('a batch stores the vectors of rows still queued, as stored, and dequeues only rows whose token is unchanged', () => {
    const { repos, sql } = db;
    const memories = sql.tx(() => {
      repos.spaces.ensure(A, T0);
      return [1, 2, 3, 4].map((n) => repos.memories.insert(A, { kind: 'long', content: `memory ${n}` }, T0));
    });
    const batch = repos.embedQueue.next(10);
    expect(batch.map((row) => row.id).sort()).toEqual(memories.map((m) => m.id).sort());
    // 64-bit random tokens: most are outside the safe integer range and read as bigint.
    expect(batch.some((row) => typeof row.token === 'bigint')).toBe(true);
    const [gone, changed, ...rest] = batch as [QueuedRow, QueuedRow, ...QueuedRow[]];
    sql.tx(() => {
      repos.memories.delete(A, gone.id);
      repos.memories.update(A, changed.id, { content: 'memory 2, edited' }, T0 + 1);
    });
    const vectors = batch.map((_, i) => new Float32Array([i + 0.1, -1 / 3, 1000]));
    const stored = sql.tx(() => {
      const written = repos.embeddings.putQueued(batch.map((row, i) => ({ ...row, vector: vectors[i]! })), 'm1', T0);
      repos.embedQueue.removeMany(batch);
      return written;
    });
    // float16 as stored: close to the input, exactly what a read returns.
    stored.forEach((vector, i) => vector.forEach((x, j) => expect(x).toBeCloseTo(vectors[i]![j]!, 1)));
    const read = new Map<string, Float32Array>();
    repos.embeddings.each('m1', (row) => read.set(row.id, row.vector));
    expect([...read.keys()].sort()).toEqual([changed.id, ...rest.map((r) => r.id)].sort());
    expect(read.get(rest[0]!.id)).toEqual(stored[2]);
    // The edited row keeps its newer token, so it stays queued for its new text; the others left.
    expect(repos.embedQueue.next(10).map((row) => [row.id, row.text])).toEqual([[changed.id, 'memory 2, edited']]);
  });
});
