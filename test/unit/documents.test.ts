import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { ScopedApi } from '../../src/shared/api';
import type { DocumentChunk } from '../../src/shared/models';
import { makePdf } from '../fixtures/make-pdf';
import { count, errorOf, openTest } from './helpers';

const T0 = 1_750_000_000_000;
const A = { userId: 'alice', spaceId: 'home' };
const B = { userId: 'bob', spaceId: 'home' };

const utf8 = (text: string) => new TextEncoder().encode(text);
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1]);

/** Markdown long enough to need several chunks at maxChunkChars 200. */
const MARKDOWN = [
  '# Guide',
  '',
  'Intro paragraph that explains what the guide is about in a few words.',
  '',
  '## Install',
  '',
  ...Array.from({ length: 6 }, (_, i) => `Step ${i + 1}: run the installer and wait for it to finish properly.`),
  '',
  '## Use',
  '',
  ...Array.from({ length: 6 }, (_, i) => `Tip ${i + 1}: open the app, pick a space and start a conversation.`),
  '',
].join('\n');

let now: number;
let t: Awaited<ReturnType<typeof openTest>>;
let a: ScopedApi;
let sessionId: string;

beforeEach(async () => {
  now = T0;
  t = await openTest({ now: () => now });
  a = t.mnemo.space(A);
  sessionId = (await a.sessions.create({ name: 'docs' })).id;
});

afterEach(async () => {
  await t.mnemo.close();
});

const tables = () => ({
  stores: count(t.sql, 'SELECT count(*) FROM stores'),
  contents: count(t.sql, 'SELECT count(*) FROM contents'),
  chunks: count(t.sql, 'SELECT count(*) FROM chunks'),
});

/** Chunks are in order and cover lines 1..lineCount exactly once, each holding exactly its lines. */
function expectCoverage(chunks: DocumentChunk[], text: string, lineCount: number) {
  const lines = text.split('\n');
  if (lines.length > 1 && lines.at(-1) === '') lines.pop();
  expect(lines.length).toBe(lineCount);
  let next = 1;
  chunks.forEach((chunk, i) => {
    expect(chunk.index).toBe(i);
    expect(chunk.startLine).toBe(next);
    expect(chunk.endLine).toBeGreaterThanOrEqual(chunk.startLine);
    expect(chunk.text).toBe(lines.slice(chunk.startLine - 1, chunk.endLine).join('\n'));
    next = chunk.endLine + 1;
  });
  expect(next - 1).toBe(lineCount);
}

