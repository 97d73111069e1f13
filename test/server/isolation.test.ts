/**
 * Isolation fuzz for the sync server, in the style of test/unit/isolation:
 * per seed, random users with one or two devices, spaces owned by random
 * users, random read/write grants (some later changed or removed) and revoked
 * tokens, all through two server instances. Then every device tries every
 * space-scoped call on every space, plus spaces that do not exist, and each
 * answer must match a model of the grants: no grant means 404 with nothing
 * of the space in the reply, a read grant cannot push or re-share, a revoked
 * token gets 401. Finally the database holds exactly the rows the model says.
 */
import { describe, expect, test } from 'vitest';
import { prng } from '../support/prng';
import { account, call, change, pullAll, pullPage, pushChanges, useServers } from './harness';

type Access = 'read' | 'write' | 'owner';
const SEEDS = [3, 11, 99];

const servers = useServers(2);

describe('a device can never read or write a space it has no grant for', () => {
  for (const seed of SEEDS) {
    test(`seed ${seed}`, async () => {
      const rnd = prng(seed);
      const base = () => rnd.pick(servers).url;
      const users = Array.from({ length: rnd.int(3, 5) }, (_, i) => `s${seed}u${i}`);
      const devices: Array<{ user: string; token: string; revoked: boolean }> = [];
      for (const user of users) {
        for (let d = rnd.int(1, 2); d > 0; d--) devices.push({ user, token: (await account(base(), user, `device-${d}`)).token, revoked: false });
      }
      const tokenOf = (user: string) => devices.find((d) => d.user === user && !d.revoked)!.token;

      const grants = new Map<string, Map<string, Access>>();
      const spaces = Array.from({ length: rnd.int(3, 5) }, (_, i) => `s${seed}-space-${i}`);
      for (const space of spaces) {
        const owner = rnd.pick(users);
        expect((await call(base(), 'POST', '/spaces', { id: space, name: space }, tokenOf(owner))).status).toBe(201);
        grants.set(space, new Map([[owner, 'owner']]));
        for (const user of users) {
          if (user === owner || rnd.chance(0.4)) continue;
          const access = rnd.pick(['read', 'write'] as const);
          expect((await call(base(), 'PUT', `/spaces/${space}/grants/${user}`, { access }, tokenOf(owner))).status).toBe(204);
          grants.get(space)!.set(user, access);
        }
      }
      // Some grants change or go away afterwards.
      for (const space of spaces) {
        const owner = [...grants.get(space)!].find(([, a]) => a === 'owner')![0];
        for (const [user, access] of grants.get(space)!) {
          if (access === 'owner' || !rnd.chance(0.4)) continue;
          if (rnd.chance(0.5)) {
            expect((await call(base(), 'DELETE', `/spaces/${space}/grants/${user}`, undefined, tokenOf(owner))).status).toBe(204);
            grants.get(space)!.delete(user);
          } else {
            const flipped = access === 'read' ? 'write' : 'read';
            expect((await call(base(), 'PUT', `/spaces/${space}/grants/${user}`, { access: flipped }, tokenOf(owner))).status).toBe(204);
            grants.get(space)!.set(user, flipped);
          }
        }
      }
      // Every writer writes rows marked with the space; the model remembers them.
      const expected = new Map<string, Set<string>>(spaces.map((s) => [s, new Set()]));
      let wall = 1_000;
      for (const space of spaces) {
        for (const [user, access] of grants.get(space)!) {
          if (access === 'read') continue;
          const batch = Array.from({ length: rnd.int(1, 4) }, (_, i) => change('messages', `${user}-${i}`, (wall += 1), user, { space, by: user }));
          expect((await pushChanges(base(), tokenOf(user), space, batch)).status).toBe(200);
          for (const c of batch) expected.get(space)!.add(c.rowId);
        }
      }
      // A few devices are revoked (never a user's last, so every user keeps a working token).
      for (const device of rnd.shuffle(devices)) {
        if (devices.filter((d) => d.user === device.user && !d.revoked).length < 2 || !rnd.chance(0.5)) continue;
        const me = await call<{ deviceId: string }>(base(), 'GET', '/me', undefined, device.token);
        expect((await call(base(), 'DELETE', `/devices/${me.body.deviceId}`, undefined, device.token)).status).toBe(204);
        device.revoked = true;
      }

      const missing = [`s${seed}-nowhere`, "x'; SELECT 1; --"];
      for (const device of devices) {
        const listed = await call<{ spaces: Array<{ id: string; access: Access }> }>(base(), 'GET', '/spaces', undefined, device.token);
        if (device.revoked) {
          expect(listed.status).toBe(401);
        } else {
          const mine = spaces.filter((s) => grants.get(s)!.has(device.user)).map((s) => ({ id: s, access: grants.get(s)!.get(device.user) }));
          expect(listed.body.spaces.filter((s) => s.id.startsWith(`s${seed}-`)).map(({ id, access }) => ({ id, access }))).toEqual(mine);
        }
        for (const space of [...spaces, ...missing]) {
          const access = device.revoked ? 'revoked' : (grants.get(space)?.get(device.user) ?? 'none');
          const path = encodeURIComponent(space);
          const pulled = await pullPage(base(), device.token, path);
          const pushed = await pushChanges(base(), device.token, path, [change('messages', `intruder-${device.user}`, (wall += 1), 'intruder', { space, by: 'intruder' })]);
          const shared = await call(base(), 'PUT', `/spaces/${path}/grants/${device.user}`, { access: 'write' }, device.token);
          const listedGrants = await call(base(), 'GET', `/spaces/${path}/grants`, undefined, device.token);
          const what = `${device.user} (${access}) on ${space}`;
          const statuses = [pulled.status, pushed.status, shared.status, listedGrants.status];
          if (space.includes("'")) {
            // Not a valid space id: refused before any query.
            expect(statuses, what).toEqual(access === 'revoked' ? [401, 401, 401, 401] : [400, 400, 400, 400]);
            continue;
          }
          switch (access) {
            case 'revoked':
              expect(statuses, what).toEqual([401, 401, 401, 401]);
              break;
            case 'none':
              expect(statuses, what).toEqual([404, 404, 404, 404]);
              for (const reply of [pulled, pushed, shared, listedGrants]) expect(JSON.stringify(reply.body), what).not.toContain(`"space":"${space}"`);
              break;
            case 'read':
              expect(statuses, what).toEqual([200, 403, 403, 200]);
              break;
            case 'write':
              expect(statuses, what).toEqual([200, 200, 403, 200]);
              expected.get(space)!.add(`intruder-${device.user}`);
              break;
            case 'owner':
              // The owner's own grant cannot be turned into a write grant.
              expect(statuses, what).toEqual([200, 200, 404, 200]);
              expected.get(space)!.add(`intruder-${device.user}`);
              break;
          }
          if (pulled.status === 200) expect(pulled.body.changes.every((r) => r.data?.space === space), what).toBe(true);
        }
      }

      // The database holds exactly the model's rows, each in its own space.
      for (const space of spaces) {
        const owner = [...grants.get(space)!].find(([, a]) => a === 'owner')![0];
        const { rows } = await pullAll(base(), tokenOf(owner), space);
        expect(new Set(rows.map((r) => r.rowId))).toEqual(expected.get(space));
        expect(rows.every((r) => r.data?.space === space)).toBe(true);
      }
      const stray = await servers[0]!.pool.query("SELECT count(*)::int AS n FROM rows WHERE space_id LIKE $1 AND data->>'space' <> space_id", [`s${seed}-%`]);
      expect(stray.rows[0].n).toBe(0);
    });
  }
});
