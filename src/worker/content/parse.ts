import { extractText, getDocumentProxy } from 'unpdf';
import { fail } from '../../shared/errors';
import { splitLines } from './chunk';

export type DocumentKind = 'markdown' | 'text' | 'pdf';

export interface ParsedDocument {
  /** Full text with LF line endings and no BOM; what chunk line numbers refer to. */
  text: string;
  mimeType: string;
  kind: DocumentKind;
  lineCount: number;
  /** The first ~280 characters with whitespace collapsed. */
  preview: string;
  pageCount?: number;
}

export interface ParseOptions {
  /** Default 50 MiB. */
  maxBytes?: number;
}

export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;
const PREVIEW_CHARS = 280;

interface Format {
  kind: DocumentKind;
  mimeType: string;
}

const MARKDOWN: Format = { kind: 'markdown', mimeType: 'text/markdown' };
const PLAIN: Format = { kind: 'text', mimeType: 'text/plain' };
const PDF: Format = { kind: 'pdf', mimeType: 'application/pdf' };
const textFormat = (mimeType: string): Format => ({ kind: 'text', mimeType });

// The extension wins over the browser's MIME guess, which is often empty or
// wrong for text files (Chrome reports .ts as video/mp2t, .md as '').
const BY_EXTENSION: Record<string, Format> = {
  md: MARKDOWN,
  markdown: MARKDOWN,
  mdown: MARKDOWN,
  mkd: MARKDOWN,
  pdf: PDF,
  txt: PLAIN,
  text: PLAIN,
  log: PLAIN,
  rst: PLAIN,
  adoc: PLAIN,
  org: PLAIN,
  tex: PLAIN,
  ini: PLAIN,
  cfg: PLAIN,
  conf: PLAIN,
  srt: PLAIN,
  vtt: textFormat('text/vtt'),
  csv: textFormat('text/csv'),
  tsv: textFormat('text/tab-separated-values'),
  json: textFormat('application/json'),
  jsonl: textFormat('application/jsonl'),
  ndjson: textFormat('application/x-ndjson'),
  xml: textFormat('application/xml'),
  yaml: textFormat('application/yaml'),
  yml: textFormat('application/yaml'),
  toml: textFormat('application/toml'),
  html: textFormat('text/html'),
  htm: textFormat('text/html'),
  css: textFormat('text/css'),
  js: textFormat('text/javascript'),
  mjs: textFormat('text/javascript'),
  ts: PLAIN,
  tsx: PLAIN,
  jsx: PLAIN,
  py: PLAIN,
  rb: PLAIN,
  go: PLAIN,
  rs: PLAIN,
  java: PLAIN,
  kt: PLAIN,
  c: PLAIN,
  h: PLAIN,
  cpp: PLAIN,
  hpp: PLAIN,
  cs: PLAIN,
  swift: PLAIN,
  php: PLAIN,
  sh: PLAIN,
  sql: PLAIN,
};

const TEXTUAL_APPLICATION_TYPES = new Set([
  'application/json',
  'application/jsonl',
  'application/x-ndjson',
  'application/xml',
  'application/yaml',
  'application/x-yaml',
  'application/toml',
  'application/javascript',
  'application/x-sh',
  'application/sql',
]);

/**
 * Turns an uploaded file into normalised text. Every rejection is a
 * `MnemoFailure('INVALID_INPUT')` whose message gives the reason only, never
 * any of the file's content.
 */
export async function parseDocument(
  input: { name: string; type?: string; bytes: Uint8Array },
  opts: ParseOptions = {},
): Promise<ParsedDocument> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const { bytes } = input;
  if (bytes.byteLength === 0) fail('INVALID_INPUT', 'The file is empty.');
  if (bytes.byteLength > maxBytes) {
    fail('INVALID_INPUT', `The file is too large (${formatSize(bytes.byteLength)}; the limit is ${formatSize(maxBytes)}).`);
  }

  const format = detectFormat(input.name, input.type ?? '', bytes);
  if (format.kind === 'pdf') {
    const pages = await extractPdfPages(bytes);
    const body = pages.filter((page) => page !== '').join('\n\n');
    if (body === '') fail('INVALID_INPUT', 'The PDF has no extractable text (it may be scanned images).');
    return toParsed(body, format, pages.length);
  }
  const body = normaliseNewlines(decodeText(bytes));
  if (body.trim() === '') fail('INVALID_INPUT', 'The file contains no text.');
  return toParsed(body, format);
}

function toParsed(body: string, format: Format, pageCount?: number): ParsedDocument {
  const doc: ParsedDocument = {
    text: body,
    mimeType: format.mimeType,
    kind: format.kind,
    lineCount: splitLines(body).length,
    preview: makePreview(body),
  };
  if (pageCount !== undefined) doc.pageCount = pageCount;
  return doc;
}

