/**
 * Encryption at rest, way (a) against way (b) against none, on the raw path
 * (bench/vfs-worker.ts), in one page and one run: bulk insert, durable single
 * adds, keyword search (cold and warm cache), cold open → first page, file
 * size. Then what must hold whatever the timings: the raw OPFS bytes of an
 * encrypted pool hold no stored text (the plain pool's do), the encrypted
 * database reopens with its rows and its full-text index, and a wrong key
 * opens nothing and changes no byte. Query string: `?n=5000&rounds=2`.
 */
import { generateMessages, generateQueries, mulberry32 } from './data';
import { connect } from './rpc';
import type { VfsHandlers, VfsMode, VfsRow } from './vfs-worker';

declare global {
  interface Window {
    vfsResult?: VfsResult | { error: string };
  }
}

interface ModeFigures {
  bulkMs: number[];
  addP50Ms: number[];
  addP95Ms: number[];
  searchWarmP50Ms: number[];
  coldOpenToFirstPageMs: number[];
  searchColdP50Ms: number[];
  fileBytes: number;
  vfsCounts?: Record<string, number>;
}

interface ModeChecks {
  markerInRawBytes: number;
  rowsAfterReopen: number;
  markerMatchesAfterReopen: number;
  wrongKeyRefused: boolean | null;
  bytesUnchangedByWrongKey: boolean | null;
}

export interface VfsResult {
  n: number;
  rounds: number;
  expectedRows: number;
  expectedMarkerMatches: number;
  modes: Record<VfsMode, ModeFigures>;
  checks: Record<VfsMode, ModeChecks>;
}

const MARKER = 'zebracornmarker';
const MODES: VfsMode[] = ['plain', 'b', 'a'];
const SINGLES = 200;
const BATCH = 1_000;
const COLD_VISITS = 3;

/** A deterministic vocabulary of pronounceable words (the raw path needs no model vocabulary). */
function vocabulary(size: number): string[] {
  const random = mulberry32(99);
  const syllables = ['ka', 'lo', 'mi', 'ten', 'ra', 'su', 'vo', 'pel', 'gra', 'di', 'no', 'ber', 'sta', 'qui', 'mon', 'fe', 'tal', 'zu', 'ri', 'chen'];
  const words = new Set<string>();
  while (words.size < size) {
    const length = 2 + Math.floor(random() * 3);
    words.add(Array.from({ length }, () => syllables[Math.floor(random() * syllables.length)]).join(''));
  }
  return [...words];
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `task` until it succeeds: a terminated worker's OPFS access handles are released a moment after it ends. */
async function whenReleased<T>(task: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await task();
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (attempt >= 30 || (name !== 'NoModificationAllowedError' && name !== 'InvalidStateError')) throw error;
      await pause(200);
    }
  }
}

function spawn() {
  const worker = new Worker(new URL('./vfs-worker.ts', import.meta.url), { type: 'module' });
  return connect<VfsHandlers>(worker);
}

async function poolDirectory(mode: VfsMode): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(`.vfs-bench-${mode}`, { create: true });
}

async function* files(dir: FileSystemDirectoryHandle): AsyncGenerator<File> {
  for await (const handle of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) {
    if (handle.kind === 'file') yield (handle as FileSystemFileHandle).getFile();
    else yield* files(handle as FileSystemDirectoryHandle);
  }
}

/** Occurrences of `text` in every raw byte of the mode's pool, and a digest of those bytes. */
async function rawScan(mode: VfsMode, text: string): Promise<{ hits: number; digest: string }> {
  const needle = new TextEncoder().encode(text);
  let hits = 0;
  const parts: Uint8Array[] = [];
  for await (const file of files(await poolDirectory(mode))) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    parts.push(bytes);
    outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
      for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
      hits++;
    }
  }
  const whole = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    whole.set(part, at);
    at += part.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', whole));
  return { hits, digest: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('') };
}

