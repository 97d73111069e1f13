/**
 * Way (b) of encryption at rest, built to be measured against way (a)
 * (SQLite3 Multiple Ciphers, cipher-driver.ts): an encrypting VFS of our own
 * that wraps another VFS of the official sqlite-wasm build (the
 * `opfs-sahpool` pool in the browser, `unix` in Node tests) and seals every
 * database and WAL page with ChaCha20-Poly1305 from `@noble/ciphers`.
 * sqlite-wasm calls a VFS synchronously, so WebCrypto (Promise-only) cannot
 * be used here.
 *
 * Page layout: the database is created with 28 reserved bytes at the end of
 * every page (`SQLITE_FCNTL_RESERVE_BYTES`, before the first write), which
 * SQLite never reads; a sealed page is `ciphertext (P − 28) | nonce (12) |
 * tag (16)`. The nonce is 96 random bits per write (a page is rewritten
 * with a fresh nonce every time; at 2^32 writes per key the collision risk
 * reaches 2^-33, so a long-lived key must be rotated before that). The
 * associated data binds each sealed page to its page number in the main
 * file (a page copied to another slot fails to open); WAL frames carry their
 * page number in the plaintext frame header, which SQLite checksums.
 *
 * Files: the main database is a run of pages; the WAL is a 32-byte header
 * and frames of a 24-byte header plus one page. Headers stay plain (they
 * hold sizes, salts, checksums and page numbers, no content); every page is
 * sealed. Any other file (rollback journal, temp files) is refused: the
 * database must be opened in WAL mode with `temp_store = MEMORY`, so nothing
 * can reach the disk unsealed. A page region written in two parts (WAL
 * padding frames split at the sync point) is held until complete, then
 * sealed and written whole. A page that fails to open returns
 * `SQLITE_IOERR_AUTH`: wrong key or damaged file.
 */
