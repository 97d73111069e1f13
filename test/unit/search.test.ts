import { beforeEach, describe, expect, test } from 'vitest';
import { SearchRepo } from '../../src/worker/repos/search';
import { idfWeights, snippetOf, termMatcher } from '../../src/worker/search/keyword';
import { parseQuery, toFtsQuery } from '../../src/worker/search/query';
import { fusedScores, normalizeWeights, rrf, weighted } from '../../src/worker/search/service';
import { count, errorOf, openTest, testCatalog } from './helpers';

type T = Awaited<ReturnType<typeof openTest>>;
let t: T;
const A = { userId: 'ana', spaceId: 'notes' };
const B = { userId: 'ben', spaceId: 'notes' };

beforeEach(async () => {
  t = await openTest();
});

async function seed(scope = A) {
  const s = t.mnemo.space(scope);
  const session = await s.sessions.create({ name: 'Main' });
  const other = await s.sessions.create({ name: 'Other' });
  const conv = await s.conversations.create({ sessionId: session.id });
  const conv2 = await s.conversations.create({ sessionId: other.id });
  await s.messages.insertMany([
    { conversationId: conv.id, role: 'user', content: 'Planning a trip to Lisbon in spring', createdAt: 1_000 },
    { conversationId: conv.id, role: 'assistant', content: 'Lisbon is lovely in April; book the tram tour early', createdAt: 2_000 },
    { conversationId: conv.id, role: 'user', content: 'What about the weather in Porto?', createdAt: 3_000 },
    { conversationId: conv2.id, role: 'user', content: 'Lisbon flights are cheap on Tuesdays', createdAt: 4_000 },
  ]);
  await s.memories.add({ kind: 'long', content: 'User loves Lisbon and pastel de nata' });
  await s.memories.add({ kind: 'short', content: 'Remind about Lisbon hotel booking', ttlMs: 60_000 });
  await s.vectors.add({ collection: 'guides', documentId: 'g1', content: 'Lisbon travel guide: trams, viewpoints, and food' });
  await s.documents.upload(session.id, {
    name: 'trip.md',
    bytes: new TextEncoder().encode('# Lisbon\n\nDay one: Alfama walk.\n\n# Porto\n\nDay two: train north.\n'),
  });
  return { s, session, other, conv, conv2 };
}

describe('query building', () => {
  const hostile = [
    '"', '""', '"unbalanced', "it's", 'a AND (b', '(((', ')', 'NEAR(a b, 2)', 'NEAR', 'a NEAR b', '*', '**', 'a*b', '^start',
    'col:value', 'content:lisbon', '-', '--', '- -', 'NOT', 'NOT lisbon', 'OR', 'OR OR', 'lisbon OR', 'AND', '+', '{a b}',
    '[x]', '\\', '\u0000', '\u202e', '😀', '👩‍💻 code', 'Ünïcødé', '中文 查询', 'عربى', '%', '_', "'; DROP TABLE messages; --",
    'x'.repeat(10_000), 'a '.repeat(5_000), '"a" "b" "c', 'lisbon*', '"lisbon trip"', '-porto lisbon', 'lisbon -porto',
    '\t\n\r', '0', '1e999', 'null', 'undefined',
  ];

  test.each(hostile.map((q) => [q.length > 40 ? `${q.slice(0, 20)}… (${q.length} chars)` : JSON.stringify(q), q]))(
    'never a syntax error: %s',
    async (_label, query) => {
      const { s } = await seedOnce();
      for (const mode of ['keyword', 'hybrid'] as const) {
        const hits = await s.search({ query, mode });
        expect(Array.isArray(hits)).toBe(true);
      }
      const fts = toFtsQuery(query);
      if (fts !== null) expect(() => t.sql.all('SELECT rowid FROM search_fts WHERE search_fts MATCH ?', [fts])).not.toThrow();
    },
  );

  test('syntax: OR of words, required phrases, prefix, exclusion, OR groups', () => {
    expect(toFtsQuery('lisbon trip')).toBe('("lisbon" OR "trip")');
    expect(toFtsQuery('"lisbon trip" tram')).toBe('"lisbon trip" AND ("tram" OR "lisbon trip")');
    expect(toFtsQuery('"lisbon trip"')).toBe('"lisbon trip"');
    expect(toFtsQuery('lisb*')).toBe('("lisb"*)');
    expect(toFtsQuery('lisbon -porto')).toBe('(("lisbon")) NOT "porto"');
    expect(toFtsQuery('lisbon OR porto tram')).toBe('(("lisbon" OR "porto") OR "tram")');
    expect(toFtsQuery("mum's e-mail")).toBe('("mum" OR "e" OR "mail")');
    expect(toFtsQuery('lisbon -e-mail')).toBe('(("lisbon")) NOT "e mail"');
    expect(toFtsQuery('-porto')).toBeNull();
    expect(toFtsQuery('  ')).toBeNull();
  });

  test('stopwords do not count unless the query has nothing else', () => {
    expect(toFtsQuery('what is the weather in lisbon')).toBe('("weather" OR "lisbon")');
    expect(toFtsQuery('the')).toBe('("the")');
    expect(parseQuery('where did I park the car').terms).toEqual([
      { words: ['park'], prefix: false, match: '"park"' },
      { words: ['car'], prefix: false, match: '"car"' },
    ]);
  });

  let seeded: Awaited<ReturnType<typeof seed>> | undefined;
  async function seedOnce() {
    seeded = await seed();
    return seeded;
  }
});

