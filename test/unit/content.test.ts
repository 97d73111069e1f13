import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { MnemoFailure } from '../../src/shared/errors';
import { chunkDocument, splitLines, type Chunk, type ChunkOptions } from '../../src/worker/content/chunk';
import { parseDocument, type ParsedDocument } from '../../src/worker/content/parse';
import { makePdf, SAMPLE_PDF_PAGES } from '../fixtures/make-pdf';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
};

/** Rejects with INVALID_INPUT, and the message leaks none of `secret`. */
async function expectRejected(
  promise: Promise<ParsedDocument>,
  reason: RegExp,
  secret = 'SECRET-CONTENT',
): Promise<void> {
  const error: unknown = await promise.then(
    () => expect.unreachable('parseDocument should have rejected'),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MnemoFailure);
  const failure = error as MnemoFailure;
  expect(failure.code).toBe('INVALID_INPUT');
  expect(failure.message).toMatch(reason);
  expect(failure.message).not.toContain(secret);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52];

describe('parseDocument', () => {
  test('reads Markdown', async () => {
    const doc = await parseDocument({ name: 'Notes.MD', bytes: utf8('# Title\n\nSome   text.\n') });
    expect(doc).toEqual({
      text: '# Title\n\nSome   text.\n',
      mimeType: 'text/markdown',
      kind: 'markdown',
      lineCount: 3,
      preview: '# Title Some text.',
    });
  });

  test('takes the kind from the MIME type when the name has no known extension', async () => {
    expect((await parseDocument({ name: 'notes', type: 'text/markdown', bytes: utf8('# x') })).kind).toBe('markdown');
    const json = await parseDocument({ name: 'export', type: 'application/json; charset=utf-8', bytes: utf8('{"a":1}') });
    expect(json).toMatchObject({ kind: 'text', mimeType: 'application/json' });
    const other = await parseDocument({ name: 'page.weird', type: 'text/x-rst', bytes: utf8('Title') });
    expect(other).toMatchObject({ kind: 'text', mimeType: 'text/x-rst' });
  });

  test('treats .txt, .csv, .json and .log as text whatever the browser guessed', async () => {
    const cases: [string, string, string][] = [
      ['a.txt', 'text/plain', 'text/plain'],
      ['a.csv', 'application/vnd.ms-excel', 'text/csv'],
      ['a.json', '', 'application/json'],
      ['server.log', '', 'text/plain'],
      ['types.ts', 'video/mp2t', 'text/plain'],
    ];
    for (const [name, type, mimeType] of cases) {
      const doc = await parseDocument({ name, type, bytes: utf8('a,b\n1,2') });
      expect(doc, name).toMatchObject({ kind: 'text', mimeType, lineCount: 2 });
    }
  });

  test('sniffs files that have neither extension nor type', async () => {
    expect(await parseDocument({ name: 'README', bytes: utf8('hello') })).toMatchObject({ kind: 'text' });
    await expectRejected(parseDocument({ name: 'LICENSE', bytes: new Uint8Array(PNG_SIGNATURE) }), /binary/);
  });

  test('normalises CRLF and lone CR to LF', async () => {
    const doc = await parseDocument({ name: 'a.txt', bytes: utf8('one\r\ntwo\rthree\r\n\r\nfour') });
    expect(doc.text).toBe('one\ntwo\nthree\n\nfour');
    expect(doc.lineCount).toBe(5);
  });

  test('strips a UTF-8 BOM and decodes UTF-16 with a BOM', async () => {
    const bom = await parseDocument({ name: 'a.md', bytes: concat(new Uint8Array([0xef, 0xbb, 0xbf]), utf8('# Hi')) });
    expect(bom.text).toBe('# Hi');
    const utf16 = new Uint8Array([0xff, 0xfe, ...Array.from('Hé\r\nyo', (ch) => [ch.charCodeAt(0), 0]).flat()]);
    expect((await parseDocument({ name: 'win.txt', bytes: utf16 })).text).toBe('Hé\nyo');
  });

  test('keeps non-ASCII text intact', async () => {
    const text = 'Grüße 👋 日本語\nçà';
    expect((await parseDocument({ name: 'a.md', bytes: utf8(text) })).text).toBe(text);
  });

  test('collapses whitespace in a bounded preview', async () => {
    const doc = await parseDocument({ name: 'a.txt', bytes: utf8(`${'word  \n\t'.repeat(200)}`) });
    expect(doc.preview.endsWith('…')).toBe(true);
    expect(doc.preview.length).toBeLessThanOrEqual(281);
    expect(doc.preview.length).toBeGreaterThan(200);
    expect(doc.preview).not.toMatch(/\s{2}|\n|\t/);
    const padded = await parseDocument({ name: 'a.txt', bytes: utf8(`${'\n'.repeat(5000)}start ${' \n'.repeat(2000)}end`) });
    expect(padded.preview).toBe('start…');
    const emoji = await parseDocument({ name: 'a.txt', bytes: utf8(`a${'👋'.repeat(300)}`) });
    expect(emoji.preview).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  test('rejects an empty file', async () => {
    await expectRejected(parseDocument({ name: 'a.md', bytes: new Uint8Array() }), /empty/);
  });

  test('rejects a file with no visible text', async () => {
    await expectRejected(parseDocument({ name: 'a.md', bytes: utf8(' \n\t\r\n') }), /no text/);
  });

  test('rejects a binary file posing as Markdown without echoing it', async () => {
    const png = concat(new Uint8Array(PNG_SIGNATURE), utf8('SECRET-CONTENT'));
    await expectRejected(parseDocument({ name: 'image.md', type: 'text/markdown', bytes: png }), /binary/);
  });

  test('rejects invalid UTF-8 and NUL bytes', async () => {
    const invalid = concat(utf8('SECRET-CONTENT '), new Uint8Array([0xc3, 0x28]));
    await expectRejected(parseDocument({ name: 'a.txt', bytes: invalid }), /not valid UTF-8/);
    const nul = concat(utf8('SECRET-CONTENT'), new Uint8Array([0]), utf8('more'));
    await expectRejected(parseDocument({ name: 'a.txt', bytes: nul }), /binary/);
    const utf16Nul = new Uint8Array([0xff, 0xfe, 0x41, 0, 0, 0, 0x42, 0]);
    await expectRejected(parseDocument({ name: 'a.txt', bytes: utf16Nul }), /binary/);
    const utf16Broken = new Uint8Array([0xff, 0xfe, 0x41, 0, 0x00, 0xd8, 0x42, 0]);
    await expectRejected(parseDocument({ name: 'a.txt', bytes: utf16Broken }), /not valid UTF-16/);
  });

  test('rejects unsupported types', async () => {
    await expectRejected(parseDocument({ name: 'photo.png', type: 'image/png', bytes: new Uint8Array(PNG_SIGNATURE) }), /Unsupported.*image\/png/);
    await expectRejected(parseDocument({ name: 'a.zip', type: 'application/zip', bytes: utf8('PK\x03\x04') }), /Unsupported/);
    await expectRejected(parseDocument({ name: 'blob.bin', bytes: utf8('text') }), /Unsupported.*\.bin/);
    await expectRejected(parseDocument({ name: 'x', type: 'image/jpeg', bytes: utf8('text') }), /Unsupported/);
  });

  test('rejects an oversized file before reading it', async () => {
    await expectRejected(parseDocument({ name: 'a.txt', bytes: utf8('12345678901') }, { maxBytes: 10 }), /too large.*10 bytes/);
    const big = new Uint8Array(50 * 1024 * 1024 + 1).fill(0x61);
    await expectRejected(parseDocument({ name: 'a.txt', bytes: big }), /too large.*50\.0 MB/);
  });

  test('extracts PDF text with page breaks as blank lines', async () => {
    const bytes = makePdf([
      ['First page, line one.', 'Brackets (like these) and a \\ backslash.'],
      ['Second page.'],
    ]);
    const doc = await parseDocument({ name: 'report.pdf', type: 'application/pdf', bytes });
    expect(doc).toEqual({
      text: 'First page, line one.\nBrackets (like these) and a \\ backslash.\n\nSecond page.',
      mimeType: 'application/pdf',
      kind: 'pdf',
      lineCount: 4,
      preview: 'First page, line one. Brackets (like these) and a \\ backslash. Second page.',
      pageCount: 2,
    });
    // pdf.js detaches the buffer it is handed; the caller's must survive.
    expect(bytes.byteLength).toBeGreaterThan(0);
  });

  test('recognises a PDF by its magic bytes', async () => {
    const doc = await parseDocument({ name: 'download', type: 'application/octet-stream', bytes: makePdf([['Hi.']]) });
    expect(doc).toMatchObject({ kind: 'pdf', text: 'Hi.', pageCount: 1 });
  });

  test('skips empty pages but counts them', async () => {
    const doc = await parseDocument({ name: 'a.pdf', bytes: makePdf([['One.'], [], ['Three.']]) });
    expect(doc).toMatchObject({ text: 'One.\n\nThree.', pageCount: 3 });
  });

  test('rejects corrupt PDFs and PDFs without text', async () => {
    await expectRejected(parseDocument({ name: 'a.pdf', bytes: utf8('%PDF-1.4\nSECRET-CONTENT\n') }), /could not be read/);
    const truncated = makePdf(SAMPLE_PDF_PAGES).slice(0, 400);
    await expectRejected(parseDocument({ name: 'a.pdf', bytes: truncated }), /could not be read/);
    await expectRejected(parseDocument({ name: 'a.pdf', bytes: utf8('SECRET-CONTENT, not a PDF') }), /could not be read/);
    await expectRejected(parseDocument({ name: 'scan.pdf', bytes: makePdf([[], []]) }), /no extractable text/);
  });

  test('sample.pdf is the generator output and extracts to the known sentences', async () => {
    const url = new URL('../fixtures/sample.pdf', import.meta.url);
    const expected = makePdf(SAMPLE_PDF_PAGES);
    // Regenerate after changing the generator: UPDATE_FIXTURES=1 npx vitest run test/unit/content.test.ts
    if (process.env.UPDATE_FIXTURES) writeFileSync(url, expected);
    expect(new Uint8Array(readFileSync(url))).toEqual(expected);
    const doc = await parseDocument({ name: 'sample.pdf', bytes: expected });
    expect(doc.text).toBe(SAMPLE_PDF_PAGES.map((page) => page.join('\n')).join('\n\n'));
    expect(doc.pageCount).toBe(2);
  });
});

describe('makePdf', () => {
  test('writes an xref table whose offsets point at their objects', () => {
    const pdf = new TextDecoder('latin1').decode(makePdf([['a'], ['b'], ['c']]));
    const startXref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(pdf)?.[1]);
    expect(pdf.slice(startXref, startXref + 4)).toBe('xref');
    const offsets = [...pdf.slice(startXref).matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
    expect(offsets).toHaveLength(9);
    offsets.forEach((offset, i) => expect(pdf.slice(offset).startsWith(`${i + 1} 0 obj\n`)).toBe(true));
  });

  test('refuses characters Helvetica/WinAnsi cannot show', () => {
    expect(() => makePdf([['日本']])).toThrow(/outside printable Latin-1/);
  });
});

/** Checks everything chunkDocument promises for any input and options. */
function checkInvariants(text: string, chunks: Chunk[], opts: ChunkOptions = {}): void {
  const maxChars = opts.maxChars ?? 1200;
  const lines = splitLines(text);
  if (lines.every((line) => line.trim() === '')) {
    expect(chunks).toEqual([]);
    return;
  }
  expect(chunks.length).toBeGreaterThan(0);
  expect(chunks[0]?.startLine).toBe(1);
  expect(chunks[chunks.length - 1]?.endLine).toBe(lines.length);
  chunks.forEach((chunk, i) => {
    expect(chunk.index).toBe(i);
    expect(chunk.startLine).toBeLessThanOrEqual(chunk.endLine);
    if (i > 0) expect(chunk.startLine).toBe((chunks[i - 1] as Chunk).endLine + 1);
    expect(chunk.text).toBe(lines.slice(chunk.startLine - 1, chunk.endLine).join('\n'));
    const core = trimBlankLines(chunk.text);
    expect(core, `chunk ${i} is blank`).not.toBe('');
    if (core.length > maxChars) expect(core, `chunk ${i} is over maxChars with several lines`).not.toContain('\n');
  });
  expect(chunks.map((chunk) => chunk.text).join('\n')).toBe(lines.join('\n'));
}

function trimBlankLines(text: string): string {
  const lines = text.split('\n');
  while (lines.length && lines[0]?.trim() === '') lines.shift();
  while (lines.length && lines[lines.length - 1]?.trim() === '') lines.pop();
  return lines.join('\n');
}

/** The 1-based line where each chunk's text starts, ignoring leading blank lines. */
const contentStarts = (chunks: Chunk[]): number[] =>
  chunks.map((chunk) => chunk.startLine + chunk.text.split('\n').findIndex((line) => line.trim() !== ''));

const chunkOfLine = (chunks: Chunk[], line: number): Chunk | undefined =>
  chunks.find((chunk) => chunk.startLine <= line && line <= chunk.endLine);

describe('chunkDocument', () => {
  test('yields no chunks for empty or blank documents', () => {
    expect(chunkDocument('', 'markdown')).toEqual([]);
    expect(chunkDocument('\n \n\t\n', 'text')).toEqual([]);
  });

  test('counts a final newline as ending the last line', () => {
    expect(splitLines('a\nb\n')).toEqual(['a', 'b']);
    expect(splitLines('a\nb\n\n')).toEqual(['a', 'b', '']);
    expect(chunkDocument('a\nb\n', 'text')).toEqual([{ index: 0, text: 'a\nb', startLine: 1, endLine: 2 }]);
  });

  test('starts a chunk at every heading and records the heading path', () => {
    const text = [
      'Intro line.',
      '',
      '# Setup',
      '',
      'Read this first.',
      '',
      '## Install',
      'npm i mnemo',
      '',
      '## Run',
      'npm start',
      '# Usage',
      'Use it.',
      '',
    ].join('\n');
    const chunks = chunkDocument(text, 'markdown', { minChars: 0 });
    checkInvariants(text, chunks, { minChars: 0 });
    expect(chunks.map(({ startLine, endLine, heading }) => ({ startLine, endLine, heading }))).toEqual([
      { startLine: 1, endLine: 2, heading: undefined },
      { startLine: 3, endLine: 6, heading: 'Setup' },
      { startLine: 7, endLine: 9, heading: 'Setup > Install' },
      { startLine: 10, endLine: 11, heading: 'Setup > Run' },
      { startLine: 12, endLine: 13, heading: 'Usage' },
    ]);
  });

  test('merges small sections into the next one, and a small last one into the previous', () => {
    const text = '# A\nshort\n## B\nshort too\n## C\n' + 'x'.repeat(300) + '\n## D\nend';
    const chunks = chunkDocument(text, 'markdown', { maxChars: 400, minChars: 50 });
    checkInvariants(text, chunks, { maxChars: 400 });
    expect(chunks.map((chunk) => [chunk.startLine, chunk.endLine, chunk.heading])).toEqual([[1, 8, 'A']]);
    const roomy = chunkDocument(text, 'markdown', { maxChars: 320, minChars: 50 });
    expect(roomy.map((chunk) => [chunk.startLine, chunk.endLine, chunk.heading])).toEqual([
      [1, 4, 'A'],
      [5, 8, 'A > C'],
    ]);
  });

  test('understands setext headings, closing hashes and front matter', () => {
    const text = '---\ntitle: x\n---\nTitle\nover two\n=====\nbody\n\nSub ##\n---\n## Third ##\nmore';
    const chunks = chunkDocument(text, 'markdown', { minChars: 0 });
    checkInvariants(text, chunks);
    expect(chunks.map((chunk) => [chunk.startLine, chunk.heading])).toEqual([
      [1, undefined],
      [4, 'Title over two'],
      [9, 'Title over two > Sub ##'],
      [11, 'Title over two > Third'],
    ]);
  });

  test('ignores headings inside fenced code and keeps the fence whole', () => {
    const fence = ['```sh', '# not a heading', '', 'echo hi', '~~~', '```'];
    const text = ['# Real', 'intro', '', ...fence, 'after'].join('\n');
    const chunks = chunkDocument(text, 'markdown', { maxChars: 50, minChars: 0 });
    checkInvariants(text, chunks, { maxChars: 50 });
    expect(chunks.map((chunk) => chunk.heading)).toEqual(['Real', 'Real']);
    expect(chunks[1]?.text).toBe([...fence, 'after'].join('\n'));
  });

  test('an unclosed fence runs to the end of the document', () => {
    const text = '```\n# inside\ncode';
    const chunks = chunkDocument(text, 'markdown', { minChars: 0 });
    expect(chunks).toEqual([{ index: 0, text, startLine: 1, endLine: 3 }]);
  });

  test('splits a fence longer than maxChars by lines, keeping blank lines with the line above', () => {
    const fence = ['```', ...Array.from({ length: 20 }, (_, i) => (i % 4 === 3 ? '' : `line ${i} of code`)), '```'];
    const text = fence.join('\n');
    const chunks = chunkDocument(text, 'markdown', { maxChars: 60, minChars: 0 });
    checkInvariants(text, chunks, { maxChars: 60 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) expect(chunk.text.startsWith('\n')).toBe(false);
  });

  test('keeps a heading with the start of a paragraph too big to share its chunk', () => {
    const paragraph = Array.from({ length: 10 }, (_, i) => `Sentence number ${i} of a long paragraph.`);
    const text = ['# Big', ...paragraph].join('\n');
    const chunks = chunkDocument(text, 'markdown', { maxChars: 150, minChars: 0 });
    checkInvariants(text, chunks, { maxChars: 150 });
    expect(chunks[0]?.text.split('\n').slice(0, 2)).toEqual(['# Big', paragraph[0]]);
  });

  test('gives a line longer than maxChars a chunk of its own, unsplit', () => {
    const long = 'y'.repeat(500);
    const text = `# Head\nshort\n${long}\nafter\n\n\ntail`;
    const chunks = chunkDocument(text, 'markdown', { maxChars: 100, minChars: 0 });
    checkInvariants(text, chunks, { maxChars: 100 });
    expect(chunks.map((chunk) => chunk.text)).toEqual(['# Head\nshort', long, 'after\n\n\ntail']);
  });

  test('packs text paragraphs whole, then lines', () => {
    const words = (n: number, count: number, separator: string): string =>
      Array.from({ length: count }, (_, i) => `p${n}w${i}`).join(separator);
    const text = [words(1, 5, ' '), '', words(2, 5, ' '), '', words(3, 40, '\n'), '', words(4, 3, ' ')].join('\n');
    const chunks = chunkDocument(text, 'text', { maxChars: 60, minChars: 0 });
    checkInvariants(text, chunks, { maxChars: 60 });
    // Paragraph 3 is too long for any chunk, so its lines fill the room left by 1 and 2.
    expect(chunks[0]?.text).toBe(`${words(1, 5, ' ')}\n\n${words(2, 5, ' ')}\n\np3w0`);
    expect(chunks[chunks.length - 1]?.text).toBe(words(4, 3, ' '));
    expect(chunks.every((chunk) => chunk.heading === undefined)).toBe(true);
  });

  test('treats "#" lines in text and PDFs as ordinary lines', () => {
    const text = '# not a heading\n\nbody';
    for (const kind of ['text', 'pdf'] as const) {
      const chunks = chunkDocument(text, kind, { minChars: 0 });
      expect(chunks).toEqual([{ index: 0, text, startLine: 1, endLine: 3 }]);
    }
  });

  test('works on CRLF text, keeping the CR in line text', () => {
    const text = '# A\r\nbody\r\n\r\n# B\r\nmore\r\n';
    const chunks = chunkDocument(text, 'markdown', { minChars: 0 });
    checkInvariants(text, chunks);
    expect(chunks.map((chunk) => [chunk.startLine, chunk.heading])).toEqual([
      [1, 'A'],
      [4, 'B'],
    ]);
  });

  test('chunks parsed documents end to end', async () => {
    const md = '\uFEFF# T\r\n\r\nbody\r\n';
    const doc = await parseDocument({ name: 'a.md', bytes: utf8(md) });
    const chunks = chunkDocument(doc.text, doc.kind);
    checkInvariants(doc.text, chunks);
    expect(chunks[chunks.length - 1]?.endLine).toBe(doc.lineCount);
    const pdf = await parseDocument({ name: 'sample.pdf', bytes: makePdf(SAMPLE_PDF_PAGES) });
    const pdfChunks = chunkDocument(pdf.text, pdf.kind, { maxChars: 120 });
    checkInvariants(pdf.text, pdfChunks, { maxChars: 120 });
    expect(pdfChunks[pdfChunks.length - 1]?.endLine).toBe(pdf.lineCount);
  });

  test('rejects invalid options', () => {
    expect(() => chunkDocument('x', 'text', { maxChars: 0 })).toThrow(MnemoFailure);
    expect(() => chunkDocument('x', 'text', { maxChars: 1.5 })).toThrow(MnemoFailure);
    expect(() => chunkDocument('x', 'text', { minChars: -1 })).toThrow(MnemoFailure);
  });
});

describe('chunkDocument on random documents', () => {
  // A seeded generator keeps failures reproducible: the seed is in the test name.
  function rng(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  interface Generated {
    text: string;
    /** 1-based line of each heading, and the 1-based range of each fence and paragraph. */
    headings: number[];
    blocks: { start: number; end: number; afterHeading: boolean }[];
  }

  function generateMarkdown(random: () => number): Generated {
    const int = (n: number): number => Math.floor(random() * n);
    const pick = <T,>(items: readonly T[]): T => items[int(items.length)] as T;
    const word = (): string => pick(['alpha', 'beta', 'γάμμα', 'δ', 'memory', 'x', '`code`', '**bold**', '#tag', '—', '日本']);
    const sentence = (words: number): string => Array.from({ length: words }, word).join(' ');
    const lines: string[] = [];
    const headings: number[] = [];
    const blocks: Generated['blocks'] = [];
    let last: 'start' | 'heading' | 'fence' | 'paragraph' = 'start';
    // Without a blank line, a paragraph would run on into the next one or become a setext heading.
    const separate = (): void => {
      if (last === 'paragraph' && lines[lines.length - 1]?.trim() !== '') lines.push('');
    };

    if (random() < 0.1) lines.push('---', `title: ${word()}`, '---');
    for (let parts = int(14); parts > 0; parts--) {
      const afterHeading = last === 'heading';
      const roll = random();
      if (roll < 0.25) {
        headings.push(lines.length + 1);
        lines.push(`${' '.repeat(int(2))}${'#'.repeat(1 + int(6))} ${sentence(1 + int(4))}${random() < 0.2 ? ' ##' : ''}`);
        last = 'heading';
      } else if (roll < 0.32) {
        separate();
        headings.push(lines.length + 1);
        lines.push(sentence(1 + int(4)), random() < 0.5 ? '===' : '---');
        last = 'heading';
      } else if (roll < 0.47) {
        const marker = pick(['```', '~~~', '````']);
        const start = lines.length + 1;
        lines.push(`${marker}${pick(['', 'ts', 'sh'])}`);
        for (let n = int(12); n > 0; n--) {
          lines.push(pick(['', '# shell comment', `  ${sentence(1 + int(8))}`, '```not a close', '~~', 'Setext?', '===']));
        }
        const unclosed = random() < 0.05;
        if (!unclosed) lines.push(marker);
        blocks.push({ start, end: lines.length, afterHeading });
        last = 'fence';
        if (unclosed) break;
      } else if (roll < 0.55) {
        separate();
        lines.push('x'.repeat(100 + int(2000)));
        last = 'paragraph';
      } else {
        separate();
        const start = lines.length + 1;
        const prefix = pick(['', '', '- ', '> ', '1. ', '| ']);
        for (let n = 1 + int(8); n > 0; n--) lines.push(`${prefix}${sentence(1 + int(random() < 0.1 ? 200 : 14))}`);
        blocks.push({ start, end: lines.length, afterHeading });
        last = 'paragraph';
      }
      if (random() < 0.6) {
        for (let n = 1 + int(3); n > 0; n--) lines.push(pick(['', '', ' ', '\t ']));
      }
    }
    const crlf = random() < 0.2;
    let text = lines.join(crlf ? '\r\n' : '\n');
    if (random() < 0.5) text += crlf ? '\r\n' : '\n';
    return { text, headings, blocks };
  }

  const seeds = Array.from({ length: 500 }, (_, i) => i + 1);

  test.each(seeds)('markdown seed %i', (seed) => {
    const random = rng(seed);
    const { text, headings, blocks } = generateMarkdown(random);
    const maxChars = [40, 100, 300, 1200][seed % 4] as number;
    const minChars = [0, 30, 200][seed % 3] as number;
    const opts = { maxChars, minChars };
    const chunks = chunkDocument(text, 'markdown', opts);
    checkInvariants(text, chunks, opts);
    const lines = splitLines(text);
    const size = (start: number, end: number): number => lines.slice(start - 1, end).join('\n').length;

    const starts = new Set(contentStarts(chunks));
    for (const { start, end: generatedEnd, afterHeading } of blocks) {
      // A fence left open at the end can have lost a final empty line to splitLines.
      const end = Math.min(generatedEnd, lines.length);
      // Blocks that fit stay whole, unless a heading before them had to be kept with their first line.
      if (size(start, end) > maxChars || afterHeading) continue;
      const chunk = chunkOfLine(chunks, start);
      expect(chunk && chunk.endLine >= end, `block ${start}-${end} split`).toBe(true);
    }
    for (const line of headings) {
      if (minChars === 0) expect(starts.has(line), `heading on line ${line} does not start a chunk`).toBe(true);
      // A heading is never the last thing in its chunk when the line after it would fit.
      const chunk = chunkOfLine(chunks, line) as Chunk;
      const headingEnd = /^ {0,3}(=+|-+)\s*$/.test(lines[line] ?? '') ? line + 1 : line;
      const next = lines.findIndex((text, i) => i >= headingEnd && text.trim() !== '');
      if (next < 0 || headings.includes(next + 1)) continue;
      // Blank lines after that line may belong to it (inside a fence), so count them too.
      let unitEnd = next + 1;
      while (unitEnd < lines.length && lines[unitEnd]?.trim() === '') unitEnd++;
      if (size(line, unitEnd) <= maxChars) expect(chunk.endLine, `heading on line ${line} left alone`).toBeGreaterThan(next);
    }
  });

  test.each(seeds.slice(0, 100))('text and pdf seed %i', (seed) => {
    const random = rng(seed);
    const { text } = generateMarkdown(random);
    const maxChars = [40, 100, 300, 1200][seed % 4] as number;
    for (const kind of ['text', 'pdf'] as const) {
      const chunks = chunkDocument(text, kind, { maxChars });
      checkInvariants(text, chunks, { maxChars });
      expect(chunks.every((chunk) => chunk.heading === undefined)).toBe(true);
    }
  });
});
