import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** Arbitrary constant: the advisory lock every instance takes while migrating. */
const MIGRATION_LOCK = 7_303_725_617;

/** The numbered `NNNN_name.sql` files of a folder (server/migrations), in order; numbering must start at 1 without gaps. */
export function readMigrations(dir: string): Migration[] {
  const migrations = readdirSync(dir)
    .flatMap((file) => {
      const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
      if (!match) return [];
      const sql = readFileSync(join(dir, file), 'utf8');
      return [{ version: Number(match[1]), name: match[2]!, sql, checksum: createHash('sha256').update(sql).digest('hex') }];
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`server migrations must be numbered 0001 upward without gaps (found ${m.version})`);
  });
  return migrations;
}

/**
 * Brings the database to the latest schema in one transaction under an
 * advisory lock, so instances starting together apply each migration once
 * and a failure leaves the schema as it was. Refuses a database migrated by a
 * newer server or whose applied migrations were edited since.
 */
export async function migrate(pool: Pool, migrations: Migration[]): Promise<{ from: number; to: number; applied: number[] }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS server_migrations (
      version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM server_migrations ORDER BY version',
    );
    const latest = migrations.at(-1)?.version ?? 0;
    const from = rows.at(-1)?.version ?? 0;
    if (from > latest) throw new Error(`the database schema version ${from} is newer than this server supports (${latest})`);
    for (const applied of rows) {
      const known = migrations.find((m) => m.version === applied.version);
      if (!known || known.checksum !== applied.checksum) {
        throw new Error(`server migration ${String(applied.version).padStart(4, '0')}_${applied.name} was changed after it was applied`);
      }
    }
    const pending = migrations.filter((m) => m.version > from);
    for (const migration of pending) {
      await client.query(migration.sql);
      await client.query('INSERT INTO server_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
    }
    await client.query('COMMIT');
    return { from, to: latest, applied: pending.map((m) => m.version) };
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}
