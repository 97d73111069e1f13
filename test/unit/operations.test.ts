import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { TableCounts } from '../../src/shared/api';
import type { Scope } from '../../src/shared/models';
import { count, errorOf, openTest } from './helpers';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Local noon, so "today" (local midnight onwards) is well defined whatever the time zone. */
const NOON = new Date(2025, 5, 15, 12, 0, 0, 0).getTime();
const MIDNIGHT = new Date(2025, 5, 15, 0, 0, 0, 0).getTime();

let now: number;
let t: Awaited<ReturnType<typeof openTest>>;

beforeEach(async () => {
  now = NOON;
  t = await openTest({ now: () => now });
});

afterEach(async () => {
  await t.mnemo.close();
});

const utf8 = (text: string) => new TextEncoder().encode(text);
const sqlCount = (query: string) => count(t.core.sql, query);

const latestVersion = () => t.core.migrations.at(-1)!.version;
/** Indexes (named) and triggers that go with a table when it is dropped. */
const dependents = (table: string) => ({
  indexes: t.core.sql.all<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND name NOT LIKE 'sqlite_%' ORDER BY name", [table]).map((r) => r.name),
  triggers: t.core.sql.all<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ? ORDER BY name", [table]).map((r) => r.name),
});

const TABLES = ['spaces', 'agents', 'sessions', 'conversations', 'messages', 'memories', 'vector_entries', 'stores', 'contents', 'chunks', 'settings', 'agent_executions'];

/** Fills a scope with n of most things (n + 1 short-term memories, 2n messages at `messageAt`). */
async function populate(scope: Scope, n: number, messageAt: number): Promise<TableCounts> {
  const s = t.mnemo.space(scope);
  let chunks = 0;
  for (let i = 0; i < n; i++) {
    const agent = await s.agents.create({ name: `agent ${i}` });
    const session = await s.sessions.create({ name: `session ${i}`, agentId: agent.id });
    const conv = await s.conversations.create({ sessionId: session.id });
    await s.messages.insertMany([
      { conversationId: conv.id, role: 'user', content: `q${i}`, createdAt: messageAt },
      { conversationId: conv.id, role: 'assistant', content: `a${i}`, createdAt: messageAt },
    ]);
    await s.memories.add({ kind: 'long', content: `long ${i}` });
    await s.vectors.add({ collection: 'notes', content: `vector ${i}` });
    await s.settings.set(`key ${i}`, i);
    await s.executions.start(agent.id, session.id);
    if (i === 0) chunks = (await s.documents.upload(session.id, { name: 'doc.md', bytes: utf8('# Doc\n\nBody.\n') })).chunkCount;
  }
  for (let i = 0; i <= n; i++) await s.memories.add({ kind: 'short', content: `short ${i}`, ttlMs: DAY });
  return {
    spaces: 1, agents: n, sessions: n, conversations: n, messages: 2 * n, memories: 2 * n + 1, longTermMemories: n,
    shortTermMemories: n + 1, vectorEntries: n, contents: 1, chunks, settings: n, agentExecutions: n,
  };
}

