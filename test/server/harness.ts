import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { buildServer, type ServerOptions } from '../../server/app';
import { migrate, readMigrations } from '../../server/migrate';
import type { ChangeRecord } from '../../server/protocol';
import type { PulledRow } from '../../server/sync';

export const MIGRATIONS_DIR = join(import.meta.dirname, '../../server/migrations');
export const SIGNUP_CODE = 'test-signup-code';
export const PASSWORD = 'correct horse battery';

/** A fresh database in the run's cluster, for one test file. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: inject('pgUrl') });
  await admin.connect();
  const name = `t_${randomUUID().replaceAll('-', '')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = inject('pgUrl').replace(/\/postgres$/, `/${name}`);
  return {
    url,
    async drop() {
      const again = new pg.Client({ connectionString: inject('pgUrl') });
      await again.connect();
      await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await again.end();
    },
  };
}

export interface Running {
  url: string;
  pool: pg.Pool;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** One server instance on its own pool and port, as `npm run server` starts it: migrate, then listen. */
export async function startServer(databaseUrl: string, options: Partial<ServerOptions> = {}): Promise<Running> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 5 });
  await migrate(pool, readMigrations(MIGRATIONS_DIR));
  const app = await buildServer({ pool, signupCode: SIGNUP_CODE, authRateLimit: 1000, ...options });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: address,
    pool,
    app,
    async close() {
      await app.close();
      await pool.end();
    },
  };
}

/** For a test file: `count` instances on one fresh database, started before its tests and stopped after. */
export function useServers(count: number): Running[] {
  const servers: Running[] = [];
  let db: Awaited<ReturnType<typeof freshDatabase>> | undefined;
  beforeAll(async () => {
    db = await freshDatabase();
    for (let i = 0; i < count; i += 1) servers.push(await startServer(db.url));
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    await db?.drop();
  });
  return servers;
}

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export async function call<T = Record<string, unknown>>(base: string, method: string, path: string, body?: unknown, token?: string): Promise<Reply<T>> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}

/** Signs up `name` and signs in one device; returns the device's token. */
export async function account(base: string, name: string, device = 'laptop'): Promise<{ token: string; deviceId: string; userId: string }> {
  const created = await call(base, 'POST', '/accounts', { name, password: PASSWORD, signupCode: SIGNUP_CODE });
  if (created.status !== 201 && created.status !== 409) throw new Error(`sign-up failed: ${created.status} ${JSON.stringify(created.body)}`);
  const signedIn = await call<{ token: string; deviceId: string; userId: string }>(base, 'POST', '/tokens', { name, password: PASSWORD, device });
  if (signedIn.status !== 201) throw new Error(`sign-in failed: ${signedIn.status}`);
  return signedIn.body;
}

export const pushChanges = (base: string, token: string, spaceId: string, changes: Array<Partial<ChangeRecord>>) =>
  call<{ results: Array<{ id: string; status: string }>; code?: string; message?: string }>(base, 'POST', `/spaces/${spaceId}/push`, { changes }, token);

export const pullPage = (base: string, token: string, spaceId: string, after = '0', limit?: number) =>
  call<{ changes: PulledRow[]; cursor: string; hasMore: boolean; code?: string }>(
    base,
    'GET',
    `/spaces/${spaceId}/pull?after=${after}${limit ? `&limit=${limit}` : ''}`,
    undefined,
    token,
  );

/** Pulls every page after `after`; returns the rows and the final cursor. */
export async function pullAll(base: string, token: string, spaceId: string, after = '0', limit = 100): Promise<{ rows: PulledRow[]; cursor: string; pages: number }> {
  const rows: PulledRow[] = [];
  let cursor = after;
  let pages = 0;
  for (;;) {
    const page = await pullPage(base, token, spaceId, cursor, limit);
    if (page.status !== 200) throw new Error(`pull failed: ${page.status}`);
    pages += 1;
    rows.push(...page.body.changes);
    cursor = page.body.cursor;
    if (!page.body.hasMore) return { rows, cursor, pages };
  }
}

let counter = 0;
/** A change record with a fresh id; HLC wall times are small fixed numbers, so tests decide the order. */
export function change(table: ChangeRecord['table'], rowId: string, wall: number, device: string, data: Record<string, unknown> | null): ChangeRecord {
  counter += 1;
  return {
    id: `c-${process.pid}-${counter}-${randomUUID()}`,
    table,
    rowId,
    hlc: `${String(wall).padStart(13, '0')}-00000`,
    device,
    deleted: data === null,
    data,
  };
}
