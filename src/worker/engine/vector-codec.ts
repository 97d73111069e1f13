/**
 * How `embeddings.vector` blobs are laid out. A row's format follows from its
 * length and `dims`, so no column records it:
 *
 * - `dims * 4` bytes: float32, little-endian — a caller's own vector (a
 *   registered model), kept exactly as given.
 * - `dims * 2` bytes: float16, little-endian — a vector Mnemo computed itself
 *   (it can compute it again). Half the size; `npm run eval` ranks the same to
 *   the third decimal (int8 + scale, a quarter of the size, did not: see
 *   docs/benchmarks.md, "Vector storage").
 */
import { fail } from '../../shared/errors';

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE half-precision bits of `x`, rounded to nearest even; overflow becomes ±Infinity. */
export function toHalfBits(x: number): number {
  f32Scratch[0] = x;
  const bits = u32Scratch[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let h = mant >>> shift;
    if (rest > half || (rest === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
  return sign | h;
}

/** The number whose half-precision bits are `h`. */
export function fromHalfBits(h: number): number {
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

let halfTable: Float32Array | undefined;

/** All 65,536 half values as floats (256 KB), so decoding a row is one lookup per component. */
function halves(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65_536);
    for (let h = 0; h < 65_536; h++) halfTable[h] = fromHalfBits(h);
  }
  return halfTable;
}

/** Float32 bytes as the platform lays them out: little-endian on every engine that runs Mnemo. */
function float32Blob(vector: Float32Array): Uint8Array {
  return new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength).slice();
}

/** The blob stored for `vector`: float32 when `exact`, else float16. */
export function encodeVector(vector: Float32Array, exact: boolean): Uint8Array {
  if (exact) return float32Blob(vector);
  const dims = vector.length;
  const out = new Uint8Array(dims * 2);
  const view = new DataView(out.buffer);
  for (let j = 0; j < dims; j++) view.setUint16(j * 2, toHalfBits(vector[j]!), true);
  return out;
}

/** A stored blob of `dims` dimensions back as floats, whichever format it has. */
export function decodeVector(blob: Uint8Array, dims: number): Float32Array {
  if (blob.byteLength === dims * 4) return new Float32Array(blob.slice().buffer);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const out = new Float32Array(dims);
  if (blob.byteLength !== dims * 2) fail('QUERY_FAILED', `a stored vector of ${blob.byteLength} bytes does not fit ${dims} dimensions`);
  const table = halves();
  for (let j = 0; j < dims; j++) out[j] = table[view.getUint16(j * 2, true)]!;
  return out;
}

/**
 * `mnemo_compact_vector(blob, dims)` for migrations: a float32 blob rewritten
 * as float16 (other blobs are returned as they are).
 */
export function registerVectorFunctions(db: {
  createFunction(name: string, func: (ctxPtr: number, ...values: unknown[]) => unknown, options: { arity: number; deterministic: boolean }): unknown;
}): void {
  db.createFunction(
    'mnemo_compact_vector',
    (_ctx, blob, dims) => {
      const n = Number(dims);
      if (!(blob instanceof Uint8Array) || blob.byteLength !== n * 4) return blob;
      return encodeVector(decodeVector(blob, n), false);
    },
    { arity: 2, deterministic: true },
  );
}
