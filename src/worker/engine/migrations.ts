/**
 * Forward-only migrations from `migrations/NNNN_name.sql`, bundled into the
 * worker at build time. Each runs inside one transaction together with its
 * `schema_migrations` row, so a failure leaves the database as it was.
 */
import { fail, MnemoFailure } from '../../shared/errors';
import { toHex } from '../../shared/hex';
import type { Sql } from './sql';
import { toFailure } from './sql';
import { registerVectorFunctions } from './vector-codec';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** "MNEM" — marks a file as a Mnemo database in the SQLite header. */
export const APPLICATION_ID = 0x4d4e454d;

export interface SchemaState {
  /** Highest applied migration, 0 for an empty database. */
  version: number;
  applied: Array<{ version: number; name: string; checksum: string; appliedAt: number }>;
  applicationId: number;
  hasTables: boolean;
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return toHex(new Uint8Array(digest));
}

/** Builds migrations from `{ '<path>/0001_init.sql': sql }`, sorted by version. */
export async function migrationsFromFiles(files: Record<string, string>): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for (const [path, sql] of Object.entries(files)) {
    const match = /(\d{4})_([a-z0-9_]+)\.sql$/.exec(path);
    if (!match) throw new Error(`migration file name must be NNNN_name.sql: ${path}`);
    migrations.push({ version: Number(match[1]), name: match[2]!, sql, checksum: await sha256Hex(sql) });
  }
  migrations.sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migrations must be numbered 0001 upward without gaps (found ${m.version})`);
  });
  return migrations;
}

let bundled: Promise<Migration[]> | undefined;

export function bundledMigrations(): Promise<Migration[]> {
  bundled ??= migrationsFromFiles(
    import.meta.glob('../../../migrations/*.sql', { query: '?raw', import: 'default', eager: true }) as Record<string, string>,
  );
  return bundled;
}

export function readSchemaState(sql: Sql): SchemaState {
  const applicationId = Number(sql.value('PRAGMA application_id') ?? 0);
  const hasTables = Number(sql.value("SELECT count(*) FROM sqlite_schema WHERE type = 'table'") ?? 0) > 0;
  const hasLog = sql.value("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'") !== undefined;
  const applied = hasLog
    ? sql.all<{ version: number; name: string; checksum: string; appliedAt: number }>(
        'SELECT version, name, checksum, applied_at AS appliedAt FROM schema_migrations ORDER BY version',
      )
    : [];
  const version = applied.reduce((max, m) => Math.max(max, m.version), 0);
  return { version, applied, applicationId, hasTables };
}

/**
 * Checks, without writing anything, that the database can be migrated by this
 * app: it is a Mnemo database (or empty), not from a newer version, and no
 * applied migration was edited afterwards.
 */
export function assertMigratable(state: SchemaState, migrations: Migration[]): void {
  const latest = migrations.at(-1)?.version ?? 0;
  if (state.applicationId !== 0 && state.applicationId !== APPLICATION_ID) {
    fail('MIGRATION_FAILED', 'the database belongs to another application (application_id mismatch)');
  }
  if (state.applied.length === 0 && state.hasTables) {
    fail('MIGRATION_FAILED', 'the database has tables but no Mnemo migration history');
  }
  if (state.version > latest) {
    fail(
      'MIGRATION_FAILED',
      `the database schema version ${state.version} is newer than this app supports (${latest}); it was left unchanged`,
    );
  }
  for (const applied of state.applied) {
    const known = migrations.find((m) => m.version === applied.version);
    if (!known) fail('MIGRATION_FAILED', `applied migration ${applied.version} is unknown to this app`);
    if (known.checksum !== applied.checksum) {
      fail(
        'MIGRATION_FAILED',
        `migration ${String(applied.version).padStart(4, '0')}_${known.name} was changed after it was applied (checksum mismatch)`,
      );
    }
  }
}

export interface MigrationResult {
  from: number;
  to: number;
  applied: number[];
}

/** Applies every pending migration, each in its own transaction. */
export function migrate(sql: Sql, migrations: Migration[], now: () => number = Date.now): MigrationResult {
  const state = readSchemaState(sql);
  assertMigratable(state, migrations);
  const pending = migrations.filter((m) => m.version > state.version);
  const applied: number[] = [];
  // Functions the migrations' SQL calls; registering is per connection and idempotent.
  if (pending.length > 0) registerVectorFunctions(sql.raw);
  for (const migration of pending) {
    sql.clearStatements();
    try {
      sql.tx(() => {
        sql.exec(migration.sql);
        sql.run('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)', [
          migration.version,
          migration.name,
          migration.checksum,
          now(),
        ]);
        // PRAGMA values cannot be bound; both are integers this code controls.
        sql.exec(`PRAGMA application_id = ${APPLICATION_ID}; PRAGMA user_version = ${migration.version}`);
      });
    } catch (error) {
      const reason = error instanceof MnemoFailure ? error.message : toFailure(error, 'sql').message;
      throw new MnemoFailure(
        'MIGRATION_FAILED',
        `migration ${String(migration.version).padStart(4, '0')}_${migration.name} failed and was rolled back (${reason})`,
      );
    }
    applied.push(migration.version);
  }
  return { from: state.version, to: migrations.at(-1)?.version ?? 0, applied };
}
