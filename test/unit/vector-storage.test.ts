/**
 * How vectors are stored (engine/vector-codec.ts, migration 0007): vectors
 * Mnemo computes as float16, a caller's own as float32, read back exactly;
 * older files' float32 rows rewritten on upgrade, through open and import;
 * counts and per-table sizes that follow.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { openDatabase } from '../../src/worker/engine/database';
import { createMemoryDriver } from '../../src/worker/engine/memory-driver';
import { bundledMigrations, migrate } from '../../src/worker/engine/migrations';
import { serialize } from '../../src/worker/engine/snapshot';
import { loadSqlite } from '../../src/worker/engine/sqlite';
import { decodeVector, encodeVector, fromHalfBits, toHalfBits } from '../../src/worker/engine/vector-codec';
import { count, openTest } from './helpers';

const A = { userId: 'alice', spaceId: 'home' };
/** float16 keeps 11 significant bits: a normal value is off by at most half a unit in the last place. */
const HALF_REL = 2 ** -11;

function f32Blob(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

function expectHalfClose(actual: Float32Array, expected: Float32Array): void {
  expect(actual).toHaveLength(expected.length);
  for (let j = 0; j < expected.length; j++) {
    expect(Math.abs(actual[j]! - expected[j]!)).toBeLessThanOrEqual(Math.abs(expected[j]!) * HALF_REL + 2 ** -25);
  }
}

let close: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of close) await fn();
  close = [];
});

async function open() {
  const t = await openTest();
  close.push(() => t.mnemo.close());
  return t;
}

describe('the vector codec', () => {
  test('float16 bits: exact values, rounding to nearest even, subnormals, overflow', () => {
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(65504)).toBe(0x7bff);
    expect(toHalfBits(70000)).toBe(0x7c00);
    expect(toHalfBits(2 ** -24)).toBe(0x0001);
    expect(toHalfBits(2 ** -26)).toBe(0);
    expect(toHalfBits(-0)).toBe(0x8000);
    // 1 + 2^-11 is halfway between 1 and the next half: ties go to the even one.
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00);
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    for (let h = 0; h < 0x7c00; h += 7) expect(toHalfBits(fromHalfBits(h))).toBe(h);
  });

  test('float32 blobs come back bit for bit; float16 within half a unit in the last place', () => {
    const v = Float32Array.from([0.1, -0.5, 1e-30, 3.4e38, 0, -1.5e-7, 0.333333]);
    expect([...decodeVector(encodeVector(v, true), v.length)]).toEqual([...v]);
    const unit = Float32Array.from({ length: 100 }, (_, j) => Math.sin(j + 1) / 7);
    const half = encodeVector(unit, false);
    expect(half.byteLength).toBe(200);
    expectHalfClose(decodeVector(half, 100), unit);
  });

  test('a blob whose length fits neither format is a QUERY_FAILED, not a wrong vector', () => {
    expect(() => decodeVector(new Uint8Array(6), 4)).toThrow(/does not fit 4 dimensions/);
  });
});