import type { Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';

const NONCE = 12;
const TAG = 16;
/** Reserved bytes per page: nonce + tag. */
export const AEAD_RESERVE = NONCE + TAG;
const WAL_HEADER = 32;
const WAL_FRAME_HEADER = 24;
const SQLITE_IOERR_AUTH = 10 | (28 << 8);
const SQLITE_IOERR_WRITE = 10 | (3 << 8);
const SQLITE_IOERR_SHORT_READ = 10 | (2 << 8);
const SQLITE_CANTOPEN = 14;
const SQLITE_OPEN_MAIN_DB = 0x100;
const SQLITE_OPEN_WAL = 0x80000;
export const SQLITE_FCNTL_RESERVE_BYTES = 38;

/** Where pages sit in a file: page k at `base + k·stride + skip`, `pageSize` bytes long. */
interface Layout {
  base: number;
  stride: number;
  skip: number;
  /** Bind sealed pages to their number in the file (main database). */
  bindPage: boolean;
}

type Fn = (...args: unknown[]) => number;

interface UnderIo {
  pointer: number;
  xClose: Fn;
  xRead: Fn;
  xWrite: Fn;
  xTruncate: Fn;
  xSync: Fn;
  xFileSize: Fn;
  xLock: Fn;
  xUnlock: Fn;
  xCheckReservedLock: Fn;
  xFileControl: Fn;
  xSectorSize: Fn;
  xDeviceCharacteristics: Fn;
}

interface OpenFile {
  io: UnderIo;
  layout: Layout;
  /** Page regions written in part, by region offset: the plain bytes so far and how many. */
  partial: Map<number, { plain: Uint8Array; covered: number }>;
}

export interface AeadVfsOptions {
  /** Name to register the encrypting VFS under. */
  name: string;
  /** The VFS that stores the sealed bytes. */
  underlying: string;
  /** 32-byte data key. */
  key: Uint8Array;
  /** The database page size (fixed: SQLite reads it from page 1, which is sealed). */
  pageSize?: number;
}

export interface AeadVfs {
  readonly name: string;
  readonly pageSize: number;
  /**
   * Pages sealed and opened, page regions written in two parts, and pages written with something in their
   * reserved bytes (expected 0: SQLite leaves them zero, and reads get zeros back), since install.
   */
  readonly counts: { sealed: number; opened: number; split: number; reserveInUse: number };
}

const IO_METHODS = [
  'xClose',
  'xRead',
  'xWrite',
  'xTruncate',
  'xSync',
  'xFileSize',
  'xLock',
  'xUnlock',
  'xCheckReservedLock',
  'xFileControl',
  'xSectorSize',
  'xDeviceCharacteristics',
] as const;
/** VFS methods that take the VFS pointer as their first argument and are forwarded with the underlying one. */
const FORWARDED_VFS_METHODS = ['xDelete', 'xAccess', 'xFullPathname', 'xRandomness', 'xSleep', 'xCurrentTime', 'xGetLastError', 'xCurrentTimeInt64'] as const;
/** VFS methods copied as they are (they ignore the VFS pointer). */
const COPIED_VFS_METHODS = ['xDlOpen', 'xDlError', 'xDlSym', 'xDlClose', 'xSetSystemCall', 'xGetSystemCall', 'xNextSystemCall'] as const;

type Struct = Record<string, unknown> & { pointer: number; installMethods(methods: Record<string, Fn>, applyArgcCheck?: boolean): unknown; registerVfs(asDefault?: boolean): unknown };

export function installAeadVfs(sqlite3: Sqlite3Static, options: AeadVfsOptions): AeadVfs {
  const { capi, wasm } = sqlite3;
  const pageSize = options.pageSize ?? 4096;
  if (options.key.length !== 32) throw new Error('aead vfs: the key must be 32 bytes');
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw new Error('aead vfs: invalid page size');
  const key = Uint8Array.from(options.key);
  const body = pageSize - AEAD_RESERVE;
  const pUnder = capi.sqlite3_vfs_find(options.underlying) as unknown as number;
  if (!pUnder) throw new Error(`aead vfs: no VFS named ${options.underlying}`);
  const entry = (pointer: number) => wasm.functionEntry(pointer) as unknown as Fn;
  const under = new capi.sqlite3_vfs(pUnder) as unknown as Struct;
  const counts = { sealed: 0, opened: 0, split: 0, reserveInUse: 0 };

  const ios = new Map<number, UnderIo>();
  const files = new Map<number, OpenFile>();
  const mainLayout: Layout = { base: 0, stride: pageSize, skip: 0, bindPage: true };
  const walLayout: Layout = { base: WAL_HEADER, stride: WAL_FRAME_HEADER + pageSize, skip: WAL_FRAME_HEADER, bindPage: false };

  // Scratch memory: a wasm buffer for sealed writes (grown on demand) and JS buffers for one page.
  let scratchPointer = 0;
  let scratchSize = 0;
  const scratch = (size: number): number => {
    if (size > scratchSize) {
      if (scratchPointer) wasm.dealloc(scratchPointer);
      scratchPointer = wasm.alloc(size) as unknown as number;
      scratchSize = size;
    }
    return scratchPointer;
  };
  const sealedBuffer = new Uint8Array(body + TAG);
  const plainBuffer = new Uint8Array(body);
  const aad = new Uint8Array(8);
  const aadView = new DataView(aad.buffer);
  const noAad = new Uint8Array(0);

  const pageAad = (layout: Layout, region: number): Uint8Array => {
    if (!layout.bindPage) return noAad;
    aadView.setBigUint64(0, BigInt(region / pageSize + 1));
    return aad;
  };

  /** Seals the plain page at `page[0, pageSize)` in place. */
  const seal = (page: Uint8Array, associated: Uint8Array): void => {
    if (!page.subarray(body).every((byte) => byte === 0)) counts.reserveInUse++;
    const nonce = crypto.getRandomValues(new Uint8Array(NONCE));
    chacha20poly1305(key, nonce, associated).encrypt(page.subarray(0, body), sealedBuffer);
    page.set(sealedBuffer.subarray(0, body), 0);
    page.set(nonce, body);
    page.set(sealedBuffer.subarray(body), body + NONCE);
    counts.sealed++;
  };

  /** Opens the sealed page at `page[0, pageSize)` in place; false when it does not authenticate. */
  const open = (page: Uint8Array, associated: Uint8Array): boolean => {
    const tail = page.subarray(body);
    // A region never written (a hole, or read past the end) is all zeros: leave it so.
    if (tail.every((byte) => byte === 0) && page.every((byte) => byte === 0)) return true;
    sealedBuffer.set(page.subarray(0, body), 0);
    sealedBuffer.set(page.subarray(body + NONCE), body);
    try {
      chacha20poly1305(key, page.slice(body, body + NONCE), associated).decrypt(sealedBuffer, plainBuffer);
    } catch {
      return false;
    }
    page.set(plainBuffer, 0);
    // SQLite wrote zeros there (it never uses reserved bytes), and the WAL checksums it verifies on recovery cover them.
    page.fill(0, body);
    counts.opened++;
    return true;
  };

  /** Region offsets (page starts) of `layout` that overlap [from, to). */
  const regions = (layout: Layout, from: number, to: number): number[] => {
    const out: number[] = [];
    let k = from <= layout.base ? 0 : Math.floor((from - layout.base) / layout.stride);
    for (;; k++) {
      const start = layout.base + k * layout.stride + layout.skip;
      if (start >= to) break;
      if (start + pageSize > from) out.push(start);
    }
    return out;
  };

  const underIo = (pointer: number): UnderIo => {
    let io = ios.get(pointer);
    if (!io) {
      const struct = new capi.sqlite3_io_methods(pointer) as unknown as Struct;
      const methods = { pointer } as Partial<UnderIo> & { pointer: number };
      for (const name of IO_METHODS) (methods as Record<string, unknown>)[name] = entry(struct[`$${name}`] as number);
      io = methods as UnderIo;
      ios.set(pointer, io);
    }
    return io;
  };

  const ioMethods: Record<string, Fn> = {
    xClose(pFile) {
      const file = files.get(pFile as number)!;
      files.delete(pFile as number);
      return file.io.xClose(pFile);
    },
    xRead(pFile, pDest, n, offset64) {
      const file = files.get(pFile as number)!;
      const rc = file.io.xRead(pFile, pDest, n, offset64);
      if (rc !== 0 && rc !== SQLITE_IOERR_SHORT_READ) return rc;
      const from = Number(offset64);
      const to = from + (n as number);
      for (const region of regions(file.layout, from, to)) {
        const associated = pageAad(file.layout, region);
        if (region >= from && region + pageSize <= to) {
          const at = (pDest as number) + region - from;
          if (!open(wasm.heap8u().subarray(at, at + pageSize), associated)) return SQLITE_IOERR_AUTH;
          continue;
        }
        // A read of part of a page (the 100-byte header, a frame read whole): open the whole page, copy the part.
        const buffer = scratch(pageSize);
        const whole = file.io.xRead(pFile, buffer, pageSize, BigInt(region));
        if (whole !== 0 && whole !== SQLITE_IOERR_SHORT_READ) return whole;
        const page = wasm.heap8u().subarray(buffer, buffer + pageSize);
        if (!open(page, associated)) return SQLITE_IOERR_AUTH;
        const start = Math.max(from, region);
        const end = Math.min(to, region + pageSize);
        wasm.heap8u().copyWithin((pDest as number) + start - from, buffer + start - region, buffer + end - region);
      }
      return rc;
    },
    xWrite(pFile, pSrc, n, offset64) {
      const file = files.get(pFile as number)!;
      const from = Number(offset64);
      const length = n as number;
      const to = from + length;
      const buffer = scratch(length);
      const heap = wasm.heap8u();
      heap.copyWithin(buffer, pSrc as number, (pSrc as number) + length);
      const out = wasm.heap8u().subarray(buffer, buffer + length);
      const held: number[] = [];
      for (const region of regions(file.layout, from, to)) {
        if (region >= from && region + pageSize <= to) {
          const page = out.subarray(region - from, region - from + pageSize);
          if (file.layout === mainLayout && region === 0 && !validHeader(page)) return SQLITE_IOERR_WRITE;
          seal(page, pageAad(file.layout, region));
          continue;
        }
        // Part of a page: hold it until the rest arrives, then write the page whole.
        const start = Math.max(from, region);
        const end = Math.min(to, region + pageSize);
        let pending = file.partial.get(region);
        if (!pending) {
          pending = { plain: new Uint8Array(pageSize), covered: 0 };
          file.partial.set(region, pending);
        }
        pending.plain.set(out.subarray(start - from, end - from), start - region);
        pending.covered += end - start;
        held.push(region);
      }
      // Write the request minus the held parts, then any page a held part completed.
      const [start, end] = held.length === 0 ? [from, to] : withoutHeld(from, to, held, pageSize);
      if (end > start) {
        const rc = file.io.xWrite(pFile, buffer + start - from, end - start, BigInt(start));
        if (rc !== 0) return rc;
      }
      for (const region of held) {
        const pending = file.partial.get(region)!;
        if (pending.covered < pageSize) continue;
        file.partial.delete(region);
        counts.split++;
        const target = scratch(pageSize);
        const page = wasm.heap8u().subarray(target, target + pageSize);
        page.set(pending.plain);
        seal(page, pageAad(file.layout, region));
        const rc = file.io.xWrite(pFile, target, pageSize, BigInt(region));
        if (rc !== 0) return rc;
      }
      return 0;
    },
    xTruncate(pFile, size64) {
      const file = files.get(pFile as number)!;
      file.partial.clear();
      return file.io.xTruncate(pFile, size64);
    },
    xSync: (pFile, flags) => files.get(pFile as number)!.io.xSync(pFile, flags),
    xFileSize: (pFile, pSize) => files.get(pFile as number)!.io.xFileSize(pFile, pSize),
    xLock: (pFile, lock) => files.get(pFile as number)!.io.xLock(pFile, lock),
    xUnlock: (pFile, lock) => files.get(pFile as number)!.io.xUnlock(pFile, lock),
    xCheckReservedLock: (pFile, pOut) => files.get(pFile as number)!.io.xCheckReservedLock(pFile, pOut),
    xFileControl: (pFile, op, pArg) => files.get(pFile as number)!.io.xFileControl(pFile, op, pArg),
    xSectorSize: (pFile) => files.get(pFile as number)!.io.xSectorSize(pFile),
    xDeviceCharacteristics: (pFile) => files.get(pFile as number)!.io.xDeviceCharacteristics(pFile),
  };

  /** Page 1 must declare this VFS's page size and room for the nonce and tag. */
  const validHeader = (page: Uint8Array): boolean => {
    const declared = (page[16]! << 8) | page[17]!;
    return (declared === 1 ? 65536 : declared) === pageSize && page[20]! >= AEAD_RESERVE;
  };

  const io = new capi.sqlite3_io_methods() as unknown as Struct;
  io['$iVersion'] = 1;
  io.installMethods(ioMethods, false);

  const underOpen = entry(under['$xOpen'] as number);
  const vfs = new capi.sqlite3_vfs() as unknown as Struct;
  vfs['$iVersion'] = under['$iVersion'];
  vfs['$szOsFile'] = under['$szOsFile'];
  vfs['$mxPathname'] = under['$mxPathname'];
  vfs['$zName'] = wasm.allocCString(options.name, false);
  for (const name of COPIED_VFS_METHODS) vfs[`$${name}`] = under[`$${name}`];
  const vfsMethods: Record<string, Fn> = {
    xOpen(_pVfs, zName, pFile, flags, pOutFlags) {
      const kind = flags as number;
      const layout = kind & SQLITE_OPEN_MAIN_DB ? mainLayout : kind & SQLITE_OPEN_WAL ? walLayout : undefined;
      // Journals and temp files would hold plain pages in layouts not sealed here.
      if (!layout) return SQLITE_CANTOPEN;
      const rc = underOpen(pUnder, zName, pFile, flags, pOutFlags);
      if (rc !== 0) return rc;
      const file = new capi.sqlite3_file(pFile as number) as unknown as Struct;
      const pointer = file['$pMethods'] as number;
      files.set(pFile as number, { io: underIo(pointer), layout, partial: new Map() });
      file['$pMethods'] = io.pointer;
      return 0;
    },
  };
  for (const name of FORWARDED_VFS_METHODS) {
    const pointer = under[`$${name}`] as number;
    if (!pointer) continue;
    const forward = entry(pointer);
    vfsMethods[name] = (_pVfs, ...rest) => forward(pUnder, ...rest);
  }
  vfs.installMethods(vfsMethods, false);
  vfs.registerVfs(false);
  return { name: options.name, pageSize, counts };
}

/**
 * [from, to) without its overlap with the held page regions, which overlap
 * it only at its ends (a write cut at a sync point, or one inside a page).
 */
function withoutHeld(from: number, to: number, held: number[], pageSize: number): [number, number] {
  let start = from;
  let end = to;
  for (const region of held) {
    if (region < from) start = Math.max(start, Math.min(to, region + pageSize));
    if (region + pageSize > to) end = Math.min(end, Math.max(from, region));
  }
  return [start, Math.max(start, end)];
}

/**
 * Opens (creating if needed) a database through an AEAD VFS with the page
 * layout it needs: page size and reserved bytes are set before the first
 * page is written, then exclusive locking, WAL and memory temp storage.
 */
export function prepareAeadDatabase(sqlite3: Sqlite3Static, db: { pointer?: number; exec(sql: string): unknown; selectValue(sql: string): unknown }, pageSize: number): void {
  db.exec('PRAGMA locking_mode = EXCLUSIVE');
  db.exec('PRAGMA temp_store = MEMORY');
  if (Number(db.selectValue('PRAGMA page_count')) === 0) {
    db.exec(`PRAGMA page_size = ${pageSize}`);
    const { wasm, capi } = sqlite3;
    const stack = wasm.pstack.pointer;
    try {
      const pArg = wasm.pstack.alloc(4) as unknown as number;
      wasm.poke32(pArg, AEAD_RESERVE);
      const rc = capi.sqlite3_file_control(db.pointer as never, 'main', SQLITE_FCNTL_RESERVE_BYTES, pArg as never);
      if (rc !== 0) throw new Error(`aead vfs: could not reserve bytes per page (${rc})`);
    } finally {
      wasm.pstack.restore(stack);
    }
    // Switching a new file to WAL writes page 1 under a rollback journal, which this VFS refuses: keep that one in memory.
    db.exec('PRAGMA journal_mode = MEMORY');
  }
  db.exec('PRAGMA journal_mode = WAL');
}
