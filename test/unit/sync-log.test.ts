import { describe, expect, test, vi } from 'vitest';
import { HLC_PATTERN } from '../../src/shared/hlc';
import { fromWireId, toWireId } from '../../src/worker/sync/engine';
import { errorOf, openTest } from './helpers';

const scope = { userId: 'u', spaceId: 's' };

type LogRow = { tbl: string; row_id: string; hlc: string | null; device: string; pending: number; deleted: number; user_id: string; space_id: string };
/** A database that syncs: its change log is on (migration 0008), as after sync.configure(). */
async function openLogged() {
  const t = await openTest();
  t.sql.tx(() => t.core.repos.sync.enableLog());
  return t;
}

const entries = (sql: { all: <T>(q: string, p?: never[]) => T[] }) =>
  sql.all<LogRow>('SELECT tbl, row_id, hlc, device, pending, deleted, user_id, space_id FROM sync_rows ORDER BY n');

describe('sync change log', () => {
  test('every write path logs its rows in the same transaction, stamped with one HLC per transaction', async () => {
    const { mnemo, sql } = await openLogged();
    const s = mnemo.space(scope);
    const session = await s.sessions.create({ name: 'a' });
    const conv = await s.conversations.create({ sessionId: session.id });
    const single = await s.messages.add({ conversationId: conv.id, role: 'user', content: 'one' });
    const bulk = await s.messages.insertMany([
      { conversationId: conv.id, role: 'user', content: 'two' },
      { conversationId: conv.id, role: 'assistant', content: 'three' },
    ]);
    await s.memories.add({ kind: 'long', content: 'likes tea' });
    await s.vectors.add({ collection: 'c', content: 'v' });
    const log = entries(sql);
    const messages = log.filter((r) => r.tbl === 'messages');
    expect(messages.map((r) => r.row_id)).toEqual([single.id, ...bulk.ids]);
    expect(log.every((r) => r.hlc !== null && HLC_PATTERN.test(r.hlc) && r.pending === 1 && r.user_id === 'u' && r.space_id === 's')).toBe(true);
    // The bulk rows share their transaction's stamp; each later transaction's stamp is greater.
    expect(messages[1]!.hlc).toBe(messages[2]!.hlc);
    const stamps = log.map((r) => r.hlc!);
    expect(new Set(stamps).size).toBeLessThan(stamps.length);
    expect(messages[1]!.hlc! > messages[0]!.hlc!).toBe(true);
    expect(Number(sql.value('SELECT count(*) FROM sync_rows WHERE hlc IS NULL'))).toBe(0);
    expect(String(sql.value('SELECT clock FROM sync_state'))).toBe([...stamps].sort().at(-1));
  });

  test('a failed write leaves no log entry; reading or recalling a memory logs nothing', async () => {
    const { mnemo, sql } = await openLogged();
    const s = mnemo.space(scope);
    const session = await s.sessions.create({ name: 'a' });
    const conv = await s.conversations.create({ sessionId: session.id });
    const before = entries(sql).length;
    const failed = await errorOf(
      s.messages.insertMany([
        { conversationId: conv.id, role: 'user', content: 'fine' },
        { conversationId: 'missing', role: 'user', content: 'refused' },
      ]),
    );
    expect(failed.code).toBe('NOT_FOUND');
    expect(entries(sql)).toHaveLength(before);
    const { memory } = await s.memories.add({ kind: 'long', content: 'likes tea' });
    sql.run('UPDATE sync_rows SET pending = 0');
    await s.memories.touch([memory.id]);
    await s.memories.get(memory.id);
    expect(Number(sql.value('SELECT count(*) FROM sync_rows WHERE pending = 1'))).toBe(0);
    await s.memories.update(memory.id, { content: 'likes green tea' });
    expect(entries(sql).filter((r) => r.pending === 1).map((r) => r.tbl)).toEqual(['memories']);
  });

  test('deleting a session logs tombstones for everything the cascade removed', async () => {
    const { mnemo, sql } = await openLogged();
    const s = mnemo.space(scope);
    const session = await s.sessions.create({ name: 'a' });
    const conv = await s.conversations.create({ sessionId: session.id });
    await s.messages.add({ conversationId: conv.id, role: 'user', content: 'one' });
    await s.documents.upload(session.id, { name: 'a.md', type: 'text/markdown', bytes: new TextEncoder().encode('# T\n\nbody text') });
    sql.run('UPDATE sync_rows SET pending = 0');
    await s.sessions.delete(session.id);
    const tombstones = entries(sql).filter((r) => r.pending === 1);
    expect(tombstones.every((r) => r.deleted === 1 && r.space_id === 's')).toBe(true);
    expect(new Set(tombstones.map((r) => r.tbl))).toEqual(new Set(['sessions', 'conversations', 'messages', 'stores', 'contents', 'chunks']));
  });
});

