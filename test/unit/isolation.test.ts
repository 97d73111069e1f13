/**
 * Scope isolation under hostile use: every scoped method, called from one
 * scope with the ids of another scope's rows, must fail, answer "nothing",
 * and leave every row of every scope exactly as it was.
 */
import { describe, expect, test } from 'vitest';
import type { ScopedApi } from '../../src/shared/api';
import type { MnemoError } from '../../src/shared/errors';
import type { Scope } from '../../src/shared/models';
import { openTest } from './helpers';
import { prng } from '../support/prng';

const T0 = 1_750_000_000_000;
const DAY = 86_400_000;

// 'ann' + 'work' and 'an' + 'nwork' spell the same string; 'ANN' differs from 'ann' only by case.
const USERS = ['ann', 'an', 'ANN'];
const SPACES = ['work', 'nwork'];
const SCOPES: Scope[] = USERS.flatMap((userId) => SPACES.map((spaceId) => ({ userId, spaceId })));
/** Scopes that never write anything; clear-type calls are made from here. */
const EMPTY_SCOPES: Scope[] = [
  { userId: 'ann', spaceId: 'home' },
  { userId: 'annw', spaceId: 'ork' },
  { userId: 'Ann', spaceId: 'work' },
  { userId: 'ann ', spaceId: 'work' },
];
const SEEDS = [1, 7, 42, 2024];

const tag = (scope: Scope) => `${scope.userId}|${scope.spaceId}`;

interface Rows {
  agents: string[];
  sessions: string[];
  conversations: string[];
  messages: string[];
  memories: string[];
  vectors: Array<{ id: string; collection: string; documentId: string | null }>;
  documents: string[];
  settingKeys: string[];
  executions: string[];
}

type Harness = Awaited<ReturnType<typeof openTest>>;

async function populate(api: ScopedApi, rnd: ReturnType<typeof prng>): Promise<Rows> {
  const rows: Rows = { agents: [], sessions: [], conversations: [], messages: [], memories: [], vectors: [], documents: [], settingKeys: [], executions: [] };
  const label = tag(api.scope);
  for (let i = rnd.int(1, 3); i > 0; i--) rows.agents.push((await api.agents.create({ name: `agent ${label} ${i}`, model: rnd.pick(['m1', 'm2', null]) })).id);
  for (let i = rnd.int(1, 3); i > 0; i--) {
    const agentId = rnd.chance(0.6) ? rnd.pick(rows.agents) : null;
    const session = await api.sessions.create({ name: `session ${i}`, agentId, metadata: { owner: label } });
    rows.sessions.push(session.id);
    for (let c = rnd.int(1, 2); c > 0; c--) {
      const conv = await api.conversations.create({ sessionId: session.id, title: `conv ${label}`, status: rnd.pick(['active', 'archived'] as const) });
      rows.conversations.push(conv.id);
      const n = rnd.int(1, 3);
      if (rnd.chance(0.5)) {
        const { ids } = await api.messages.insertMany(
          Array.from({ length: n }, (_, k) => ({ conversationId: conv.id, role: rnd.pick(['user', 'assistant'] as const), content: `batch ${label} ${k}` })),
        );
        rows.messages.push(...ids);
      } else {
        for (let k = 0; k < n; k++) rows.messages.push((await api.messages.add({ conversationId: conv.id, role: 'user', content: `msg ${label} ${k}` })).id);
      }
    }
    if (rows.documents.length === 0 || rnd.chance(0.5)) {
      const text = `# Notes for ${label}\n\n${'Line of text.\n'.repeat(rnd.int(1, 30))}`;
      rows.documents.push((await api.documents.upload(session.id, { name: `notes-${i}.md`, bytes: new TextEncoder().encode(text) }, { maxChunkChars: 100 })).id);
    }
  }
  for (let i = rnd.int(1, 3); i > 0; i--) {
    const sourceMessageId = rnd.chance(0.3) ? rnd.pick(rows.messages) : null;
    rows.memories.push((await api.memories.add({ kind: 'long', content: `long ${label} ${i}`, importance: rnd.int(0, 10) / 10, sourceMessageId })).memory.id);
  }
  for (let i = rnd.int(1, 3); i > 0; i--) {
    // Some already expired: a foreign cleanupExpired must still not reach them.
    const expiresAt = rnd.chance(0.5) ? T0 - rnd.int(1, 1000) : T0 + rnd.int(1, 10) * DAY;
    rows.memories.push((await api.memories.add({ kind: 'short', content: `short ${label} ${i}`, expiresAt })).memory.id);
  }
  for (let i = rnd.int(1, 3); i > 0; i--) {
    // The same document ids are used in every scope on purpose.
    const documentId = rnd.chance(0.8) ? `doc-${i}` : null;
    const entry = await api.vectors.add({ collection: rnd.pick(['notes', 'facts']), content: `vector ${label} ${i}`, documentId });
    if (!rows.vectors.some((v) => v.id === entry.id)) rows.vectors.push({ id: entry.id, collection: entry.collection, documentId: entry.documentId });
  }
  for (let i = rnd.int(1, 3); i > 0; i--) {
    const key = `key ${label} ${i}`;
    await api.settings.set(key, { owner: label, i });
    rows.settingKeys.push(key);
  }
  await api.settings.set('shared-key', label);
  for (const agentId of rows.agents) {
    const sessionId = rnd.chance(0.5) ? rnd.pick(rows.sessions) : null;
    const execution = await api.executions.start(agentId, sessionId, { queued: rnd.chance(0.5) });
    rows.executions.push(execution.id);
    if (execution.status === 'running' && rnd.chance(0.5)) await api.executions.finish(execution.id, 'succeeded');
  }
  return rows;
}

