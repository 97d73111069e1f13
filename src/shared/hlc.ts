/**
 * Hybrid logical clock (Kulkarni et al., 2014) for sync change records.
 * A timestamp is the text `WWWWWWWWWWWWW-CCCCC`: wall-clock milliseconds
 * (13 digits) and a counter (5 digits), both zero-padded so that comparing
 * the strings byte-wise orders them like the pairs. The writing device's id
 * breaks ties between equal timestamps (see docs/sync.md).
 *
 * No maintained npm package fits (none is small, typed and in wide use), so
 * this is the whole algorithm: `now()` for a local event, `receive()` when a
 * remote timestamp is seen, both monotonic even when the wall clock steps back.
 */
export const HLC_PATTERN = /^\d{13}-\d{5}$/;
const MAX_COUNTER = 99_999;

export interface HlcTime {
  wall: number;
  counter: number;
}

export function formatHlc({ wall, counter }: HlcTime): string {
  return `${String(wall).padStart(13, '0')}-${String(counter).padStart(5, '0')}`;
}

export function parseHlc(text: string): HlcTime {
  if (!HLC_PATTERN.test(text)) throw new TypeError('not a hybrid logical clock timestamp');
  return { wall: Number(text.slice(0, 13)), counter: Number(text.slice(14)) };
}

/** Last writer wins: is (hlc, device) `a` later than `b`? Byte-wise, like the server's COLLATE "C". */
export function isLater(a: { hlc: string; device: string }, b: { hlc: string; device: string }): boolean {
  if (a.hlc !== b.hlc) return a.hlc > b.hlc;
  return a.device > b.device;
}

export class HybridClock {
  private last: HlcTime;

  constructor(
    private readonly wallClock: () => number = Date.now,
    last?: string,
  ) {
    this.last = last ? parseHlc(last) : { wall: 0, counter: 0 };
  }

  /** A timestamp for a local change, later than every one this clock issued or received. */
  now(): string {
    return this.advance(this.wallClock(), { wall: 0, counter: 0 });
  }

  /** Merges a timestamp seen in a pulled change, so later local changes order after it. */
  receive(remote: string): string {
    return this.advance(this.wallClock(), parseHlc(remote));
  }

  private advance(physical: number, remote: HlcTime): string {
    const wall = Math.max(physical, this.last.wall, remote.wall);
    let counter = 0;
    if (wall === this.last.wall && wall === remote.wall) counter = Math.max(this.last.counter, remote.counter) + 1;
    else if (wall === this.last.wall) counter = this.last.counter + 1;
    else if (wall === remote.wall) counter = remote.counter + 1;
    // A full counter moves the logical wall one millisecond ahead instead of overflowing.
    this.last = counter > MAX_COUNTER ? { wall: wall + 1, counter: 0 } : { wall, counter };
    return formatHlc(this.last);
  }
}
