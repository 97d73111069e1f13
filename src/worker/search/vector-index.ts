/**
 * Exact-recall in-memory vector index for the database worker.
 *
 * A search scans every row with an int8 WebAssembly SIMD kernel (a quarter of
 * the memory traffic of float32, which is what bounds a full scan), keeps the
 * best few candidates and re-ranks them with their float32 vectors, so the
 * returned scores are true cosines and the top-k matches the exact scan except
 * when int8 rounding pushes a true neighbour out of a generous candidate list.
 * Without SIMD it falls back to a plain float scan, which is also the reference
 * the tests compare against.
 *
 * Vectors are normalised on the way in and the query on the way in to a search,
 * so every score is a cosine whatever the caller passes; an index made with
 * `normalize: false` keeps them as they are and scores by the dot product
 * (a caller's model registered with distance 'dot').
 */
import { fail } from '../../shared/errors';
import { SIMD_WASM_BASE64 } from './simd-wasm';

export interface SearchOptions {
  /** Hits with a cosine below this are dropped. */
  minSimilarity?: number;
  /** Only ids for which this returns true are returned; called at most once per row. */
  filter?: (id: string) => boolean;
  /** How many int8-scan candidates to re-rank exactly; default max(k * 10, 100). */
  candidates?: number;
}

export interface SearchHit {
  id: string;
  /** Cosine similarity (dot product without normalising), from the float32 vectors. */
  score: number;
}

export interface VectorIndexOptions {
  /** `false` forces the plain JS scan even where WebAssembly SIMD is available. */
  simd?: boolean;
  /** `false` stores vectors and queries as given, so scores are dot products; default true (cosine). */
  normalize?: boolean;
}

/** Shape of simd.wat's exports; WebAssembly hands them over untyped. */
interface SimdExports {
  memory: WebAssembly.Memory;
  dot_i8(mat: number, q: number, stride: number, rows: number, out: number): void;
  dot_f32_rows(mat: number, q: number, stride: number, rowIds: number, n: number, out: number): void;
}

/** Byte offsets into the memory, all 16-byte aligned. */
interface Layout {
  queryI8: number;
  queryF32: number;
  matI8: number;
  matF32: number;
  /** i32 per row: the int8 scan's output. */
  scanOut: number;
  /** i32 per row: row indices handed to the re-rank kernel. */
  candRows: number;
  /** f32 per row: the re-rank kernel's output. */
  candOut: number;
  end: number;
}

const PAGE = 65_536;
/** wasm32 addresses 4 GiB, which is also what browsers allow one memory. */
const MAX_BYTES = 2 ** 32;
const MAX_DIMS = 65_536;
const MIN_CAPACITY = 64;
const DEFAULT_CANDIDATES = 100;
const CANDIDATES_PER_K = 10;

let simdModule: WebAssembly.Module | null | undefined;

/**
 * The compiled kernels, or null where SIMD is unsupported. Validating the real
 * module rather than a probe checks exactly the instructions it uses (extmul
 * arrived late in the SIMD proposal). Compiling synchronously is fine: the
 * module is under a kilobyte, far below the main-thread limit browsers impose.
 */
function loadSimdModule(): WebAssembly.Module | null {
  if (simdModule === undefined) {
    const bytes = Uint8Array.from(atob(SIMD_WASM_BASE64), (c) => c.charCodeAt(0));
    simdModule =
      typeof WebAssembly === 'object' && WebAssembly.validate(bytes)
        ? new WebAssembly.Module(bytes)
        : null;
  }
  return simdModule;
}

/** Whether this runtime can run the SIMD kernels. */
export function simdSupported(): boolean {
  return loadSimdModule() !== null;
}

export class VectorIndex {
  readonly dims: number;
  /** True when searches use the SIMD kernels. */
  readonly simd: boolean;
  readonly normalize: boolean;

  /** Floats per row (and int8 bytes per row): dims rounded up to 16 so kernels need no tail. */
  private readonly stride: number;
  private readonly kernels: SimdExports | null;
  private readonly memory: WebAssembly.Memory;
  private i8: Int8Array;
  private i32: Int32Array;
  private f32: Float32Array;
  private layout: Layout;
  private capacity = 0;
  private count = 0;
  private ids: string[] = [];
  private readonly rowOf = new Map<string, number>();
  /** Per row, the factor turning an int8 value back into a float. */
  private scales = new Float32Array(0);
  private readonly candidateTop = new TopK();
  private readonly resultTop = new TopK();