describe('keyword search', () => {
  test('finds every kind, ranks by bm25 and reports snippets with highlight ranges', async () => {
    await seed();
    const s = t.mnemo.space(A);
    const hits = await s.search({ query: 'lisbon', mode: 'keyword', limit: 20 });
    expect(new Set(hits.map((h) => h.kind))).toEqual(new Set(['message', 'memory', 'vector', 'chunk']));
    for (let i = 1; i < hits.length; i++) expect(hits[i]!.score.bm25!).toBeGreaterThanOrEqual(hits[i - 1]!.score.bm25!);
    for (const hit of hits) {
      expect(hit.score.rankKeyword).toBeGreaterThan(0);
      expect(hit.highlights.length).toBeGreaterThan(0);
      for (const [a, b] of hit.highlights) expect(hit.snippet.slice(a, b).toLowerCase()).toBe('lisbon');
    }
    const chunk = hits.find((h) => h.kind === 'chunk')!;
    expect(chunk.ref).toMatchObject({ table: 'chunks', startLine: 1 });
  });

  test('stemming, prefix and phrase queries', async () => {
    await seed();
    const s = t.mnemo.space(A);
    expect((await s.search({ query: 'flight', mode: 'keyword' })).map((h) => h.text)).toContain('Lisbon flights are cheap on Tuesdays');
    expect((await s.search({ query: 'Lisb*', mode: 'keyword', limit: 50 })).length).toBeGreaterThanOrEqual(7);
    const phrase = await s.search({ query: '"tram tour"', mode: 'keyword' });
    expect(phrase.map((h) => h.text)).toEqual(['Lisbon is lovely in April; book the tram tour early']);
    expect(await s.search({ query: '"tour tram"', mode: 'keyword' })).toEqual([]);
  });

  test('filters: session, conversation, role, date range, memory kind, collection, kinds', async () => {
    const { s, session, other, conv } = await seed();
    const q = (filters: object) => s.search({ query: 'lisbon', mode: 'keyword', limit: 50, filters });
    expect((await q({ sessionId: other.id })).map((h) => h.text)).toEqual(['Lisbon flights are cheap on Tuesdays']);
    const inSession = await q({ sessionId: session.id });
    expect(new Set(inSession.map((h) => h.kind))).toEqual(new Set(['message', 'chunk']));
    expect((await q({ conversationId: conv.id })).every((h) => h.ref.conversationId === conv.id)).toBe(true);
    expect((await q({ role: 'assistant' })).map((h) => h.text)).toEqual(['Lisbon is lovely in April; book the tram tour early']);
    expect((await q({ from: 1_500, to: 4_000, kinds: ['message'] })).map((h) => h.createdAt)).toEqual([2_000]);
    expect((await q({ memoryKind: 'short' })).map((h) => h.text)).toEqual(['Remind about Lisbon hotel booking']);
    expect((await q({ collection: 'guides' })).map((h) => h.kind)).toEqual(['vector']);
    expect((await q({ kinds: ['memory', 'vector'] })).every((h) => h.kind === 'memory' || h.kind === 'vector')).toBe(true);
    expect((await errorOf(q({ role: 'robot' }))).code).toBe('INVALID_INPUT');
    expect((await errorOf(q({ unknown: 1 }))).code).toBe('INVALID_INPUT');
  });

  test('scope: another space never sees the rows; expired memories are not found', async () => {
    await seed(A);
    expect(await t.mnemo.space(B).search({ query: 'lisbon', mode: 'keyword' })).toEqual([]);
    let now = Date.now();
    const clock = await openTest({ now: () => now });
    const s = clock.mnemo.space(A);
    await s.memories.add({ kind: 'short', content: 'parking ticket expires soon', expiresAt: now + 1000 });
    expect((await s.search({ query: 'parking', mode: 'keyword' })).length).toBe(1);
    now += 1000;
    expect(await s.search({ query: 'parking', mode: 'keyword' })).toEqual([]);
  });

  test('recall through search counts as memory access', async () => {
    await seed();
    const s = t.mnemo.space(A);
    const [hit] = await s.search({ query: 'pastel nata', mode: 'keyword' });
    expect(hit!.kind).toBe('memory');
    const memory = await s.memories.get(hit!.id);
    expect(memory.accessCount).toBe(1);
    expect(memory.lastAccessedAt).not.toBeNull();
  });
});

