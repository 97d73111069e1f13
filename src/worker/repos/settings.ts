import type { Json, Scope } from '../../shared/models';
import type { Sql } from '../engine/sql';
import { fromJson, scopeParams } from './common';

export class SettingsRepo {
  constructor(private readonly sql: Sql) {}

  get(scope: Scope, key: string): Json | null {
    const value = this.sql.value('SELECT value FROM settings WHERE user_id = ? AND space_id = ? AND key = ?', [...scopeParams(scope), key]);
    return fromJson(value);
  }

  set(scope: Scope, key: string, value: Json, now: number): void {
    this.sql.run(
      `INSERT INTO settings (user_id, space_id, key, value, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (user_id, space_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [...scopeParams(scope), key, JSON.stringify(value), now],
    );
  }

  delete(scope: Scope, key: string): boolean {
    return this.sql.run('DELETE FROM settings WHERE user_id = ? AND space_id = ? AND key = ?', [...scopeParams(scope), key]) > 0;
  }

  /** A key's value in every scope that has it (an import checks a setting's values before they join the database). */
  valuesOf(key: string): Json[] {
    return this.sql.all<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key]).map((row) => fromJson(row.value) as Json);
  }

  list(scope: Scope): Record<string, Json> {
    const rows = this.sql.all<{ key: string; value: string }>('SELECT key, value FROM settings WHERE user_id = ? AND space_id = ? ORDER BY key', scopeParams(scope));
    // fromEntries defines own properties, so a key like '__proto__' stays a key, not a prototype.
    return Object.fromEntries(rows.map((row) => [row.key, fromJson(row.value)]));
  }
}