describe('stored vectors', () => {
  test("Mnemo's own vectors are stored as float16, a caller's as float32 and read back exactly", async () => {
    const t = await open();
    const s = t.mnemo.space(A);
    await t.mnemo.embeddings.register({ id: 'ext', dims: 1536 });
    const theirs = Float32Array.from({ length: 1536 }, (_, j) => Math.sin(j * 12.9898) * 43758.5453 - Math.floor(Math.sin(j * 12.9898) * 43758.5453) - 0.5 + 1e-9 * j);
    const entry = await s.vectors.add({ collection: 'docs', content: 'harbour lights at dusk', embedding: theirs, embeddingModel: 'ext' });
    await s.vectors.add({ collection: 'docs', content: 'a quiet morning in the mountains' });
    await t.mnemo.embeddings.flush();

    const lengths = t.sql.all<{ model: string; dims: number; bytes: number }>(
      'SELECT model_id AS model, dims, length(vector) AS bytes FROM embeddings ORDER BY model_id, owner_id',
    );
    expect(lengths).toEqual([
      { model: 'ext', dims: 1536, bytes: 1536 * 4 },
      { model: 'test-hash-64', dims: 64, bytes: 128 },
      { model: 'test-hash-64', dims: 64, bytes: 128 },
    ]);
    const read = await s.vectors.get(entry.id, { withEmbedding: true });
    expect(read.embeddingModel).toBe('ext');
    expect([...read.embedding!]).toEqual([...theirs]);
    const own = (await s.vectors.get(entry.id, { withEmbedding: true, model: 'test-hash-64' })).embedding!;
    let norm = 0;
    for (const x of own) norm += x * x;
    expect(Math.abs(Math.sqrt(norm) - 1)).toBeLessThan(1e-3);

    // Search by the caller's vector finds it with a cosine of 1 (to float32 rounding).
    const hits = await s.search({ vector: theirs, model: 'ext', mode: 'vector', limit: 1 });
    expect(hits[0]).toMatchObject({ id: entry.id });
    expect(hits[0]!.score.cosine).toBeCloseTo(1, 5);
  });

  test('status().embedded counts stored vectors of the current model as rows come and go', async () => {
    const t = await open();
    const s = t.mnemo.space(A);
    const session = await s.sessions.create({ name: 'n' });
    const conv = await s.conversations.create({ sessionId: session.id });
    const added = await s.messages.insertMany(Array.from({ length: 30 }, (_, i) => ({ conversationId: conv.id, role: 'user' as const, content: `note number ${i}` })));
    expect(await t.mnemo.embeddings.flush()).toMatchObject({ pending: 0, embedded: 30 });
    await s.messages.delete(added.ids[0]!);
    expect((await t.mnemo.embeddings.status()).embedded).toBe(29);
    expect(count(t.sql, 'SELECT count(*) FROM embeddings')).toBe(29);
  });

  test('the per-model counts the triggers keep match the rows through every kind of write', async () => {
    const t = await open();
    const s = t.mnemo.space(A);
    const counted = () => t.core.sql.all('SELECT model_id AS model, n FROM embedding_counts ORDER BY model_id');
    const actual = () => t.core.sql.all('SELECT model_id AS model, count(*) AS n FROM embeddings GROUP BY model_id ORDER BY model_id');
    await t.mnemo.embeddings.register({ id: 'ext', dims: 3 });
    const session = await s.sessions.create({ name: 'n' });
    const conv = await s.conversations.create({ sessionId: session.id });
    const added = await s.messages.insertMany(Array.from({ length: 12 }, (_, i) => ({ conversationId: conv.id, role: 'user' as const, content: `row ${i}` })));
    const entry = await s.vectors.add({ collection: 'c', content: 'x', embedding: [1, 0, 0], embeddingModel: 'ext' });
    await t.mnemo.embeddings.flush();
    expect(counted()).toEqual(actual());
    // Replacing a vector (same owner and model) keeps the count.
    await s.vectors.update(entry.id, { content: 'y', embedding: [0, 1, 0], embeddingModel: 'ext' });
    await s.messages.upsert({ id: added.ids[0]!, conversationId: conv.id, role: 'user', content: 'changed' });
    await t.mnemo.embeddings.flush();
    expect(counted()).toEqual(actual());
    expect(await t.mnemo.embeddings.models()).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'ext', embedded: 1 })]));
    // Cascades, a model change and an unregister.
    const bytes = await t.mnemo.files.exportSpace(A);
    await s.sessions.delete(session.id);
    expect(counted()).toEqual(actual());
    await t.mnemo.files.import(bytes, { mode: 'merge' });
    await t.mnemo.embeddings.flush();
    expect(counted()).toEqual(actual());
    expect(count(t.core.sql, "SELECT n FROM embedding_counts WHERE model_id = 'test-hash-64'")).toBe(13);
    await t.mnemo.embeddings.setModel('mnemo-test-32d');
    await t.mnemo.embeddings.flush();
    expect(counted()).toEqual(actual());
    await t.mnemo.embeddings.unregister('ext');
    expect(counted()).toEqual(actual());
    expect(count(t.core.sql, 'SELECT count(*) FROM embedding_counts WHERE n < 0')).toBe(0);
    // rebuildIndex() counts again, repairing counts that were off.
    t.core.sql.exec("UPDATE embedding_counts SET n = n + 5; INSERT INTO embedding_counts VALUES ('gone', 3)");
    await t.mnemo.rebuildIndex();
    expect(counted()).toEqual(actual());
  });
});