describe('index consistency', () => {
  const KIND = { messages: 'message', memories: 'memory', vector_entries: 'vector', chunks: 'chunk' } as const;
  const ftsCount = (table: keyof typeof KIND, word: string) => new SearchRepo(t.sql).countMatches(KIND[table], `"${word}"`);

  test('insert, update, upsert, delete, insertMany and rollback keep FTS and queue in step', async () => {
    const { s, conv, session } = await seed();
    new SearchRepo(t.sql).check();
    const m = await s.messages.add({ conversationId: conv.id, role: 'user', content: 'zebra crossing' });
    expect(ftsCount('messages', 'zebra')).toBe(1);
    await s.messages.upsert({ id: m.id, conversationId: conv.id, role: 'user', content: 'giraffe crossing' });
    expect(ftsCount('messages', 'zebra')).toBe(0);
    expect(ftsCount('messages', 'giraffe')).toBe(1);
    await s.messages.delete(m.id);
    expect(ftsCount('messages', 'giraffe')).toBe(0);

    const rows = Array.from({ length: 12_000 }, (_, i) => ({ conversationId: conv.id, role: 'user' as const, content: `bulk okapi ${i}` }));
    await s.messages.insertMany(rows);
    expect(ftsCount('messages', 'okapi')).toBe(12_000);
    expect(count(t.sql, "SELECT count(*) FROM embed_queue WHERE owner_table = 'messages'")).toBeGreaterThanOrEqual(0);
    expect(count(t.sql, 'SELECT bulk FROM index_control')).toBe(0);

    // A failing batch rolls back rows, index entries and the bulk flag together.
    const bad = [{ conversationId: conv.id, role: 'user' as const, content: 'walrus one', id: 'dup' }, { conversationId: conv.id, role: 'user' as const, content: 'walrus two', id: 'dup' }];
    expect((await errorOf(s.messages.insertMany(bad))).code).toBe('CONFLICT');
    expect(ftsCount('messages', 'walrus')).toBe(0);
    expect(count(t.sql, 'SELECT bulk FROM index_control')).toBe(0);

    const memory = (await s.memories.add({ kind: 'long', content: 'likes marmalade' })).memory;
    await s.memories.update(memory.id, { content: 'likes honey' });
    expect(ftsCount('memories', 'marmalade')).toBe(0);
    expect(ftsCount('memories', 'honey')).toBe(1);
    await s.vectors.add({ collection: 'guides', documentId: 'g1', content: 'replaced guide about kayaks' });
    expect(ftsCount('vector_entries', 'trams')).toBe(0);
    expect(ftsCount('vector_entries', 'kayak')).toBe(1);

    await s.sessions.delete(session.id);
    expect(ftsCount('messages', 'okapi')).toBe(0);
    expect(ftsCount('chunks', 'alfama')).toBe(0);
    new SearchRepo(t.sql).check();
    expect(count(t.sql, "SELECT count(*) FROM embed_queue q WHERE q.owner_table = 'messages' AND q.owner_id NOT IN (SELECT id FROM messages)")).toBe(0);
  });

  test('rebuildIndex restores a damaged index and refreshes index_meta', async () => {
    const { s, session } = await seed();
    t.sql.exec("INSERT INTO search_fts (search_fts) VALUES ('delete-all')");
    expect(() => new SearchRepo(t.sql).check()).toThrow(/out of step with messages/);
    expect(await s.search({ query: 'tram', mode: 'keyword', filters: { kinds: ['message'] } })).toEqual([]);
    const before = await t.mnemo.indexStatus(session.id);
    expect(before[0]!.dirty).toBe(true);
    const result = await t.mnemo.rebuildIndex();
    expect(result.rows.messages).toBe(4);
    expect((await s.search({ query: 'tram', mode: 'keyword', filters: { kinds: ['message'] } })).length).toBe(1);
    const after = await t.mnemo.indexStatus(session.id);
    const chunks = count(t.sql, 'SELECT count(*) FROM chunks');
    expect(after[0]).toMatchObject({ sessionId: session.id, dirty: false, docCount: 3 + chunks });
    new SearchRepo(t.sql).check();
  });
});

