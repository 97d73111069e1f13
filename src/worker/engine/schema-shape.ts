/**
 * The shape of a schema (tables with their columns, indexes, triggers), for
 * comparing a live database with what the migrations build.
 */
import type { Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { openDatabase } from './database';
import { createMemoryDriver } from './memory-driver';
import type { Migration } from './migrations';
import type { Sql } from './sql';

export interface SchemaShape {
  tables: Map<string, string[]>;
  indexes: Set<string>;
  triggers: Set<string>;
}

export function readSchemaShape(sql: Sql): SchemaShape {
  const tables = new Map<string, string[]>();
  const objects = sql.all<{ type: string; name: string }>("SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name");
  for (const { type, name } of objects) {
    if (type !== 'table') continue;
    const columns = sql.all<{ name: string }>('SELECT name FROM pragma_table_info(?)', [name]).map((c) => c.name);
    tables.set(name, columns);
  }
  return {
    tables,
    indexes: new Set(objects.filter((o) => o.type === 'index').map((o) => o.name)),
    triggers: new Set(objects.filter((o) => o.type === 'trigger').map((o) => o.name)),
  };
}

/** The shape `migrations` build, read from a scratch in-memory database. */
export function migratedShape(sqlite3: Sqlite3Static, migrations: Migration[]): SchemaShape {
  const scratch = openDatabase(createMemoryDriver(sqlite3), 'verify', migrations);
  try {
    return readSchemaShape(scratch.sql);
  } finally {
    scratch.sql.close();
  }
}