describe('the log before sync is configured (migration 0008)', () => {
  const token = 'mnemo_abcdefghijklmnopqrstuvwxyz012345';

  test('nothing is logged until configure(), which logs every existing row; later writes log; clearAll stops it until the next round', async () => {
    const { core, mnemo, sql } = await openTest();
    const s = mnemo.space(scope);
    const other = mnemo.space({ userId: 'v', spaceId: 'w' });
    const session = await s.sessions.create({ name: 'a' });
    const conv = await s.conversations.create({ sessionId: session.id });
    const first = await s.messages.add({ conversationId: conv.id, role: 'user', content: 'one' });
    const bulk = await s.messages.insertMany([
      { conversationId: conv.id, role: 'user', content: 'two' },
      { conversationId: conv.id, role: 'assistant', content: 'three' },
    ]);
    await s.memories.add({ kind: 'long', content: 'likes tea' });
    await s.vectors.add({ collection: 'c', content: 'v' });
    await s.documents.upload(session.id, { name: 'a.md', type: 'text/markdown', bytes: new TextEncoder().encode('# T\n\nbody text') });
    const gone = await s.messages.add({ conversationId: conv.id, role: 'user', content: 'deleted before sync' });
    await s.messages.delete(gone.id);
    await other.memories.add({ kind: 'long', content: 'another space' });
    expect(core.repos.sync.logging()).toBe(false);
    expect(entries(sql)).toEqual([]);

    await mnemo.sync.configure({ url: 'http://127.0.0.1:9', token, spaces: [scope], auto: false });
    expect(core.repos.sync.logging()).toBe(true);
    const log = entries(sql);
    const rows = (table: string) => Number(sql.value(`SELECT count(*) FROM ${table}`));
    for (const table of ['sessions', 'conversations', 'messages', 'memories', 'vector_entries', 'stores', 'contents', 'chunks']) {
      expect(log.filter((r) => r.tbl === table)).toHaveLength(rows(table));
    }
    // Every row of every space, each in its own space; the deleted message is not there (the server never saw it).
    expect(log.every((r) => r.pending === 1 && r.deleted === 0 && r.device === '' && HLC_PATTERN.test(r.hlc ?? ''))).toBe(true);
    expect(log.filter((r) => r.user_id === 'v').map((r) => r.tbl)).toEqual(['memories']);
    expect(log.some((r) => r.row_id === gone.id)).toBe(false);
    const firstEntry = log.find((r) => r.row_id === first.id)!;
    expect(firstEntry.hlc).toBe(`${String(first.updatedAt).padStart(13, '0')}-00000`);
    expect(String(sql.value('SELECT clock FROM sync_state')) >= log.map((r) => r.hlc!).sort().at(-1)!).toBe(true);
    expect((await mnemo.sync.status()).spaces[0]!.pending).toBe(log.filter((r) => r.user_id === 'u').length);

    // From now on writes log themselves, single and bulk, stamped later than the backfill.
    const later = await s.messages.add({ conversationId: conv.id, role: 'user', content: 'after configure' });
    const more = await s.messages.insertMany([{ conversationId: conv.id, role: 'user', content: 'bulk after configure' }]);
    const after = entries(sql);
    const laterEntry = after.find((r) => r.row_id === later.id)!;
    expect(laterEntry).toMatchObject({ tbl: 'messages', pending: 1, user_id: 'u', space_id: 's' });
    expect(laterEntry.hlc! > firstEntry.hlc!).toBe(true);
    expect(after.some((r) => r.row_id === more.ids[0])).toBe(true);
    expect(after.some((r) => r.row_id === bulk.ids[1])).toBe(true);

    // Clearing the device drops the log and stops it, as in a fresh file; the next round starts it again.
    await mnemo.clearAll({ confirm: true });
    expect(core.repos.sync.logging()).toBe(false);
    const s2 = mnemo.space(scope);
    const session2 = await s2.sessions.create({ name: 'b' });
    expect(entries(sql)).toEqual([]);
    expect((await errorOf(mnemo.sync.now())).code).toBe('SYNC_FAILED'); // nothing listens on port 9
    expect(core.repos.sync.logging()).toBe(true);
    expect(entries(sql).map((r) => [r.tbl, r.row_id])).toEqual([['sessions', session2.id]]);
  });
});

