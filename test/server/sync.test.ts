import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { account, call, change, freshDatabase, pullAll, pullPage, pushChanges, type Running, startServer } from './harness';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let server: Running;
let base: string;
let ana: { token: string; deviceId: string };
let ben: { token: string; deviceId: string };

beforeAll(async () => {
  db = await freshDatabase();
  server = await startServer(db.url);
  base = server.url;
  ana = await account(base, 'ana');
  ben = await account(base, 'ben');
});
afterAll(async () => {
  await server.close();
  await db.drop();
});

let spaces = 0;
/** A new space owned by ana, shared with ben at `access`. */
async function sharedSpace(access: 'read' | 'write' = 'write'): Promise<string> {
  spaces += 1;
  const id = `space-${spaces}`;
  expect((await call(base, 'POST', '/spaces', { id, name: `Space ${spaces}` }, ana.token)).status).toBe(201);
  expect((await call(base, 'PUT', `/spaces/${id}/grants/ben`, { access }, ana.token)).status).toBe(204);
  return id;
}

const message = (id: string, content: string) => ({ id, conversation_id: 'conv-1', role: 'user', content });

describe('push and pull', () => {
  test('round trip: what one device pushes, another pulls, with the cursor moving on', async () => {
    const space = await sharedSpace();
    const changes = [change('messages', 'm1', 1_000, 'dev-a', message('m1', 'hello')), change('memories', 'k1', 1_001, 'dev-a', { id: 'k1', content: 'likes tea' })];
    const pushed = await pushChanges(base, ana.token, space, changes);
    expect(pushed.status).toBe(200);
    expect(pushed.body.results).toEqual(changes.map((c) => ({ id: c.id, status: 'applied' })));

    const first = await pullAll(base, ben.token, space);
    expect(first.rows.map((r) => [r.table, r.rowId, r.hlc, r.device, r.deleted, r.data])).toEqual([
      ['messages', 'm1', changes[0]!.hlc, 'dev-a', false, message('m1', 'hello')],
      ['memories', 'k1', changes[1]!.hlc, 'dev-a', false, { id: 'k1', content: 'likes tea' }],
    ]);
    expect(first.rows[0]!.embedding).toBeUndefined();
    // Nothing new: the same cursor, no rows.
    const again = await pullPage(base, ben.token, space, first.cursor);
    expect(again.body).toEqual({ changes: [], cursor: first.cursor, hasMore: false });

    const edit = change('messages', 'm1', 2_000, 'dev-b', message('m1', 'hello, edited'));
    expect((await pushChanges(base, ben.token, space, [edit])).body.results).toEqual([{ id: edit.id, status: 'applied' }]);
    const next = await pullAll(base, ana.token, space, first.cursor);
    expect(next.rows.map((r) => [r.rowId, r.data?.content])).toEqual([['m1', 'hello, edited']]);
  });

  test('a retried push is idempotent: duplicates are reported and change nothing', async () => {
    const space = await sharedSpace();
    const batch = [change('messages', 'm1', 1_000, 'dev-a', message('m1', 'once')), change('messages', 'm2', 1_001, 'dev-a', message('m2', 'twice'))];
    await pushChanges(base, ana.token, space, batch);
    const before = await pullAll(base, ana.token, space);
    // The same batch again (a lost acknowledgement), plus one new change.
    const extra = change('messages', 'm3', 1_002, 'dev-a', message('m3', 'new'));
    const retried = await pushChanges(base, ana.token, space, [...batch, extra]);
    expect(retried.body.results).toEqual([
      { id: batch[0]!.id, status: 'duplicate' },
      { id: batch[1]!.id, status: 'duplicate' },
      { id: extra.id, status: 'applied' },
    ]);
    const after = await pullAll(base, ana.token, space);
    expect(after.rows.filter((r) => r.rowId !== 'm3')).toEqual(before.rows);
    expect(after.rows).toHaveLength(3);
    const { rows } = await server.pool.query('SELECT count(*)::int AS n FROM changes WHERE space_id = $1', [space]);
    expect(rows[0].n).toBe(3);
  });

  test('pull pages through a large space in seq order, each row once', async () => {
    const space = await sharedSpace();
    const total = 1_234;
    for (let start = 0; start < total; start += 500) {
      const batch = Array.from({ length: Math.min(500, total - start) }, (_, i) =>
        change('messages', `m${start + i}`, 10_000 + start + i, 'dev-a', message(`m${start + i}`, `text ${start + i}`)),
      );
      expect((await pushChanges(base, ana.token, space, batch)).status).toBe(200);
    }
    const all = await pullAll(base, ben.token, space, '0', 100);
    expect(all.pages).toBe(13);
    expect(all.rows).toHaveLength(total);
    expect(new Set(all.rows.map((r) => r.rowId)).size).toBe(total);
    const seqs = all.rows.map((r) => BigInt(r.seq));
    expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)).toBe(true);
    expect(all.cursor).toBe(all.rows.at(-1)!.seq);
    // Resuming from any page's cursor continues exactly after it.
    const resumed = await pullAll(base, ben.token, space, all.rows[499]!.seq, 1000);
    expect(resumed.rows.map((r) => r.rowId)).toEqual(all.rows.slice(500).map((r) => r.rowId));
  });

  test('deletes travel as tombstones and win over older edits', async () => {
    const space = await sharedSpace();
    await pushChanges(base, ana.token, space, [change('messages', 'm1', 1_000, 'dev-a', message('m1', 'doomed'))]);
    const { cursor } = await pullAll(base, ben.token, space);
    const tombstone = change('messages', 'm1', 2_000, 'dev-a', null);
    expect((await pushChanges(base, ana.token, space, [tombstone])).body.results[0]!.status).toBe('applied');
    const pulled = await pullAll(base, ben.token, space, cursor);
    expect(pulled.rows.map((r) => [r.rowId, r.deleted, r.data])).toEqual([['m1', true, null]]);
    // An edit made offline before the delete arrives late and loses.
    const stale = change('messages', 'm1', 1_500, 'dev-b', message('m1', 'edited offline'));
    expect((await pushChanges(base, ben.token, space, [stale])).body.results[0]!.status).toBe('superseded');
    expect((await pullAll(base, ana.token, space)).rows.map((r) => r.deleted)).toEqual([true]);
  });

  test('conflicts: last writer by HLC wins per row, equal HLCs go to the greater device id, in any arrival order', async () => {
    const contenders = [
      change('messages', 'm1', 5_000, 'dev-a', message('m1', 'a at 5000')),
      change('messages', 'm1', 5_000, 'dev-c', message('m1', 'c at 5000')),
      change('messages', 'm1', 4_999, 'dev-z', message('m1', 'z at 4999')),
      change('messages', 'm1', 5_000, 'dev-b', message('m1', 'b at 5000')),
    ];
    const orders = [
      [0, 1, 2, 3],
      [3, 2, 1, 0],
      [2, 0, 3, 1],
    ];
    for (const order of orders) {
      const space = await sharedSpace();
      for (const i of order) {
        const c = { ...contenders[i]!, id: `${contenders[i]!.id}-${order.join('')}` };
        expect((await pushChanges(base, ana.token, space, [c])).status).toBe(200);
      }
      const rows = (await pullAll(base, ben.token, space)).rows;
      expect(rows.map((r) => [r.device, r.data?.content])).toEqual([['dev-c', 'c at 5000']]);
    }
    // Within one batch, too; the batch reports which change won.
    const space = await sharedSpace();
    const pushed = await pushChanges(base, ana.token, space, contenders);
    expect(pushed.body.results.map((r) => r.status)).toEqual(['superseded', 'applied', 'superseded', 'superseded']);
  });

  test('embedding vectors are stored and returned only when supplied; a later edit without one drops the stale vector', async () => {
    const space = await sharedSpace();
    const vector = Buffer.from(new Float32Array([0.25, -1, 3.5]).buffer).toString('base64');
    const withVector = { ...change('vector_entries', 'v1', 1_000, 'dev-a', { id: 'v1', content: 'doc' }), embedding: { model: 'my-model', dims: 3, vector } };
    await pushChanges(base, ana.token, space, [withVector, change('vector_entries', 'v2', 1_000, 'dev-a', { id: 'v2', content: 'plain' })]);
    const rows = (await pullAll(base, ben.token, space)).rows;
    expect(rows[0]!.embedding).toEqual({ model: 'my-model', dims: 3, vector });
    expect([...new Float32Array(new Uint8Array(Buffer.from(rows[0]!.embedding!.vector, 'base64')).buffer)]).toEqual([0.25, -1, 3.5]);
    expect(rows[1]!.embedding).toBeUndefined();
    await pushChanges(base, ana.token, space, [change('vector_entries', 'v1', 2_000, 'dev-a', { id: 'v1', content: 'doc, edited' })]);
    expect((await pullAll(base, ben.token, space)).rows.find((r) => r.rowId === 'v1')!.embedding).toBeUndefined();
  });

  test('malformed pushes and pulls are refused with 400 naming the field; nothing is written', async () => {
    const space = await sharedSpace();
    const good = change('messages', 'm1', 1_000, 'dev-a', message('m1', 'x'));
    const cases: Array<[unknown, string]> = [
      [{}, 'changes'],
      [{ changes: [] }, 'changes'],
      [{ changes: [{ ...good, table: 'schema_migrations' }] }, 'table'],
      [{ changes: [{ ...good, hlc: '2024-01-01' }] }, 'hlc'],
      [{ changes: [{ ...good, rowId: "'; DROP TABLE rows; --" }] }, 'rowId'],
      [{ changes: [{ ...good, data: null }] }, 'changes/0/data'],
      [{ changes: [{ ...good, deleted: true }] }, 'changes/0/data'],
      [{ changes: [{ ...good, data: 'text' }] }, 'data'],
      [{ changes: [good, { ...good }] }, 'changes/1/id'],
      [{ changes: [{ ...good, hlc: `${Date.now() + 2 * 3_600_000}-00000` }] }, 'changes/0/hlc'],
      [{ changes: [{ ...good, embedding: { model: 'm', dims: 4, vector: 'AAAA' } }] }, 'embedding/vector'],
      [{ changes: Array.from({ length: 501 }, (_, i) => ({ ...good, id: `c${i}` })) }, 'changes'],
      [{ changes: [{ ...good, extra: 1 }] }, 'additional properties'],
    ];
    for (const [body, field] of cases) {
      const reply = await call<{ code: string; message: string }>(base, 'POST', `/spaces/${space}/push`, body, ana.token);
      expect(reply.status, field).toBe(400);
      expect(reply.body.code).toBe('INVALID_INPUT');
      expect(reply.body.message, field).toContain(field);
    }
    for (const query of ['after=-1', 'after=abc', 'limit=0', 'limit=1001', 'limit=x', 'other=1']) {
      expect((await call(base, 'GET', `/spaces/${space}/pull?${query}`, undefined, ana.token)).status, query).toBe(400);
    }
    expect((await pullAll(base, ana.token, space)).rows).toEqual([]);
    const { rows } = await server.pool.query('SELECT count(*)::int AS n FROM changes WHERE space_id = $1', [space]);
    expect(rows[0].n).toBe(0);
  });

  test('two server instances on one database: pushes to one are pulled from the other, concurrent pushes all land', async () => {
    const second = await startServer(db.url);
    try {
      const space = await sharedSpace();
      const one = change('messages', 'm1', 1_000, 'dev-a', message('m1', 'via instance one'));
      await pushChanges(base, ana.token, space, [one]);
      const fromTwo = await pullAll(second.url, ben.token, space);
      expect(fromTwo.rows.map((r) => r.data?.content)).toEqual(['via instance one']);

      // Both devices push 20 batches at once, alternating instances; the pulls
      // interleave with them and must never skip a row (cursor safety).
      const bases = [base, second.url];
      const pushes = Array.from({ length: 40 }, (_, i) =>
        pushChanges(bases[i % 2]!, i % 2 ? ben.token : ana.token, space, [
          change('messages', `p${i}`, 2_000 + i, i % 2 ? 'dev-b' : 'dev-a', message(`p${i}`, `push ${i}`)),
          change('messages', `q${i}`, 2_000 + i, i % 2 ? 'dev-b' : 'dev-a', message(`q${i}`, `push ${i}`)),
        ]),
      );
      const seen = new Map<string, string>();
      let cursor = fromTwo.cursor;
      const follow = async () => {
        for (let round = 0; round < 20; round += 1) {
          const page = await pullAll(bases[round % 2]!, ben.token, space, cursor, 7);
          for (const row of page.rows) seen.set(row.rowId, row.seq);
          cursor = page.cursor;
        }
      };
      const [results] = await Promise.all([Promise.all(pushes), follow()]);
      expect(results.every((r) => r.status === 200)).toBe(true);
      const rest = await pullAll(second.url, ben.token, space, cursor);
      for (const row of rest.rows) seen.set(row.rowId, row.seq);
      expect(seen.size).toBe(80);
      const everything = await pullAll(base, ana.token, space);
      expect(everything.rows).toHaveLength(81);
    } finally {
      await second.close();
    }
  });
});