describe('migration 0007', () => {
  /** A database at version 6 holding float32 rows of Mnemo's model, a registered model and an unregistered one. */
  async function version6() {
    const all = await bundledMigrations();
    const driver = createMemoryDriver(await loadSqlite());
    const opened = openDatabase(driver, 'db', all.slice(0, 6));
    const { sql } = opened;
    sql.exec(`INSERT INTO spaces (user_id, space_id, name, created_at, updated_at) VALUES ('alice', 'home', 'n', 1, 1);
      INSERT INTO sessions (id, user_id, space_id, name, created_at, updated_at) VALUES ('se', 'alice', 'home', 'n', 1, 1);
      INSERT INTO conversations (id, session_id, created_at, updated_at) VALUES ('c', 'se', 1, 1);
      INSERT INTO messages (id, conversation_id, role, content, created_at, updated_at) VALUES ('m1', 'c', 'user', 'harbour lights', 1, 1);
      INSERT INTO messages (id, conversation_id, role, content, created_at, updated_at) VALUES ('m2', 'c', 'user', 'mountain air', 2, 2);
      INSERT INTO embedding_models (id, dims, distance, created_at) VALUES ('ext', 4, 'cosine', 1);`);
    const own = [0.1, -0.7, 0.7, 0.1];
    const theirs = [0.123456789, -1e-30, 12345.678, 0.5];
    const put = (id: string, model: string, values: number[]) =>
      sql.run('INSERT INTO embeddings (owner_table, owner_id, model_id, user_id, space_id, dims, vector, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
        'messages', id, model, 'alice', 'home', values.length, f32Blob(values), 1,
      ]);
    put('m1', 'test-hash-64', own);
    put('m2', 'test-hash-64', [0.5, 0.5, 0.5, 0.5]);
    put('m1', 'ext', theirs);
    return { all, driver, sql, own, theirs };
  }

  test('rewrites computed vectors as float16, keeps caller vectors and triggers, counts per model', async () => {
    const { all, sql, own, theirs } = await version6();
    expect(migrate(sql, all.slice(0, 7)).applied).toEqual([7]);
    const rows = sql.all<{ id: string; model: string; vector: Uint8Array }>('SELECT owner_id AS id, model_id AS model, vector FROM embeddings ORDER BY owner_id, model_id');
    expect(rows.map((r) => [r.id, r.model, r.vector.byteLength])).toEqual([
      ['m1', 'ext', 16],
      ['m1', 'test-hash-64', 8],
      ['m2', 'test-hash-64', 8],
    ]);
    expect([...rows[0]!.vector]).toEqual([...f32Blob(theirs)]);
    expectHalfClose(decodeVector(rows[1]!.vector, 4), Float32Array.from(own));
    expect(sql.value("SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = 'embeddings_model'")).toBeUndefined();
    expect(sql.all('SELECT model_id AS model, n FROM embedding_counts ORDER BY model_id')).toEqual([
      { model: 'ext', n: 1 },
      { model: 'test-hash-64', n: 2 },
    ]);
    expect(sql.all('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    // The owners' triggers of 0003 reach the rebuilt table.
    sql.exec("DELETE FROM messages WHERE id = 'm1'");
    expect(count(sql, 'SELECT count(*) FROM embeddings')).toBe(1);
    expect(sql.all('SELECT model_id AS model, n FROM embedding_counts')).toEqual([{ model: 'test-hash-64', n: 1 }]);
    // The new CHECK still refuses a length that fits neither format.
    expect(() => sql.exec("INSERT INTO embeddings VALUES ('messages', 'm2', 'x', 'alice', 'home', 4, x'00', 1)")).toThrow();
    sql.close();
  });

  test('an exported version-6 file is upgraded on import; caller vectors stay exact and search works', async () => {
    const { driver, sql, theirs } = await version6();
    const bytes = serialize(driver.sqlite3, sql.raw);
    sql.close();

    const t = await open();
    const result = await t.mnemo.files.import(bytes, { mode: 'replace' });
    expect(result).toMatchObject({ migratedFrom: 6 });
    const s = t.mnemo.space(A);
    // The import replaced the connection.
    const stored = t.core.sql.value("SELECT vector FROM embeddings WHERE owner_id = 'm1' AND model_id = 'ext'") as Uint8Array;
    expect([...stored]).toEqual([...f32Blob(theirs)]);
    expect(count(t.core.sql, "SELECT length(vector) FROM embeddings WHERE owner_id = 'm2' AND model_id = 'test-hash-64'")).toBe(8);
    const hits = await s.search({ vector: Float32Array.from(theirs), model: 'ext', mode: 'vector', limit: 1 });
    expect(hits[0]).toMatchObject({ id: 'm1' });
    expect((await t.mnemo.healthCheck()).ok).toBe(true);
  });

  test('halves the bytes stats().bytesPerTable reports for the embeddings', async () => {
    const all = await bundledMigrations();
    const driver = createMemoryDriver(await loadSqlite());
    const { sql } = openDatabase(driver, 'db', all.slice(0, 6));
    sql.exec(`INSERT INTO spaces (user_id, space_id, name, created_at, updated_at) VALUES ('alice', 'home', 'n', 1, 1);
      INSERT INTO sessions (id, user_id, space_id, name, created_at, updated_at) VALUES ('se', 'alice', 'home', 'n', 1, 1);
      INSERT INTO conversations (id, session_id, created_at, updated_at) VALUES ('c', 'se', 1, 1);`);
    const rows = 500;
    const dims = 100;
    sql.tx(() => {
      for (let i = 0; i < rows; i++) {
        const id = `m${String(i).padStart(4, '0')}`;
        sql.run("INSERT INTO messages (id, conversation_id, role, content, created_at, updated_at) VALUES (?, 'c', 'user', 'x', 1, 1)", [id]);
        const v = Array.from({ length: dims }, (_, j) => Math.cos(i * dims + j) / 10);
        sql.run("INSERT INTO embeddings VALUES ('messages', ?, 'mnemo-glove-100d', 'alice', 'home', ?, ?, 1)", [id, dims, f32Blob(v)]);
      }
    });
    const bytes = serialize(driver.sqlite3, sql.raw);
    sql.close();

    const t = await open();
    await t.mnemo.files.import(bytes, { mode: 'replace' });
    const after = (await t.mnemo.stats()).bytesPerTable.embeddings!;
    // The float32 payload alone was rows * dims * 4 bytes; table and index together now stay under it.
    expect(after).toBeGreaterThan(rows * dims * 2);
    expect(after).toBeLessThan(rows * dims * 4);
  });
});
