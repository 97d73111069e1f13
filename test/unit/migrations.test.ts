import { describe, expect, test } from 'vitest';
import { openDatabase } from '../../src/worker/engine/database';
import { createMemoryDriver } from '../../src/worker/engine/memory-driver';
import { APPLICATION_ID, bundledMigrations, migrate, migrationsFromFiles, sha256Hex, type Migration } from '../../src/worker/engine/migrations';
import { loadSqlite } from '../../src/worker/engine/sqlite';
import { errorOf, openTest } from './helpers';

async function freshDriver() {
  return createMemoryDriver(await loadSqlite());
}

function schemaDump(sql: { all: <T>(q: string) => T[] }): string {
  return JSON.stringify(sql.all("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name"));
}

describe('migrations', () => {
  test('a fresh database reaches the latest version with history, application_id and user_version', async () => {
    const migrations = await bundledMigrations();
    const { sql, core } = await openTest();
    const latest = migrations.at(-1)!.version;
    expect(core.schemaVersion).toBe(latest);
    const rows = sql.all<{ version: number; name: string; checksum: string }>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
    expect(rows.map((r) => r.checksum)).toEqual(migrations.map((m) => m.checksum));
    expect(Number(sql.value('PRAGMA user_version'))).toBe(latest);
    expect(Number(sql.value('PRAGMA application_id'))).toBe(APPLICATION_ID);
    expect(Number(sql.value('PRAGMA foreign_keys'))).toBe(1);
  });

  test('opening again applies nothing', async () => {
    const driver = await freshDriver();
    const migrations = await bundledMigrations();
    const first = openDatabase(driver, 'db', migrations);
    await driver.writeFile('db', driver.readFile('db', first.sql.raw));
    first.sql.close();
    const second = openDatabase(driver, 'db', migrations);
    expect(second.migration.applied).toEqual([]);
    second.sql.close();
  });

  test('a failing migration leaves schema and data exactly as they were', async () => {
    const base = await bundledMigrations();
    const driver = await freshDriver();
    const opened = openDatabase(driver, 'db', base);
    opened.sql.exec("INSERT INTO spaces (user_id, space_id, name, created_at, updated_at) VALUES ('u', 's', 'n', 1, 1)");
    // Migrations that drop tables leave free pages, and SQLite does not journal a free page it reuses
    // (its bytes carry no data), so only a file without free pages can be compared byte for byte.
    opened.sql.exec('VACUUM');
    const before = { schema: schemaDump(opened.sql), bytes: driver.readFile('db', opened.sql.raw) };
    const brokenSql =
      "CREATE TABLE extra (id TEXT); INSERT INTO spaces (user_id, space_id, name, created_at, updated_at) VALUES ('x', 'y', 'z', 1, 1); SELECT * FROM no_such_table;";
    const broken: Migration[] = [...base, { version: base.length + 1, name: 'broken', sql: brokenSql, checksum: await sha256Hex(brokenSql) }];
    let error: unknown;
    try {
      migrate(opened.sql, broken);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'MIGRATION_FAILED' });
    expect((error as Error).message).toContain(`${String(base.length + 1).padStart(4, '0')}_broken`);
    expect(schemaDump(opened.sql)).toBe(before.schema);
    expect(Number(opened.sql.value('SELECT count(*) FROM spaces'))).toBe(2);
    expect(Number(opened.sql.value('SELECT max(version) FROM schema_migrations'))).toBe(base.length);
    expect(driver.readFile('db', opened.sql.raw)).toEqual(before.bytes);
    opened.sql.close();
  });

  test('0004 rebuilds the full-text index without prefix indexes, keeping every row findable', async () => {
    const all = await bundledMigrations();
    const driver = await freshDriver();
    const opened = openDatabase(driver, 'db', all.slice(0, 3));
    const { sql } = opened;
    sql.exec(`INSERT INTO spaces (user_id, space_id, name, created_at, updated_at) VALUES ('u', 's', 'n', 1, 1);
      INSERT INTO sessions (id, user_id, space_id, name, created_at, updated_at) VALUES ('se', 'u', 's', 'n', 1, 1);
      INSERT INTO conversations (id, session_id, created_at, updated_at) VALUES ('c', 'se', 1, 1);
      INSERT INTO messages (id, conversation_id, role, content, created_at, updated_at) VALUES
        ('m1', 'c', 'user', 'the lighthouse keeper counts seabirds', 1, 1), ('m2', 'c', 'assistant', 'consider the harbour', 2, 2);
      INSERT INTO memories (id, user_id, space_id, kind, content, content_key, created_at, updated_at) VALUES
        ('me', 'u', 's', 'long', 'the keeper likes tide tables', 'the keeper likes tide tables', 1, 1);
      INSERT INTO vector_entries (id, user_id, space_id, collection, content, created_at, updated_at) VALUES
        ('v', 'u', 's', 'notes', 'seabirds nest on the cliff', 1, 1);`);
    const kinds = (match: string) =>
      sql.all<{ k: string }>(
        `SELECT coalesce((SELECT id FROM messages WHERE rowid * 4 = f.rowid), (SELECT id FROM memories WHERE rowid * 4 + 1 = f.rowid),
           (SELECT id FROM vector_entries WHERE rowid * 4 + 2 = f.rowid)) AS k FROM search_fts f WHERE search_fts MATCH '${match}' ORDER BY k`,
      ).map((r) => r.k);
    const before = { seabirds: kinds('seabirds'), keeper: kinds('keeper'), cons: kinds('cons*') };
    expect(before).toEqual({ seabirds: ['m1', 'v'], keeper: ['m1', 'me'], cons: ['m2'] });

    migrate(sql, all);
    expect(String(sql.value("SELECT sql FROM sqlite_schema WHERE name = 'search_fts'"))).not.toContain('prefix');
    expect({ seabirds: kinds('seabirds'), keeper: kinds('keeper'), cons: kinds('cons*') }).toEqual(before);
    sql.exec("INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)");
    // The triggers of 0003 feed the new table: an edit leaves the old words and indexes the new ones.
    sql.exec("UPDATE messages SET content = 'a quiet harbour at dawn' WHERE id = 'm1'");
    expect(kinds('seabirds')).toEqual(['v']);
    expect(kinds('dawn')).toEqual(['m1']);
    expect(Number(sql.value("SELECT count(*) FROM search_vocab WHERE term = 'harbour'"))).toBe(1);
    expect(Number(sql.value("SELECT doc FROM search_vocab WHERE term = 'harbour'"))).toBe(2);
    sql.close();
  });

  test('0006 logs every existing synced row as a pending change of its space, and later writes through triggers', async () => {
    const all = await bundledMigrations();
    const driver = await freshDriver();
    const opened = openDatabase(driver, 'db', all.slice(0, 5));
    const { sql } = opened;
    sql.exec(`INSERT INTO spaces (user_id, space_id, name, created_at, updated_at) VALUES ('u', 's', 'n', 1, 1);
      INSERT INTO sessions (id, user_id, space_id, name, created_at, updated_at) VALUES ('se', 'u', 's', 'n', 1, 5);
      INSERT INTO conversations (id, session_id, created_at, updated_at) VALUES ('c', 'se', 1, 7);
      INSERT INTO messages (id, conversation_id, role, content, created_at, updated_at) VALUES ('m1', 'c', 'user', 'hello', 1, 1733390000123);
      INSERT INTO stores (id, session_id, name, created_at, updated_at) VALUES ('st', 'se', 'docs', 1, 1);
      INSERT INTO contents (id, store_id, filename, mime_type, size, line_count, preview, full_text, created_at, updated_at)
        VALUES ('d', 'st', 'a.md', 'text/markdown', 1, 1, 'x', 'x', 1, 1);
      INSERT INTO chunks (id, content_id, chunk_index, text, start_line, end_line, created_at) VALUES ('k', 'd', 0, 'x', 1, 1, 3);
      INSERT INTO memories (id, user_id, space_id, kind, content, content_key, created_at, updated_at) VALUES ('me', 'u', 's', 'long', 'tea', 'tea', 1, 2);`);
    migrate(sql, all.slice(0, 7)); // 0008 drops a log that never synced: see the next test
    const log = sql.all<{ tbl: string; row_id: string; user_id: string; space_id: string; hlc: string; pending: number; deleted: number }>(
      'SELECT tbl, row_id, user_id, space_id, hlc, pending, deleted FROM sync_rows ORDER BY tbl',
    );
    expect(log.map((r) => [r.tbl, r.row_id])).toEqual([
      ['chunks', 'k'], ['contents', 'd'], ['conversations', 'c'], ['memories', 'me'], ['messages', 'm1'], ['sessions', 'se'], ['stores', 'st'],
    ]);
    expect(log.every((r) => r.user_id === 'u' && r.space_id === 's' && r.pending === 1 && r.deleted === 0)).toBe(true);
    expect(log.find((r) => r.tbl === 'messages')!.hlc).toBe('1733390000123-00000');
    expect(String(sql.value('SELECT clock FROM sync_state'))).toBe('1733390000123-00000');
    // The triggers: a delete cascades into tombstones of the children, still in the space.
    sql.exec("UPDATE sync_rows SET pending = 0; DELETE FROM sessions WHERE id = 'se'");
    const tombstones = sql.all<{ tbl: string; hlc: string | null }>('SELECT tbl, hlc FROM sync_rows WHERE deleted = 1 AND pending = 1 ORDER BY tbl');
    expect(tombstones.map((r) => r.tbl)).toEqual(['chunks', 'contents', 'conversations', 'messages', 'sessions', 'stores']);
    expect(tombstones.every((r) => r.hlc === null)).toBe(true); // stamped before COMMIT by the repository, not by SQL
    sql.close();
  });

  test('0008 keeps the log of a database that has synced and drops the one of a database that never did', async () => {
    const all = await bundledMigrations();
    const at7 = async (synced: boolean) => {
      const driver = await freshDriver();
      const { sql } = openDatabase(driver, 'db', all.slice(0, 7));
      sql.exec(`INSERT INTO spaces (user_id, space_id, name, created_at, updated_at) VALUES ('u', 's', 'n', 1, 1);
        INSERT INTO sessions (id, user_id, space_id, name, created_at, updated_at) VALUES ('se', 'u', 's', 'n', 1, 5);
        INSERT INTO conversations (id, session_id, created_at, updated_at) VALUES ('c', 'se', 1, 7);
        INSERT INTO messages (id, conversation_id, role, content, created_at, updated_at) VALUES ('m1', 'c', 'user', 'hello', 1, 1);`);
      if (synced) sql.exec("UPDATE sync_rows SET pending = 0 WHERE tbl = 'sessions'");
      migrate(sql, all);
      sql.exec("INSERT INTO messages (id, conversation_id, role, content, created_at, updated_at) VALUES ('m2', 'c', 'user', 'later', 2, 2)");
      const log = sql.all<{ tbl: string; row_id: string }>('SELECT tbl, row_id FROM sync_rows ORDER BY n').map((r) => `${r.tbl}:${r.row_id}`);
      const flag = Number(sql.value('SELECT sync_log FROM index_control'));
      sql.close();
      return { log, flag };
    };
    expect(await at7(true)).toEqual({ flag: 1, log: ['sessions:se', 'conversations:c', 'messages:m1', 'messages:m2'] });
    expect(await at7(false)).toEqual({ flag: 0, log: [] });
  });

  test('an edited, already-applied migration is reported', async () => {
    const base = await bundledMigrations();
    const driver = await freshDriver();
    const opened = openDatabase(driver, 'db', base);
    await driver.writeFile('db', driver.readFile('db', opened.sql.raw));
    opened.sql.close();
    const edited = base.map((m, i) => (i === 0 ? { ...m, sql: `${m.sql}\n-- edited`, checksum: 'changed' } : m));
    let error: unknown;
    try {
      openDatabase(driver, 'db', edited);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'MIGRATION_FAILED' });
    expect((error as Error).message).toMatch(/0001_init was changed after it was applied/);
  });

  test('a database from a newer app version is refused and its bytes stay identical', async () => {
    const base = await bundledMigrations();
    const driver = await freshDriver();
    const opened = openDatabase(driver, 'db', base);
    const future = base.length + 5;
    opened.sql.exec(`INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (${future}, 'future', 'x', 1); PRAGMA user_version = ${future};`);
    const bytes = driver.readFile('db', opened.sql.raw);
    opened.sql.close();
    await driver.writeFile('db', bytes);
    let error: unknown;
    try {
      openDatabase(driver, 'db', base);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'MIGRATION_FAILED' });
    expect((error as Error).message).toMatch(new RegExp(`schema version ${future} is newer than this app supports`));
    expect(driver.readFile('db')).toEqual(bytes);
  });

  test('a database of another application is refused', async () => {
    const driver = await freshDriver();
    const raw = driver.open('other');
    raw.exec('PRAGMA application_id = 1234; CREATE TABLE t (x)');
    const bytes = driver.sqlite3.capi.sqlite3_js_db_export(raw.pointer!);
    raw.close();
    await driver.writeFile('other', bytes);
    expect(() => openDatabase(driver, 'other', [])).toThrow(/another application/);
  });

  test('migration files must be numbered without gaps', async () => {
    await expect(migrationsFromFiles({ '/m/0001_a.sql': '', '/m/0003_c.sql': '' })).rejects.toThrow(/without gaps/);
    await expect(migrationsFromFiles({ '/m/1_a.sql': '' })).rejects.toThrow(/NNNN_name/);
  });

  test('initDatabase switches files and the API reports the open file', async () => {
    const { mnemo } = await openTest();
    await mnemo.space({ userId: 'u', spaceId: 's' }).sessions.create({ name: 'in first' });
    const info = await mnemo.initDatabase('second');
    expect(info.name).toBe('second');
    expect((await mnemo.getDatabasePath()).path).toBe('memory:second.sqlite3');
    expect((await mnemo.space({ userId: 'u', spaceId: 's' }).sessions.list()).total).toBe(0);
    expect((await errorOf(mnemo.initDatabase('../escape'))).code).toBe('INVALID_INPUT');
  });
});
