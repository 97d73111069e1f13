// PostgreSQL closing the server's idle connections (a restart, a failover, an
// administrator) must not kill the server: the pool reports the closed
// connection, drops it, and the next request opens a new one. (Without the
// pool's error listener the closed connection is an uncaught exception, which
// fails the run.)
import pg from 'pg';
import { expect, inject, test } from 'vitest';
import { account, call, useServers } from './harness';

const servers = useServers(1);

test('the server survives PostgreSQL terminating its idle connections and keeps answering', async () => {
  const server = servers[0]!;
  const ana = await account(server.url, 'ana');
  const database = new URL(server.pool.options.connectionString!).pathname.slice(1);
  expect(server.pool.idleCount).toBeGreaterThan(0);

  const admin = new pg.Client({ connectionString: inject('pgUrl') });
  await admin.connect();
  try {
    const terminated = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
    expect(terminated.rowCount).toBeGreaterThan(0);
  } finally {
    await admin.end();
  }
  // The pool learns of each closed connection and drops it.
  await expect.poll(() => server.pool.totalCount, { timeout: 10_000 }).toBe(0);

  expect((await call(server.url, 'GET', '/health')).status).toBe(200);
  const ben = await account(server.url, 'ben');
  expect(ben.userId).not.toBe(ana.userId);
});
