import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { migrate, readMigrations } from '../../server/migrate';
import { call, freshDatabase, MIGRATIONS_DIR, startServer } from './harness';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let pool: pg.Pool;

beforeAll(async () => {
  db = await freshDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 10 });
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

const tables = async () =>
  (await pool.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.name);

/** A copy of the server's migrations in a temp folder, to edit. */
function migrationsCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mnemo-migrations-'));
  for (const file of readdirSync(MIGRATIONS_DIR)) copyFileSync(join(MIGRATIONS_DIR, file), join(dir, file));
  return dir;
}

describe('server migrations', () => {
  test('applied once by many instances starting together, then a no-op', async () => {
    const migrations = readMigrations(MIGRATIONS_DIR);
    const results = await Promise.all(Array.from({ length: 4 }, () => migrate(pool, migrations)));
    const applied = results.flatMap((r) => r.applied);
    expect(applied.sort()).toEqual(migrations.map((m) => m.version));
    expect(await tables()).toEqual(['changes', 'devices', 'grants', 'rate_limits', 'rows', 'server_migrations', 'spaces', 'users']);
    const again = await migrate(pool, migrations);
    expect(again).toEqual({ from: migrations.length, to: migrations.length, applied: [] });
    const { rows } = await pool.query('SELECT version FROM server_migrations ORDER BY version');
    expect(rows.map((r: { version: number }) => r.version)).toEqual(migrations.map((m) => m.version));
  });

  test('an edited, already-applied migration is refused', async () => {
    const dir = migrationsCopy();
    const file = join(dir, '0001_accounts.sql');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n-- edited\n`);
    await expect(migrate(pool, readMigrations(dir))).rejects.toThrow(/0001_accounts was changed after it was applied/);
  });

  test('a database from a newer server is refused and left alone', async () => {
    await pool.query("INSERT INTO server_migrations (version, name, checksum) VALUES (99, 'future', 'x')");
    try {
      await expect(migrate(pool, readMigrations(MIGRATIONS_DIR))).rejects.toThrow(/schema version 99 is newer/);
    } finally {
      await pool.query('DELETE FROM server_migrations WHERE version = 99');
    }
  });

  test('a failing migration rolls back every migration of its run', async () => {
    const other = await freshDatabase();
    const otherPool = new pg.Pool({ connectionString: other.url });
    try {
      const dir = migrationsCopy();
      const next = String(readMigrations(MIGRATIONS_DIR).length + 1).padStart(4, '0');
      writeFileSync(join(dir, `${next}_broken.sql`), 'CREATE TABLE fine (id int);\nSELECT no_such_function();\n');
      await expect(migrate(otherPool, readMigrations(dir))).rejects.toThrow(/no_such_function/);
      const { rows } = await otherPool.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
      expect(rows[0].n).toBe(0);
    } finally {
      await otherPool.end();
      await other.drop();
    }
  });

  test('a gap in the numbering is refused', () => {
    const dir = migrationsCopy();
    const gap = readMigrations(MIGRATIONS_DIR).length + 2;
    writeFileSync(join(dir, `${String(gap).padStart(4, '0')}_gap.sql`), 'SELECT 1;');
    expect(() => readMigrations(dir)).toThrow(`without gaps (found ${gap})`);
  });

  test('GET /health answers with the schema version', async () => {
    const server = await startServer(db.url);
    try {
      const health = await call(server.url, 'GET', '/health');
      expect(health).toEqual({ status: 200, body: { ok: true, schemaVersion: readMigrations(MIGRATIONS_DIR).length } });
    } finally {
      await server.close();
    }
  });
});