/** Every row of one scope, child tables reached through their parents, as one comparable value. */
function fingerprint(t: Harness, scope: Scope): Record<string, unknown[]> {
  const p = [scope.userId, scope.spaceId];
  const q = (query: string) => t.core.sql.all(query, p);
  const SESSION = 's.user_id = ? AND s.space_id = ?';
  return {
    spaces: q('SELECT * FROM spaces WHERE user_id = ? AND space_id = ?'),
    agents: q('SELECT * FROM agents WHERE user_id = ? AND space_id = ? ORDER BY id'),
    sessions: q('SELECT * FROM sessions s WHERE user_id = ? AND space_id = ? ORDER BY id'),
    conversations: q(`SELECT c.* FROM conversations c JOIN sessions s ON s.id = c.session_id WHERE ${SESSION} ORDER BY c.id`),
    messages: q(`SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN sessions s ON s.id = c.session_id
      WHERE ${SESSION} ORDER BY m.id`),
    memories: q('SELECT * FROM memories WHERE user_id = ? AND space_id = ? ORDER BY id'),
    vectors: q('SELECT * FROM vector_entries WHERE user_id = ? AND space_id = ? ORDER BY id'),
    stores: q(`SELECT st.* FROM stores st JOIN sessions s ON s.id = st.session_id WHERE ${SESSION} ORDER BY st.id`),
    contents: q(`SELECT d.* FROM contents d JOIN stores st ON st.id = d.store_id JOIN sessions s ON s.id = st.session_id WHERE ${SESSION} ORDER BY d.id`),
    chunks: q(`SELECT k.* FROM chunks k JOIN contents d ON d.id = k.content_id JOIN stores st ON st.id = d.store_id
      JOIN sessions s ON s.id = st.session_id WHERE ${SESSION} ORDER BY k.id`),
    settings: q('SELECT * FROM settings WHERE user_id = ? AND space_id = ? ORDER BY key'),
    executions: q('SELECT * FROM agent_executions WHERE user_id = ? AND space_id = ? ORDER BY id'),
    // Tables of later migrations, when present: derived rows of the scope.
    ...(hasTable(t, 'embeddings') ? { embeddings: q('SELECT * FROM embeddings WHERE user_id = ? AND space_id = ? ORDER BY owner_table, owner_id, model_id') } : {}),
    ...(hasTable(t, 'index_meta') ? { indexMeta: q(`SELECT i.* FROM index_meta i JOIN sessions s ON s.id = i.session_id WHERE ${SESSION} ORDER BY i.session_id`) } : {}),
  };
}

const hasTable = (t: Harness, name: string) => t.core.sql.value("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", [name]) !== undefined;

/**
 * Every row of every ordinary table (full-text shadow tables included), except
 * the space rows of `ignoredScopes`: a no-op write from a fresh scope creates its space row.
 */