describe('stats', () => {
  test('totals and per-space counts for every table across 2 users × 2 spaces', async () => {
    const scopes: Array<Scope & { name: string; n: number; at: number }> = [
      { userId: 'u1', spaceId: 's1', name: 'One', n: 1, at: NOON - HOUR },
      { userId: 'u1', spaceId: 's2', name: 'Two', n: 2, at: MIDNIGHT },
      { userId: 'u2', spaceId: 's1', name: 'Three', n: 3, at: MIDNIGHT - 1 },
      { userId: 'u2', spaceId: 's2', name: 'Four', n: 4, at: NOON - 8 * DAY },
    ];
    const expected: Array<Scope & { name: string; counts: TableCounts }> = [];
    for (const { name, n, at, ...scope } of scopes) {
      await t.mnemo.spaces.create({ ...scope, name });
      expected.push({ ...scope, name, counts: await populate(scope, n, at) });
    }
    await t.mnemo.settings.set('global key', true);

    const stats = await t.mnemo.stats();
    expect(stats.perSpace).toEqual(expected);
    const totals = Object.fromEntries(
      Object.keys(expected[0]!.counts).map((key) => [key, expected.reduce((sum, e) => sum + e.counts[key as keyof TableCounts], 0)]),
    );
    // The global setting is a row of the settings table, though of no space.
    expect(stats.totals).toEqual({ ...totals, settings: totals.settings! + 1 });
    expect(stats.totals).toEqual({
      spaces: sqlCount("SELECT count(*) FROM spaces WHERE user_id <> ''"),
      agents: sqlCount('SELECT count(*) FROM agents'),
      sessions: sqlCount('SELECT count(*) FROM sessions'),
      conversations: sqlCount('SELECT count(*) FROM conversations'),
      messages: sqlCount('SELECT count(*) FROM messages'),
      memories: sqlCount('SELECT count(*) FROM memories'),
      longTermMemories: sqlCount("SELECT count(*) FROM memories WHERE kind = 'long'"),
      shortTermMemories: sqlCount("SELECT count(*) FROM memories WHERE kind = 'short'"),
      vectorEntries: sqlCount('SELECT count(*) FROM vector_entries'),
      contents: sqlCount('SELECT count(*) FROM contents'),
      chunks: sqlCount('SELECT count(*) FROM chunks'),
      settings: sqlCount('SELECT count(*) FROM settings'),
      agentExecutions: sqlCount('SELECT count(*) FROM agent_executions'),
    });
    expect(stats.uniqueUsers).toBe(2);
    expect(stats.uniqueSpaces).toBe(4);
    // Today starts at local midnight: s1 (1 conversation) and s2 (2) of u1 have 2 messages each per conversation.
    expect(stats.messagesToday).toBe(2 * 1 + 2 * 2);
    // u2's newest messages are from yesterday 23:59:59.999 (inside 7 days) → both users active.
    expect(stats.activeWindowDays).toBe(7);
    expect(stats.activeUsers).toBe(2);
    expect(stats.fileSizeBytes).toBeGreaterThan(0);
    expect(stats.fileSizeBytes % 512).toBe(0);
    // Indexes count with their table; the pages in use never exceed the file.
    expect(Object.keys(stats.bytesPerTable)).toEqual(expect.arrayContaining(['messages', 'embeddings', 'search_fts_data']));
    expect(Object.keys(stats.bytesPerTable)).not.toContain('messages_conversation');
    expect(stats.bytesPerTable.messages).toBeGreaterThan(0);
    expect(Object.values(stats.bytesPerTable).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(stats.fileSizeBytes);
  });

  test('activeUsers counts users with a message inside the window, boundary included', async () => {
    const window = 7 * DAY;
    const scopes = [
      { userId: 'edge', spaceId: 's', at: NOON - window },
      { userId: 'stale', spaceId: 's', at: NOON - window - 1 },
      { userId: 'fresh', spaceId: 'a', at: NOON },
      { userId: 'fresh', spaceId: 'b', at: NOON - DAY },
    ];
    for (const { at, ...scope } of scopes) await populate(scope, 1, at);
    const stats = await t.mnemo.stats();
    expect(stats.uniqueUsers).toBe(3);
    expect(stats.uniqueSpaces).toBe(4);
    expect(stats.activeUsers).toBe(2);
    expect(stats.messagesToday).toBe(2);
  });

  test('an empty database', async () => {
    const stats = await t.mnemo.stats();
    expect(stats.perSpace).toEqual([]);
    expect(Object.values(stats.totals).every((n) => n === 0)).toBe(true);
    expect(stats).toMatchObject({ uniqueUsers: 0, uniqueSpaces: 0, messagesToday: 0, activeUsers: 0 });
    expect(stats.fileSizeBytes).toBeGreaterThan(0);
  });
});

describe('healthCheck', () => {
  test('a fresh database is healthy', async () => {
    const report = await t.mnemo.healthCheck();
    expect(report).toMatchObject({ ok: true, quickCheck: ['ok'], foreignKeyViolations: 0, vfs: 'memdb' });
    expect(report.latestVersion).toBe(latestVersion());
    expect(report.schemaVersion).toBe(latestVersion());
    expect(report.schemaVersion).toBe(Number(t.core.sql.value('SELECT max(version) FROM schema_migrations')));
    expect(typeof report.journalMode).toBe('string');
  });

  test('reports foreign key violations', async () => {
    const sql = t.core.sql;
    sql.exec('PRAGMA foreign_keys = OFF');
    sql.exec("INSERT INTO conversations (id, session_id, created_at, updated_at) VALUES ('orphan', 'no-such-session', 0, 0)");
    sql.exec('PRAGMA foreign_keys = ON');
    const report = await t.mnemo.healthCheck();
    expect(report.ok).toBe(false);
    expect(report.foreignKeyViolations).toBe(1);
    expect(report.quickCheck).toEqual(['ok']);
  });
});

describe('healthCheck of derived data', () => {
  test('finds rows missing from the search index and vector counts out of step; rebuildIndex repairs both', async () => {
    const s = t.mnemo.space({ userId: 'u', spaceId: 's' });
    const session = await s.sessions.create({ name: 'Main' });
    const conv = await s.conversations.create({ sessionId: session.id });
    await s.messages.insertMany([1, 2, 3].map((i) => ({ conversationId: conv.id, role: 'user' as const, content: `message number ${i}` })));
    await s.memories.add({ kind: 'long', content: 'likes tea' });
    await s.vectors.add({ collection: 'c', content: 'a vector entry' });
    await t.mnemo.embeddings.flush(10_000);
    expect(count(t.core.sql, 'SELECT count(*) FROM embeddings')).toBeGreaterThan(0);
    expect(await t.mnemo.healthCheck()).toMatchObject({ ok: true, derivedDataIssues: [] });

    const sql = t.core.sql;
    // A message written with the index triggers off (as a bulk write does before it feeds the index) and never fed.
    sql.run('UPDATE index_control SET bulk = 1 WHERE id = 1');
    sql.run("INSERT INTO messages (id, conversation_id, role, content, created_at, updated_at) VALUES ('unindexed', ?, 'user', 'not in the index', 1, 1)", [conv.id]);
    sql.run('UPDATE index_control SET bulk = 0 WHERE id = 1');
    sql.run('UPDATE embedding_counts SET n = n + 5');
    const report = await t.mnemo.healthCheck();
    expect(report.ok).toBe(false);
    expect(report.quickCheck).toEqual(['ok']);
    expect(report.derivedDataIssues).toContain('the search index holds 3 messages for 4 stored');
    expect(report.derivedDataIssues.some((line) => /^vector counts say \d+ for model test-hash-64, \d+ stored$/.test(line))).toBe(true);

    await t.mnemo.rebuildIndex();
    expect(await t.mnemo.healthCheck()).toMatchObject({ ok: true, derivedDataIssues: [] });
  });
});

describe('verifySchema', () => {
  const clean = { ok: true, missingTables: [], missingColumns: [], missingIndexes: [], missingTriggers: [] };

  test('a fresh database matches the migrations', async () => {
    expect(await t.mnemo.verifySchema()).toEqual(clean);
  });

  test('reports a dropped index', async () => {
    expect(await t.mnemo.verifySchema()).toEqual(clean);
    t.core.sql.exec('DROP INDEX memories_dedup');
    expect(await t.mnemo.verifySchema()).toEqual({ ...clean, ok: false, missingIndexes: ['memories_dedup'] });
  });

  test('reports a dropped table (and what went with it)', async () => {
    const gone = dependents('chunks');
    t.core.sql.exec('DROP TABLE chunks');
    const report = await t.mnemo.verifySchema();
    expect(report).toMatchObject({ ok: false, missingTables: ['chunks'], missingColumns: [] });
    expect([...report.missingIndexes].sort()).toEqual(gone.indexes);
    expect([...report.missingTriggers].sort()).toEqual(gone.triggers);
  });

  test('reports a missing column', async () => {
    t.core.sql.exec('ALTER TABLE contents DROP COLUMN last_accessed_at');
    expect(await t.mnemo.verifySchema()).toEqual({ ...clean, ok: false, missingColumns: ['contents.last_accessed_at'] });
  });

  test('reports several problems at once', async () => {
    const gone = dependents('settings');
    t.core.sql.exec('DROP INDEX agents_scope; DROP INDEX vector_entries_document; DROP TABLE settings');
    const report = await t.mnemo.verifySchema();
    expect(report.ok).toBe(false);
    expect(report.missingTables).toEqual(['settings']);
    expect([...report.missingIndexes].sort()).toEqual(['agents_scope', 'vector_entries_document', ...gone.indexes].sort());
    expect([...report.missingTriggers].sort()).toEqual(gone.triggers);
    expect(report.missingColumns).toEqual([]);
  });
});

describe('cleanupOldConversations', () => {
  async function conversationAt(scope: Scope, at: number, messages: number) {
    now = at;
    const s = t.mnemo.space(scope);
    const session = await s.sessions.create({ name: 'S' });
    const conv = await s.conversations.create({ sessionId: session.id });
    for (let i = 0; i < messages; i++) await s.messages.add({ conversationId: conv.id, role: 'user', content: `m${i}` });
    return { s, session, conv };
  }

  test('removes only conversations idle longer than N days, with their messages', async () => {
    const A = { userId: 'u1', spaceId: 'x' };
    const B = { userId: 'u2', spaceId: 'y' };
    const old = await conversationAt(A, NOON - 40 * DAY, 3);
    const oldB = await conversationAt(B, NOON - 31 * DAY, 2);
    const recent = await conversationAt(A, NOON - 10 * DAY, 1);
    // Created long ago but used recently: last activity counts, not creation.
    const revived = await conversationAt(A, NOON - 60 * DAY, 1);
    now = NOON - 2 * DAY;
    await revived.s.messages.add({ conversationId: revived.conv.id, role: 'user', content: 'back again' });
    // Exactly at the cutoff is not older than the cutoff.
    const boundary = await conversationAt(B, NOON - 30 * DAY, 1);
    const justOver = await conversationAt(B, NOON - 30 * DAY - 1, 4);

    now = NOON;
    expect(await t.mnemo.cleanupOldConversations(30)).toEqual({ conversations: 3, messages: 3 + 2 + 4 });
    const left = t.core.sql.all<{ id: string }>('SELECT id FROM conversations ORDER BY id').map((r) => r.id);
    expect(left).toEqual([recent.conv.id, revived.conv.id, boundary.conv.id].sort());
    expect(sqlCount('SELECT count(*) FROM messages')).toBe(1 + 2 + 1);
    expect(sqlCount('SELECT count(*) FROM messages WHERE conversation_id NOT IN (SELECT id FROM conversations)')).toBe(0);
    for (const gone of [old, oldB, justOver]) {
      expect((await errorOf(gone.s.conversations.get(gone.conv.id))).code).toBe('NOT_FOUND');
      // Sessions are not conversations: they stay.
      expect((await gone.s.sessions.get(gone.session.id)).id).toBe(gone.session.id);
    }
    expect(await t.mnemo.cleanupOldConversations(30)).toEqual({ conversations: 0, messages: 0 });
  });

  test('idle time runs from createdAt, or from the last activity on the clock', async () => {
    const s = t.mnemo.space({ userId: 'u', spaceId: 's' });
    const session = await s.sessions.create({ name: 'S' });
    const idle = await s.conversations.create({ sessionId: session.id, createdAt: NOON - 45 * DAY });
    const used = await s.conversations.create({ sessionId: session.id, createdAt: NOON - 45 * DAY });
    // A backdated message is still activity now.
    await s.messages.add({ conversationId: used.id, role: 'user', content: 'backdated', createdAt: NOON - 100 * DAY });
    expect(await t.mnemo.cleanupOldConversations(30)).toEqual({ conversations: 1, messages: 0 });
    expect((await errorOf(s.conversations.get(idle.id))).code).toBe('NOT_FOUND');
    now = NOON + 2 * DAY;
    expect(await t.mnemo.cleanupOldConversations(1)).toEqual({ conversations: 1, messages: 1 });
    expect(await t.mnemo.cleanupOldConversations(0)).toEqual({ conversations: 0, messages: 0 });
  });

  test('days must be a non-negative number', async () => {
    for (const days of [-1, Number.NaN, '30', null]) {
      expect((await errorOf(t.mnemo.cleanupOldConversations(days as never))).code, String(days)).toBe('INVALID_INPUT');
    }
  });
});

describe('clearAll', () => {
  test('requires { confirm: true } and deletes nothing otherwise', async () => {
    await populate({ userId: 'u', spaceId: 's' }, 2, NOON);
    const before = TABLES.map((table) => sqlCount(`SELECT count(*) FROM ${table}`));
    for (const options of [undefined, {}, { confirm: false }, { confirm: 'yes' }, { confirm: 1 }, { confirm: true, force: true }]) {
      expect((await errorOf(t.mnemo.clearAll(options as never))).code, JSON.stringify(options)).toBe('INVALID_INPUT');
    }
    expect(TABLES.map((table) => sqlCount(`SELECT count(*) FROM ${table}`))).toEqual(before);
  });

  test('empties every table except schema_migrations and the global space row', async () => {
    await populate({ userId: 'u1', spaceId: 's1' }, 2, NOON);
    await populate({ userId: 'u2', spaceId: 's2' }, 1, NOON);
    await t.mnemo.settings.set('global', 'x');
    for (const table of TABLES) expect(sqlCount(`SELECT count(*) FROM ${table}`), table).toBeGreaterThan(table === 'spaces' ? 1 : 0);
    const migrations = t.core.sql.all('SELECT * FROM schema_migrations');

    await t.mnemo.clearAll({ confirm: true });

    // Every table is as in a freshly created database (which holds only the global space and
    // one-row configuration tables), with the migration history kept as it was.
    const fresh = await openTest();
    try {
      const after = dump(t.core.sql);
      expect(after.tables).toEqual(expect.arrayContaining(TABLES));
      expect(after.rows.schema_migrations).toEqual(migrations.map((row) => JSON.stringify(row)).sort());
      expect({ ...after.rows, schema_migrations: [] }).toEqual({ ...dump(fresh.core.sql).rows, schema_migrations: [] });
      expect(after.rows.spaces).toEqual([JSON.stringify({ user_id: '', space_id: '', name: 'global', created_at: 0, updated_at: 0 })]);
      // Full-text indexes forgot every document too.
      for (const table of after.docsize) expect(sqlCount(`SELECT count(*) FROM "${table}"`), table).toBe(0);
    } finally {
      await fresh.mnemo.close();
    }
    expect((await t.mnemo.healthCheck()).ok).toBe(true);
    // The database stays usable.
    const s = t.mnemo.space({ userId: 'u1', spaceId: 's1' });
    expect((await s.memories.list()).total).toBe(0);
    await s.memories.add({ kind: 'long', content: 'after clear' });
    expect((await t.mnemo.stats()).totals.memories).toBe(1);
  });
});

/** All rows of all ordinary tables, skipping full-text shadow tables (their bookkeeping is internal). */
function dump(sql: typeof t.core.sql) {
  const names = (query: string) => sql.all<{ name: string }>(query).map((r) => r.name);
  const virtual = names("SELECT name FROM sqlite_schema WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'");
  const shadow = (table: string) => virtual.some((v) => table.startsWith(`${v}_`));
  const tables = names("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name");
  const rows: Record<string, string[]> = {};
  for (const table of tables.filter((name) => !shadow(name))) {
    rows[table] = sql.all(`SELECT * FROM "${table}"`).map((row) => JSON.stringify(row)).sort();
  }
  return { tables, rows, docsize: tables.filter((name) => shadow(name) && name.endsWith('_docsize')) };
}

describe('database location', () => {
  test('getDatabasePath and info describe the open file', async () => {
    expect(await t.mnemo.getDatabasePath()).toEqual({ path: 'memory:mnemo.sqlite3', vfs: 'memdb', storage: 'memory' });
    expect(await t.mnemo.info()).toMatchObject({ name: 'mnemo', storage: 'memory', vfs: 'memdb', path: 'memory:mnemo.sqlite3', schemaVersion: latestVersion(), warning: null });
    const named = await openTest({ name: 'other-db' });
    try {
      expect(await named.mnemo.getDatabasePath()).toEqual({ path: 'memory:other-db.sqlite3', vfs: 'memdb', storage: 'memory' });
    } finally {
      await named.mnemo.close();
    }
  });

  test('initDatabase() reopens the same in-memory file with its data', async () => {
    const s = t.mnemo.space({ userId: 'u', spaceId: 's' });
    await s.memories.add({ kind: 'long', content: 'survives a reopen' });
    const info = await t.mnemo.initDatabase();
    expect(info).toMatchObject({ name: 'mnemo', storage: 'memory' });
    expect(sqlCount('SELECT count(*) FROM memories')).toBe(1);
    expect((await t.mnemo.space({ userId: 'u', spaceId: 's' }).memories.list()).total).toBe(1);
  });

  test('initDatabase rejects an invalid file name', async () => {
    for (const name of ['', '../x', 'a/b', '.hidden', 'x'.repeat(65)]) {
      expect((await errorOf(t.mnemo.initDatabase(name))).code, name).toBe('INVALID_INPUT');
    }
  });
});