  constructor(dims: number, options: VectorIndexOptions = {}) {
    // Up to 65536 dims an int8 row dot (at most 127² per component) cannot overflow the kernel's i32.
    if (!Number.isInteger(dims) || dims < 1 || dims > MAX_DIMS) {
      fail('INVALID_INPUT', `dims must be an integer from 1 to ${MAX_DIMS}`);
    }
    this.dims = dims;
    this.normalize = options.normalize ?? true;
    this.stride = Math.ceil(dims / 16) * 16;
    const module = options.simd === false ? null : loadSimdModule();
    this.kernels = module
      ? (new WebAssembly.Instance(module).exports as unknown as SimdExports) // exports are untyped
      : null;
    this.simd = this.kernels !== null;
    this.memory = this.kernels?.memory ?? new WebAssembly.Memory({ initial: 1 });
    this.layout = this.layoutFor(0);
    this.i8 = new Int8Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
    this.f32 = new Float32Array(this.memory.buffer);
    this.reserve(MIN_CAPACITY);
  }

  get size(): number {
    return this.count;
  }

  has(id: string): boolean {
    return this.rowOf.has(id);
  }

  /** Adds the vector, or replaces the one stored under `id`. */
  upsert(id: string, vector: Float32Array): void {
    this.checkLength(vector);
    const inv = this.scaleOf(vector);
    let row = this.rowOf.get(id);
    if (row === undefined) {
      this.reserve(this.count + 1);
      row = this.count++;
      this.ids.push(id);
      this.rowOf.set(id, row);
    }
    const { f32, i8, stride } = this;
    const base = this.layout.matF32 / 4 + row * stride;
    const maxAbs = scaleInto(vector, inv, f32, base, stride);
    this.scales[row] = maxAbs / 127;
    if (this.kernels) quantiseInto(f32, base, maxAbs, i8, this.layout.matI8 + row * stride, stride);
  }

  /** Removes `id`; the last row moves into its slot, so this costs one row copy. */
  delete(id: string): boolean {
    const row = this.rowOf.get(id);
    if (row === undefined) return false;
    const last = --this.count;
    if (row !== last) {
      const { stride, layout } = this;
      const f = layout.matF32 / 4;
      this.f32.copyWithin(f + row * stride, f + last * stride, f + (last + 1) * stride);
      if (this.kernels) {
        const b = layout.matI8;
        this.i8.copyWithin(b + row * stride, b + last * stride, b + (last + 1) * stride);
      }
      this.scales[row] = this.scales[last]!;
      const moved = this.ids[last]!;
      this.ids[row] = moved;
      this.rowOf.set(moved, row);
    }
    this.ids.pop();
    this.rowOf.delete(id);
    return true;
  }

  /** Empties the index. The memory stays reserved: WebAssembly memory cannot shrink. */
  clear(): void {
    this.count = 0;
    this.ids = [];
    this.rowOf.clear();
  }

  /**
   * Top-k by cosine, best first: an int8 SIMD scan of every row picks
   * candidates, which are re-ranked with their float32 vectors.
   */
  search(query: Float32Array, k: number, options: SearchOptions = {}): SearchHit[] {
    const kernels = this.kernels;
    if (!kernels) return this.searchExact(query, k, options);
    this.checkLength(query);
    const limit = this.resultLimit(k);
    if (limit === 0) return [];

    const { f32, i32, i8, stride, layout, scales, ids, count } = this;
    const qBase = layout.queryF32 / 4;
    const qMax = scaleInto(query, this.scaleOf(query), f32, qBase, stride);
    quantiseInto(f32, qBase, qMax, i8, layout.queryI8, stride);
    kernels.dot_i8(layout.matI8, layout.queryI8, stride, count, layout.scanOut);

    // The filter runs only on rows that would enter the candidate list, so a
    // selective filter costs calls but never loses allowed rows.
    const requested = Math.floor(options.candidates ?? Number.NaN);
    const wanted = Number.isNaN(requested)
      ? Math.max(limit * CANDIDATES_PER_K, DEFAULT_CANDIDATES)
      : Math.max(limit, requested);
    const filter = options.filter;
    const candidates = this.candidateTop;
    candidates.reset(Math.min(wanted, count));
    const scan = layout.scanOut / 4;
    let floor = -Infinity;
    for (let row = 0; row < count; row++) {
      const approx = i32[scan + row]! * scales[row]!;
      if (approx > floor) {
        if (filter !== undefined && !filter(ids[row]!)) continue;
        floor = candidates.push(approx, row);
      }
    }

    const n = candidates.size;
    const candRows = layout.candRows / 4;
    for (let i = 0; i < n; i++) i32[candRows + i] = candidates.rowAt(i);
    kernels.dot_f32_rows(layout.matF32, layout.queryF32, stride * 4, layout.candRows, n, layout.candOut);

    const minSimilarity = options.minSimilarity ?? -Infinity;
    const results = this.resultTop;
    results.reset(limit);
    const candOut = layout.candOut / 4;
    floor = -Infinity;
    for (let i = 0; i < n; i++) {
      const score = f32[candOut + i]!;
      if (score > floor && score >= minSimilarity) floor = results.push(score, i32[candRows + i]!);
    }
    return this.collect(results);
  }

