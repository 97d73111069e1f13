/**
 * The browser's sync client (src/worker/sync/) run in Node on in-memory
 * databases against the real server and PostgreSQL: two devices converge
 * row by row, conflicts resolve by the documented rule, deletes propagate,
 * faults lose nothing. The same code runs in Chromium in e2e/sync.test.ts.
 */
import { describe, expect, test } from 'vitest';
import type { MnemoEvent, SpaceJsonExport } from '../../src/shared/api';
import { isLater } from '../../src/shared/hlc';
import type { Scope } from '../../src/shared/models';
import { errorOf, openTest } from '../unit/helpers';
import { account, call, PASSWORD, pullAll, useServers } from './harness';

const servers = useServers(1);

let seq = 0;
async function device(token: string, spaces: Scope[], fetchFn?: typeof fetch) {
  const { core, mnemo } = await openTest({ name: `dev${++seq}`, syncOptions: { debounceMs: 60_000, ...(fetchFn ? { fetch: fetchFn } : {}) } });
  await mnemo.sync.configure({ url: servers[0]!.url, token, spaces, auto: false });
  return { core, mnemo };
}

/** Another device token for an account made by `account()` (the harness's password). */
async function deviceToken(name: string, device: string): Promise<string> {
  return (await call<{ token: string }>(servers[0]!.url, 'POST', '/tokens', { name, password: PASSWORD, device })).body.token;
}

/** A space's content without the fields that differ by design between devices (none should). */
function content(json: string) {
  const data = JSON.parse(json) as SpaceJsonExport;
  const byId = <T extends { id: string }>(rows: T[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));
  return {
    sessions: byId(data.sessions),
    conversations: byId(data.conversations),
    messages: byId(data.messages),
    memories: byId(data.memories).map((m) => ({ ...m, accessCount: 0, lastAccessedAt: null })),
    vectorEntries: byId(data.vectorEntries),
    agents: byId(data.agents),
    executions: byId(data.executions),
  };
}