describe('fusion math', () => {
  test('reciprocal-rank fusion', () => {
    expect(rrf(1, 1, { text: 0.5, vector: 0.5 }, 60)).toBeCloseTo(1 / 61);
    expect(rrf(1, undefined, { text: 0.5, vector: 0.5 }, 60)).toBeCloseTo(0.5 / 61);
    expect(rrf(undefined, 3, { text: 0.2, vector: 0.8 }, 10)).toBeCloseTo(0.8 / 13);
    expect(rrf(1, 2, { text: 0.5, vector: 0.5 }, 60)).toBeGreaterThan(rrf(2, 1, { text: 0.4, vector: 0.6 }, 60) - 1);
  });

  test('weighted score fusion scales bm25 (lower is better) by the best hit and clamps cosine', () => {
    const range = -10;
    expect(weighted(-10, 1, range, { text: 0.5, vector: 0.5 })).toBeCloseTo(1);
    expect(weighted(-2, 0, range, { text: 0.5, vector: 0.5 })).toBeCloseTo(0.1);
    expect(weighted(-6, undefined, range, { text: 1, vector: 0 })).toBeCloseTo(0.6);
    expect(weighted(undefined, -0.4, range, { text: 0.3, vector: 0.7 })).toBe(0);
    expect(weighted(-5, 0.5, -5, { text: 0.5, vector: 0.5 })).toBeCloseTo(0.75);
  });

  test('a keyword hit holding fewer of the query words is trusted less', () => {
    const items = [
      { bm25: -10, coverage: 1, rankKeyword: 1 },
      { bm25: -10, coverage: 0.5, rankKeyword: 2 },
      { cosine: 0.5, rankVector: 1 },
    ];
    const [full, half, vectorOnly] = fusedScores(items, { fusion: 'weighted', weights: { text: 0.7, vector: 0.3 }, rrfK: 60 });
    expect(full).toBeCloseTo(0.7);
    expect(half).toBeCloseTo(0.7 * 0.5);
    expect(vectorOnly).toBeCloseTo(0.15);
    // When no keyword hit holds most of the query, the whole keyword side is trusted less (best^2).
    const weak = fusedScores([{ bm25: -10, coverage: 0.5, rankKeyword: 1 }], { fusion: 'weighted', weights: { text: 1, vector: 0 }, rrfK: 60 });
    expect(weak[0]).toBeCloseTo(0.5 * 0.25);
  });

  test('weights are normalised and must not both be zero', () => {
    expect(normalizeWeights({ text: 1, vector: 3 })).toEqual({ text: 0.25, vector: 0.75 });
    expect(normalizeWeights(undefined)).toEqual({ text: 0.7, vector: 0.3 });
    expect(() => normalizeWeights({ text: 0, vector: 0 })).toThrow();
  });

  test('snippets mark stemmed and prefix matches and pick the densest window', () => {
    const matcher = termMatcher(parseQuery('foxes jump* dog').terms);
    const short = snippetOf('The quick brown fox jumps over the lazy dogs', matcher);
    expect(short.snippet).toBe('The quick brown fox jumps over the lazy dogs');
    expect(short.highlights.map(([a, b]) => short.snippet.slice(a, b))).toEqual(['fox', 'jumps', 'dogs']);
    const filler = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const long = snippetOf(`${filler} a fox jumped over a dog ${filler}`, matcher);
    expect(long.snippet.startsWith('…')).toBe(true);
    expect(long.snippet.endsWith('…')).toBe(true);
    expect(long.highlights.map(([a, b]) => long.snippet.slice(a, b))).toEqual(['fox', 'jumped', 'dog']);
    const accented = snippetOf('Café crème in Zürich', termMatcher(parseQuery('cafe zurich').terms));
    expect(accented.highlights.map(([a, b]) => accented.snippet.slice(a, b))).toEqual(['Café', 'Zürich']);
    // Only a token's first letter is compared before stemming; case and accents on it still match.
    const firsts = snippetOf('ÉCOLE ecoles Ecole école scholar cole', termMatcher(parseQuery('école').terms));
    expect(firsts.highlights.map(([a, b]) => firsts.snippet.slice(a, b))).toEqual(['ÉCOLE', 'ecoles', 'Ecole', 'école']);
  });
});

