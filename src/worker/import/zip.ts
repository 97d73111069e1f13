/**
 * Reads a zip from its central directory and inflates one entry at a time,
 * in chunks (fflate's streaming `Inflate`), so an export's conversations file
 * is never held decompressed in one piece. Sizes come from the central
 * directory (local headers may defer them to a data descriptor); Zip64 sizes
 * and offsets are read from the extra field. Entries are not CRC-checked: a
 * damaged entry shows up as a truncated or malformed JSON array instead.
 */
import { Inflate } from 'fflate';
import { fail } from '../../shared/errors';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
  encrypted: boolean;
}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_U32 = 0xffffffff;
const STORED = 0;
const DEFLATED = 8;
/** Compressed bytes handed to the inflater per step. */
const STEP = 256 * 1024;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 0x03 || bytes[2] === 0x05) && (bytes[3] === 0x04 || bytes[3] === 0x06);
}

function u64(view: DataView, at: number): number {
  return view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32;
}

const names = new TextDecoder();

/** Every entry of the central directory; throws IMPORT_REJECTED naming the file when there is none to read. */
export function listZip(bytes: Uint8Array, fileName: string): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const corrupt = (): never => fail('IMPORT_REJECTED', `${fileName}: not a readable zip (no central directory)`);
  let eocd = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === EOCD) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) corrupt();
  let count = view.getUint16(eocd + 10, true);
  let offset = view.getUint32(eocd + 16, true);
  if ((count === 0xffff || offset === MAX_U32) && eocd >= 20 && view.getUint32(eocd - 20, true) === EOCD64_LOCATOR) {
    const at = u64(view, eocd - 12);
    if (at + 56 > bytes.length || view.getUint32(at, true) !== EOCD64) corrupt();
    count = u64(view, at + 32);
    offset = u64(view, at + 48);
  }
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 46 > bytes.length || view.getUint32(offset, true) !== CENTRAL) corrupt();
    const flags = view.getUint16(offset + 8, true);
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    const entry: ZipEntry = {
      name: names.decode(bytes.subarray(offset + 46, offset + 46 + nameLength)),
      method: view.getUint16(offset + 10, true),
      compressedSize: view.getUint32(offset + 20, true),
      size: view.getUint32(offset + 24, true),
      localHeaderOffset: view.getUint32(offset + 42, true),
      encrypted: (flags & 1) === 1,
    };
    readZip64Extra(view, offset + 46 + nameLength, extraLength, entry);
    entries.push(entry);
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Zip64 extended information: 8-byte values for exactly the fields whose 4-byte value is 0xFFFFFFFF, in this order. */
function readZip64Extra(view: DataView, start: number, length: number, entry: ZipEntry): void {
  for (let at = start; at + 4 <= start + length; ) {
    const id = view.getUint16(at, true);
    const size = view.getUint16(at + 2, true);
    if (id === 0x0001) {
      let field = at + 4;
      for (const key of ['size', 'compressedSize', 'localHeaderOffset'] as const) {
        if (entry[key] === MAX_U32 && field + 8 <= at + 4 + size) {
          entry[key] = u64(view, field);
          field += 8;
        }
      }
      return;
    }
    at += 4 + size;
  }
}

/**
 * The entry's uncompressed bytes, chunk by chunk. Throws IMPORT_REJECTED for
 * an encrypted entry or an unsupported method; a plain Error ('truncated')
 * when the compressed data ends early.
 */
export function* entryChunks(bytes: Uint8Array, entry: ZipEntry): Generator<Uint8Array> {
  if (entry.encrypted) fail('IMPORT_REJECTED', `${entry.name}: encrypted zip entries are not supported`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const local = entry.localHeaderOffset;
  if (local + 30 > bytes.length || view.getUint32(local, true) !== LOCAL) fail('IMPORT_REJECTED', `${entry.name}: damaged zip entry`);
  const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
  const dataEnd = Math.min(bytes.length, dataStart + entry.compressedSize);
  const truncated = dataEnd < dataStart + entry.compressedSize;
  if (entry.method === STORED) {
    for (let at = dataStart; at < dataEnd; at += STEP * 4) yield bytes.subarray(at, Math.min(dataEnd, at + STEP * 4));
    if (truncated) throw new Error('truncated');
    return;
  }
  if (entry.method !== DEFLATED) fail('IMPORT_REJECTED', `${entry.name}: unsupported zip compression method ${entry.method}`);
  let out: Uint8Array[] = [];
  const inflate = new Inflate((data) => {
    if (data.length > 0) out.push(data);
  });
  // Final only after all input is in, so a stream that stops early still gives what came before the break.
  for (let at = dataStart; at <= dataEnd; at += STEP) {
    const final = at === dataEnd;
    let broken = false;
    try {
      inflate.push(bytes.subarray(at, Math.min(dataEnd, at + STEP)), final);
    } catch {
      broken = true;
    }
    yield* out;
    out = [];
    if (broken) throw new Error('truncated');
    if (!final && at + STEP > dataEnd) at = dataEnd - STEP;
  }
  if (truncated) throw new Error('truncated');
}