describe('sync client against the server', () => {
  test('two devices: offline edits on both converge row by row; a conflict goes to the later HLC; deletes propagate', async () => {
    const alice = await account(servers[0]!.url, 'alice-c1', 'laptop');
    const phoneToken = await deviceToken('alice-c1', 'phone');
    const scope = { userId: 'alice', spaceId: 'notes-1' };
    const laptop = await device(alice.token, [scope]);
    const s1 = laptop.mnemo.space(scope);
    const session = await s1.sessions.create({ name: 'work' });
    const conv = await s1.conversations.create({ sessionId: session.id, title: 'plans' });
    await s1.messages.insertMany([
      { conversationId: conv.id, role: 'user', content: 'first' },
      { conversationId: conv.id, role: 'assistant', content: 'second' },
    ]);
    const shared = await s1.messages.add({ conversationId: conv.id, role: 'user', content: 'to be edited on both' });
    const doomed = await s1.sessions.create({ name: 'to delete' });
    const doomedConv = await s1.conversations.create({ sessionId: doomed.id, title: 'gone soon' });
    await s1.messages.add({ conversationId: doomedConv.id, role: 'user', content: 'gone with its session' });
    await s1.memories.add({ kind: 'long', content: 'likes tea' });
    const first = await laptop.mnemo.sync.now();
    expect(first.pushed).toBeGreaterThanOrEqual(9);
    expect((await laptop.mnemo.sync.status()).pending).toBe(0);

    const phone = await device(phoneToken, [scope]);
    const joined = await phone.mnemo.sync.now();
    expect(joined.applied).toBeGreaterThanOrEqual(9);
    const s2 = phone.mnemo.space(scope);
    expect(content(await phone.mnemo.files.exportJson(scope))).toEqual(content(await laptop.mnemo.files.exportJson(scope)));
    // Pulled rows are not local changes: nothing goes back.
    expect((await phone.mnemo.sync.status()).pending).toBe(0);

    // Both edit while apart (neither syncs): the same message on both, other rows on each.
    await s1.messages.upsert({ id: shared.id, conversationId: conv.id, role: 'user', content: 'laptop version' });
    await s1.messages.add({ conversationId: conv.id, role: 'user', content: 'written on the laptop offline' });
    await s2.messages.upsert({ id: shared.id, conversationId: conv.id, role: 'user', content: 'phone version' });
    await s2.messages.add({ conversationId: conv.id, role: 'assistant', content: 'written on the phone offline' });
    await s2.sessions.delete(doomed.id);
    const versions = [laptop, phone].map((d) =>
      d.core.sql.get<{ hlc: string }>("SELECT hlc FROM sync_rows WHERE tbl = 'messages' AND row_id = ?", [shared.id])!.hlc,
    );
    const devices = await Promise.all([laptop, phone].map(async (d) => (await d.mnemo.sync.status()).deviceId!));
    const laptopWins = isLater({ hlc: versions[0]!, device: devices[0]! }, { hlc: versions[1]!, device: devices[1]! });

    await phone.mnemo.sync.now();
    const back = await laptop.mnemo.sync.now();
    await phone.mnemo.sync.now();
    expect(back.conflictsResolved + (await phone.mnemo.sync.status()).conflictsResolved).toBeGreaterThanOrEqual(1);

    const a = content(await laptop.mnemo.files.exportJson(scope));
    const b = content(await phone.mnemo.files.exportJson(scope));
    expect(b).toEqual(a);
    expect(a.messages.find((m) => m.id === shared.id)!.content).toBe(laptopWins ? 'laptop version' : 'phone version');
    expect(a.messages.map((m) => m.content)).toEqual(expect.arrayContaining(['written on the laptop offline', 'written on the phone offline']));
    expect(a.sessions.map((s) => s.id)).not.toContain(doomed.id);
    expect(a.conversations.map((c) => c.id)).not.toContain(doomedConv.id);
    expect(a.messages.some((m) => m.content === 'gone with its session')).toBe(false);
    // The server's copy agrees: the doomed session is a tombstone there.
    const rows = await pullAll(servers[0]!.url, alice.token, scope.spaceId);
    expect(rows.rows.find((r) => r.rowId === doomed.id)?.deleted).toBe(true);
    expect((await laptop.mnemo.sync.status()).pending + (await phone.mnemo.sync.status()).pending).toBe(0);
  });

  test('a first sync of a large space comes in pages with progress; a user without a grant gets nothing', async () => {
    const owner = await account(servers[0]!.url, 'owner-c2');
    const scope = { userId: 'o', spaceId: 'big-2' };
    const source = await device(owner.token, [scope]);
    const s = source.mnemo.space(scope);
    const session = await s.sessions.create({ name: 'bulk' });
    const conv = await s.conversations.create({ sessionId: session.id });
    const batch = Array.from({ length: 1200 }, (_, i) => ({ conversationId: conv.id, role: 'user' as const, content: `message ${i}` }));
    await s.messages.insertMany(batch);
    expect((await source.mnemo.sync.status()).pending).toBe(1202);
    expect((await source.mnemo.sync.now()).pushed).toBe(1202);

    const second = await openTest({ name: `dev${++seq}` });
    await second.mnemo.sync.configure({ url: servers[0]!.url, token: await deviceToken('owner-c2', 'tablet'), spaces: [scope], auto: false });
    const events: MnemoEvent[] = [];
    await second.mnemo.subscribe((e) => events.push(e));
    const report = await second.mnemo.sync.now();
    expect(report.pulled).toBe(1202);
    expect(await second.mnemo.space(scope).messages.count({ conversationId: conv.id })).toBe(1200);
    const progress = events.filter((e) => e.type === 'progress' && e.task === 'sync');
    expect(progress.filter((e) => e.type === 'progress' && e.detail?.startsWith('pulling')).length).toBeGreaterThanOrEqual(3);
    expect(progress.at(-1)).toMatchObject({ done: 1202, total: 1202 });

    const stranger = await account(servers[0]!.url, 'stranger-c2');
    const intruder = await device(stranger.token, [scope]);
    const refused = await errorOf(intruder.mnemo.sync.now());
    expect(refused.code).toBe('SYNC_FAILED');
    const status = await intruder.mnemo.sync.status();
    expect(status.spaces[0]!.lastError).toMatch(/not shared/);
    expect(status.lastError).toMatch(/not shared/);
    expect(await intruder.mnemo.space(scope).messages.count()).toBe(0);
  });

  test('a dropped acknowledgement, a server that is down and a revoked token lose nothing and duplicate nothing', async () => {
    const user = await account(servers[0]!.url, 'faults-c3');
    const scope = { userId: 'f', spaceId: 'faults-3' };
    let dropNextPushReply = false;
    let down = false;
    const flaky: typeof fetch = async (input, init) => {
      if (down) throw new TypeError('fetch failed');
      const response = await fetch(input, init);
      if (dropNextPushReply && String(input).endsWith('/push')) {
        dropNextPushReply = false;
        throw new TypeError('network connection lost'); // the server committed, the reply never arrived
      }
      return response;
    };
    const dev = await device(user.token, [scope], flaky);
    const s = dev.mnemo.space(scope);
    const session = await s.sessions.create({ name: 's' });
    const conv = await s.conversations.create({ sessionId: session.id });
    for (let i = 0; i < 5; i++) await s.messages.add({ conversationId: conv.id, role: 'user', content: `m${i}` });

    dropNextPushReply = true;
    expect((await errorOf(dev.mnemo.sync.now())).message).toMatch(/unreachable/);
    expect((await dev.mnemo.sync.status()).pending).toBe(7);
    down = true;
    expect((await errorOf(dev.mnemo.sync.now())).code).toBe('SYNC_FAILED');
    expect((await dev.mnemo.sync.status()).lastError).toMatch(/unreachable/);
    down = false;
    const retried = await dev.mnemo.sync.now();
    expect(retried.pushed).toBe(7);
    const status = await dev.mnemo.sync.status();
    expect(status.pending).toBe(0);
    expect(status.lastError).toBeNull();
    const onServer = await pullAll(servers[0]!.url, user.token, scope.spaceId);
    expect(onServer.rows).toHaveLength(7);
    const { rows } = await servers[0]!.pool.query<{ n: string }>("SELECT count(*) AS n FROM changes WHERE space_id = $1", [scope.spaceId]);
    expect(Number(rows[0]!.n)).toBe(7); // the retry's ids were duplicates, not new changes

    // Revoke this device: its next sync is refused and its new change stays pending.
    await s.messages.add({ conversationId: conv.id, role: 'user', content: 'after revocation' });
    const me = await call<{ deviceId: string }>(servers[0]!.url, 'GET', '/me', undefined, user.token);
    expect(me.status).toBe(200);
    expect((await call(servers[0]!.url, 'DELETE', `/devices/${user.deviceId}`, undefined, user.token)).status).toBe(204);
    const refused = await errorOf(dev.mnemo.sync.now());
    expect(refused).toMatchObject({ code: 'SYNC_FAILED' });
    expect(refused.message).toMatch(/refused the token/);
    const after = await dev.mnemo.sync.status();
    expect(after.pending).toBe(2); // the message and its conversation (adding a message touches it)
    expect(after.lastError).toMatch(/sign in again/);
    expect(after.nextRetryAt).toBeNull();
  });

  test('a read grant pulls but never pushes; its local changes stay pending', async () => {
    const owner = await account(servers[0]!.url, 'owner-c4');
    const reader = await account(servers[0]!.url, 'reader-c4');
    const scope = { userId: 'o', spaceId: 'shared-4' };
    const ownerDev = await device(owner.token, [scope]);
    const s = ownerDev.mnemo.space(scope);
    await s.memories.add({ kind: 'long', content: 'shared fact' });
    await ownerDev.mnemo.sync.now();
    expect((await call(servers[0]!.url, 'PUT', `/spaces/${scope.spaceId}/grants/reader-c4`, { access: 'read' }, owner.token)).status).toBeLessThan(300);

    const readerDev = await device(reader.token, [{ userId: 'r', spaceId: scope.spaceId }]);
    await readerDev.mnemo.sync.now();
    const r = readerDev.mnemo.space({ userId: 'r', spaceId: scope.spaceId });
    expect((await r.memories.list({ kind: 'long' })).items.map((m) => m.content)).toEqual(['shared fact']);
    await r.memories.add({ kind: 'long', content: 'reader note', dedup: false });
    const error = await errorOf(readerDev.mnemo.sync.now());
    expect(error.message).toMatch(/read-only/);
    const status = await readerDev.mnemo.sync.status();
    expect(status.spaces[0]).toMatchObject({ access: 'read', pending: 1 });
    expect((await pullAll(servers[0]!.url, owner.token, scope.spaceId)).rows).toHaveLength(1);
  });

  test('row ids of any characters the API accepts, up to its 128, reach the other device unchanged', async () => {
    const owner = await account(servers[0]!.url, 'ids-c9', 'laptop');
    const phoneToken = await deviceToken('ids-c9', 'phone');
    const scope = { userId: 'u', spaceId: 'ids-9' };
    const laptop = await device(owner.token, [scope]);
    const s1 = laptop.mnemo.space(scope);
    const session = await s1.sessions.create({ name: 'ids' });
    const conv = await s1.conversations.create({ sessionId: session.id, title: 'odd ids' });
    const ids = ['中'.repeat(128), 'with space', 'é'.repeat(100), `x:${'a'.repeat(126)}`];
    for (const id of ids) await s1.messages.upsert({ id, conversationId: conv.id, role: 'user', content: `message ${id.length}` });
    const pushed = await laptop.mnemo.sync.now();
    expect(pushed.pushed).toBeGreaterThanOrEqual(ids.length + 2);
    expect((await laptop.mnemo.sync.status()).pending).toBe(0);

    const phone = await device(phoneToken, [scope]);
    await phone.mnemo.sync.now();
    const got = (await phone.mnemo.space(scope).messages.page(conv.id, { pageSize: 10 })).items.map((m) => m.id).sort();
    expect(got).toEqual([...ids].sort());
  });

  test('automatic sync: a local change is pushed after the debounce; a failure retries with backoff until the server is back', async () => {
    const user = await account(servers[0]!.url, 'auto-c5');
    const scope = { userId: 'a', spaceId: 'auto-5' };
    let down = false;
    const gated: typeof fetch = async (input, init) => {
      if (down) throw new TypeError('fetch failed');
      return fetch(input, init);
    };
    const { mnemo } = await openTest({ name: `dev${++seq}`, syncOptions: { debounceMs: 20, backoffMs: 20, fetch: gated } });
    await mnemo.sync.configure({ url: servers[0]!.url, token: user.token, spaces: [scope], intervalMs: 60_000 });
    const until = async (what: string, ok: (s: Awaited<ReturnType<typeof mnemo.sync.status>>) => boolean) => {
      for (let i = 0; i < 500; i++) {
        const status = await mnemo.sync.status();
        if (ok(status)) return status;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`never reached: ${what}`);
    };
    const s = mnemo.space(scope);
    await s.memories.add({ kind: 'long', content: 'pushed without asking' });
    await until('pushed', (st) => st.pending === 0 && st.lastSyncAt !== null);
    expect((await pullAll(servers[0]!.url, user.token, scope.spaceId)).rows).toHaveLength(1);

    down = true;
    await s.memories.add({ kind: 'long', content: 'written while the server is down', dedup: false });
    const failing = await until('failure seen', (st) => st.lastError !== null && st.nextRetryAt !== null);
    expect(failing.pending).toBe(1);
    down = false;
    await until('recovered', (st) => st.pending === 0 && st.lastError === null);
    expect((await pullAll(servers[0]!.url, user.token, scope.spaceId)).rows).toHaveLength(2);
    await mnemo.close();
  });
});