async function run(n: number, rounds: number): Promise<VfsResult> {
  const words = vocabulary(3_000);
  const rows: VfsRow[] = generateMessages(words, n + SINGLES).map((m, i) => ({
    conversation: `c${m.conversation}`,
    role: m.role,
    content: i % 100 === 0 ? `${m.content} ${MARKER}` : m.content,
    createdAt: m.createdAt,
  }));
  const bulk = rows.slice(0, n);
  const singles = rows.slice(n);
  const queries = generateQueries(words, 12);
  const expectedMarkerMatches = rows.filter((r) => r.content.includes(MARKER)).length;
  const key = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('');
  const figures = Object.fromEntries(
    MODES.map((mode) => [mode, { bulkMs: [], addP50Ms: [], addP95Ms: [], searchWarmP50Ms: [], coldOpenToFirstPageMs: [], searchColdP50Ms: [], fileBytes: 0 }]),
  ) as unknown as Record<VfsMode, ModeFigures>;
  const checks = {} as Record<VfsMode, ModeChecks>;

  for (let round = 0; round < rounds; round++) {
    // Every round in another order, so drift on a shared machine falls on all modes alike.
    const order = round % 2 === 0 ? MODES : [...MODES].reverse();
    for (const mode of order) {
      const root = await navigator.storage.getDirectory();
      await whenReleased(() => root.removeEntry(`.vfs-bench-${mode}`, { recursive: true })).catch(() => {});
      const f = figures[mode];
      let client = spawn();
      await client.call('open', mode, key);
      let start = performance.now();
      for (let i = 0; i < bulk.length; i += BATCH) await client.call('insertBatch', bulk.slice(i, i + BATCH));
      f.bulkMs.push(performance.now() - start);
      const adds = await client.call('adds', singles);
      f.addP50Ms.push(adds.p50);
      f.addP95Ms.push(adds.p95);
      f.searchWarmP50Ms.push((await client.call('search', queries, 4)).warmP50);
      const size = await client.call('pageSizeAndCount');
      f.fileBytes = size.pageSize * size.pages;
      if (mode === 'b') f.vfsCounts = await client.call('counts');
      await client.call('close');
      client.terminate();

      for (let visit = 0; visit < COLD_VISITS; visit++) {
        start = performance.now();
        client = spawn();
        const opened = await client.call('open', mode, key, 'c0');
        f.coldOpenToFirstPageMs.push(performance.now() - start);
        if (opened.rows !== 50) throw new Error(`${mode}: first page has ${opened.rows} rows`);
        f.searchColdP50Ms.push((await client.call('search', queries, 1)).coldP50);
        if (visit === COLD_VISITS - 1 && round === 0) {
          checks[mode] = {
            markerInRawBytes: -1,
            rowsAfterReopen: await client.call('count'),
            markerMatchesAfterReopen: await client.call('matches', MARKER),
            wrongKeyRefused: null,
            bytesUnchangedByWrongKey: null,
          };
        }
        await client.call('close');
        client.terminate();
      }

      if (round === 0) {
        const scan = await whenReleased(() => rawScan(mode, MARKER));
        checks[mode]!.markerInRawBytes = scan.hits;
        if (mode !== 'plain') {
          const wrong = spawn();
          const wrongKey = await wrong.call('key');
          checks[mode]!.wrongKeyRefused = await wrong.call('open', mode, wrongKey, 'c0').then(
            () => false,
            () => true,
          );
          wrong.terminate();
          checks[mode]!.bytesUnchangedByWrongKey = (await whenReleased(() => rawScan(mode, MARKER))).digest === scan.digest;
        }
      }
    }
  }
  return { n, rounds, expectedRows: n + SINGLES, expectedMarkerMatches, modes: figures, checks };
}

const params = new URLSearchParams(location.search);
try {
  window.vfsResult = await run(Number(params.get('n') ?? 5_000), Number(params.get('rounds') ?? 2));
} catch (error) {
  window.vfsResult = { error: error instanceof Error ? `${error.message}\n${error.stack}` : String(error) };
}