function databaseDump(t: Harness, ignoredScopes: Scope[] = []): Record<string, string[]> {
  const tables = t.core.sql
    .all<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name")
    .map((r) => r.name);
  const ignored = new Set(ignoredScopes.map(tag));
  const out: Record<string, string[]> = {};
  for (const table of tables) {
    let rows = t.core.sql.all(`SELECT * FROM "${table}"`);
    if (table === 'spaces') rows = rows.filter((row) => !ignored.has(`${row.user_id}|${row.space_id}`));
    out[table] = rows.map((row) => JSON.stringify(row, (_, v: unknown) => (v instanceof Uint8Array ? [...v] : typeof v === 'bigint' ? `${v}n` : v))).sort();
  }
  return out;
}

/** The tables `fingerprint` reads, to count rows that a fingerprint would miss. */
const FINGERPRINT_TABLES = ['agents', 'sessions', 'conversations', 'messages', 'memories', 'vector_entries', 'stores', 'contents', 'chunks', 'settings', 'agent_executions', 'embeddings', 'index_meta'];
const tableCounts = (t: Harness) =>
  Object.fromEntries(FINGERPRINT_TABLES.filter((table) => hasTable(t, table)).map((table) => [table, Number(t.core.sql.value(`SELECT count(*) FROM ${table}`))]));
/** Rows of (owner_table, owner_id) tables, such as an embedding queue, whose owner row is gone. */
const orphanOwnerRows = (t: Harness) => {
  const tables = t.core.sql
    .all<{ name: string }>(
      `SELECT m.name FROM sqlite_schema m WHERE m.type = 'table'
         AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'owner_table')
         AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'owner_id')`,
    )
    .map((r) => r.name);
  let orphans = 0;
  for (const table of tables) {
    for (const { owner } of t.core.sql.all<{ owner: string }>(`SELECT DISTINCT owner_table AS owner FROM "${table}"`)) {
      orphans += Number(t.core.sql.value(`SELECT count(*) FROM "${table}" x WHERE x.owner_table = ? AND NOT EXISTS (SELECT 1 FROM "${owner}" o WHERE o.id = x.owner_id)`, [owner]));
    }
  }
  return orphans;
};
const rowsOfScope = (t: Harness, scope: Scope) => {
  // Any table with scope columns, whatever migration added it.
  const tables = t.core.sql
    .all<{ name: string }>(
      `SELECT m.name FROM sqlite_schema m WHERE m.type = 'table' AND m.name <> 'spaces'
         AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'user_id')
         AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'space_id')`,
    )
    .map((r) => r.name);
  return tables.reduce((n, table) => n + Number(t.core.sql.value(`SELECT count(*) FROM "${table}" WHERE user_id = ? AND space_id = ?`, [scope.userId, scope.spaceId])), 0);
};
const fingerprintSize = (print: Record<string, unknown[]>) => Object.values(print).reduce((n, rows) => n + rows.length, 0);

async function rejection(promise: Promise<unknown>): Promise<MnemoError | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error as MnemoError;
  }
}

