/**
 * Turns the chosen files into the parts to read, in order: zips are opened
 * (their entries inflated one at a time, only when read), the ChatGPT split
 * files `conversations-000.json`, `-001`… are read in number order, and the
 * export's other files (user.json, chat.html, images…) are counted and
 * skipped. File names also hint at the format for auto-detection.
 */
import { fail } from '../../shared/errors';
import type { ReportBuilder } from './report';
import type { ImportFile, ImportFormat } from './types';
import { entryChunks, isZip, listZip } from './zip';

export interface Part {
  /** For reports: the file name, or `zip name/entry name`. */
  name: string;
  /** The format the file names around this part suggest, if any. */
  hint: ImportFormat | null;
  chunks(): Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
}

/** Bytes read from a Blob at a time: the scanner holds at most one slice plus the element it is inside. */
export const BLOB_SLICE = 4 * 1024 * 1024;

async function* blobChunks(blob: Blob): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < blob.size; at += BLOB_SLICE) yield new Uint8Array(await blob.slice(at, at + BLOB_SLICE).arrayBuffer());
}

/** A file's bytes when they are needed whole (a zip's directory is at its end), else a reader of its slices. */
async function opened(file: ImportFile): Promise<{ name: string; bytes: Uint8Array } | { name: string; chunks: () => AsyncIterable<Uint8Array> }> {
  if ('bytes' in file) return file;
  const head = new Uint8Array(await file.blob.slice(0, 4).arrayBuffer());
  // A zip is compressed (a tenth of its JSON or less) and read by random access: it is read whole.
  if (isZip(head)) return { name: file.name, bytes: new Uint8Array(await file.blob.arrayBuffer()) };
  const { blob } = file;
  return { name: file.name, chunks: () => blobChunks(blob) };
}

const CONVERSATIONS = /^conversations(?:-(\d+))?\.json$/i;
const CHATGPT_SIBLINGS = /^(?:chat\.html|user\.json|shared_conversations\.json|message_feedback\.json|model_comparisons\.json|conversations-\d+\.json)$/i;
const CLAUDE_SIBLINGS = /^(?:users\.json|projects\.json)$/i;
/** Files of an export folder that hold no conversations: skipped when several files are chosen. */
const KNOWN_OTHERS = /^(?:chat\.html|user\.json|users\.json|projects\.json|shared_conversations\.json|message_feedback\.json|model_comparisons\.json)$/i;

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function hintFrom(names: readonly string[]): ImportFormat | null {
  const bases = names.map(baseName);
  if (bases.some((name) => CHATGPT_SIBLINGS.test(name))) return 'chatgpt';
  if (bases.some((name) => CLAUDE_SIBLINGS.test(name))) return 'claude';
  return null;
}

/** conversations.json first, then the numbered parts in number order, then other names. */
function partOrder(a: string, b: string): number {
  const rank = (name: string): [number, number, string] => {
    const match = CONVERSATIONS.exec(baseName(name));
    if (!match) return [2, 0, name];
    return match[1] === undefined ? [0, 0, name] : [1, Number(match[1]), name];
  };
  const [ra, na, sa] = rank(a);
  const [rb, nb, sb] = rank(b);
  return ra - rb || na - nb || (sa < sb ? -1 : sa > sb ? 1 : 0);
}

function isNoise(path: string): boolean {
  return path.endsWith('/') || path.startsWith('__MACOSX/') || baseName(path).startsWith('.');
}

function zipParts(file: { name: string; bytes: Uint8Array }, report: ReportBuilder): Part[] {
  const entries = listZip(file.bytes, file.name).filter((entry) => !isNoise(entry.name));
  const hint = hintFrom(entries.map((entry) => entry.name));
  const chosen = entries.filter((entry) => CONVERSATIONS.test(baseName(entry.name)));
  if (chosen.length === 0) fail('IMPORT_REJECTED', `${file.name}: the zip holds no conversations.json`);
  const skipped = entries.length - chosen.length;
  if (skipped > 0) report.skip('file: not a conversations file', skipped);
  return chosen
    .sort((a, b) => partOrder(a.name, b.name))
    .map((entry) => ({ name: `${file.name}/${entry.name}`, hint, chunks: () => entryChunks(file.bytes, entry) }));
}

export async function collectParts(files: readonly ImportFile[], report: ReportBuilder): Promise<Part[]> {
  if (files.length === 0) fail('IMPORT_REJECTED', 'no file chosen');
  const hint = hintFrom(files.map((file) => file.name));
  const parts: Part[] = [];
  for (const chosen of [...files].sort((a, b) => partOrder(a.name, b.name))) {
    const file = await opened(chosen);
    if ('bytes' in file && isZip(file.bytes)) {
      parts.push(...zipParts(file, report));
    } else if (files.length > 1 && (KNOWN_OTHERS.test(baseName(file.name)) || !/\.json$/i.test(file.name))) {
      // A whole export folder was chosen: its other files hold no conversations.
      report.skip('file: not a conversations file');
    } else {
      parts.push({ name: file.name, hint, chunks: 'bytes' in file ? () => [file.bytes] : file.chunks });
    }
  }
  if (parts.length === 0) fail('IMPORT_REJECTED', 'none of the chosen files holds conversations (expected conversations.json or an export .zip)');
  return parts;
}