describe('keyword candidates', () => {
  test('count each single-word term over the whole index, as the vocabulary does, so IDF needs no second read', async () => {
    await seed();
    // B's rows count too: IDF is over the whole index, whatever the scope.
    await seed(B);
    const repo = new SearchRepo(t.sql);
    const query = parseQuery('lisbon trams "day one" weather');
    const { candidates, termDocs } = repo.keywordCandidates(A, { match: query.match!, titleWeight: 2, terms: query.terms.map((q) => q.match) }, {}, 50, Date.now());
    expect(candidates.length).toBeGreaterThan(0);
    expect(termDocs).toEqual(query.terms.map((q) => repo.countMatches('message', q.match) + repo.countMatches('memory', q.match) + repo.countMatches('vector', q.match) + repo.countMatches('chunk', q.match)));
    const lisbon = query.terms.findIndex((q) => q.words.join(' ') === 'lisbon');
    expect(termDocs[lisbon]).toBeGreaterThan(candidates.filter((c) => c.has[lisbon]).length);
    expect(idfWeights(repo, query.terms, termDocs)).toEqual(idfWeights(repo, query.terms));
  });
});

describe('one scope holding every row', () => {
  const ask = (repo: SearchRepo, q: string, filters = {}, scope = A) => {
    const query = parseQuery(q);
    return repo.keywordCandidates(scope, { match: query.match!, titleWeight: 2, terms: query.terms.map((x) => x.match) }, filters, 50, Date.now());
  };

  test('ranks exactly as the scope-joined plan does, and switches to it once another scope holds rows', async () => {
    await seed();
    const repo = new SearchRepo(t.sql);
    const queries = ['lisbon', 'lisbon tram', 'porto weather day', '"day one" lisbon', 'book* trip'];
    // Which plan ran: the joined one names the base tables in its statement.
    const statements: string[] = [];
    const all = t.sql.all.bind(t.sql);
    t.sql.all = ((q: string, p?: never) => (statements.push(q), all(q, p))) as typeof t.sql.all;
    const joined = () => statements.splice(0).some((q) => q.includes('FROM messages b'));
    const single = queries.map((q) => ask(repo, q));
    expect(joined()).toBe(false);
    expect(single.every((r) => r.candidates.length > 0)).toBe(true);
    // An empty session in another space changes no statistic but turns the joined plan on for messages and chunks.
    await t.mnemo.space(B).sessions.create({ name: 'Empty' });
    expect(queries.map((q) => ask(repo, q))).toEqual(single);
    expect(joined()).toBe(true);
    // Rows of another scope are in the index now; A's search must never return them.
    await seed(B);
    const bRows = new Set(t.sql.all<{ r: number }>("SELECT m.rowid AS r FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN sessions s ON s.id = c.session_id WHERE s.user_id = 'ben'").map((r) => r.r));
    for (const q of queries) {
      const { candidates } = ask(repo, q);
      expect(candidates.length).toBeGreaterThan(0);
      expect(candidates.filter((c) => c.kind === 'message' && bRows.has(c.rowid))).toEqual([]);
    }
  });

  test('keeps the kinds filter and never returns an expired memory, even with one scope', async () => {
    const { s } = await seed();
    const repo = new SearchRepo(t.sql);
    const kinds = ask(repo, 'lisbon', { kinds: ['memory', 'chunk'] }).candidates.map((c) => c.kind);
    expect(new Set(kinds)).toEqual(new Set(['memory', 'chunk']));
    const before = (await s.search({ query: 'hotel booking', mode: 'keyword' })).filter((h) => h.kind === 'memory');
    expect(before.map((h) => h.text)).toEqual(['Remind about Lisbon hotel booking']);
    t.sql.run('UPDATE memories SET expires_at = ? WHERE content LIKE ?', [Date.now() - 1, 'Remind%']);
    expect(ask(repo, 'hotel booking').candidates.filter((c) => c.kind === 'memory')).toEqual([]);
    expect((await s.search({ query: 'hotel booking', mode: 'keyword' })).filter((h) => h.kind === 'memory')).toEqual([]);
  });
});