/** The hostile calls `attacker` makes against `victim`'s rows; `own` are the attacker's own rows. */
async function attack(attacker: ScopedApi, victim: Rows, own: Rows, where: string) {
  const failures: string[] = [];
  const expectCode = async (code: MnemoError['code'], call: string, promise: Promise<unknown>) => {
    const error = await rejection(promise);
    if (error?.code !== code) failures.push(`${call}: expected ${code}, got ${error ? error.code : 'success'}`);
  };
  const notFound = (call: string, promise: Promise<unknown>) => expectCode('NOT_FOUND', call, promise);
  const expectValue = async (call: string, promise: Promise<unknown>, expected: unknown) => {
    let value: unknown;
    try {
      value = await promise;
    } catch (error) {
      value = error;
    }
    if (JSON.stringify(value) !== JSON.stringify(expected)) failures.push(`${call}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(value)}`);
  };
  const ownSession = own.sessions[0]!;
  const ownConversation = own.conversations[0]!;
  const ownAgent = own.agents[0]!;
  const file = { name: 'intrude.md', bytes: new TextEncoder().encode('# intrude') };

  for (const id of victim.agents) {
    await notFound('agents.get', attacker.agents.get(id));
    await expectCode('CONFLICT', 'agents.create(same id)', attacker.agents.create({ id, name: 'clone' }));
    await notFound('agents.update', attacker.agents.update(id, { name: 'hijacked', isActive: false }));
    await expectValue('agents.delete', attacker.agents.delete(id), false);
    await notFound('executions.start(agent)', attacker.executions.start(id));
    await notFound('sessions.create(agentId)', attacker.sessions.create({ name: 'x', agentId: id }));
    await notFound('sessions.update(agentId)', attacker.sessions.update(ownSession, { agentId: id }));
    await expectValue('executions.list(agentId)', attacker.executions.list({ agentId: id }).then((p) => p.total), 0);
  }
  for (const id of victim.sessions) {
    await notFound('sessions.get', attacker.sessions.get(id));
    await expectCode('CONFLICT', 'sessions.create(same id)', attacker.sessions.create({ id, name: 'clone' }));
    await notFound('sessions.update', attacker.sessions.update(id, { name: 'hijacked', metadata: {} }));
    await expectValue('sessions.delete', attacker.sessions.delete(id), false);
    await notFound('conversations.create', attacker.conversations.create({ sessionId: id }));
    await expectValue('conversations.list(sessionId)', attacker.conversations.list({ sessionId: id }).then((p) => p.total), 0);
    await notFound('messages.deleteBySession', attacker.messages.deleteBySession(id));
    await notFound('documents.upload', attacker.documents.upload(id, file));
    await notFound('documents.list', attacker.documents.list(id));
    await notFound('executions.start(session)', attacker.executions.start(ownAgent, id));
    await expectValue('executions.list(sessionId)', attacker.executions.list({ sessionId: id }).then((p) => p.total), 0);
  }
  for (const id of victim.conversations) {
    await notFound('conversations.get', attacker.conversations.get(id));
    await expectCode('CONFLICT', 'conversations.create(same id)', attacker.conversations.create({ id, sessionId: ownSession }));
    await notFound('conversations.update', attacker.conversations.update(id, { title: 'hijacked', status: 'closed' }));
    await expectValue('conversations.delete', attacker.conversations.delete(id), false);
    await notFound('messages.page', attacker.messages.page(id));
    await notFound('messages.add', attacker.messages.add({ conversationId: id, role: 'user', content: 'intrude' }));
    await notFound('messages.insertMany', attacker.messages.insertMany([
      { conversationId: ownConversation, role: 'user', content: 'decoy' },
      { conversationId: id, role: 'user', content: 'intrude' },
    ]));
    await notFound('messages.deleteByConversation', attacker.messages.deleteByConversation(id));
  }
  for (const id of victim.messages) {
    await notFound('messages.get', attacker.messages.get(id));
    await expectValue('messages.delete', attacker.messages.delete(id), false);
    await notFound('messages.upsert(victim conversation)', attacker.messages.upsert({ id, conversationId: victim.conversations[0]!, role: 'user', content: 'overwrite' }));
    await expectCode('CONFLICT', 'messages.upsert(own conversation)', attacker.messages.upsert({ id, conversationId: ownConversation, role: 'user', content: 'overwrite' }));
    await expectCode('CONFLICT', 'messages.add(same id)', attacker.messages.add({ id, conversationId: ownConversation, role: 'user', content: 'dup' }));
    await notFound('memories.add(sourceMessageId)', attacker.memories.add({ kind: 'long', content: 'stolen source', sourceMessageId: id }));
  }
  for (const id of victim.memories) {
    await notFound('memories.get', attacker.memories.get(id));
    await notFound('memories.update', attacker.memories.update(id, { content: 'hijacked', importance: 1 }));
    await expectValue('memories.delete', attacker.memories.delete(id), false);
    await expectCode('CONFLICT', 'memories.add(same id)', attacker.memories.add({ id, kind: 'long', content: `unique ${id}` }));
  }
  await expectValue('memories.touch', attacker.memories.touch(victim.memories), 0);
  for (const { id, collection, documentId } of victim.vectors) {
    await notFound('vectors.get', attacker.vectors.get(id));
    await expectCode('CONFLICT', 'vectors.add(same id)', attacker.vectors.add({ id, collection, content: 'clone' }));
    await expectValue('vectors.delete', attacker.vectors.delete(id), false);
    if (documentId) {
      const error = await rejection(attacker.vectors.getByDocumentId(collection, documentId).then((entry) => {
        if (entry.id === id) failures.push('vectors.getByDocumentId returned the foreign entry');
      }));
      if (error && error.code !== 'NOT_FOUND') failures.push(`vectors.getByDocumentId: ${error.code}`);
    }
  }
  for (const id of victim.documents) {
    await notFound('documents.get', attacker.documents.get(id));
    await notFound('documents.chunks', attacker.documents.chunks(id));
    await expectValue('documents.delete', attacker.documents.delete(id), false);
  }
  for (const key of victim.settingKeys) {
    await expectValue('settings.get', attacker.settings.get(key), null);
    await expectValue('settings.delete', attacker.settings.delete(key), false);
  }
  for (const id of victim.executions) {
    await notFound('executions.get', attacker.executions.get(id));
    await notFound('executions.run', attacker.executions.run(id));
    await notFound('executions.finish', attacker.executions.finish(id, 'cancelled', 'hijacked'));
  }

  // Lists and aggregate reads show the attacker's own rows only.
  const foreign = new Set([
    ...victim.agents, ...victim.sessions, ...victim.conversations, ...victim.messages, ...victim.memories,
    ...victim.vectors.map((v) => v.id), ...victim.documents, ...victim.executions,
  ]);
  const listed = [
    ...(await attacker.agents.list({ pageSize: 1000 })).items,
    ...(await attacker.sessions.list({ pageSize: 1000 })).items,
    ...(await attacker.conversations.list({ pageSize: 1000 })).items,
    ...(await attacker.messages.page(ownConversation, { pageSize: 1000 })).items,
    ...(await attacker.memories.list({ pageSize: 1000, includeExpired: true })).items,
    ...(await attacker.vectors.list({ pageSize: 1000 })).items,
    ...(await attacker.documents.list(ownSession, { pageSize: 1000 })).items,
    ...(await attacker.executions.list({ pageSize: 1000 })).items,
  ].map((row) => row.id);
  for (const id of listed) if (foreign.has(id)) failures.push(`a list returned foreign id ${id}`);
  const ownIds = new Set([...own.agents, ...own.sessions, ...own.conversations, ...own.memories, ...own.vectors.map((v) => v.id), ...own.executions]);
  for (const id of ownIds) if (!listed.includes(id)) failures.push(`a list is missing own id ${id}`);
  const settings = await attacker.settings.list();
  for (const key of victim.settingKeys) if (key in settings) failures.push(`settings.list returned foreign key ${key}`);
  if (settings['shared-key'] !== tag(attacker.scope)) failures.push('settings.list shows a foreign value for a shared key');
  if ((await attacker.settings.get('shared-key')) !== tag(attacker.scope)) failures.push('settings.get returned a foreign value');
  const collections = await attacker.vectors.collections();
  const expected = new Map<string, number>();
  for (const v of own.vectors) expected.set(v.collection, (expected.get(v.collection) ?? 0) + 1);
  if (JSON.stringify(collections) !== JSON.stringify([...expected].sort().map(([collection, n]) => ({ collection, count: n })))) {
    failures.push(`vectors.collections counts more than own rows: ${JSON.stringify(collections)}`);
  }

  return failures.map((f) => `${where}: ${f}`);
}