describe('applying pulled changes', () => {
  async function seeded() {
    const t = await openLogged();
    const s = t.mnemo.space(scope);
    const session = await s.sessions.create({ name: 'a' });
    const conv = await s.conversations.create({ sessionId: session.id });
    const msg = await s.messages.add({ conversationId: conv.id, role: 'user', content: 'local' });
    const repo = t.core.repos.sync;
    const data = (content: string) => ({ ...repo.rowData('messages', msg.id)!, content });
    const hlcOf = () => t.sql.get<{ hlc: string }>("SELECT hlc FROM sync_rows WHERE tbl = 'messages' AND row_id = ?", [msg.id])!.hlc;
    return { ...t, s, session, conv, msg, repo, data, hlcOf };
  }

  test('a later remote version wins, is not logged as a local change, and counts as a conflict against a pending one', async () => {
    const { sql, s, msg, repo, data } = await seeded();
    const outcome = sql.tx(() => repo.apply(scope, [{ table: 'messages', rowId: msg.id, hlc: '9999999999990-00000', device: 'other', deleted: false, data: data('remote') }], 'me'));
    expect(outcome).toEqual({ applied: 1, older: 0, conflicts: 1, skipped: 0 });
    expect((await s.messages.get(msg.id)).content).toBe('remote');
    expect(sql.get("SELECT hlc, device, pending FROM sync_rows WHERE tbl = 'messages' AND row_id = ?", [msg.id])).toEqual({
      hlc: '9999999999990-00000',
      device: 'other',
      pending: 0,
    });
    // The full-text index followed the applied version.
    expect((await s.search({ query: 'remote', mode: 'keyword' })).map((h) => h.id)).toEqual([msg.id]);
  });

  test('an older remote version is ignored; equal clocks go to the greater device id', async () => {
    const { sql, s, msg, repo, data, hlcOf } = await seeded();
    const older = sql.tx(() => repo.apply(scope, [{ table: 'messages', rowId: msg.id, hlc: '0000000000001-00000', device: 'zzz', deleted: false, data: data('old') }], 'me'));
    expect(older).toMatchObject({ applied: 0, older: 1, conflicts: 1 });
    expect((await s.messages.get(msg.id)).content).toBe('local');
    const mine = hlcOf();
    const tieLoses = sql.tx(() => repo.apply(scope, [{ table: 'messages', rowId: msg.id, hlc: mine, device: 'ma', deleted: false, data: data('tie a') }], 'mb'));
    expect(tieLoses.applied).toBe(0);
    const tieWins = sql.tx(() => repo.apply(scope, [{ table: 'messages', rowId: msg.id, hlc: mine, device: 'mc', deleted: false, data: data('tie c') }], 'mb'));
    expect(tieWins.applied).toBe(1);
    expect((await s.messages.get(msg.id)).content).toBe('tie c');
  });

  test('a remote delete removes the row and its children; a child whose parent is gone is skipped; scopes never cross', async () => {
    const { sql, s, conv, msg, repo, data, mnemo } = await seeded();
    const orphan = { ...data('orphan'), id: 'orphan', conversation_id: 'nowhere' };
    const outcome = sql.tx(() =>
      repo.apply(
        scope,
        [
          { table: 'conversations', rowId: conv.id, hlc: '9999999999990-00000', device: 'other', deleted: true, data: null },
          { table: 'messages', rowId: 'orphan', hlc: '9999999999990-00000', device: 'other', deleted: false, data: orphan },
        ],
        'me',
      ),
    );
    expect(outcome).toMatchObject({ applied: 1, skipped: 1 });
    expect((await errorOf(s.messages.get(msg.id))).code).toBe('NOT_FOUND');
    // The cascaded message is a local tombstone, to be pushed; the conversation carries the remote version.
    expect(sql.get("SELECT deleted, pending FROM sync_rows WHERE tbl = 'messages' AND row_id = ?", [msg.id])).toEqual({ deleted: 1, pending: 1 });
    expect(sql.get("SELECT deleted, pending FROM sync_rows WHERE tbl = 'conversations' AND row_id = ?", [conv.id])).toEqual({ deleted: 1, pending: 0 });

    const other = { userId: 'u', spaceId: 'other' };
    const mem = (await mnemo.space(other).memories.add({ kind: 'long', content: 'private' })).memory;
    const crossed = sql.tx(() =>
      repo.apply(scope, [{ table: 'memories', rowId: mem.id, hlc: '9999999999990-00000', device: 'x', deleted: false, data: { ...repo.rowData('memories', mem.id)!, content: 'hijack' } }], 'me'),
    );
    expect(crossed.skipped).toBe(1);
    expect((await mnemo.space(other).memories.get(mem.id)).content).toBe('private');
  });

  test('row ids outside the server id rule travel hex-encoded and come back unchanged', () => {
    expect(toWireId('0193a0c2-7f3a-7000-8000-000000000001')).toBe('0193a0c2-7f3a-7000-8000-000000000001');
    for (const id of ['with space', 'x:looks-encoded', 'émoji 🎉', 'a/b']) {
      const wire = toWireId(id)!;
      expect(wire).toMatch(/^x:[0-9a-f]+$/);
      expect(fromWireId(wire)).toBe(id);
    }
    // Every id the API accepts (up to 128 UTF-16 units) fits the server's row id rule, whatever its characters.
    for (const id of ['é'.repeat(128), '中'.repeat(128), '🎉'.repeat(64)]) {
      const wire = toWireId(id)!;
      expect(wire.length).toBeLessThanOrEqual(2 + 128 * 6);
      expect(fromWireId(wire)).toBe(id);
    }
    expect(toWireId('中'.repeat(129))).toBeNull();
  });
});