describe('vector and hybrid search', () => {
  test('hybrid hands the query to the embedder before its keyword side runs, so the two overlap', async () => {
    const order: string[] = [];
    const catalog = testCatalog();
    const factory = catalog.factory;
    catalog.factory = async (id) => {
      const embedder = await factory(id);
      return { ...embedder, embed: (texts) => (order.push('embed'), embedder.embed(texts)) };
    };
    const { core, mnemo } = await openTest({ catalog });
    const space = mnemo.space(A);
    await space.memories.add({ kind: 'long', content: 'Planning a trip to Lisbon in spring' });
    await mnemo.embeddings.flush();
    const keywordCandidates = core.repos.search.keywordCandidates.bind(core.repos.search);
    core.repos.search.keywordCandidates = (...args) => (order.push('keyword'), keywordCandidates(...args));
    order.length = 0;
    const hits = await space.search({ query: 'Lisbon trip', mode: 'hybrid' });
    expect(order).toEqual(['embed', 'keyword']);
    expect(hits[0]).toMatchObject({ text: 'Planning a trip to Lisbon in spring', score: { rankKeyword: 1, rankVector: 1 } });
    await core.close();
  });

  test('the queue embeds a batch larger than a write slice, drops orphans at the end, and answers calls between slices', async () => {
    const s = t.mnemo.space(A);
    const session = await s.sessions.create({ name: 'Bulk' });
    const conv = await s.conversations.create({ sessionId: session.id });
    await s.messages.insertMany(Array.from({ length: 300 }, (_, i) => ({ conversationId: conv.id, role: 'user' as const, content: `note ${i} about Lisbon trams` })));
    // An orphan: queued for a message that no longer exists (as when a delete races the queue).
    t.sql.run(`INSERT INTO embed_queue (owner_table, owner_id, token) VALUES ('messages', 'gone', 1)`);
    const writes: number[] = [];
    const tx = t.sql.tx.bind(t.sql);
    t.sql.tx = ((fn: () => unknown) => {
      const before = count(t.sql, 'SELECT count(*) FROM embeddings');
      const result = tx(fn as never);
      const added = count(t.sql, 'SELECT count(*) FROM embeddings') - before;
      if (added > 0) writes.push(added);
      return result;
    }) as typeof t.sql.tx;
    await t.mnemo.embeddings.flush();
    expect(await t.mnemo.embeddings.status()).toMatchObject({ pending: 0 });
    expect(count(t.sql, "SELECT count(*) FROM embeddings WHERE owner_table = 'messages'")).toBe(300);
    // No vector transaction holds more than a slice of rows.
    expect(Math.max(...writes)).toBeLessThanOrEqual(64);
    expect(writes.reduce((a, b) => a + b, 0)).toBe(300);
  });

  test('vector search ranks by cosine, honours minSimilarity and filters, and hybrid reports both parts', async () => {
    const { s, conv } = await seed();
    await t.mnemo.embeddings.flush();
    const status = await t.mnemo.embeddings.status();
    expect(status).toMatchObject({ modelId: 'test-hash-64', ready: true, pending: 0 });
    expect(status.embedded).toBe(count(t.sql, 'SELECT count(*) FROM embeddings'));

    const vector = await s.search({ query: 'Lisbon trip', mode: 'vector', limit: 5 });
    expect(vector.length).toBeGreaterThan(0);
    for (let i = 1; i < vector.length; i++) expect(vector[i]!.score.cosine!).toBeLessThanOrEqual(vector[i - 1]!.score.cosine!);
    expect(vector[0]!.text).toBe('Planning a trip to Lisbon in spring');
    const strict = await s.search({ query: 'Lisbon trip', mode: 'vector', minSimilarity: 0.99 });
    expect(strict.every((h) => h.score.cosine! >= 0.99)).toBe(true);
    const filtered = await s.search({ query: 'Lisbon trip', mode: 'vector', filters: { conversationId: conv.id, role: 'assistant' } });
    expect(filtered.every((h) => h.kind === 'message' && h.ref.role === 'assistant')).toBe(true);

    const hybrid = await s.search({ query: 'Lisbon trip', mode: 'hybrid', fusion: 'rrf', weights: { text: 0.5, vector: 0.5 }, limit: 10 });
    const both = hybrid.find((h) => h.score.rankKeyword && h.score.rankVector)!;
    // The keyword part is trusted by the hit's coverage and the best coverage among keyword hits.
    const best = Math.max(...hybrid.map((h) => h.score.coverage ?? 0));
    const trust = both.score.coverage! * best ** 2;
    expect(both.score.fused).toBeCloseTo(rrf(both.score.rankKeyword, both.score.rankVector, { text: 0.5, vector: 0.5 }, 60, trust));
    // Defaults: weighted fusion, text 0.7 / vector 0.3.
    const defaults = await s.search({ query: 'Lisbon trip', mode: 'hybrid', limit: 10 });
    for (const h of defaults.filter((h) => h.score.bm25 === undefined)) expect(h.score.fused).toBeCloseTo(0.3 * Math.max(0, h.score.cosine ?? 0));
    const weightedHits = await s.search({ query: 'Lisbon trip', mode: 'hybrid', fusion: 'weighted', weights: { text: 0, vector: 1 } });
    for (const h of weightedHits) expect(h.score.fused).toBeCloseTo(Math.max(0, h.score.cosine ?? 0));
    expect(await t.mnemo.space(B).search({ query: 'Lisbon trip', mode: 'vector' })).toEqual([]);
  });

  test('deleting a row deletes its vectors; a model change re-embeds without mixing', async () => {
    const { s, conv } = await seed();
    await t.mnemo.embeddings.flush();
    const m = await s.messages.add({ conversationId: conv.id, role: 'user', content: 'unique quokka sighting' });
    await t.mnemo.embeddings.flush();
    expect(count(t.sql, `SELECT count(*) FROM embeddings WHERE owner_id = '${m.id}'`)).toBe(1);
    await s.messages.delete(m.id);
    expect(count(t.sql, `SELECT count(*) FROM embeddings WHERE owner_id = '${m.id}'`)).toBe(0);
    expect((await s.search({ query: 'quokka', mode: 'vector' })).some((h) => h.id === m.id)).toBe(false);

    const rows = count(t.sql, 'SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM memories) + (SELECT count(*) FROM vector_entries) + (SELECT count(*) FROM chunks)');
    const switched = await t.mnemo.embeddings.setModel('mnemo-test-32d');
    expect(switched.modelId).toBe('mnemo-test-32d');
    const done = await t.mnemo.embeddings.flush();
    expect(done).toMatchObject({ pending: 0, embedded: rows });
    expect(count(t.sql, "SELECT count(DISTINCT model_id) FROM embeddings")).toBe(1);
    expect(count(t.sql, 'SELECT min(dims) FROM embeddings')).toBe(32);
    expect((await s.search({ query: 'Lisbon trip', mode: 'vector' })).length).toBeGreaterThan(0);
    expect((await errorOf(t.mnemo.embeddings.setModel('no-such-model'))).code).toBe('NOT_FOUND');
  });
});

