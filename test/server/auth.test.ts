import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { postgresStore } from '../../server/rate-limit-store';
import { account, call, freshDatabase, PASSWORD, type Running, SIGNUP_CODE, startServer } from './harness';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let server: Running;
let base: string;

beforeAll(async () => {
  db = await freshDatabase();
  server = await startServer(db.url);
  base = server.url;
});
afterAll(async () => {
  await server.close();
  await db.drop();
});

describe('accounts and device tokens', () => {
  test('sign-up needs the server signup code; names are unique', async () => {
    expect(await call(base, 'POST', '/accounts', { name: 'ana', password: PASSWORD, signupCode: 'wrong' })).toMatchObject({
      status: 403,
      body: { code: 'FORBIDDEN' },
    });
    expect((await call(base, 'POST', '/accounts', { name: 'ana', password: PASSWORD, signupCode: SIGNUP_CODE })).status).toBe(201);
    expect(await call(base, 'POST', '/accounts', { name: 'ana', password: PASSWORD, signupCode: SIGNUP_CODE })).toMatchObject({
      status: 409,
      body: { code: 'CONFLICT' },
    });
  });

  test('sign-up is closed on a server started without a code', async () => {
    const closed = await startServer(db.url, { signupCode: undefined });
    try {
      const reply = await call(closed.url, 'POST', '/accounts', { name: 'nobody', password: PASSWORD, signupCode: 'anything' });
      expect(reply.status).toBe(403);
    } finally {
      await closed.close();
    }
  });

  test('malformed bodies are refused with 400 naming the field, never echoing it', async () => {
    const cases: Array<[unknown, string]> = [
      [{ name: 'bob', password: 'short', signupCode: SIGNUP_CODE }, 'password'],
      [{ name: 'has space', password: PASSWORD, signupCode: SIGNUP_CODE }, 'name'],
      [{ name: 'bob', password: PASSWORD }, 'signupCode'],
      [{ name: 'bob', password: PASSWORD, signupCode: SIGNUP_CODE, admin: true }, 'additional properties'],
      [{ name: 12, password: PASSWORD, signupCode: SIGNUP_CODE }, 'name'],
    ];
    for (const [body, field] of cases) {
      const reply = await call<{ code: string; message: string }>(base, 'POST', '/accounts', body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.code).toBe('INVALID_INPUT');
      expect(reply.body.message).toContain(field);
      expect(reply.body.message).not.toContain(PASSWORD);
    }
    const broken = await fetch(`${base}/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": zqMARK' });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({ code: 'INVALID_INPUT', message: 'the body is not valid JSON' });
    const text = await fetch(`${base}/accounts`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<zqMARK/>' });
    expect([text.status, await text.json()]).toEqual([415, { code: 'INVALID_INPUT', message: 'the body must be application/json' }]);
    const huge = await fetch(`${base}/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `"${'x'.repeat(9 * 1024 * 1024)}"` });
    expect(huge.status).toBe(413);
  });

  test('a device token is shown once, stored only as its SHA-256, and identifies the device', async () => {
    const { token, deviceId, userId } = await account(base, 'carol', 'phone');
    expect(token).toMatch(/^mnemo_[A-Za-z0-9_-]{43}$/);
    const stored = await server.pool.query<{ token_hash: Buffer }>('SELECT token_hash FROM devices WHERE id = $1', [deviceId]);
    expect(stored.rows[0]!.token_hash.equals(createHash('sha256').update(token).digest())).toBe(true);
    const dump = await server.pool.query("SELECT count(*)::int AS n FROM devices WHERE position($1 in encode(token_hash, 'escape')) > 0", [token]);
    expect(dump.rows[0].n).toBe(0);
    expect(await call(base, 'GET', '/me', undefined, token)).toEqual({ status: 200, body: { userId, deviceId, name: 'carol' } });
  });

  test('wrong password, missing, unknown and revoked tokens are refused with 401', async () => {
    expect((await call(base, 'POST', '/tokens', { name: 'carol', password: 'not the password', device: 'x' })).status).toBe(401);
    expect((await call(base, 'POST', '/tokens', { name: 'nobody', password: PASSWORD, device: 'x' })).status).toBe(401);
    expect((await call(base, 'GET', '/me')).status).toBe(401);
    expect((await call(base, 'GET', '/me', undefined, 'mnemo_forged')).status).toBe(401);

    const laptop = await account(base, 'dave', 'laptop');
    const phone = await account(base, 'dave', 'phone');
    const other = await account(base, 'erin');
    // Only one's own devices can be revoked.
    expect((await call(base, 'DELETE', `/devices/${laptop.deviceId}`, undefined, other.token)).status).toBe(404);
    expect((await call(base, 'DELETE', `/devices/${laptop.deviceId}`, undefined, phone.token)).status).toBe(204);
    expect(await call(base, 'GET', '/me', undefined, laptop.token)).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    expect((await call(base, 'GET', '/me', undefined, phone.token)).status).toBe(200);
    const devices = await call<{ devices: Array<{ id: string; revokedAt: string | null }> }>(base, 'GET', '/devices', undefined, phone.token);
    expect(devices.body.devices.map((d) => [d.id, d.revokedAt !== null])).toEqual([
      [laptop.deviceId, true],
      [phone.deviceId, false],
    ]);
  });

  test('sign-in is rate limited per client across instances sharing the database', async () => {
    const a = await startServer(db.url, { authRateLimit: 3 });
    const b = await startServer(db.url, { authRateLimit: 3 });
    try {
      await server.pool.query('DELETE FROM rate_limits');
      const attempt = (url: string) => call(url, 'POST', '/tokens', { name: 'carol', password: 'not the password', device: 'x' });
      const statuses = [(await attempt(a.url)).status, (await attempt(b.url)).status, (await attempt(a.url)).status];
      expect(statuses).toEqual([401, 401, 401]);
      const limited = await attempt(b.url);
      expect(limited).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } });
      // Authenticated sync endpoints are not behind the auth limit.
      const { token } = await account(base, 'frank');
      for (let i = 0; i < 5; i += 1) expect((await call(a.url, 'GET', '/me', undefined, token)).status).toBe(200);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('the rate-limit store counts per window and forgets clients not seen for a day', async () => {
    await server.pool.query("INSERT INTO rate_limits (key, window_start, hits) VALUES ('stale', now() - interval '2 days', 3), ('recent', now(), 1)");
    const store = new (postgresStore(server.pool))({});
    const incr = (key: string) =>
      new Promise<{ current: number; ttl: number }>((resolve, reject) => store.incr(key, (error, result) => (error ? reject(error) : resolve(result!)), 60_000, 10));
    expect((await incr('probe')).current).toBe(1);
    const second = await incr('probe');
    expect(second.current).toBe(2);
    expect(second.ttl).toBeGreaterThan(0);
    expect(second.ttl).toBeLessThanOrEqual(60_000);
    for (let i = 0; i < 498; i += 1) await incr('probe');
    const { rows } = await server.pool.query<{ key: string }>("SELECT key FROM rate_limits WHERE key IN ('stale', 'recent', 'probe') ORDER BY key");
    expect(rows.map((r) => r.key)).toEqual(['probe', 'recent']);
  });
});
