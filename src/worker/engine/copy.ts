/**
 * Moving rows between the live database and another one attached to the same
 * connection: one set-based INSERT … SELECT per table, parents first.
 */
import type { Scope } from '../../shared/models';
import { openDatabase } from './database';
import { createMemoryDriver } from './memory-driver';
import type { Migration } from './migrations';
import type { Sql, SqlValue } from './sql';
import { serialize, withAttached } from './snapshot';
import { camelName, dataTables, ident, parentsExist, scopeCondition, scopedTables, type TablePlan } from './tables';

const IMPORT_SCHEMA = 'mnemo_import';
const EXPORT_SCHEMA = 'mnemo_export';

/**
 * Adds the user data of a validated file (same schema version) to the live
 * database in one transaction: the rows of every table that reaches a scope.
 * A row whose primary key or other unique key is already present is skipped
 * (`ON CONFLICT DO NOTHING`), and so is a row whose parent is missing, so
 * importing the same file twice adds nothing the second time. Derived state
 * follows through the live database's triggers (full-text index, embedding
 * queue). Returns the rows added per table (camelCase names).
 */
export function mergeFile(sql: Sql, bytes: Uint8Array, onTable: (table: string, index: number) => void): Record<string, number> {
  return withAttached(sql.sqlite3, sql, IMPORT_SCHEMA, bytes, () => {
    const source = new Map(dataTables(sql.raw, IMPORT_SCHEMA).map((plan) => [plan.name, plan]));
    const targets = scopedTables(sql.raw, 'main');
    return sql.tx(() => {
      const added: Record<string, number> = {};
      for (const [index, plan] of targets.entries()) {
        const from = source.get(plan.name);
        const columns = from ? plan.columns.filter((c) => from.columns.includes(c)) : [];
        added[camelName(plan.name)] = columns.length > 0 ? insertMissing(sql, plan, columns) : 0;
        onTable(plan.name, index);
      }
      return added;
    });
  });
}

function insertMissing(sql: Sql, plan: TablePlan, columns: string[]): number {
  const list = columns.map(ident).join(', ');
  const select = columns.map((c) => `t.${ident(c)}`).join(', ');
  // `WHERE` is required before `ON CONFLICT` in INSERT … SELECT (parsing ambiguity with joins).
  sql.exec(
    `INSERT INTO main.${ident(plan.name)} (${list}) SELECT ${select} FROM ${IMPORT_SCHEMA}.${ident(plan.name)} AS t
     WHERE ${parentsExist(plan, 't')} ON CONFLICT DO NOTHING`,
  );
  return sql.raw.changes();
}

/** Row counts of the user-data tables of the live database (camelCase names, as `mergeFile` reports them). */
export function tableCounts(sql: Sql): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const plan of scopedTables(sql.raw, 'main')) {
    counts[camelName(plan.name)] = Number(sql.raw.selectValue(`SELECT count(*) FROM main.${ident(plan.name)}`) ?? 0);
  }
  return counts;
}

/**
 * A new database file with this app's full schema (built by the same
 * migrations, so the same version and application_id) holding only the rows
 * of `scope`: its space row, its root rows and their children.
 */
export function copySpace(sql: Sql, migrations: Migration[], scope: Scope): Uint8Array {
  const sqlite3 = sql.sqlite3;
  const empty = openDatabase(createMemoryDriver(sqlite3), 'space-export', migrations);
  let template: Uint8Array;
  try {
    template = serialize(sqlite3, empty.sql.raw);
  } finally {
    empty.sql.close();
  }
  return withAttached(sqlite3, sql, EXPORT_SCHEMA, template, () => {
    const plans = dataTables(sql.raw, 'main');
    const byName = new Map(plans.map((plan) => [plan.name, plan]));
    sql.tx(() => {
      for (const plan of plans) {
        const params: SqlValue[] = [];
        const condition = scopeCondition(byName, plan.name, 't', scope, params);
        if (condition === null) continue;
        const list = plan.columns.map(ident).join(', ');
        const select = plan.columns.map((c) => `t.${ident(c)}`).join(', ');
        sql.raw.exec({
          sql: `INSERT INTO ${EXPORT_SCHEMA}.${ident(plan.name)} (${list}) SELECT ${select} FROM main.${ident(plan.name)} AS t WHERE ${condition}`,
          bind: params,
        });
      }
    });
    return serialize(sqlite3, sql.raw, EXPORT_SCHEMA);
  });
}
