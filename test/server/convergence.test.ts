/**
 * Devices following docs/sync.md against the real server: each keeps rows
 * locally, stamps its writes with the shared HybridClock (src/shared/hlc.ts)
 * on a skewed wall clock, pushes what it has not had acknowledged, pulls
 * from its cursor and applies pulled versions by the same last-writer rule.
 * Random offline edits and deletes on all of them, random sync order: at the
 * end every device holds exactly the server's rows.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { HybridClock, isLater } from '../../src/shared/hlc';
import type { ChangeRecord } from '../../server/protocol';
import { prng } from '../support/prng';
import { account, call, pullAll, pushChanges, useServers } from './harness';

interface Version {
  hlc: string;
  device: string;
  deleted: boolean;
  data: Record<string, unknown> | null;
}

class Device {
  readonly rows = new Map<string, Version>();
  private outbox: ChangeRecord[] = [];
  private cursor = '0';
  readonly clock: HybridClock;
  wall: number;

  constructor(
    readonly id: string,
    readonly token: string,
    skewMs: number,
  ) {
    this.wall = Date.now() - 86_400_000 + skewMs;
    this.clock = new HybridClock(() => this.wall);
  }

  write(rowId: string, data: Record<string, unknown> | null) {
    this.wall += 1;
    const version: Version = { hlc: this.clock.now(), device: this.id, deleted: data === null, data };
    this.rows.set(rowId, version);
    this.outbox.push({ id: randomUUID(), table: 'messages', rowId, ...version });
  }

  async sync(base: string, space: string) {
    for (let i = 0; i < this.outbox.length; i += 50) {
      const reply = await pushChanges(base, this.token, space, this.outbox.slice(i, i + 50));
      expect(reply.status).toBe(200);
    }
    this.outbox = [];
    const pulled = await pullAll(base, this.token, space, this.cursor, 25);
    for (const row of pulled.rows) {
      this.clock.receive(row.hlc);
      const mine = this.rows.get(row.rowId);
      if (!mine || isLater(row, mine)) this.rows.set(row.rowId, { hlc: row.hlc, device: row.device, deleted: row.deleted, data: row.data });
    }
    this.cursor = pulled.cursor;
  }
}

const servers = useServers(2);

async function devices(space: string, skews: number[]): Promise<Device[]> {
  const base = servers[0]!.url;
  const owner = await account(base, `owner-${space}`);
  expect((await call(base, 'POST', '/spaces', { id: space, name: space }, owner.token)).status).toBe(201);
  return Promise.all(
    skews.map(async (skew, i) => {
      const user = i === 0 ? `owner-${space}` : `member-${space}-${i}`;
      const { token } = await account(base, user, `device-${i}`);
      if (i > 0) expect((await call(base, 'PUT', `/spaces/${space}/grants/${user}`, { access: 'write' }, owner.token)).status).toBe(204);
      return new Device(`dev-${i}`, token, skew);
    }),
  );
}

describe('devices converge', () => {
  test('a causally later edit wins even from a device whose clock is behind', async () => {
    const [ahead, behind] = await devices('skew', [30 * 60_000, -20 * 60_000]);
    ahead!.write('m1', { content: 'first, from the fast clock' });
    await ahead!.sync(servers[0]!.url, 'skew');
    await behind!.sync(servers[1]!.url, 'skew');
    // The slow device saw the edit, so its reply orders after it.
    behind!.write('m1', { content: 'second, from the slow clock' });
    await behind!.sync(servers[1]!.url, 'skew');
    await ahead!.sync(servers[0]!.url, 'skew');
    expect(ahead!.rows.get('m1')!.data).toEqual({ content: 'second, from the slow clock' });
    expect(behind!.rows).toEqual(ahead!.rows);
  });

  for (const seed of [5, 17]) {
    test(`seed ${seed}: random offline edits and deletes on three skewed devices end identical`, async () => {
      const rnd = prng(seed);
      const space = `converge-${seed}`;
      const all = await devices(space, [0, -15 * 60_000, 40 * 60_000]);
      const rowIds = Array.from({ length: 30 }, (_, i) => `r${i}`);
      for (let round = 0; round < 6; round += 1) {
        for (const device of all) {
          for (let n = rnd.int(0, 12); n > 0; n--) {
            device.write(rnd.pick(rowIds), rnd.chance(0.2) ? null : { content: `${device.id} round ${round} #${n}` });
          }
          device.wall += rnd.int(0, 5_000);
        }
        // Some devices stay offline this round.
        for (const device of rnd.shuffle(all)) if (rnd.chance(0.6)) await device.sync(rnd.pick(servers).url, space);
      }
      for (let pass = 0; pass < 2; pass += 1) for (const device of all) await device.sync(rnd.pick(servers).url, space);

      const server = (await pullAll(servers[0]!.url, all[0]!.token, space)).rows;
      const expected = new Map(server.map((r) => [r.rowId, { hlc: r.hlc, device: r.device, deleted: r.deleted, data: r.data }]));
      expect(expected.size).toBeGreaterThan(0);
      expect([...expected.values()].some((v) => v.deleted)).toBe(true);
      for (const device of all) expect(new Map([...device.rows].sort()), device.id).toEqual(new Map([...expected].sort()));
    });
  }
});
