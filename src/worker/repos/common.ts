import { fail } from '../../shared/errors';
import type { Json, JsonObject, Page, Scope } from '../../shared/models';
import type { Params, Sql, SqlValue } from '../engine/sql';

export const DEFAULT_PAGE_SIZE = 50;

export interface PageArgs {
  page?: number;
  pageSize?: number;
}

/** Counts with one aggregate and fetches one page; never loads the whole set. */
export function paginate<T, R>(
  sql: Sql,
  args: PageArgs,
  query: { count: string; select: string; params: SqlValue[] },
  map: (row: R) => T,
): Page<T> {
  const page = args.page ?? 1;
  const pageSize = args.pageSize ?? DEFAULT_PAGE_SIZE;
  const total = Number(sql.value(query.count, query.params) ?? 0);
  const rows = sql.all<R>(`${query.select} LIMIT ? OFFSET ?`, [...query.params, pageSize, (page - 1) * pageSize]);
  return {
    items: rows.map(map),
    total,
    page,
    pageSize,
    hasNext: page * pageSize < total,
    hasPrev: page > 1,
  };
}

export function toJson(value: Json | undefined | null): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

export function fromJson(text: SqlValue | undefined): Json | null {
  return typeof text === 'string' ? (JSON.parse(text) as Json) : null;
}

export function fromJsonObject(text: SqlValue | undefined): JsonObject {
  const value = fromJson(text);
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

export function str(value: SqlValue | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

export function num(value: SqlValue | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** Rows of `spaces` other than the global scope's (see shared/scope.ts). */
export const NOT_GLOBAL_SPACE = "NOT (user_id = '' AND space_id = '')";

export function scopeParams(scope: Scope): [string, string] {
  return [scope.userId, scope.spaceId];
}

export function notFound(what: string): never {
  fail('NOT_FOUND', `${what} not found`);
}

/**
 * Builds `SET a = ?, b = ?` from the fields present in a patch, so an update
 * touches only what the caller sent. Column names come from the caller's
 * fixed map, never from input keys.
 */
export function patchSet(columns: Record<string, string>, patch: Record<string, unknown>, encode: (key: string, value: unknown) => SqlValue): { set: string; params: SqlValue[] } {
  const parts: string[] = [];
  const params: SqlValue[] = [];
  for (const [key, column] of Object.entries(columns)) {
    if (patch[key] === undefined) continue;
    parts.push(`${column} = ?`);
    params.push(encode(key, patch[key]));
  }
  return { set: parts.join(', '), params };
}

export type { Params };
