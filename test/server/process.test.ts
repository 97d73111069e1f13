/**
 * The server as deployed: `node server/dist/main.js` (what `npm run server`
 * runs after compiling) with DATABASE_URL, in its own process. JSON logs,
 * graceful shutdown on SIGTERM with a request in flight, and a process killed
 * in the middle of a push losing and duplicating nothing once the client retries.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { account, call, change, freshDatabase, pullAll, pushChanges, SIGNUP_CODE } from './harness';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let admin: pg.Client;

beforeAll(async () => {
  execFileSync('npx', ['tsc', '-b', 'server'], { stdio: 'inherit' });
  db = await freshDatabase();
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
});
afterAll(async () => {
  await admin.end();
  await db.drop();
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

interface Proc {
  url: string;
  child: ChildProcess;
  logs: string[];
  exited: Promise<number | null>;
}

async function launch(): Promise<Proc> {
  const port = await freePort();
  const child = spawn(process.execPath, ['server/dist/main.js'], {
    env: { ...process.env, DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1', MNEMO_SIGNUP_CODE: SIGNUP_CODE },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let pending = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      logs.push(...lines);
      if (lines.some((l) => l.includes('Server listening'))) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    void exited.then((code) => reject(new Error(`server exited with ${code}: ${logs.join('\n')}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child, logs, exited };
}

/** Holds the per-space push lock from outside, so a push to the space waits inside its transaction. */
async function holdSpaceLock(space: string) {
  await admin.query('SELECT pg_advisory_lock(1836, hashtext($1))', [space]);
  return async () => {
    await admin.query('SELECT pg_advisory_unlock(1836, hashtext($1))', [space]);
  };
}

async function waitForLockWaiter(): Promise<void> {
  for (;;) {
    const { rows } = await admin.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
    if (rows[0].n > 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the server process', () => {
  test('logs JSON lines, answers /health, and on SIGTERM finishes the request in flight before exiting 0', async () => {
    const proc = await launch();
    expect((await call(proc.url, 'GET', '/health')).body).toMatchObject({ ok: true });
    const { token } = await account(proc.url, 'ana');
    expect((await call(proc.url, 'POST', '/spaces', { id: 'graceful', name: 'g' }, token)).status).toBe(201);

    const release = await holdSpaceLock('graceful');
    const inFlight = pushChanges(proc.url, token, 'graceful', [change('messages', 'm1', 1_000, 'dev-a', { content: 'zq-body-marker' })]);
    await waitForLockWaiter();
    proc.child.kill('SIGTERM');
    // The push is still waiting for the lock, so the process must still be up.
    const early = await Promise.race([proc.exited.then(() => 'exited'), new Promise((r) => setTimeout(() => r('running'), 300))]);
    expect(early).toBe('running');
    await release();
    const reply = await inFlight;
    expect(reply.status).toBe(200);
    expect(reply.body.results[0]!.status).toBe('applied');
    expect(await proc.exited).toBe(0);

    const entries = proc.logs.filter((l) => l.trim()).map((l) => JSON.parse(l) as { level: number; msg: string; time: number });
    expect(entries.every((e) => typeof e.level === 'number' && typeof e.time === 'number' && typeof e.msg === 'string')).toBe(true);
    expect(entries.map((e) => e.msg)).toEqual(expect.arrayContaining(['schema ready', 'shutting down: finishing requests in flight']));
    // Request logs never include the token or the body.
    expect(proc.logs.join('\n')).not.toContain(token);
    expect(proc.logs.join('\n')).not.toContain('zq-body-marker');
  });

  test('killed in the middle of a push: nothing is half-written, and the retry applies each change exactly once', async () => {
    const first = await launch();
    const { token } = await account(first.url, 'ben');
    expect((await call(first.url, 'POST', '/spaces', { id: 'killed', name: 'k' }, token)).status).toBe(201);
    const batch = Array.from({ length: 300 }, (_, i) => change('messages', `m${i}`, 1_000 + i, 'dev-b', { content: `message ${i}` }));

    const release = await holdSpaceLock('killed');
    const doomed = pushChanges(first.url, token, 'killed', batch).then(
      (reply) => reply.status,
      () => 'connection lost',
    );
    await waitForLockWaiter();
    first.child.kill('SIGKILL');
    expect(await doomed).toBe('connection lost');
    await first.exited;
    await release();

    const { rows: written } = await admin.query("SELECT count(*)::int AS n FROM changes WHERE space_id = 'killed'");
    expect(written[0].n).toBe(0);

    const second = await launch();
    try {
      const retried = await pushChanges(second.url, token, 'killed', batch);
      expect(retried.body.results.every((r) => r.status === 'applied')).toBe(true);
      // The acknowledgement is lost too, so the client sends the batch a third time.
      const again = await pushChanges(second.url, token, 'killed', batch);
      expect(again.body.results.every((r) => r.status === 'duplicate')).toBe(true);
      const { rows } = await pullAll(second.url, token, 'killed');
      expect(rows.map((r) => r.data?.content)).toEqual(batch.map((c) => c.data!.content));
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  });
});
