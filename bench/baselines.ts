/**
 * The baselines as contenders (bench/workloads.ts): raw sqlite-wasm on
 * `opfs-sahpool` without and with FTS5 triggers (bench/raw-worker.ts), Dexie
 * with strict durability (every transaction flushed, as Mnemo's
 * synchronous=FULL commits are) and Orama full-text (bench/orama-worker.ts).
 * Also used by the cold-start pages, which open the same stores again.
 */
import Dexie, { type Table } from 'dexie';
import { PAGE_SIZE, type Contender } from './workloads';
import type { OramaHandlers } from './orama-worker';
import type { RawHandlers, RawRow, RawVariant } from './raw-worker';
import { connect, type Client } from './rpc';

export const RAW_FILES: Record<RawVariant, string> = { plain: '/raw-plain.sqlite3', trigger: '/raw-fts.sqlite3' };
export const DEXIE_NAME = 'bench-dexie';

/** Conversation ids shaped like Mnemo's (36-character UUIDs), so the indexes hold keys of the same size. */
export const conversationKey = (index: number) => `01900000-0000-7000-8000-${index.toString(16).padStart(12, '0')}`;

export const rawWorker = () => connect<RawHandlers>(new Worker(new URL('./raw-worker.ts', import.meta.url), { type: 'module', name: 'raw' }));
export const oramaWorker = () => connect<OramaHandlers>(new Worker(new URL('./orama-worker.ts', import.meta.url), { type: 'module', name: 'orama' }));

export interface DexieMessage {
  id: string;
  conversationId: string;
  role: string;
  content: string;
  createdAt: number;
  updatedAt: number;
}

export type DexieStore = Dexie & { messages: Table<DexieMessage, string> };

export function openDexie(): DexieStore {
  const db = new Dexie(DEXIE_NAME, { chromeTransactionDurability: 'strict' }) as DexieStore;
  db.version(1).stores({ messages: 'id, [conversationId+createdAt]' });
  return db;
}

export function dexiePage(db: DexieStore, conversationId: string, page: number): Promise<DexieMessage[]> {
  return db.messages
    .where('[conversationId+createdAt]')
    .between([conversationId, Dexie.minKey], [conversationId, Dexie.maxKey])
    .offset((page - 1) * PAGE_SIZE)
    .limit(PAGE_SIZE)
    .toArray();
}

let dexieSeq = 0;
/** Time-ordered string keys, as Mnemo's UUIDv7 ids are. */
const dexieId = (at: number) => `${at.toString(36).padStart(10, '0')}-${(dexieSeq++).toString(36).padStart(8, '0')}`;

export function rawPage(raw: Client<RawHandlers>, conversationId: string, page: number): Promise<unknown[]> {
  return raw.call('page', conversationId, PAGE_SIZE, (page - 1) * PAGE_SIZE);
}

const rawRow = (m: { conversation: number; role: string; content: string; createdAt: number }): RawRow => ({
  conversationId: conversationKey(m.conversation),
  role: m.role,
  content: m.content,
  createdAt: m.createdAt,
});

/** Raw sqlite-wasm; `plain` takes part in the insert only. */
export async function rawContender(variant: RawVariant): Promise<Contender & { worker: Client<RawHandlers> }> {
  const worker = rawWorker();
  const created = await worker.call('create', RAW_FILES[variant], variant);
  if (created.journalMode.toLowerCase() !== 'wal') throw new Error(`raw database is not in WAL mode (${created.journalMode})`);
  const insert = {
    worker,
    insertBatch: (rows: Parameters<NonNullable<Contender['insertBatch']>>[0]) => worker.call('insertBatch', rows.map(rawRow)),
    count: () => worker.call('count'),
  };
  if (variant === 'plain') return insert;
  return {
    ...insert,
    page: async (conversation, page) => (await rawPage(worker, conversationKey(conversation), page)).length,
    // The baseline query: either word, bm25, top 10 joined to their rows.
    keyword: async (query) => (await worker.call('search', query.split(' ').map((w) => `"${w}"`).join(' OR '))).length,
    add: (conversation, content) => worker.call('add', { conversationId: conversationKey(conversation), role: 'user', content, createdAt: Date.now() }),
    exportFile: async () => (await worker.call('exportFile')).byteLength,
  };
}

export async function dexieContender(): Promise<Contender & { db: DexieStore }> {
  await Dexie.delete(DEXIE_NAME);
  const db = openDexie();
  await db.open();
  const row = (conversation: number, role: string, content: string, at: number): DexieMessage => ({
    id: dexieId(at),
    conversationId: conversationKey(conversation),
    role,
    content,
    createdAt: at,
    updatedAt: at,
  });
  return {
    db,
    insertBatch: (rows) => db.messages.bulkAdd(rows.map((m) => row(m.conversation, m.role, m.content, m.createdAt))),
    count: () => db.messages.count(),
    page: async (conversation, page) => (await dexiePage(db, conversationKey(conversation), page)).length,
    add: (conversation, content) => db.messages.add(row(conversation, 'user', content, Date.now())),
  };
}

export function oramaContender(): Contender & { worker: Client<OramaHandlers> } {
  const worker = oramaWorker();
  return {
    worker,
    insertBatch: (rows) => worker.call('insert', rows.map((m) => m.content)),
    keyword: async (query) => (await worker.call('search', query)).length,
  };
}