function detectFormat(name: string, type: string, bytes: Uint8Array): Format {
  if (hasPdfMagic(bytes)) return PDF;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  if (ext) {
    const known = BY_EXTENSION[ext];
    if (known) return known;
  }
  const mime = type.split(';')[0]?.trim().toLowerCase() ?? '';
  if (mime === 'text/markdown' || mime === 'text/x-markdown') return MARKDOWN;
  if (mime === 'application/pdf') return PDF;
  if (mime.startsWith('text/') || TEXTUAL_APPLICATION_TYPES.has(mime)) return textFormat(mime);
  // Files like README or LICENSE carry neither an extension nor a MIME type;
  // decoding decides whether they are really text.
  if (!ext && (mime === '' || mime === 'application/octet-stream')) return PLAIN;
  // Named back only when it looks like a type: never markup, never a long string from the caller.
  const what = [mime, ext ? `.${ext}` : ''].find((w) => w !== '' && /^[a-z0-9.+/-]{1,40}$/.test(w)) ?? '';
  fail('INVALID_INPUT', `Unsupported file type${what ? ` (${what})` : ''}: upload Markdown, plain text or PDF.`);
}

function hasPdfMagic(bytes: Uint8Array): boolean {
  return bytes[0] === 0x25 && bytes[1] === 0x50 && bytes[2] === 0x44 && bytes[3] === 0x46 && bytes[4] === 0x2d;
}

function decodeText(bytes: Uint8Array): string {
  // Notepad's "Unicode" is UTF-16 with a BOM; without this branch its NUL
  // high bytes would get it rejected as binary.
  const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : null;
  if (utf16) {
    const decoded = decodeStrict(bytes, utf16);
    if (decoded.includes('\0')) fail('INVALID_INPUT', 'The file is not text: it contains binary data.');
    return decoded;
  }
  if (bytes.includes(0)) fail('INVALID_INPUT', 'The file is not text: it contains binary data.');
  return decodeStrict(bytes, 'utf-8');
}

function decodeStrict(bytes: Uint8Array, encoding: 'utf-8' | 'utf-16le' | 'utf-16be'): string {
  try {
    // ignoreBOM: false (the default) makes the decoder drop a leading BOM.
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    fail('INVALID_INPUT', `The file is not valid ${encoding === 'utf-8' ? 'UTF-8' : 'UTF-16'} text.`);
  }
}

function normaliseNewlines(value: string): string {
  return value.replace(/\r\n?/g, '\n');
}

async function extractPdfPages(bytes: Uint8Array): Promise<string[]> {
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // pdf.js transfers the buffer it is given and so detaches it; copy to
    // leave the caller's bytes intact. verbosity 0 keeps its warnings about
    // fonts we never render out of the console.
    pdf = await getDocumentProxy(bytes.slice(), { verbosity: 0 });
  } catch (error) {
    if (error instanceof Error && error.name === 'PasswordException') {
      fail('INVALID_INPUT', 'The PDF is password-protected.');
    }
    fail('INVALID_INPUT', 'The PDF could not be read: it is damaged or not a PDF.');
  }
  try {
    const { text: pages } = await extractText(pdf, { mergePages: false });
    return pages.map(cleanPdfPage);
  } catch {
    fail('INVALID_INPUT', 'The PDF could not be read: its text could not be extracted.');
  } finally {
    await pdf.destroy();
  }
}

function cleanPdfPage(page: string): string {
  return (
    normaliseNewlines(page)
      // Unmapped glyphs come out as control characters, and layout spacing
      // as runs of blanks; neither helps search.
      .replace(/[\0-\x08\x0b-\x1f\x7f]/g, '')
      .replace(/[^\S\n]+/g, ' ')
      .split('\n')
      .map((line) => line.trim())
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}

function makePreview(body: string): string {
  // Collapsing only a window of the start keeps this cheap on a 50 MB document.
  const start = body.trimStart();
  const head = start.slice(0, PREVIEW_CHARS * 4);
  const collapsed = head.replace(/\s+/g, ' ').trimEnd();
  if (collapsed.length <= PREVIEW_CHARS && head.length === start.length) return collapsed;
  let cut = collapsed.slice(0, PREVIEW_CHARS).trimEnd();
  // A cut between the halves of a surrogate pair would leave a broken character.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  const space = cut.lastIndexOf(' ');
  const midWord = collapsed.length > PREVIEW_CHARS && collapsed[PREVIEW_CHARS] !== ' ';
  return `${midWord && space > PREVIEW_CHARS * 0.75 ? cut.slice(0, space) : cut}…`;
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
