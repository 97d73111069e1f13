/**
 * s.importConversations through the public API: preview, import, idempotence,
 * a newer export, search over imported text, bad files leaving the database
 * as it was, scope isolation and cancel.
 */
import { zipSync } from 'fflate';
import { beforeEach, describe, expect, test } from 'vitest';
import type { ScopedApi } from '../../src/shared/api';
import { encode, fixture } from './import-helpers';
import { count, errorOf, openTest } from './helpers';

let t: Awaited<ReturnType<typeof openTest>>;
let s: ScopedApi;
const chatgpt = () => ({ name: 'conversations.json', bytes: fixture('chatgpt-conversations.json') });
const tables = () => ({
  conversations: count(t.sql, 'SELECT count(*) FROM conversations'),
  messages: count(t.sql, 'SELECT count(*) FROM messages'),
  sessions: count(t.sql, 'SELECT count(*) FROM sessions'),
});

beforeEach(async () => {
  t = await openTest();
  s = t.mnemo.space({ userId: 'ana', spaceId: 'home' });
});

describe('importConversations', () => {
  test('a dry run reports without writing; the import writes exactly that; a second import changes nothing', async () => {
    const preview = await s.importConversations(chatgpt(), { dryRun: true });
    expect(preview).toMatchObject({ format: 'chatgpt', dryRun: true, sessionId: null, cancelled: false });
    expect(preview.conversations.imported).toBeGreaterThanOrEqual(3);
    expect(tables()).toEqual({ conversations: 0, messages: 0, sessions: 0 });

    const first = await s.importConversations(chatgpt());
    expect(first.conversations).toEqual(preview.conversations);
    expect(first.messages.imported).toBe(preview.messages.imported);
    expect(first.dateRange.from).toBeLessThanOrEqual(first.dateRange.to!);
    const after = tables();
    expect(after.messages).toBe(first.messages.imported);
    const session = await s.sessions.get(first.sessionId!);
    expect(session.name).toBe('Imported from ChatGPT');

    const again = await s.importConversations(chatgpt());
    expect(again.conversations).toMatchObject({ imported: 0, updated: 0, unchanged: first.conversations.imported });
    expect(again.messages.imported).toBe(0);
    expect(tables()).toEqual(after);
  });

  test('imported messages keep roles and original times, are searchable at once and queued for embedding', async () => {
    await s.importConversations(chatgpt());
    const hits = await s.search({ query: 'monoid endofunctors', mode: 'keyword' });
    expect(hits[0]!.text).toContain('monoid in the category of endofunctors');
    const message = await s.messages.get(hits[0]!.id);
    expect(message.role).toBe('assistant');
    expect(message.source).toBe('import:chatgpt');
    expect(message.createdAt).toBeLessThan(Date.UTC(2026, 0, 1));
    expect(count(t.sql, `SELECT count(*) FROM embed_queue WHERE owner_table = 'messages'`)).toBeGreaterThan(0);
    // Branches are kept as archived conversations.
    expect((await s.conversations.list({ status: 'archived' })).total).toBeGreaterThan(0);
  });

  test('a newer export that grew and gained a conversation updates one, adds one, and adds only the new messages', async () => {
    await s.importConversations(chatgpt());
    const before = tables();
    const grown = JSON.parse(new TextDecoder().decode(fixture('chatgpt-conversations.json'))) as Array<Record<string, unknown>>;
    const last = grown[2]!;
    const mapping = last['mapping'] as Record<string, { id: string; parent: string | null; children: string[]; message: unknown }>;
    const leaf = last['current_node'] as string;
    mapping['added-node'] = {
      id: 'added-node',
      parent: leaf,
      children: [],
      message: { id: 'added-node', author: { role: 'user' }, create_time: 1_760_000_000, content: { content_type: 'text', parts: ['One more question about marmalade'] }, metadata: {} },
    };
    mapping[leaf]!.children.push('added-node');
    last['current_node'] = 'added-node';
    grown.push({
      id: 'brand-new',
      title: 'A new chat',
      create_time: 1_760_000_100,
      update_time: 1_760_000_200,
      current_node: 'q',
      mapping: { q: { id: 'q', parent: null, children: [], message: { id: 'q', author: { role: 'user' }, create_time: 1_760_000_100, content: { content_type: 'text', parts: ['Where do herons nest?'] } } } },
    });
    const report = await s.importConversations({ name: 'conversations.json', bytes: encode(JSON.stringify(grown)) });
    expect(report.conversations).toMatchObject({ imported: 1, updated: 1, unchanged: before.conversations - 1 });
    expect(report.messages.imported).toBe(2);
    expect(tables()).toMatchObject({ conversations: before.conversations + 1, messages: before.messages + 2 });
    expect((await s.search({ query: 'marmalade', mode: 'keyword' })).length).toBe(1);
    expect((await s.search({ query: 'herons nest', mode: 'keyword' })).length).toBe(1);
  });

  test('a newer export that switched branches moves the messages into the conversation that now holds them', async () => {
    const first = await s.importConversations(chatgpt());
    const before = tables();
    const all = async () => (await s.conversations.list({ sessionId: first.sessionId!, pageSize: 100 })).items;
    const titled = async () => (await all()).filter((c) => c.title === 'Branches 🌿 and edits');
    const contents = async (id: string) => (await s.messages.page(id, { pageSize: 100 })).items.map((m) => m.content);
    const main = (await titled()).find((c) => c.status !== 'archived')!;
    expect(await contents(main.id)).toContain('Edited follow-up: explain this diagram');

    // The user went back to the first edit (u2a → a3): that path is now the conversation, the later edit a branch.
    const switched = JSON.parse(new TextDecoder().decode(fixture('chatgpt-conversations.json'))) as Array<Record<string, unknown>>;
    const branches = switched.find((c) => c['id'] === 'conv-branches' || c['conversation_id'] === 'conv-branches')!;
    branches['current_node'] = 'a3';
    branches['update_time'] = Number(branches['update_time']) + 60;
    const report = await s.importConversations({ name: 'conversations.json', bytes: encode(JSON.stringify(switched)) });
    expect(report.messages.imported).toBe(0);
    expect(tables()).toEqual(before);

    const mainAfter = await contents(main.id);
    expect(mainAfter).not.toContain('Edited follow-up: explain this diagram');
    expect(mainAfter).toHaveLength(4);
    const archived = (await titled()).filter((c) => c.status === 'archived');
    const holding = await Promise.all(archived.map((c) => contents(c.id)));
    expect(holding.flat()).toContain('Edited follow-up: explain this diagram');
    // The branch that became the main path leaves no empty conversation behind.
    for (const messages of holding) expect(messages.length).toBeGreaterThan(0);
    // Every message is in exactly one conversation, none lost.
    const everywhere = [...mainAfter, ...holding.flat()];
    expect(new Set(everywhere).size).toBe(everywhere.length);
  });

  test('Claude exports, in a zip, go to their own session', async () => {
    const report = await s.importConversations({ name: 'export.zip', bytes: zipSync({ 'conversations.json': fixture('claude-conversations.json'), 'users.json': encode('[]') }) });
    expect(report.format).toBe('claude');
    expect((await s.sessions.get(report.sessionId!)).name).toBe('Imported from Claude');
    expect(report.messages.imported).toBeGreaterThan(0);
  });

  test('an unusable file is refused with a reason and nothing is written', async () => {
    for (const bytes of [encode('not json at all'), encode('{"a": 1}'), zipSync({ 'readme.txt': encode('hello') })]) {
      const error = await errorOf(s.importConversations({ name: 'conversations.json', bytes }));
      expect(error.code).toBe('IMPORT_REJECTED');
      expect(error.message).not.toContain('hello');
      expect(tables()).toEqual({ conversations: 0, messages: 0, sessions: 0 });
    }
    expect((await errorOf(s.importConversations({ name: 'x.json' } as never))).code).toBe('INVALID_INPUT');
    expect((await errorOf(s.importConversations(chatgpt(), { format: 'gemini' } as never))).code).toBe('INVALID_INPUT');
  });

  test('the same export in two spaces gives two independent copies', async () => {
    const other = t.mnemo.space({ userId: 'ben', spaceId: 'home' });
    const a = await s.importConversations(chatgpt());
    const b = await other.importConversations(chatgpt());
    expect(b.conversations.imported).toBe(a.conversations.imported);
    expect(await other.messages.count()).toBe(await s.messages.count());
    await s.history.clear();
    expect(await other.messages.count()).toBeGreaterThan(0);
  });

  test('Claude and Mnemo JSON files imported twice: the second import changes nothing', async () => {
    for (const [name, format] of [
      ['claude-conversations.json', 'claude'],
      ['mnemo-space.json', 'mnemo-json'],
    ] as const) {
      const input = { name, bytes: fixture(name) };
      const first = await s.importConversations(input);
      expect(first.format).toBe(format);
      expect(first.conversations.imported).toBeGreaterThan(0);
      const after = tables();
      const again = await s.importConversations(input);
      expect(again.conversations).toMatchObject({ imported: 0, updated: 0, unchanged: first.conversations.imported });
      expect(again.messages.imported).toBe(0);
      expect(tables()).toEqual(after);
    }
  });

  test("a space's own JSON export, imported into another space, gives the same conversations and messages", async () => {
    const conversation = await s.conversations.create({ sessionId: (await s.sessions.create({ name: 'Notes' })).id, title: 'Garden plans' });
    const texts = ['Plant the tulips in October 🌷', 'Prune the roses after the last frost', 'Water the fig weekly in summer'];
    for (const [i, content] of texts.entries()) await s.messages.add({ conversationId: conversation.id, role: i % 2 ? 'assistant' : 'user', content, createdAt: 1_700_000_000_000 + i });
    const json = await t.mnemo.files.exportJson({ userId: 'ana', spaceId: 'home' });

    const other = t.mnemo.space({ userId: 'ana', spaceId: 'copy' });
    const report = await other.importConversations({ name: 'space.json', bytes: encode(json) });
    expect(report).toMatchObject({ format: 'mnemo-json', conversations: { imported: 1, updated: 0, unchanged: 0, skipped: 0 }, messages: { imported: 3, skipped: 0 } });
    const source = await s.conversations.get(conversation.id);
    expect(report.dateRange).toEqual({ from: source.createdAt, to: source.updatedAt });
    const [copy] = (await other.conversations.list({})).items;
    expect(copy!.title).toBe('Garden plans');
    const messages = (await other.messages.list({ conversationId: copy!.id, limit: 10 })).items;
    expect(messages.map((m) => [m.role, m.content, m.createdAt])).toEqual(texts.map((content, i) => [i % 2 ? 'assistant' : 'user', content, 1_700_000_000_000 + i]));
    expect((await other.search({ query: 'tulips October', mode: 'keyword' }))[0]?.text).toContain('tulips');
    expect((await other.importConversations({ name: 'space.json', bytes: encode(json) })).conversations.unchanged).toBe(1);
  });

  test('a partly odd file imports every valid conversation, lists the rest, and writes nothing else', async () => {
    const valid = (id: string, text: string) => ({ uuid: id, name: `Chat ${id}`, created_at: '2025-03-01T10:00:00Z', updated_at: '2025-03-02T10:00:00Z', chat_messages: [{ uuid: `${id}-1`, sender: 'human', text, created_at: '2025-03-01T10:00:00Z' }] });
    const file = [valid('a', 'the heron stood in the reeds'), 42, { uuid: 'b', name: 'no messages array', chat_messages: 'oops' }, valid('c', 'a kingfisher flashed past'), valid('a', 'a duplicate id')];
    const report = await s.importConversations({ name: 'conversations.json', bytes: encode(JSON.stringify(file)) });
    expect(report.conversations.imported).toBe(2);
    expect(report.conversations.skipped).toBe(3);
    expect(report.problems.length).toBe(3);
    expect(report.problems.map((p) => p.reason).join(' ')).toContain('duplicate id');
    expect(tables()).toEqual({ conversations: 2, messages: 2, sessions: 1 });
    expect(report.dateRange).toEqual({ from: Date.UTC(2025, 2, 1, 10), to: Date.UTC(2025, 2, 2, 10) });
    expect((await s.search({ query: 'kingfisher', mode: 'keyword' })).length).toBe(1);
    // Problems name the place and the reason, never the content.
    expect(JSON.stringify(report.problems)).not.toContain('a duplicate id');
  });

  test('sessionId puts new conversations in that session; one imported earlier stays where it is and stays up to date', async () => {
    const chosen = await s.sessions.create({ name: 'My history' });
    const chat = (texts: string[]) => [{ uuid: 'grow', name: 'Growing', created_at: '2025-03-01T10:00:00Z', updated_at: '2025-03-01T10:00:00Z', chat_messages: texts.map((text, i) => ({ uuid: `grow-${i}`, sender: i % 2 ? 'assistant' : 'human', text, created_at: `2025-03-01T10:0${i}:00Z` })) }];
    const first = await s.importConversations({ name: 'conversations.json', bytes: encode(JSON.stringify(chat(['one', 'two']))) }, { sessionId: chosen.id });
    expect(first.sessionId).toBe(chosen.id);
    const [conversation] = (await s.conversations.list({ sessionId: chosen.id })).items;
    expect(conversation!.title).toBe('Growing');

    // A newer export of the same chat, imported into another session: the conversation grows where it is.
    const elsewhere = await s.sessions.create({ name: 'Elsewhere' });
    const grown = await s.importConversations({ name: 'conversations.json', bytes: encode(JSON.stringify(chat(['one', 'two', 'three']))) }, { sessionId: elsewhere.id });
    expect(grown.conversations).toMatchObject({ imported: 0, updated: 1 });
    expect(grown.messages.imported).toBe(1);
    expect((await s.conversations.get(conversation!.id)).sessionId).toBe(chosen.id);
    expect(await s.messages.count({ conversationId: conversation!.id })).toBe(3);
    // Its fingerprint was updated: the same newer export is now unchanged, whichever session is named.
    const again = await s.importConversations({ name: 'conversations.json', bytes: encode(JSON.stringify(chat(['one', 'two', 'three']))) }, { sessionId: elsewhere.id });
    expect(again.conversations).toMatchObject({ imported: 0, updated: 0, unchanged: 1 });

    expect((await errorOf(s.importConversations({ name: 'conversations.json', bytes: encode('[]') }, { sessionId: 'no-such-session' }))).code).toBe('NOT_FOUND');
  });

  test('progress: steps while writing, and a last event also when the import fails', async () => {
    const events: Array<{ type: string; task?: string; detail?: string; done?: number; total?: number; ratePerSecond?: number; remainingMs?: number }> = [];
    t.core.subscribe((event) => events.push(event as never));
    await s.importConversations(chatgpt());
    const ok = events.filter((e) => e.type === 'progress' && e.task === 'import');
    expect(ok.length).toBeGreaterThanOrEqual(3);
    expect(ok.at(-1)!.detail).toBe('done');
    // Every step after the first carries its rate, and while unfinished the time left at that rate.
    expect(ok[0]!.ratePerSecond).toBeUndefined();
    for (const step of ok.slice(1).filter((e) => e.done! > 0)) {
      expect(step.ratePerSecond).toBeGreaterThan(0);
      if (step.done! < step.total!) expect(step.remainingMs).toBeCloseTo(((step.total! - step.done!) / step.ratePerSecond!) * 1000, -1);
      else expect(step.remainingMs).toBeUndefined();
    }
    expect(ok.at(-1)!.ratePerSecond).toBeGreaterThan(0);
    // With the total known (as the app passes it from the preview), unfinished steps also say the time left.
    events.length = 0;
    const conversations = (await t.mnemo.space({ userId: 'u', spaceId: 'timed' }).importConversations(chatgpt(), { dryRun: true })).conversations.imported;
    await t.mnemo.space({ userId: 'u', spaceId: 'timed' }).importConversations(chatgpt(), { expectedConversations: conversations * 4 });
    const timed = events.filter((e) => e.type === 'progress' && e.task === 'import' && e.done! > 0 && e.done! < e.total!);
    expect(timed.length).toBeGreaterThan(0);
    for (const step of timed) expect(step.remainingMs).toBeCloseTo(((step.total! - step.done!) / step.ratePerSecond!) * 1000, -1);
    events.length = 0;
    await errorOf(s.importConversations({ name: 'conversations.json', bytes: encode('[1, 2, 3]') }));
    const failed = events.filter((e) => e.type === 'progress' && e.task === 'import');
    expect(failed.at(-1)!.detail).toBe('failed');
    expect(failed.at(-1)!.ratePerSecond).toBeUndefined();
  });

  test('a generated export of 10,000 conversations imports once, then not again', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({
      uuid: `gen-${i}`,
      name: `Generated ${i}`,
      created_at: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
      updated_at: new Date(Date.UTC(2024, 0, 1) + i * 60_000 + 30_000).toISOString(),
      chat_messages: [0, 1, 2].map((j) => ({ uuid: `gen-${i}-${j}`, sender: j % 2 ? 'assistant' : 'human', text: `Turn ${j} of generated chat ${i}: ünïcødé 🚀`, created_at: new Date(Date.UTC(2024, 0, 1) + i * 60_000 + j * 1000).toISOString() })),
    }));
    const input = { name: 'conversations.json', bytes: encode(JSON.stringify(many)) };
    const first = await s.importConversations(input);
    expect(first.conversations).toEqual({ imported: 10_000, updated: 0, unchanged: 0, skipped: 0 });
    expect(first.messages.imported).toBe(30_000);
    expect(first.dateRange).toEqual({ from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 1) + 9_999 * 60_000 + 30_000 });
    const after = tables();
    expect(after).toEqual({ conversations: 10_000, messages: 30_000, sessions: 1 });
    const again = await s.importConversations(input);
    expect(again.conversations).toEqual({ imported: 0, updated: 0, unchanged: 10_000, skipped: 0 });
    expect(tables()).toEqual(after);
  }, 300_000);

  test('cancel stops between conversations and leaves only whole ones', async () => {
    // Enough conversations for several write batches.
    const many = Array.from({ length: 60 }, (_, i) => ({
      uuid: `c-${i}`,
      name: `Chat ${i}`,
      created_at: '2025-01-01T00:00:00Z',
      updated_at: '2025-01-01T00:00:00Z',
      chat_messages: Array.from({ length: 50 }, (_, j) => ({ uuid: `m-${i}-${j}`, sender: j % 2 ? 'assistant' : 'human', text: `message ${j} of chat ${i}`, created_at: '2025-01-01T00:00:00Z' })),
    }));
    const running = s.importConversations({ name: 'conversations.json', bytes: encode(JSON.stringify(many)) });
    expect(await s.cancelImport()).toBe(true);
    const report = await running;
    expect(report.cancelled).toBe(true);
    const perConversation = t.sql.all<{ n: number }>('SELECT count(*) AS n FROM messages GROUP BY conversation_id');
    expect(perConversation.every((row) => row.n === 50)).toBe(true);
    expect(await s.cancelImport()).toBe(false);
  });
});