  /** Top-k by cosine from a plain float scan: the reference, and the path without SIMD. */
  searchExact(query: Float32Array, k: number, options: SearchOptions = {}): SearchHit[] {
    this.checkLength(query);
    const limit = this.resultLimit(k);
    if (limit === 0) return [];

    const { f32, stride, dims, ids, count } = this;
    const q = this.layout.queryF32 / 4;
    scaleInto(query, this.scaleOf(query), f32, q, stride);
    const filter = options.filter;
    const minSimilarity = options.minSimilarity ?? -Infinity;
    const results = this.resultTop;
    results.reset(limit);
    let floor = -Infinity;
    let base = this.layout.matF32 / 4;
    for (let row = 0; row < count; row++, base += stride) {
      let score = 0;
      for (let j = 0; j < dims; j++) score += f32[base + j]! * f32[q + j]!;
      if (score > floor && score >= minSimilarity) {
        if (filter !== undefined && !filter(ids[row]!)) continue;
        floor = results.push(score, row);
      }
    }
    return this.collect(results);
  }

  private collect(top: TopK): SearchHit[] {
    top.sortDescending();
    const hits: SearchHit[] = [];
    for (let i = 0; i < top.size; i++) hits.push({ id: this.ids[top.rowAt(i)]!, score: top.scoreAt(i) });
    return hits;
  }

  /** How many hits a search for `k` can return: 0 for nonsense, never more than the rows. */
  private resultLimit(k: number): number {
    const limit = Math.min(Math.floor(k), this.count);
    return limit >= 1 ? limit : 0;
  }

  /** What a vector is multiplied by on the way in: 1 / its length (cosine), or 1 (dot product). */
  private scaleOf(vector: Float32Array): number {
    const inv = inverseNorm(vector);
    return this.normalize ? inv : 1;
  }

  private checkLength(vector: Float32Array): void {
    if (vector.length !== this.dims) {
      fail('INVALID_INPUT', `expected a vector of ${this.dims} dimensions, got ${vector.length}`);
    }
  }

  private layoutFor(capacity: number): Layout {
    const { stride } = this;
    const rowBytesI8 = this.kernels ? stride : 0;
    const queryI8 = 0;
    const queryF32 = queryI8 + stride;
    const matI8 = queryF32 + stride * 4;
    const matF32 = matI8 + capacity * rowBytesI8;
    const scanOut = matF32 + capacity * stride * 4;
    const candRows = align16(scanOut + capacity * 4);
    const candOut = align16(candRows + capacity * 4);
    const end = align16(candOut + capacity * 4);
    return { queryI8, queryF32, matI8, matF32, scanOut, candRows, candOut, end };
  }