describe('scope isolation under hostile calls (randomized)', () => {
  for (const seed of SEEDS) {
    test(`seed ${seed}: 3 users × 2 spaces, every method from every other scope`, async () => {
      const rnd = prng(seed);
      const t = await openTest({ now: () => T0 });
      try {
        const rows = new Map<string, Rows>();
        // Fill the scopes in a seed-dependent order.
        for (const scope of rnd.shuffle(SCOPES)) rows.set(tag(scope), await populate(t.mnemo.space(scope), rnd));

        const before = new Map(SCOPES.map((scope) => [tag(scope), fingerprint(t, scope)]));
        for (const print of before.values()) expect(fingerprintSize(print)).toBeGreaterThan(10);
        const dumpBefore = databaseDump(t);

        const failures: string[] = [];
        for (const victim of SCOPES) {
          for (const attacker of SCOPES) {
            if (attacker === victim) continue;
            failures.push(...(await attack(t.mnemo.space(attacker), rows.get(tag(victim))!, rows.get(tag(attacker))!, `${tag(attacker)} → ${tag(victim)}`)));
          }
        }
        // Clear-type calls and every delete from scopes that hold nothing: they find nothing.
        for (const scope of EMPTY_SCOPES) {
          const s = t.mnemo.space(scope);
          const where = `empty ${tag(scope)}`;
          const zero = async (call: string, promise: Promise<unknown>) => {
            const value = await promise.catch((error: MnemoError) => error.code);
            if (value !== 0) failures.push(`${where}: ${call} returned ${JSON.stringify(value)}`);
          };
          await zero('memories.cleanupExpired', s.memories.cleanupExpired());
          await zero('memories.clearLongTerm', s.memories.clearLongTerm());
          await zero('memories.clearShortTerm', s.memories.clearShortTerm());
          await zero('vectors.clearVectors()', s.vectors.clearVectors());
          await zero('vectors.clearVectors(notes)', s.vectors.clearVectors('notes'));
          await zero('vectors.clearVectors(facts)', s.vectors.clearVectors('facts'));
          await zero('memories.touch', s.memories.touch([...rows.values()].flatMap((r) => r.memories)));
          await zero('agents.list', s.agents.list().then((p) => p.total));
          await zero('memories.list', s.memories.list({ includeExpired: true }).then((p) => p.total));
          await zero('vectors.list', s.vectors.list().then((p) => p.total));
          await zero('executions.list', s.executions.list().then((p) => p.total));
          await zero('conversations.list', s.conversations.list().then((p) => p.total));
          await zero('sessions.list', s.sessions.list().then((p) => p.total));
          await zero('vectors.collections', s.vectors.collections().then((c) => c.length));
          await zero('settings.list', s.settings.list().then((l) => Object.keys(l).length));
          for (const victim of rows.values()) {
            for (const id of victim.memories) await zero('memories.delete', s.memories.delete(id).then(Number));
            for (const id of victim.documents) await zero('documents.delete', s.documents.delete(id).then(Number));
            for (const id of victim.sessions) await zero('sessions.delete', s.sessions.delete(id).then(Number));
            for (const key of victim.settingKeys) await zero('settings.delete', s.settings.delete(key).then(Number));
            // A set under a foreign key writes a row of this scope only; deleting it again leaves the table as it was.
            for (const key of victim.settingKeys) {
              await s.settings.set(key, 'overwritten');
              if ((await s.settings.delete(key)) !== true) failures.push(`${where}: settings.delete of its own ${key} did not delete`);
            }
          }
        }
        expect(failures).toEqual([]);

        for (const scope of SCOPES) expect(fingerprint(t, scope), tag(scope)).toEqual(before.get(tag(scope)));
        expect(databaseDump(t, EMPTY_SCOPES)).toEqual(dumpBefore);
        expect(t.core.sql.all('PRAGMA foreign_key_check')).toEqual([]);
      } finally {
        await t.mnemo.close();
      }
    });
  }
});

