/**
 * Which tables hold data, in which order they can be filled, and how a row
 * reaches its scope — read from the schema itself, so tables added by later
 * migrations are copied without changes here.
 */
import type { Database } from '@sqlite.org/sqlite-wasm';
import type { Scope } from '../../shared/models';
import type { SqlValue } from './sql';

interface ForeignKey {
  parent: string;
  from: string[];
  to: string[];
}

export interface TablePlan {
  name: string;
  /** Insertable columns (generated columns excluded), in table order. */
  columns: string[];
  notNull: Set<string>;
  foreignKeys: ForeignKey[];
}

/** Quotes an identifier taken from the schema. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `vector_entries` → `vectorEntries`, the API's spelling of table names. */
export function camelName(table: string): string {
  return table.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/**
 * Ordinary tables of `schema`, parents before children. Left out: SQLite's
 * own tables, the migration log and the sync log (each file keeps its own; the
 * sync log's triggers record the copied rows as they arrive), virtual tables and
 * their shadow tables (full-text indexes are rebuilt by triggers as rows arrive).
 */
export function dataTables(db: Database, schema: string): TablePlan[] {
  const names = db
    .selectValues(
      `SELECT name FROM pragma_table_list WHERE schema = ? AND type = 'table'
         AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' AND name NOT LIKE 'sync\\_%' ESCAPE '\\' ORDER BY name`,
      [schema],
    )
    .map(String);
  const plans = new Map<string, TablePlan>();
  for (const name of names) {
    const columns = db.selectObjects('SELECT name, "notnull" AS required FROM pragma_table_xinfo(?, ?) WHERE hidden = 0 ORDER BY cid', [name, schema]);
    const keys = new Map<number, ForeignKey>();
    for (const row of db.selectObjects('SELECT id, "table" AS parent, "from", "to" FROM pragma_foreign_key_list(?, ?) ORDER BY id, seq', [name, schema])) {
      const key = keys.get(Number(row.id)) ?? { parent: String(row.parent), from: [], to: [] };
      key.from.push(String(row.from));
      if (row.to !== null) key.to.push(String(row.to));
      keys.set(Number(row.id), key);
    }
    for (const key of keys.values()) {
      // A foreign key without named columns references the parent's primary key.
      if (key.to.length === 0) {
        key.to = db.selectValues('SELECT name FROM pragma_table_info(?, ?) WHERE pk > 0 ORDER BY pk', [key.parent, schema]).map(String);
      }
    }
    plans.set(name, {
      name,
      columns: columns.map((c) => String(c.name)),
      notNull: new Set(columns.filter((c) => Number(c.required) === 1).map((c) => String(c.name))),
      foreignKeys: [...keys.values()],
    });
  }
  return parentsFirst(plans);
}

function parentsFirst(plans: Map<string, TablePlan>): TablePlan[] {
  const ordered: TablePlan[] = [];
  const visited = new Set<string>();
  const visit = (plan: TablePlan) => {
    // Marked before its parents are visited, so a reference cycle ends here instead of recursing forever.
    if (visited.has(plan.name)) return;
    visited.add(plan.name);
    for (const key of plan.foreignKeys) {
      const parent = plans.get(key.parent);
      if (parent) visit(parent);
    }
    ordered.push(plan);
  };
  for (const plan of plans.values()) visit(plan);
  return ordered;
}

/**
 * A WHERE condition on `alias` (a row of `table` in `main`) that holds for
 * rows of `scope`: root tables by their own `user_id`/`space_id`, child
 * tables through a foreign key to a scoped parent (NOT NULL keys first).
 * Null when the table has no way to its scope; its rows then belong to none.
 */
export function scopeCondition(
  plans: Map<string, TablePlan>,
  table: string,
  alias: string,
  scope: Scope,
  params: SqlValue[],
  seen: Set<string> = new Set(),
): string | null {
  const plan = plans.get(table);
  if (!plan || seen.has(table)) return null;
  if (plan.columns.includes('user_id') && plan.columns.includes('space_id')) {
    params.push(scope.userId, scope.spaceId);
    return `${alias}.user_id = ? AND ${alias}.space_id = ?`;
  }
  const keys = [...plan.foreignKeys].sort((a, b) => Number(isRequired(plan, b)) - Number(isRequired(plan, a)));
  for (const key of keys) {
    const parentAlias = `${alias}_p`;
    const inner: SqlValue[] = [];
    const condition = scopeCondition(plans, key.parent, parentAlias, scope, inner, new Set([...seen, table]));
    if (condition === null) continue;
    params.push(...inner);
    const from = key.from.map((c) => `${alias}.${ident(c)}`);
    const to = key.to.map((c) => `${parentAlias}.${ident(c)}`);
    const left = from.length === 1 ? from[0] : `(${from.join(', ')})`;
    return `${left} IN (SELECT ${to.join(', ')} FROM main.${ident(key.parent)} AS ${parentAlias} WHERE ${condition})`;
  }
  return null;
}

/**
 * The tables whose rows are user data: those that reach a scope. The rest is
 * the app's own state (a singleton control row, the embedding work queue),
 * which every database keeps for itself and which is not merged.
 */
export function scopedTables(db: Database, schema: string): TablePlan[] {
  const plans = dataTables(db, schema);
  const byName = new Map(plans.map((plan) => [plan.name, plan]));
  const anyScope: Scope = { userId: '', spaceId: '' };
  return plans.filter((plan) => scopeCondition(byName, plan.name, 't', anyScope, []) !== null);
}

function isRequired(plan: TablePlan, key: ForeignKey): boolean {
  return key.from.every((c) => plan.notNull.has(c));
}

/**
 * True for rows of `alias` whose every foreign key is satisfied in `main`
 * (SQLite's rule: a key with a NULL column is satisfied). Used by merge so a
 * child whose parent was skipped is skipped too instead of failing the merge.
 */
export function parentsExist(plan: TablePlan, alias: string): string {
  const conditions = plan.foreignKeys.map((key, i) => {
    const parent = `${alias}_fk${i}`;
    const nulls = key.from.map((c) => `${alias}.${ident(c)} IS NULL`);
    const match = key.from.map((c, j) => `${parent}.${ident(key.to[j]!)} = ${alias}.${ident(c)}`).join(' AND ');
    return `(${nulls.join(' OR ')} OR EXISTS (SELECT 1 FROM main.${ident(key.parent)} AS ${parent} WHERE ${match}))`;
  });
  return conditions.length > 0 ? conditions.join(' AND ') : '1';
}