describe('memory dedup', () => {
  test('exact duplicates update; near duplicates above the threshold update; others add', async () => {
    const s = t.mnemo.space(A);
    const first = await s.memories.add({ kind: 'long', content: 'User prefers window seats on long flights', importance: 0.4 });
    expect(first.action).toBe('added');
    await t.mnemo.embeddings.flush();
    const exact = await s.memories.add({ kind: 'long', content: '  user PREFERS window seats on long flights ' });
    expect(exact).toMatchObject({ action: 'updated', reason: 'exact' });
    // An update reports the memory as it was, so a caller can undo the merge.
    expect(exact.previous).toMatchObject({ id: first.memory.id, content: 'User prefers window seats on long flights', importance: 0.4, metadata: {} });
    expect(exact.memory.content).toBe('  user PREFERS window seats on long flights ');
    // The hash test embedder gives identical vectors for the same bag of words.
    const similar = await s.memories.add({ kind: 'long', content: 'On long flights, user prefers window seats!', metadata: { source: 'chat' } });
    expect(similar).toMatchObject({ action: 'updated', reason: 'similar' });
    expect(similar.similarity).toBeGreaterThan(0.92);
    expect(similar.memory.id).toBe(first.memory.id);
    expect(similar.memory.importance).toBeGreaterThan(0.4);
    expect(similar.memory.metadata).toEqual({ source: 'chat' });
    expect(similar.previous).toMatchObject({ id: first.memory.id, content: '  user PREFERS window seats on long flights ', metadata: {} });
    expect(similar.previous!.updatedAt).toBe(exact.memory.updatedAt);
    const different = await s.memories.add({ kind: 'long', content: 'User is allergic to peanuts' });
    expect(different.action).toBe('added');
    expect(different.previous).toBeUndefined();
    // Same words in the other kind are not duplicates.
    expect((await s.memories.add({ kind: 'short', content: 'User prefers window seats on long flights', ttlMs: 1000 })).action).toBe('added');
    expect(count(t.sql, "SELECT count(*) FROM memories WHERE kind = 'long'")).toBe(2);
  });

  test('the threshold is configurable per space', async () => {
    const s = t.mnemo.space(A);
    await s.settings.set('memories.dedupThreshold', 1);
    await s.memories.add({ kind: 'long', content: 'likes green tea in the morning' });
    await t.mnemo.embeddings.flush();
    const loose = await s.memories.add({ kind: 'long', content: 'likes green tea in the morning and evening' });
    expect(loose.action).toBe('added');
    await s.settings.set('memories.dedupThreshold', 0.5);
    await t.mnemo.embeddings.flush();
    const merged = await s.memories.add({ kind: 'long', content: 'likes green tea in the evening' });
    expect(merged).toMatchObject({ action: 'updated', reason: 'similar' });
  });
});

describe('dedup guard', () => {
  test('numbers and codes must agree, and a content word must be shared', async () => {
    const { sameFacts } = await import('../../src/worker/search/dedup');
    expect(sameFacts('Locker code 4411', 'Locker code 9083')).toBe(false);
    expect(sameFacts('Flight LH1234 leaves at 9am', 'Flight LH1234 leaves at 9am!')).toBe(true);
    expect(sameFacts('Allergic to penicillin', 'Promoted to senior engineer')).toBe(false);
    expect(sameFacts('User prefers window seats', 'window seats preferred by user')).toBe(true);
  });
});