describe('spaces.delete', () => {
  for (const seed of SEEDS.slice(0, 2)) {
    test(`seed ${seed}: removes exactly the rows of that scope`, async () => {
      const rnd = prng(seed);
      const t = await openTest({ now: () => T0 });
      try {
        for (const scope of SCOPES) await populate(t.mnemo.space(scope), rnd);
        const total = () => Object.values(tableCounts(t)).reduce((a, b) => a + b, 0);
        // One of the two scopes whose names concatenate alike, then one differing only by case.
        for (const doomed of [{ userId: 'ann', spaceId: 'work' }, { userId: 'ANN', spaceId: 'nwork' }]) {
          const survivors = SCOPES.filter((s) => tag(s) !== tag(doomed) && t.core.sql.value('SELECT 1 FROM spaces WHERE user_id = ? AND space_id = ?', [s.userId, s.spaceId]) !== undefined);
          const before = new Map(survivors.map((s) => [tag(s), fingerprint(t, s)]));
          const doomedPrint = fingerprint(t, doomed);
          const doomedRows = fingerprintSize(doomedPrint) - doomedPrint.spaces!.length;
          const totalBefore = total();

          expect(await t.mnemo.spaces.delete(doomed)).toBe(true);
          const after = fingerprint(t, doomed);
          expect(Object.values(after).every((rows) => rows.length === 0), tag(doomed)).toBe(true);
          expect(rowsOfScope(t, doomed)).toBe(0);
          expect(orphanOwnerRows(t)).toBe(0);
          expect(total()).toBe(totalBefore - doomedRows);
          for (const s of survivors) expect(fingerprint(t, s), tag(s)).toEqual(before.get(tag(s)));
          expect((await t.mnemo.space(doomed).memories.list({ includeExpired: true })).total).toBe(0);
          expect(await t.mnemo.spaces.delete(doomed)).toBe(false);
        }
        expect(t.core.sql.all('PRAGMA foreign_key_check')).toEqual([]);
      } finally {
        await t.mnemo.close();
      }
    });
  }
});