describe('caller-supplied vectors', () => {
  test('travel with their rows to a device that registered the model; Mnemo-computed vectors never do; an edit without one drops it', async () => {
    const user = await account(servers[0]!.url, 'vectors-c6');
    const scope = { userId: 'v', spaceId: 'vectors-6' };
    const first = await device(user.token, [scope]);
    const secondToken = await deviceToken('vectors-c6', 'two');
    const second = await device(secondToken, [scope]);
    for (const d of [first, second]) await d.mnemo.embeddings.register({ id: 'ext-3', dims: 3 });
    const s1 = first.mnemo.space(scope);
    const withVector = await s1.vectors.add({ collection: 'docs', content: 'north', embedding: [1, 0, 0], embeddingModel: 'ext-3' });
    const plain = await s1.vectors.add({ collection: 'docs', content: 'no caller vector' });
    await first.mnemo.embeddings.flush(30_000); // the plain row now has a vector of Mnemo's model, which must not travel
    await first.mnemo.sync.now();
    const onServer = await pullAll(servers[0]!.url, user.token, scope.spaceId);
    expect(onServer.rows.find((r) => r.rowId === withVector.id)?.embedding).toMatchObject({ model: 'ext-3', dims: 3 });
    expect(onServer.rows.find((r) => r.rowId === plain.id)?.embedding).toBeUndefined();

    await second.mnemo.sync.now();
    const s2 = second.mnemo.space(scope);
    const got = await s2.vectors.get(withVector.id, { withEmbedding: true, model: 'ext-3' });
    expect(Array.from(got.embedding!)).toEqual([1, 0, 0]);
    const hits = await s2.search({ vector: [0.9, 0.1, 0], model: 'ext-3', mode: 'vector', limit: 1 });
    expect(hits.map((h) => h.id)).toEqual([withVector.id]);

    // The first device forgets the model, then edits the row: its change carries no vector, and the second drops the stale one.
    await first.mnemo.embeddings.unregister('ext-3');
    await s1.vectors.update(withVector.id, { content: 'south' });
    await first.mnemo.sync.now();
    await second.mnemo.sync.now();
    expect((await s2.vectors.get(withVector.id, { withEmbedding: true, model: 'ext-3' })).embedding ?? null).toBeNull();
    expect(await s2.search({ vector: [0.9, 0.1, 0], model: 'ext-3', mode: 'vector', limit: 1 })).toEqual([]);
  });
});