describe('documents', () => {
  test('Markdown upload stores size, mime type, line count, preview and chunks', async () => {
    const bytes = utf8(MARKDOWN);
    const doc = await a.documents.upload(sessionId, { name: 'guide.md', bytes }, { maxChunkChars: 200, metadata: { source: 'test' } });
    const lineCount = MARKDOWN.split('\n').length - 1;
    expect(doc).toMatchObject({
      sessionId, filename: 'guide.md', mimeType: 'text/markdown', size: bytes.byteLength, lineCount,
      metadata: { source: 'test', kind: 'markdown' }, lastAccessedAt: null, createdAt: T0,
    });
    expect(doc.preview.startsWith('# Guide Intro paragraph')).toBe(true);
    expect(doc.preview.length).toBeLessThanOrEqual(281);
    expect(doc.chunkCount).toBeGreaterThan(2);

    const chunks = await a.documents.chunks(doc.id);
    expect(chunks).toHaveLength(doc.chunkCount);
    expect(count(t.sql, `SELECT count(*) FROM chunks WHERE content_id = '${doc.id}'`)).toBe(doc.chunkCount);
    expect(t.sql.value('SELECT chunk_count FROM contents WHERE id = ?', [doc.id])).toBe(doc.chunkCount);
    expectCoverage(chunks, MARKDOWN, lineCount);
    expect(chunks.some((c) => c.heading === 'Guide > Install')).toBe(true);
    expect(chunks.every((c) => c.contentId === doc.id)).toBe(true);
    expect(tables()).toEqual({ stores: 1, contents: 1, chunks: doc.chunkCount });
  });

  test('plain text upload; a second upload reuses the session store', async () => {
    const text = 'line one\r\nline two\r\n\r\nline four';
    const doc = await a.documents.upload(sessionId, { name: 'notes.txt', type: 'text/plain', bytes: utf8(text) });
    expect(doc).toMatchObject({ mimeType: 'text/plain', size: utf8(text).byteLength, lineCount: 4, preview: 'line one line two line four', metadata: { kind: 'text' } });
    const full = await a.documents.get(doc.id);
    expect(full.fullText).toBe('line one\nline two\n\nline four');
    expectCoverage(await a.documents.chunks(doc.id), full.fullText, 4);

    await a.documents.upload(sessionId, { name: 'more.txt', bytes: utf8('more') });
    expect(tables()).toMatchObject({ stores: 1, contents: 2 });
    const list = await a.documents.list(sessionId);
    expect(list.total).toBe(2);
    expect(list.items.map((d) => d.filename).sort()).toEqual(['more.txt', 'notes.txt']);
    expect((await a.documents.list(sessionId, { pageSize: 1 })).hasNext).toBe(true);
  });

  test('a File (Blob) can be uploaded directly', async () => {
    expect(typeof File).toBe('function');
    const file = new File(['# From a File\n\nBody text.\n'], 'file.md', { type: 'text/markdown' });
    const doc = await a.documents.upload(sessionId, file as never);
    expect(doc).toMatchObject({ filename: 'file.md', mimeType: 'text/markdown', size: file.size, lineCount: 3 });
    expect((await a.documents.get(doc.id)).fullText).toBe('# From a File\n\nBody text.\n');

    const blob = new Blob(['just a blob']);
    const fromBlob = await a.documents.upload(sessionId, blob as never);
    expect(fromBlob).toMatchObject({ filename: 'upload', mimeType: 'text/plain', size: 11, lineCount: 1 });
  });

  test('get returns the full text and records the access', async () => {
    const doc = await a.documents.upload(sessionId, { name: 'a.md', bytes: utf8(MARKDOWN) });
    now = T0 + 5000;
    const full = await a.documents.get(doc.id);
    expect(full.fullText).toBe(MARKDOWN);
    expect(full.lastAccessedAt).toBe(T0 + 5000);
    expect(t.sql.value('SELECT last_accessed_at FROM contents WHERE id = ?', [doc.id])).toBe(T0 + 5000);
    expect((await a.documents.list(sessionId)).items[0]?.lastAccessedAt).toBe(T0 + 5000);
    expect((await errorOf(a.documents.get('missing'))).code).toBe('NOT_FOUND');
    expect((await errorOf(a.documents.chunks('missing'))).code).toBe('NOT_FOUND');
  });

  test('an empty file, a binary file named .md and non-text content are INVALID_INPUT and store nothing', async () => {
    const rejected = [
      { name: 'empty.md', bytes: new Uint8Array(0) },
      { name: 'image.md', bytes: PNG },
      { name: 'blank.txt', bytes: utf8(' \n\n\t\n') },
      { name: 'bad-utf8.txt', bytes: new Uint8Array([0x61, 0xff, 0xfe, 0x62]) },
      { name: 'photo.png', type: 'image/png', bytes: PNG },
    ];
    for (const file of rejected) {
      expect((await errorOf(a.documents.upload(sessionId, file))).code, file.name).toBe('INVALID_INPUT');
    }
    expect((await errorOf(a.documents.upload(sessionId, { name: 'x.md', bytes: 'text' } as never))).code).toBe('INVALID_INPUT');
    expect((await errorOf(a.documents.upload(sessionId, { name: '', bytes: utf8('x') }))).code).toBe('INVALID_INPUT');
    expect((await errorOf(a.documents.upload(sessionId, { name: 'x.md', bytes: utf8('x') }, { maxChunkChars: 5 }))).code).toBe('INVALID_INPUT');
    expect(tables()).toEqual({ stores: 0, contents: 0, chunks: 0 });
  });

  test('a file over the upload limit is INVALID_INPUT', async () => {
    const small = await openTest({ limits: { maxUploadBytes: 16 } });
    try {
      const s = small.mnemo.space(A);
      const session = await s.sessions.create({ name: 'x' });
      expect((await errorOf(s.documents.upload(session.id, { name: 'big.txt', bytes: utf8('x'.repeat(17)) }))).code).toBe('INVALID_INPUT');
      expect((await s.documents.upload(session.id, { name: 'ok.txt', bytes: utf8('x'.repeat(16)) })).size).toBe(16);
    } finally {
      await small.mnemo.close();
    }
  });

  test('the session must exist in the scope', async () => {
    const b = t.mnemo.space(B);
    const file = { name: 'x.md', bytes: utf8('# x') };
    expect((await errorOf(b.documents.upload(sessionId, file))).code).toBe('NOT_FOUND');
    expect((await errorOf(a.documents.upload('no-such-session', file))).code).toBe('NOT_FOUND');
    expect((await errorOf(b.documents.list(sessionId))).code).toBe('NOT_FOUND');
    expect(tables()).toEqual({ stores: 0, contents: 0, chunks: 0 });

    const doc = await a.documents.upload(sessionId, file);
    expect((await errorOf(b.documents.get(doc.id))).code).toBe('NOT_FOUND');
    expect((await errorOf(b.documents.chunks(doc.id))).code).toBe('NOT_FOUND');
    expect(await b.documents.delete(doc.id)).toBe(false);
    expect(t.sql.value('SELECT last_accessed_at FROM contents WHERE id = ?', [doc.id])).toBeNull();
    expect(tables()).toMatchObject({ contents: 1 });
  });

  test('deleting a document removes its chunks and nothing else', async () => {
    const one = await a.documents.upload(sessionId, { name: 'one.md', bytes: utf8(MARKDOWN) }, { maxChunkChars: 200 });
    const two = await a.documents.upload(sessionId, { name: 'two.md', bytes: utf8('# Two\n\ntext\n') });
    expect(await a.documents.delete(one.id)).toBe(true);
    expect(await a.documents.delete(one.id)).toBe(false);
    expect(count(t.sql, `SELECT count(*) FROM chunks WHERE content_id = '${one.id}'`)).toBe(0);
    expect(tables()).toEqual({ stores: 1, contents: 1, chunks: two.chunkCount });
    expect((await errorOf(a.documents.get(one.id))).code).toBe('NOT_FOUND');
    expect((await a.documents.list(sessionId)).items.map((d) => d.id)).toEqual([two.id]);
  });

  test('deleting the session removes its store, contents and chunks', async () => {
    await a.documents.upload(sessionId, { name: 'one.md', bytes: utf8(MARKDOWN) }, { maxChunkChars: 200 });
    await a.documents.upload(sessionId, { name: 'two.txt', bytes: utf8('two') });
    const keep = await a.sessions.create({ name: 'keep' });
    const kept = await a.documents.upload(keep.id, { name: 'kept.txt', bytes: utf8('kept') });
    expect(await a.sessions.delete(sessionId)).toBe(true);
    expect(tables()).toEqual({ stores: 1, contents: 1, chunks: kept.chunkCount });
    expect(count(t.sql, `SELECT count(*) FROM stores WHERE session_id = '${sessionId}'`)).toBe(0);
    expect(t.sql.all('PRAGMA foreign_key_check')).toEqual([]);
    expect((await a.documents.list(keep.id)).total).toBe(1);
  });

  test('a PDF is stored with its text and page count', async () => {
    const pages = [
      ['First page line one.', 'First page line two.'],
      ['Second page only line.'],
    ];
    const bytes = makePdf(pages);
    const doc = await a.documents.upload(sessionId, { name: 'report.pdf', bytes });
    expect(doc).toMatchObject({ mimeType: 'application/pdf', size: bytes.byteLength, metadata: { kind: 'pdf', pageCount: 2 } });
    const full = await a.documents.get(doc.id);
    for (const line of pages.flat()) expect(full.fullText).toContain(line);
    expect(full.fullText.indexOf('First page line two.')).toBeLessThan(full.fullText.indexOf('Second page only line.'));
    expectCoverage(await a.documents.chunks(doc.id), full.fullText, doc.lineCount);
    expect(doc.chunkCount).toBeGreaterThan(0);
  });
});