describe('sync API edge', () => {
  test('configure refuses bad input with INVALID_INPUT naming the field; status never returns the token', async () => {
    const { mnemo } = await openTest();
    const token = 'mnemo_abcdefghijklmnopqrstuvwxyz012345';
    const cases: Array<[unknown, RegExp]> = [
      [{ url: 'ftp://x', token }, /field 'url' must be an absolute http\(s\) URL/],
      [{ url: 'https://user:pw@x.example', token }, /field 'url'/],
      [{ url: 'https://x.example', token: 'short' }, /field 'token'/],
      [{ url: 'https://x.example' }, /field 'token' is required \(no token is stored/],
      [{ url: 'https://x.example', token, spaces: [{ userId: 'u', spaceId: 'has space' }] }, /field 'spaces.0.spaceId'/],
      [{ url: 'https://x.example', token, spaces: [scope, { userId: 'v', spaceId: 's' }] }, /must not name one spaceId twice/],
      [{ url: 'https://x.example', token, extra: 1 }, /unexpected field 'extra'/],
    ];
    for (const [input, message] of cases) {
      const error = await errorOf(mnemo.sync.configure(input as never));
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.message).toMatch(message);
    }
    expect((await mnemo.sync.status()).configured).toBe(false);
    expect((await errorOf(mnemo.sync.now())).code).toBe('SYNC_FAILED');
    const status = await mnemo.sync.configure({ url: 'http://127.0.0.1:9', token, spaces: [scope], auto: false });
    expect((await mnemo.spaces.get(scope)).spaceId).toBe('s');
    expect(status).toMatchObject({ configured: true, url: 'http://127.0.0.1:9', spaces: [{ ...scope, pending: 0 }] });
    expect(JSON.stringify(status)).not.toContain(token);
    // Changing the spaces keeps the stored token; another URL needs a new one.
    expect((await mnemo.sync.configure({ url: 'http://127.0.0.1:9', spaces: [], auto: false })).configured).toBe(true);
    expect((await errorOf(mnemo.sync.configure({ url: 'http://127.0.0.2:9', auto: false }))).message).toMatch(/field 'token' is required/);
    const disabled = await mnemo.sync.disable();
    expect(disabled).toMatchObject({ configured: false, url: null, spaces: [] });
  });
});

describe('automatic sync at start', () => {
  test('a failed read of the settings is retried, so automatic sync still starts in this owner', async () => {
    let reads = 0;
    const store = {
      async read() {
        reads += 1;
        if (reads === 1) throw new DOMException('the settings file is busy', 'NotReadableError');
        return { deviceId: 'device-1', url: 'http://127.0.0.1:9', token: 'mnemo_abcdefghijklmnopqrstuvwxyz012345', spaces: [scope], auto: true, intervalMs: 60_000 };
      },
      async write() {},
      async delete() {},
    };
    const requests: string[] = [];
    const fetchStub = (async (input: string | URL) => {
      requests.push(String(input));
      return new Response('{}', { status: 503 });
    }) as typeof fetch;
    const { mnemo } = await openTest({ syncStore: store, syncOptions: { fetch: fetchStub, backoffMs: 60_000 } });
    try {
      await vi.waitFor(() => expect(requests.length).toBeGreaterThan(0), { timeout: 10_000 });
      expect(reads).toBeGreaterThanOrEqual(2);
    } finally {
      await mnemo.close();
    }
  });
});
