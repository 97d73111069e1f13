import { afterEach, describe, expect, test } from 'vitest';
import type { MnemoEvent, SpaceJsonExport } from '../../src/shared/api';
import type { Scope } from '../../src/shared/models';
import { createMnemo, fileFor, openCore, type Core, type CoreOptions } from '../../src/worker/core';
import type { MnemoService } from '../../src/worker/service';
import type { StorageDriver } from '../../src/worker/engine/driver';
import { createMemoryDriver } from '../../src/worker/engine/memory-driver';
import { APPLICATION_ID, bundledMigrations, sha256Hex, type Migration } from '../../src/worker/engine/migrations';
import { loadSqlite } from '../../src/worker/engine/sqlite';
import { snapshotBefore, snapshotBeforeMigration, startBackupSchedule } from '../../src/worker/files/backups';
import { unavailableEncryption } from '../../src/worker/encryption/unavailable';
import { errorOf, testCatalog } from './helpers';

const ALICE: Scope = { userId: 'alice', spaceId: 'work' };
const BOB: Scope = { userId: 'bob', spaceId: 'home' };
const DAY = 86_400_000;
const utf8 = (text: string) => new TextEncoder().encode(text);

interface Opened {
  core: Core;
  mnemo: MnemoService;
}
const opened: Opened[] = [];

async function open(options: Partial<CoreOptions> = {}): Promise<Opened> {
  const core = await openCore({ storage: 'memory', catalog: testCatalog(), ...options });
  const mnemo = createMnemo(core);
  const t = { core, mnemo };
  opened.push(t);
  return t;
}

afterEach(async () => {
  for (const t of opened.splice(0)) await t.mnemo.close();
});

/** A scope with one of everything, `n` messages in one conversation. */
async function seed(t: Opened, scope: Scope, n = 5, label = scope.userId) {
  const s = t.mnemo.space(scope);
  const agent = await s.agents.create({ name: `${label} agent` });
  const session = await s.sessions.create({ name: `${label} session`, agentId: agent.id, metadata: { label } });
  const conversation = await s.conversations.create({ sessionId: session.id, title: `${label} chat` });
  await s.messages.insertMany(
    Array.from({ length: n }, (_, i) => ({ conversationId: conversation.id, role: i % 2 ? ('assistant' as const) : ('user' as const), content: `${label} message ${i}` })),
  );
  await s.memories.add({ kind: 'long', content: `${label} likes tea` });
  await s.memories.add({ kind: 'short', content: `${label} is busy today`, ttlMs: DAY });
  await s.vectors.add({ collection: 'notes', documentId: 'readme', content: `${label} vector`, metadata: { lang: 'en' } });
  const document = await s.documents.upload(session.id, { name: 'notes.md', type: 'text/markdown', bytes: utf8(`# ${label}\n\nFirst paragraph.\n\n## Next\n\nSecond.\n`) });
  await s.settings.set('theme', `${label}-dark`);
  const execution = await s.executions.start(agent.id, session.id);
  return { agent, session, conversation, document, execution };
}

const COUNTED = ['spaces', 'agents', 'sessions', 'conversations', 'messages', 'memories', 'vector_entries', 'stores', 'contents', 'chunks', 'settings', 'agent_executions'];

function countsOf(sql: { value: (q: string) => unknown }): Record<string, number> {
  return Object.fromEntries(COUNTED.map((table) => [table, Number(sql.value(`SELECT count(*) FROM ${table}`))]));
}

/** Opens bytes as a database with plain sqlite-wasm (not the code under test). */
async function openBytes(bytes: Uint8Array) {
  const sqlite3 = await loadSqlite();
  const driver = createMemoryDriver(sqlite3);
  await driver.writeFile('copy', bytes);
  const db = driver.open('copy');
  return {
    db,
    value: (q: string) => db.selectValue(q),
    close: () => db.close(),
  };
}

const pristine = (t: Opened) => t.mnemo.files.export({ markDownloaded: false });

/** A migration after the bundled ones, as a later app version would ship. */
async function laterMigration(base: Migration[]): Promise<Migration> {
  const sql = 'CREATE TABLE later_notes (id TEXT PRIMARY KEY, note TEXT NOT NULL);';
  return { version: base.at(-1)!.version + 1, name: 'later_notes', sql, checksum: await sha256Hex(sql) };
}