describe('pull after push', () => {
  test("a device's own pushed rows are not pulled back; rows another device wrote in between still are", async () => {
    const alice = await account(servers[0]!.url, 'alice-own', 'laptop');
    const phoneToken = await deviceToken('alice-own', 'phone');
    const scope = { userId: 'alice', spaceId: 'own-rows' };
    const laptop = await device(alice.token, [scope]);
    const s1 = laptop.mnemo.space(scope);
    const session = await s1.sessions.create({ name: 'work' });
    const conv = await s1.conversations.create({ sessionId: session.id, title: 'plans' });
    // More than one push batch (500), so each batch's cursor step is checked.
    await s1.messages.insertMany(Array.from({ length: 1_200 }, (_, i) => ({ conversationId: conv.id, role: 'user' as const, content: `note ${i}` })));
    expect((await laptop.mnemo.sync.now()).pushed).toBe(1_202);
    expect((await laptop.mnemo.sync.now()).pulled).toBe(0);

    // The phone joins and writes; the laptop writes too and pushes before pulling the phone's rows.
    const phone = await device(phoneToken, [scope]);
    expect((await phone.mnemo.sync.now()).pulled).toBe(1_202);
    const fromPhone = await phone.mnemo.space(scope).messages.add({ conversationId: conv.id, role: 'user', content: 'from the phone' });
    await phone.mnemo.sync.now();
    await s1.messages.add({ conversationId: conv.id, role: 'user', content: 'from the laptop' });
    const next = await laptop.mnemo.sync.now();
    // The phone's message and its conversation (touched) are pulled before the push; the laptop's own are not pulled back afterwards.
    expect(next).toMatchObject({ pushed: 2, pulled: 2 });
    expect((await s1.messages.get(fromPhone.id)).content).toBe('from the phone');
    expect((await laptop.mnemo.sync.now()).pulled).toBe(0);

    // The phone pushes while the laptop is offline-ish (does not sync); the laptop then pushes first
    // (its pull sees the phone's change, so nothing is skipped), ending with identical content.
    const p2 = await phone.mnemo.space(scope).messages.add({ conversationId: conv.id, role: 'assistant', content: 'phone again' });
    await phone.mnemo.sync.now();
    await s1.messages.add({ conversationId: conv.id, role: 'assistant', content: 'laptop again' });
    await laptop.mnemo.sync.now();
    await phone.mnemo.sync.now();
    expect((await s1.messages.get(p2.id)).content).toBe('phone again');
    expect(content(await phone.mnemo.files.exportJson(scope))).toEqual(content(await laptop.mnemo.files.exportJson(scope)));
  });
});

describe('CORS for the browser app', () => {
  test('a preflight from the app origin is answered; replies carry the allow-origin header', async () => {
    const preflight = await fetch(`${servers[0]!.url}/spaces/x/push`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:4173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const refused = await fetch(`${servers[0]!.url}/me`, { headers: { origin: 'http://localhost:4173' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('*');
  });
});
