/**
 * The two ways of encryption at rest side by side with no encryption, on the
 * raw path (bench/raw-worker.ts's schema: a messages table and FTS5 fed by a
 * trigger; WAL, EXCLUSIVE, synchronous=FULL) so only the storage layer
 * differs:
 *   plain — the official build on its opfs-sahpool pool;
 *   b     — the same build and pool type, through the own encrypting VFS
 *           (src/worker/engine/aead-vfs.ts, ChaCha20-Poly1305 from @noble/ciphers);
 *   a     — SQLite3 Multiple Ciphers (@evolu/sqlite-wasm, ChaCha20) over its own pool.
 * One worker serves one mode; a fresh worker per cold start.
 */
import sqlite3InitModule, { type Database, type PreparedStatement, type Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { installAeadVfs, prepareAeadDatabase } from '../src/worker/engine/aead-vfs';
import { FTS, INSERT, PAGE_AT, TABLE, TOP10 } from './raw-schema';
import { serve } from './rpc';

export type VfsMode = 'plain' | 'b' | 'a';

export interface VfsRow {
  conversation: string;
  role: string;
  content: string;
  createdAt: number;
}

const FILE = '/vfs-bench.sqlite3';
const SCHEMA = `${TABLE}; ${FTS}`;
/** The first page of a conversation (the cold-start query). */
const FIRST_PAGE = PAGE_AT;

const config = {
  disable: { vfs: { opfs: true, 'opfs-vfs': true, 'opfs-wl': true } },
  warn: () => {},
  debug: () => {},
  log: () => {},
};

let db: Database | undefined;
let insert: PreparedStatement | undefined;
let sealed: () => Record<string, number> = () => ({});

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function openMode(mode: VfsMode, keyHex: string): Promise<{ db: Database; sqlite3: Sqlite3Static }> {
  (globalThis as { sqlite3ApiConfig?: unknown }).sqlite3ApiConfig = config;
  if (mode === 'a') {
    const module = await import('@evolu/sqlite-wasm');
    const sqlite3 = await (module.default as unknown as () => Promise<Sqlite3Static>)();
    await sqlite3.installOpfsSAHPoolVfs({ name: 'vfs-bench-a', directory: '.vfs-bench-a' });
    const rc = (sqlite3.capi as unknown as { sqlite3mc_vfs_create(vfs: string, makeDefault: number): number }).sqlite3mc_vfs_create('vfs-bench-a', 0);
    if (rc !== 0) throw new Error(`sqlite3mc_vfs_create: ${rc}`);
    const handle = new sqlite3.oo1.DB({ filename: FILE, vfs: 'multipleciphers-vfs-bench-a', flags: 'c' });
    handle.exec(`PRAGMA cipher = 'chacha20'; PRAGMA kdf_iter = 1; PRAGMA hexkey = '${keyHex}'`);
    handle.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY');
    return { db: handle, sqlite3 };
  }
  const sqlite3 = await sqlite3InitModule();
  const pool = `vfs-bench-${mode}`;
  await sqlite3.installOpfsSAHPoolVfs({ name: pool, directory: `.${pool}` });
  if (mode === 'plain') {
    const handle = new sqlite3.oo1.DB({ filename: FILE, vfs: pool, flags: 'c' });
    handle.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY');
    return { db: handle, sqlite3 };
  }
  const key = Uint8Array.from(keyHex.match(/../g)!, (pair) => parseInt(pair, 16));
  const vfs = installAeadVfs(sqlite3, { name: `${pool}-aead`, underlying: pool, key });
  sealed = () => ({ ...vfs.counts });
  const handle = new sqlite3.oo1.DB({ filename: FILE, vfs: vfs.name, flags: 'c' });
  prepareAeadDatabase(sqlite3, handle, vfs.pageSize);
  handle.exec('PRAGMA synchronous = FULL');
  return { db: handle, sqlite3 };
}

function database(): Database {
  if (!db) throw new Error('open first');
  return db;
}

const handlers = {
  /** Opens (creating if needed) the mode's database; ms to the open and to the first page of `firstConversation` answered. */
  async open(mode: VfsMode, keyHex: string, firstConversation?: string): Promise<{ openMs: number; firstPageMs: number; rows: number }> {
    const start = performance.now();
    const opened = await openMode(mode, keyHex);
    db = opened.db;
    db.exec(SCHEMA);
    const openMs = performance.now() - start;
    const rows = firstConversation ? db.selectObjects(FIRST_PAGE, [firstConversation, 50, 0]).length : 0;
    return { openMs, firstPageMs: performance.now() - start, rows };
  },

  insertBatch(rows: VfsRow[]): number {
    const handle = database();
    insert ??= handle.prepare(INSERT);
    handle.exec('BEGIN IMMEDIATE');
    try {
      for (const row of rows) {
        insert.bind([row.conversation, row.role, row.content, row.createdAt]);
        insert.stepReset();
      }
      handle.exec('COMMIT');
    } catch (error) {
      handle.exec('ROLLBACK');
      throw error;
    }
    return rows.length;
  },

  /** Durable single adds, timed here (no round trip in the figure): p50 and p95 in ms. */
  adds(rows: VfsRow[]): { p50: number; p95: number } {
    const handle = database();
    insert ??= handle.prepare(INSERT);
    const times: number[] = [];
    for (const row of rows) {
      const start = performance.now();
      insert.bind([row.conversation, row.role, row.content, row.createdAt]);
      insert.stepReset();
      times.push(performance.now() - start);
    }
    times.sort((x, y) => x - y);
    return { p50: times[Math.floor(times.length / 2)]!, p95: times[Math.floor(times.length * 0.95)]! };
  },

  /** Keyword top-10 for each query, `rounds` times; the first round is a cold cache (timed separately). */
  search(queries: string[], rounds: number): { coldP50: number; warmP50: number; hits: number } {
    const handle = database();
    const cold: number[] = [];
    const warm: number[] = [];
    let hits = 0;
    for (let round = 0; round < rounds; round++) {
      for (const query of queries) {
        const match = query.split(/\s+/).map((w) => `"${w}"`).join(' OR ');
        const start = performance.now();
        hits += handle.selectObjects(TOP10, [match]).length;
        (round === 0 ? cold : warm).push(performance.now() - start);
      }
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
    return { coldP50: median(cold), warmP50: median(warm), hits };
  },

  count(): number {
    return Number(database().selectValue('SELECT count(*) FROM messages'));
  },

  /** Rows matching a word through FTS, to prove search reads the encrypted index. */
  matches(word: string): number {
    return Number(database().selectValue('SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?', [`"${word}"`]));
  },

  pageSizeAndCount(): { pageSize: number; pages: number } {
    const handle = database();
    return { pageSize: Number(handle.selectValue('PRAGMA page_size')), pages: Number(handle.selectValue('PRAGMA page_count')) };
  },

  counts(): Record<string, number> {
    return sealed();
  },

  /** Closes the database (SQLite checkpoints the WAL into the main file). */
  close(): void {
    insert?.finalize();
    insert = undefined;
    db?.close();
    db = undefined;
  },

  /** A fresh random key, hex. */
  key(): string {
    return hex(crypto.getRandomValues(new Uint8Array(32)));
  },
};

export type VfsHandlers = typeof handlers;

serve(handlers);