describe('export', () => {
  test('the whole database as one SQLite file with the same rows', async () => {
    const t = await open();
    await seed(t, ALICE);
    await seed(t, BOB, 3);
    const bytes = await pristine(t);
    expect(new TextDecoder().decode(bytes.subarray(0, 15))).toBe('SQLite format 3');
    expect([bytes[18], bytes[19]]).toEqual([1, 1]);
    const copy = await openBytes(bytes);
    expect(copy.value('PRAGMA integrity_check')).toBe('ok');
    expect(copy.value('PRAGMA application_id')).toBe(APPLICATION_ID);
    expect(copy.value('SELECT max(version) FROM schema_migrations')).toBe(t.core.schemaVersion);
    expect(countsOf({ value: (q) => copy.value(q) })).toEqual(countsOf(t.core.sql));
    expect(bytes.byteLength).toBe(Number(copy.value('PRAGMA page_count')) * Number(copy.value('PRAGMA page_size')));
    copy.close();
  });

  test('records the download unless told not to, and a pristine export changes nothing', async () => {
    let now = 1_000_000;
    const t = await open({ now: () => now });
    await seed(t, ALICE);
    expect((await t.mnemo.files.backups.status()).lastDownloadedAt).toBeNull();
    const first = await pristine(t);
    expect(await pristine(t)).toEqual(first);
    expect((await t.mnemo.files.backups.status()).lastDownloadedAt).toBeNull();
    now += 5;
    await t.mnemo.files.export();
    expect((await t.mnemo.files.backups.status()).lastDownloadedAt).toBe(now);
  });

  test('exportSpace holds only that scope, with the full schema', async () => {
    const t = await open();
    const a = await seed(t, ALICE, 4);
    await seed(t, BOB, 7);
    const bytes = await t.mnemo.files.exportSpace(ALICE);
    const copy = await openBytes(bytes);
    expect(copy.value('PRAGMA integrity_check')).toBe('ok');
    expect(copy.value('PRAGMA application_id')).toBe(APPLICATION_ID);
    expect(copy.value('PRAGMA user_version')).toBe(t.core.schemaVersion);
    expect(copy.value('SELECT count(*) FROM schema_migrations')).toBe(t.core.migrations.length);
    const counts = countsOf({ value: (q) => copy.value(q) });
    // Alice's space and the global scope row that global settings hang off.
    expect(counts).toEqual({
      spaces: 2, agents: 1, sessions: 1, conversations: 1, messages: 4, memories: 2, vector_entries: 1,
      stores: 1, contents: 1, chunks: counts.chunks, settings: 1, agent_executions: 1,
    });
    expect(counts.chunks).toBe(a.document.chunkCount);
    expect(copy.value("SELECT count(*) FROM messages WHERE content LIKE 'bob%'")).toBe(0);
    expect(copy.value("SELECT count(*) FROM spaces WHERE user_id = 'bob'")).toBe(0);
    copy.close();
    expect(await errorOf(t.mnemo.files.exportSpace({ userId: 'nobody', spaceId: 'none' }))).toMatchObject({ code: 'NOT_FOUND' });
  });

  test('exportSpace leaves the live database unchanged', async () => {
    const t = await open();
    await seed(t, ALICE);
    const before = await pristine(t);
    await t.mnemo.files.exportSpace(ALICE);
    expect(await pristine(t)).toEqual(before);
  });

  test('exportJson: the documented, versioned shape with API objects of one scope', async () => {
    const t = await open({ now: () => 1_700_000_000_000 });
    const a = await seed(t, ALICE, 6);
    await seed(t, BOB);
    const json = JSON.parse(await t.mnemo.files.exportJson(ALICE)) as SpaceJsonExport;
    expect(Object.keys(json)).toEqual([
      'format', 'version', 'exportedAt', 'schemaVersion', 'space', 'agents', 'sessions', 'conversations', 'messages',
      'memories', 'vectorEntries', 'documents', 'settings', 'executions',
    ]);
    expect(json).toMatchObject({ format: 'mnemo.space', version: 1, exportedAt: 1_700_000_000_000, schemaVersion: t.core.schemaVersion });
    expect(json.space).toMatchObject({ userId: 'alice', spaceId: 'work' });
    const s = t.mnemo.space(ALICE);
    expect(json.sessions).toEqual([await s.sessions.get(a.session.id)]);
    expect(json.agents).toEqual([await s.agents.get(a.agent.id)]);
    expect(json.conversations).toEqual([await s.conversations.get(a.conversation.id)]);
    expect(json.messages).toEqual((await s.messages.page(a.conversation.id, { pageSize: 100 })).items);
    expect(json.memories.map((m) => m.kind).sort()).toEqual(['long', 'short']);
    expect(json.vectorEntries).toEqual([await s.vectors.getByDocumentId('notes', 'readme')]);
    expect(json.documents.contents).toHaveLength(1);
    expect(json.documents.contents[0]!.fullText).toContain('First paragraph.');
    expect(json.documents.chunks).toEqual(await s.documents.chunks(a.document.id));
    expect(json.settings).toEqual({ theme: 'alice-dark' });
    expect(json.executions).toEqual([await s.executions.get(a.execution.id)]);
    expect(JSON.stringify(json)).not.toContain('bob');
  });

  test('space exports of an encrypted database: the SQLite file sealed unless plaintext, JSON only when asked for in plain text', async () => {
    const core = await openCore({ storage: 'memory', catalog: testCatalog() });
    // A stand-in for the database's sealer (the real one needs the cipher build, see e2e/encryption.test.ts).
    const sealed: Uint8Array[] = [];
    const sealer = { seal: async (plain: Uint8Array) => (sealed.push(plain), Uint8Array.from([...new TextEncoder().encode('MNEMOENC'), ...plain.map((b) => b ^ 0xff)])) };
    const mnemo = createMnemo(core, { encryption: unavailableEncryption(), sealer });
    opened.push({ core, mnemo });
    await seed({ core, mnemo }, ALICE);
    const head = (bytes: Uint8Array, n: number) => new TextDecoder('latin1').decode(bytes.subarray(0, n));
    expect(head(await mnemo.files.exportSpace(ALICE), 8)).toBe('MNEMOENC');
    expect(sealed).toHaveLength(1);
    expect(head(await mnemo.files.exportSpace(ALICE, { plaintext: true }), 15)).toBe('SQLite format 3');
    expect(sealed).toHaveLength(1);
    const refused = await errorOf(mnemo.files.exportJson(ALICE));
    expect(refused).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('{ plaintext: true }') });
    expect(JSON.parse(await mnemo.files.exportJson(ALICE, { plaintext: true }))).toMatchObject({ format: 'mnemo.space', space: { userId: 'alice' } });
    expect(await errorOf(mnemo.files.exportSpace(ALICE, { plaintext: 'yes' } as never))).toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('import rejects bad files and changes nothing', () => {
  async function expectRejected(t: Opened, bytes: Uint8Array, reason: string | RegExp) {
    const before = await pristine(t);
    const backups = (await t.mnemo.files.backups.list()).length;
    for (const mode of ['replace', 'merge'] as const) {
      const error = await errorOf(t.mnemo.files.import(bytes, { mode }));
      expect(error.code).toBe('IMPORT_REJECTED');
      expect(error.message).toMatch(reason);
    }
    // Byte for byte, compared as buffers (toEqual walks half a megabyte element by element, seconds under load).
    expect(Buffer.from(await pristine(t)).equals(Buffer.from(before)), 'the database changed').toBe(true);
    expect(await t.mnemo.files.backups.list()).toHaveLength(backups);
  }

  async function withData() {
    const t = await open();
    await seed(t, ALICE);
    return t;
  }

  async function validExport() {
    const source = await open();
    await seed(source, BOB, 50);
    return source.mnemo.files.export({ markDownloaded: false });
  }

  test('not a SQLite file', async () => {
    const t = await withData();
    const text = utf8('id,name\n1,alice\n'.repeat(300));
    await expectRejected(t, text, /import rejected: not a SQLite file/);
  });

  test('zero bytes', async () => {
    await expectRejected(await withData(), new Uint8Array(0), /empty file/);
  });

  test('truncated', async () => {
    const bytes = await validExport();
    await expectRejected(await withData(), bytes.slice(0, Math.floor(bytes.byteLength / 2)), /truncated/);
    await expectRejected(await withData(), bytes.slice(0, 60), /not a SQLite file/);
  });

  test('extra bytes after the last page', async () => {
    const bytes = await validExport();
    const padded = new Uint8Array(bytes.byteLength + 4096);
    padded.set(bytes);
    await expectRejected(await withData(), padded, /size does not match its header/);
  });

  test('a corrupt b-tree page', async () => {
    const bytes = await validExport();
    const copy = await openBytes(bytes);
    const pageSize = Number(copy.value('PRAGMA page_size'));
    const root = Number(copy.value("SELECT rootpage FROM sqlite_schema WHERE name = 'messages_conversation'"));
    copy.close();
    const corrupt = bytes.slice();
    // Scribble over the page's cell-pointer array and first cells.
    const start = (root - 1) * pageSize + 8;
    for (let i = start; i < start + 200; i++) corrupt[i] = (corrupt[i]! ^ 0x5a) & 0xff;
    await expectRejected(await withData(), corrupt, /corrupt: integrity check failed/);
  });

  test("another application's SQLite file", async () => {
    const sqlite3 = await loadSqlite();
    const db = new sqlite3.oo1.DB(':memory:', 'c');
    db.exec('PRAGMA application_id = 1234; CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES (1), (2);');
    const bytes = sqlite3.capi.sqlite3_js_db_export(db.pointer!);
    db.close();
    await expectRejected(await withData(), bytes, /another application's database \(application_id 0x000004d2/);
  });

  test('a newer schema version', async () => {
    const base = await bundledMigrations();
    const newer = await open({ migrations: [...base, await laterMigration(base)] });
    await seed(newer, BOB);
    const bytes = await newer.mnemo.files.export({ markDownloaded: false });
    const latest = base.at(-1)!.version;
    await expectRejected(await withData(), bytes, `schema version ${latest + 1} is newer than this app (${latest})`);
  });

  test('an edited migration history', async () => {
    const base = await bundledMigrations();
    const edited = base.map((m, i) => (i === 0 ? { ...m, checksum: '0'.repeat(64) } : m));
    const other = await open({ migrations: edited });
    await seed(other, BOB);
    const bytes = await other.mnemo.files.export({ markDownloaded: false });
    await expectRejected(await withData(), bytes, /migration history does not match this app/);
  });

  test('a chat.endpoints setting holding an API key (which settings.set refuses); the same file without the key imports', async () => {
    const source = await open();
    await seed(source, BOB, 5);
    const endpoints = [{ id: 'e1', name: 'Local', baseUrl: 'http://localhost:11434/v1', model: 'llama3' }];
    await source.mnemo.settings.set('chat.endpoints', endpoints);
    const clean = await source.mnemo.files.export({ markDownloaded: false });
    const edited = await openBytes(clean);
    edited.db.exec({ sql: "UPDATE settings SET value = ? WHERE key = 'chat.endpoints'", bind: [JSON.stringify([{ ...endpoints[0], apiKey: 'sk-secret-123' }])] });
    const sqlite3 = await loadSqlite();
    const keyed = sqlite3.capi.sqlite3_js_db_export(edited.db.pointer!);
    edited.close();
    await expectRejected(await withData(), keyed, /chat\.endpoints setting is not one this app writes/);

    const target = await withData();
    await target.mnemo.files.import(clean, { mode: 'merge' });
    expect(await target.mnemo.settings.get('chat.endpoints')).toEqual(endpoints);
  });

  test('over the size limit', async () => {
    const bytes = await validExport();
    const t = await open({ limits: { maxImportBytes: bytes.byteLength - 1 } });
    await seed(t, ALICE);
    await expectRejected(t, bytes, `file too large (${bytes.byteLength} bytes; the limit is ${bytes.byteLength - 1})`);
  });

  test('bad arguments are INVALID_INPUT', async () => {
    const t = await withData();
    const bytes = await pristine(t);
    expect(await errorOf(t.mnemo.files.import(bytes, { mode: 'upsert' } as never))).toMatchObject({ code: 'INVALID_INPUT' });
    expect(await errorOf(t.mnemo.files.import('file' as never, { mode: 'merge' }))).toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('import replace', () => {
  test('swaps the database for the file and backs up the old one first', async () => {
    const source = await open();
    await seed(source, BOB, 12);
    const bytes = await source.mnemo.files.export({ markDownloaded: false });

    const t = await open();
    await seed(t, ALICE);
    await t.mnemo.settings.set('backups.keep', 4);
    await t.mnemo.files.export();
    const downloaded = (await t.mnemo.files.backups.status()).lastDownloadedAt;
    const events: MnemoEvent[] = [];
    t.core.subscribe((event) => events.push(event));

    const result = await t.mnemo.files.import(bytes, { mode: 'replace' });
    expect(result).toMatchObject({ mode: 'replace', schemaVersion: t.core.schemaVersion, migratedFrom: t.core.schemaVersion });
    expect(result.rows).toMatchObject({ messages: 12, sessions: 1, spaces: 2 });
    expect(result.backup).toMatchObject({ reason: 'before-import' });
    // The file's rows, plus this device's two backup settings (keep, lastDownloadedAt).
    const expected = countsOf(source.core.sql);
    expect(countsOf(t.core.sql)).toEqual({ ...expected, settings: expected.settings! + 2 });
    expect((await t.mnemo.space(ALICE).sessions.list()).total).toBe(0);
    expect((await t.mnemo.healthCheck()).ok).toBe(true);
    // This device's backup settings stay; the imported file's data does not bring its own.
    expect(await t.mnemo.settings.get('backups.keep')).toBe(4);
    expect((await t.mnemo.files.backups.status()).lastDownloadedAt).toBe(downloaded);
    expect(events).toContainEqual({ type: 'change', table: '*', scope: null });
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.at(-1)).toMatchObject({ task: 'import', done: 2, total: 2 });

    // The backup holds the state before the import.
    const restored = await t.mnemo.files.backups.restore(result.backup!.id);
    expect(restored.mode).toBe('replace');
    expect((await t.mnemo.space(ALICE).sessions.list()).total).toBe(1);
    expect((await t.mnemo.space(BOB).sessions.list()).total).toBe(0);
  });

  test('an older schema is migrated first', async () => {
    const base = await bundledMigrations();
    const old = await open({ migrations: base });
    await seed(old, BOB, 3);
    const bytes = await old.mnemo.files.export({ markDownloaded: false });

    const t = await open({ migrations: [...base, await laterMigration(base)] });
    await seed(t, ALICE);
    const latest = base.at(-1)!.version;
    const result = await t.mnemo.files.import(bytes, { mode: 'replace' });
    expect(result).toMatchObject({ schemaVersion: latest + 1, migratedFrom: latest });
    expect(t.core.sql.value("SELECT count(*) FROM sqlite_schema WHERE name = 'later_notes'")).toBe(1);
    expect((await t.mnemo.space(BOB).messages.page((await t.mnemo.space(BOB).conversations.list()).items[0]!.id)).total).toBe(3);
    expect((await t.mnemo.healthCheck()).ok).toBe(true);
  });

  test('when the written file does not open, the previous database comes back', async () => {
    const sqlite3 = await loadSqlite();
    const memory = createMemoryDriver(sqlite3);
    let sabotage = false;
    const driver: StorageDriver = {
      ...memory,
      async writeFile(file, bytes) {
        // Storage that damages the database file once while it is written (backups are written intact).
        const damage = sabotage && file === fileFor('mnemo');
        if (damage) sabotage = false;
        await memory.writeFile(file, damage ? bytes.slice(0, 100) : bytes);
      },
    };
    const t = await open({ driver });
    await seed(t, ALICE);
    const source = await open();
    await seed(source, BOB);
    const bytes = await source.mnemo.files.export({ markDownloaded: false });
    const before = countsOf(t.core.sql);
    sabotage = true;
    const error = await errorOf(t.mnemo.files.import(bytes, { mode: 'replace' }));
    expect(error).toMatchObject({ code: 'IMPORT_REJECTED' });
    expect(error.message).toContain('could not be opened');
    expect(countsOf(t.core.sql)).toEqual(before);
    expect((await t.mnemo.space(ALICE).sessions.list()).total).toBe(1);
  });
});

describe('import merge', () => {
  test('adds what is missing; the same file twice adds nothing the second time', async () => {
    const source = await open();
    await seed(source, BOB, 8);
    await seed(source, { userId: 'carol', spaceId: 'lab' }, 2);
    const bytes = await source.mnemo.files.export({ markDownloaded: false });

    const t = await open();
    await seed(t, ALICE, 3);
    const first = await t.mnemo.files.import(bytes, { mode: 'merge' });
    expect(first.mode).toBe('merge');
    expect(first.rows).toMatchObject({ spaces: 2, agents: 2, sessions: 2, conversations: 2, messages: 10, memories: 4, vectorEntries: 2, stores: 2, contents: 2, settings: 2, agentExecutions: 2 });
    expect(first.backup).toMatchObject({ reason: 'before-import' });
    const after = countsOf(t.core.sql);
    expect(after.messages).toBe(13);
    expect(after.spaces).toBe(4);

    // Let the embedding queue drain first: work queued by the merge must not count as new rows later.
    await t.mnemo.embeddings.flush(10_000);
    const second = await t.mnemo.files.import(bytes, { mode: 'merge' });
    expect(Object.values(second.rows).every((n) => n === 0), JSON.stringify(second.rows)).toBe(true);
    expect(countsOf(t.core.sql)).toEqual(after);
    expect((await t.mnemo.healthCheck()).ok).toBe(true);
    expect(await t.mnemo.space(BOB).settings.get('theme')).toBe('bob-dark');
  });

  test('existing rows win over the file; children of skipped rows are skipped', async () => {
    const t = await open();
    const a = await seed(t, ALICE, 2);
    const mine = await pristine(t);
    // Diverge: the copy renames the session and adds a message; the live one changes the title.
    const copy = await open();
    await copy.mnemo.files.import(mine, { mode: 'replace' });
    const cs = copy.mnemo.space(ALICE);
    await cs.sessions.update(a.session.id, { name: 'renamed in copy' });
    await cs.messages.add({ conversationId: a.conversation.id, role: 'user', content: 'written in the copy' });
    await t.mnemo.space(ALICE).conversations.update(a.conversation.id, { title: 'live title' });

    const result = await t.mnemo.files.import(await pristine(copy), { mode: 'merge' });
    expect(result.rows.messages).toBe(1);
    expect(result.rows.sessions).toBe(0);
    const s = t.mnemo.space(ALICE);
    expect((await s.sessions.get(a.session.id)).name).toBe('alice session');
    expect((await s.conversations.get(a.conversation.id)).title).toBe('live title');
    expect((await s.messages.page(a.conversation.id)).items.map((m) => m.content)).toContain('written in the copy');
  });

  test('reports progress per table', async () => {
    const source = await open();
    await seed(source, BOB);
    const bytes = await source.mnemo.files.export({ markDownloaded: false });
    const t = await open();
    const events: MnemoEvent[] = [];
    t.core.subscribe((event) => events.push(event));
    await t.mnemo.files.import(bytes, { mode: 'merge' });
    const progress = events.filter((e): e is Extract<MnemoEvent, { type: 'progress' }> => e.type === 'progress');
    expect(progress[0]).toMatchObject({ task: 'import', done: 0 });
    expect(progress.map((p) => p.detail)).toEqual(expect.arrayContaining(['validated', 'backed up', 'messages', 'done']));
    expect(progress.at(-1)!.done).toBe(progress.at(-1)!.total);
  });
});

describe('backups', () => {
  test('backup → change → restore gives the old data back, after backing up the current state', async () => {
    const t = await open();
    const a = await seed(t, ALICE, 4);
    const backup = await t.mnemo.files.backups.create('before the trip');
    expect(backup).toMatchObject({ reason: 'before the trip' });
    expect(backup.sizeBytes).toBeGreaterThan(0);
    const before = countsOf(t.core.sql);

    await t.mnemo.space(ALICE).sessions.delete(a.session.id);
    await seed(t, BOB);
    const result = await t.mnemo.files.backups.restore(backup.id);
    expect(result.backup).toMatchObject({ reason: 'before-restore' });
    expect(countsOf(t.core.sql)).toEqual(before);
    expect((await t.mnemo.space(ALICE).messages.page(a.conversation.id)).total).toBe(4);
    expect((await t.mnemo.files.backups.list()).map((b) => b.reason)).toEqual(['before-restore', 'before the trip']);

    // The automatic backup undoes the restore.
    await t.mnemo.files.backups.restore(result.backup!.id);
    expect((await t.mnemo.space(BOB).sessions.list()).total).toBe(1);
  });

  test('list, download and delete', async () => {
    let now = 10 * DAY;
    const t = await open({ now: () => now });
    await seed(t, ALICE);
    const first = await t.mnemo.files.backups.create();
    now += 1000;
    const second = await t.mnemo.files.backups.create('second');
    expect(await t.mnemo.files.backups.list()).toEqual([second, first]);
    expect(first.reason).toBe('manual');

    const bytes = await t.mnemo.files.backups.download(first.id);
    expect(bytes.byteLength).toBe(first.sizeBytes);
    const copy = await openBytes(bytes);
    expect(copy.value('PRAGMA integrity_check')).toBe('ok');
    copy.close();
    // A downloaded backup is a copy as old as the backup.
    expect((await t.mnemo.files.backups.status()).lastDownloadedAt).toBe(first.createdAt);

    expect(await t.mnemo.files.backups.delete(first.id)).toBe(true);
    expect(await t.mnemo.files.backups.delete(first.id)).toBe(false);
    expect(await t.mnemo.files.backups.list()).toEqual([second]);
    expect(await errorOf(t.mnemo.files.backups.restore(first.id))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await errorOf(t.mnemo.files.backups.download('../mnemo'))).toMatchObject({ code: 'INVALID_INPUT' });
    expect(await errorOf(t.mnemo.files.backups.create('x'.repeat(65)))).toMatchObject({ code: 'INVALID_INPUT' });
  });

  test('keeps the newest N (setting backups.keep, default 5)', async () => {
    let now = DAY;
    const t = await open({ now: () => now });
    await seed(t, ALICE);
    const made = [];
    for (let i = 0; i < 7; i++) {
      now += 1000;
      made.push(await t.mnemo.files.backups.create(`n${i}`));
    }
    expect((await t.mnemo.files.backups.list()).map((b) => b.reason)).toEqual(['n6', 'n5', 'n4', 'n3', 'n2']);
    await t.mnemo.settings.set('backups.keep', 2);
    now += 1000;
    await t.mnemo.files.backups.create('n7');
    expect((await t.mnemo.files.backups.list()).map((b) => b.reason)).toEqual(['n7', 'n6']);
    // Pruned backups are gone from storage, not only from the list.
    expect(t.core.driver.listFiles().filter((f) => f.includes('.backup.'))).toHaveLength(2);
    expect(made).toHaveLength(7);
  });

  test('backups survive replace, restore and clearing the database', async () => {
    const t = await open();
    await seed(t, ALICE);
    const backup = await t.mnemo.files.backups.create();
    await t.mnemo.clearAll({ confirm: true });
    const kept = await t.mnemo.files.backups.list();
    // clearAll takes its own snapshot first; the earlier backup is still there.
    expect(kept).toContainEqual(backup);
    expect(kept.map((b) => b.reason).sort()).toEqual(['before-clear-all', backup.reason].sort());
    await t.mnemo.files.backups.restore(backup.id);
    expect((await t.mnemo.space(ALICE).sessions.list()).total).toBe(1);
  });

  test('a damaged backup is refused like a bad import', async () => {
    const t = await open();
    await seed(t, ALICE);
    const backup = await t.mnemo.files.backups.create();
    const [entry] = t.core.driver.listFiles().filter((f) => f.includes(backup.id));
    const bytes = t.core.driver.readFile(entry!);
    await t.core.driver.writeFile(entry!, bytes.slice(0, 4096));
    const before = await pristine(t);
    expect(await errorOf(t.mnemo.files.backups.restore(backup.id))).toMatchObject({ code: 'IMPORT_REJECTED' });
    expect(await pristine(t)).toEqual(before);
  });

  test('status and the download reminder', async () => {
    let now = 100 * DAY;
    const t = await open({ now: () => now });
    // An empty database needs no reminder.
    expect(await t.mnemo.files.backups.status()).toMatchObject({ count: 0, lastDownloadedAt: null, reminderDue: false, keep: 5, remindAfterDays: 7 });
    await seed(t, ALICE);
    expect((await t.mnemo.files.backups.status()).reminderDue).toBe(true);
    await t.mnemo.files.export();
    expect((await t.mnemo.files.backups.status()).reminderDue).toBe(false);
    now += 8 * DAY;
    expect((await t.mnemo.files.backups.status()).reminderDue).toBe(true);
    await t.mnemo.settings.set('backups.remindAfterDays', 30);
    const status = await t.mnemo.files.backups.status();
    expect(status).toMatchObject({ reminderDue: false, remindAfterDays: 30 });
    await t.mnemo.files.backups.create();
    expect(await t.mnemo.files.backups.status()).toMatchObject({ count: 1, lastBackupAt: now });
  });

  test('snapshotBefore: an automatic backup, skipped while the database is empty', async () => {
    const t = await open();
    expect(await snapshotBefore(t.core, 'before-clear-all')).toBeNull();
    await seed(t, ALICE);
    const info = await snapshotBefore(t.core, 'before-clear-all');
    expect(info).toMatchObject({ reason: 'before-clear-all' });
    expect(await t.mnemo.files.backups.list()).toEqual([info]);
  });

  test('snapshotBeforeMigration backs up an older file before it is migrated', async () => {
    const base = await bundledMigrations();
    const later = [...base, await laterMigration(base)];
    const old = await open({ migrations: base });
    await seed(old, ALICE);
    const bytes = await old.mnemo.files.export({ markDownloaded: false });

    const sqlite3 = await loadSqlite();
    const driver = createMemoryDriver(sqlite3);
    await driver.writeFile(fileFor('mnemo'), bytes);
    expect(await snapshotBeforeMigration(driver, 'mnemo', fileFor('mnemo'), base)).toBeNull();
    const info = await snapshotBeforeMigration(driver, 'mnemo', fileFor('mnemo'), later, () => 42);
    expect(info).toMatchObject({ reason: 'before-migration', createdAt: 42, sizeBytes: bytes.byteLength });
    expect(await snapshotBeforeMigration(driver, 'absent', fileFor('absent'), later)).toBeNull();

    const t = await open({ driver, migrations: later });
    expect(t.core.schemaVersion).toBe(later.at(-1)!.version);
    // openCore snapshots before migrating too; the manual snapshot is among the backups.
    const backup = (await t.mnemo.files.backups.list()).find((b) => b.id === info!.id);
    expect(backup).toEqual(info);
    // The backup is the pre-migration file: restoring it migrates it again.
    const restored = await t.mnemo.files.backups.restore(backup!.id);
    expect(restored.migratedFrom).toBe(base.at(-1)!.version);
  });

  test('the schedule takes a backup when the newest is older than the interval', async () => {
    let now = 50 * DAY;
    const t = await open({ now: () => now });
    await seed(t, ALICE);
    const stop = startBackupSchedule(t.core, { everyMs: DAY, checkMs: 10, firstCheckMs: 1 });
    const until = async (n: number) => {
      for (let i = 0; i < 200 && (await t.mnemo.files.backups.list()).length < n; i++) await new Promise((r) => setTimeout(r, 5));
      return t.mnemo.files.backups.list();
    };
    expect((await until(1)).map((b) => b.reason)).toEqual(['scheduled']);
    await new Promise((r) => setTimeout(r, 60));
    expect(await t.mnemo.files.backups.list()).toHaveLength(1);
    now += DAY;
    expect(await until(2)).toHaveLength(2);
    stop();
  });
});
