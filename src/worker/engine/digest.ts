/**
 * Row counts and a content hash of a database file, to prove that a copy
 * written through another driver (plain → encrypted and back) holds exactly
 * the same rows, rowids included: the full-text index keys on base rowids.
 */
import type { Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { toHex } from '../../shared/hex';
import { sha256 } from '../import/sha256';
import { openScratch } from './snapshot';
import { ident } from './tables';

export interface ContentDigest {
  counts: Record<string, number>;
  hash: string;
}

function cell(value: unknown): unknown {
  return value instanceof Uint8Array ? `x'${toHex(value)}'` : value;
}

export function contentDigest(sqlite3: Sqlite3Static, bytes: Uint8Array): ContentDigest {
  const sql = openScratch(sqlite3, bytes);
  try {
    const tables = sql.raw.selectArrays(
      "SELECT name, sql LIKE '%WITHOUT ROWID%' FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name",
    ) as Array<[string, number]>;
    const counts: Record<string, number> = {};
    const parts: string[] = [];
    for (const [name, withoutRowid] of tables) {
      const rows = sql.raw.selectArrays(withoutRowid ? `SELECT * FROM ${ident(name)}` : `SELECT rowid, * FROM ${ident(name)} ORDER BY rowid`);
      counts[name] = rows.length;
      parts.push(toHex(sha256(new TextEncoder().encode(JSON.stringify(rows.map((row) => row.map(cell)))))));
    }
    return { counts, hash: toHex(sha256(new TextEncoder().encode(parts.join('')))) };
  } finally {
    sql.close();
  }
}
