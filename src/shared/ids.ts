/**
 * UUIDv7 (RFC 9562): 48-bit Unix-ms timestamp, then random bits. Ids made in
 * one process are strictly increasing: within one millisecond the 12-bit
 * `rand_a` field is used as a counter (method 1 of the RFC), so sorting by id
 * follows creation order.
 */
let lastMs = -1;
let counter = 0;

/** Random bytes fetched 4 KiB at a time: one getRandomValues call per 512 ids instead of one per id. */
const pool = new Uint8Array(4096);
let poolAt = pool.length;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function uuidv7(now: number = Date.now()): string {
  let ms = Math.max(now, lastMs);
  if (ms === lastMs) {
    counter += 1;
    if (counter > 0xfff) {
      ms += 1;
      counter = 0;
    }
  } else {
    counter = 0;
  }
  lastMs = ms;
  if (poolAt + 8 > pool.length) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  const r = pool.subarray(poolAt, (poolAt += 8));
  const high = Math.floor(ms / 2 ** 16);
  const time = HEX[(high >>> 24) & 0xff]! + HEX[(high >>> 16) & 0xff]! + HEX[(high >>> 8) & 0xff]! + HEX[high & 0xff]!;
  const low = HEX[(ms >>> 8) & 0xff]! + HEX[ms & 0xff]!;
  const version = HEX[0x70 | ((counter >>> 8) & 0x0f)]! + HEX[counter & 0xff]!;
  const variant = HEX[0x80 | (r[0]! & 0x3f)]! + HEX[r[1]!]!;
  const node = HEX[r[2]!]! + HEX[r[3]!]! + HEX[r[4]!]! + HEX[r[5]!]! + HEX[r[6]!]! + HEX[r[7]!]!;
  return `${time}-${low}-${version}-${variant}-${node}`;
}