  /**
   * Makes room for `rows` rows. Only the int8 matrix and the float matrix hold
   * state; the float matrix sits after the int8 one, so growing moves it up.
   */
  private reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const capacity = Math.max(rows, Math.ceil(this.capacity * 1.5));
    const next = this.layoutFor(capacity);
    if (next.end > MAX_BYTES) {
      fail('QUOTA_EXCEEDED', `vector index cannot hold ${rows} rows of ${this.dims} dimensions`);
    }
    const pages = Math.ceil(next.end / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (pages > 0) {
      try {
        this.memory.grow(pages);
      } catch {
        fail('QUOTA_EXCEEDED', `out of memory growing the vector index to ${rows} rows`);
      }
      this.i8 = new Int8Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
      this.f32 = new Float32Array(this.memory.buffer);
    }
    const old = this.layout;
    this.i8.copyWithin(next.matF32, old.matF32, old.matF32 + this.count * this.stride * 4);
    const scales = new Float32Array(capacity);
    scales.set(this.scales.subarray(0, this.count));
    this.scales = scales;
    this.layout = next;
    this.capacity = capacity;
  }
}

function align16(n: number): number {
  return Math.ceil(n / 16) * 16;
}

/** 1 / |vector|, or 0 for a zero vector so that it stays zero. */
function inverseNorm(vector: Float32Array): number {
  let sum = 0;
  for (let j = 0; j < vector.length; j++) sum += vector[j]! * vector[j]!;
  if (!Number.isFinite(sum)) fail('INVALID_INPUT', 'vector has a non-finite component');
  return sum > 0 ? 1 / Math.sqrt(sum) : 0;
}

/**
 * Writes `vector * inv` into `out[base..base+stride)`, zeroing the padding
 * (memory reused after growth may hold stale bytes), and returns the largest
 * absolute component written.
 */
function scaleInto(
  vector: Float32Array,
  inv: number,
  out: Float32Array,
  base: number,
  stride: number,
): number {
  const dims = vector.length;
  let maxAbs = 0;
  for (let j = 0; j < dims; j++) {
    const x = vector[j]! * inv;
    out[base + j] = x;
    maxAbs = Math.max(maxAbs, Math.abs(x));
  }
  out.fill(0, base + dims, base + stride);
  return maxAbs;
}

/**
 * Quantises `stride` floats from `src[base..]` to int8 at `out[at..]` with a
 * per-vector scale mapping `maxAbs` to 127. -128 is never produced: the
 * kernel relies on that to sum two products in i16.
 */
function quantiseInto(
  src: Float32Array,
  base: number,
  maxAbs: number,
  out: Int8Array,
  at: number,
  stride: number,
): void {
  const scale = maxAbs > 0 ? 127 / maxAbs : 0;
  for (let j = 0; j < stride; j++) out[at + j] = Math.round(src[base + j]! * scale);
}

/** Bounded min-heap of (score, row) keeping the best `limit` entries. */
class TopK {
  private scores = new Float64Array(0);
  private rows = new Int32Array(0);
  private limit = 0;
  private length = 0;

  get size(): number {
    return this.length;
  }

  reset(limit: number): void {
    if (limit > this.scores.length) {
      this.scores = new Float64Array(limit);
      this.rows = new Int32Array(limit);
    }
    this.limit = limit;
    this.length = 0;
  }

  /**
   * Offers an entry the caller has checked beats the current floor, and
   * returns the new floor: the score an entry must exceed to get in.
   */
  push(score: number, row: number): number {
    const { scores, rows } = this;
    if (this.length < this.limit) {
      let i = this.length++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (scores[parent]! <= score) break;
        scores[i] = scores[parent]!;
        rows[i] = rows[parent]!;
        i = parent;
      }
      scores[i] = score;
      rows[i] = row;
      return this.length < this.limit ? -Infinity : scores[0]!;
    }
    this.siftDown(score, row, this.length);
    return scores[0]!;
  }

  /** Orders the entries best first; the heap is spent afterwards. */
  sortDescending(): void {
    const { scores, rows } = this;
    for (let end = this.length - 1; end > 0; end--) {
      const score = scores[0]!;
      const row = rows[0]!;
      this.siftDown(scores[end]!, rows[end]!, end);
      scores[end] = score;
      rows[end] = row;
    }
  }

  scoreAt(i: number): number {
    return this.scores[i]!;
  }

  rowAt(i: number): number {
    return this.rows[i]!;
  }

  /** Puts (score, row) at the root of the heap's first `n` slots and restores order. */
  private siftDown(score: number, row: number, n: number): void {
    const { scores, rows } = this;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && scores[child + 1]! < scores[child]!) child++;
      if (scores[child]! >= score) break;
      scores[i] = scores[child]!;
      rows[i] = rows[child]!;
      i = child;
    }
    scores[i] = score;
    rows[i] = row;
  }
}