describe('keyword search of the shared copy', () => {
  test('finds live rows of the space by words and phrases, best first; tombstones, other spaces and no grant find nothing', async () => {
    const space = await sharedSpace('read');
    const other = await sharedSpace();
    await pushChanges(base, ana.token, space, [
      change('messages', 'm1', 1_000, 'dev-a', message('m1', 'The quarterly budget review is on Friday')),
      change('messages', 'm2', 1_001, 'dev-a', message('m2', 'budget budget budget, again the budget')),
      change('memories', 'k1', 1_002, 'dev-a', { id: 'k1', content: 'Prefers a short budget summary' }),
      change('conversations', 'c1', 1_003, 'dev-a', { id: 'c1', title: 'Budget planning' }),
      change('messages', 'm3', 1_004, 'dev-a', message('m3', 'budget line that will be deleted')),
    ]);
    await pushChanges(base, ana.token, space, [change('messages', 'm3', 2_000, 'dev-a', null)]);
    await pushChanges(base, ana.token, other, [change('messages', 'x1', 1_000, 'dev-a', message('x1', 'budget of another space'))]);

    const hits = await call<{ hits: Array<{ table: string; rowId: string; score: number }> }>(base, 'GET', `/spaces/${space}/search?q=budget`, undefined, ben.token);
    expect(hits.status).toBe(200);
    expect(hits.body.hits.map((h) => h.rowId).sort()).toEqual(['c1', 'k1', 'm1', 'm2']);
    expect(hits.body.hits[0]!.rowId).toBe('m2');
    const scores = hits.body.hits.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));

    const phrase = await call<{ hits: Array<{ rowId: string }> }>(base, 'GET', `/spaces/${space}/search?q=${encodeURIComponent('"budget review" -summary')}`, undefined, ben.token);
    expect(phrase.body.hits.map((h) => h.rowId)).toEqual(['m1']);
    const limited = await call<{ hits: unknown[] }>(base, 'GET', `/spaces/${space}/search?q=budget&limit=2`, undefined, ben.token);
    expect(limited.body.hits).toHaveLength(2);

    const carl = await account(base, 'carl');
    expect((await call(base, 'GET', `/spaces/${space}/search?q=budget`, undefined, carl.token)).status).toBe(404);
    for (const query of ['', 'q=', 'q=%20%20', `q=${'x'.repeat(501)}`, 'q=budget&limit=0', 'q=budget&limit=101']) {
      expect((await call(base, 'GET', `/spaces/${space}/search?${query}`, undefined, ben.token)).status, query).toBe(400);
    }
  });
});
