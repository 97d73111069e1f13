import { describe, expect, test } from 'vitest';
import { HybridClock, formatHlc, isLater, parseHlc } from '../../src/shared/hlc';

describe('hybrid logical clock', () => {
  test('text order is the order of (wall, counter)', () => {
    const a = formatHlc({ wall: 999, counter: 99_999 });
    const b = formatHlc({ wall: 1000, counter: 0 });
    expect(a < b).toBe(true);
    expect(parseHlc(b)).toEqual({ wall: 1000, counter: 0 });
    expect(() => parseHlc('12-3')).toThrow(TypeError);
  });

  test('monotonic when the wall clock stands still or steps back', () => {
    let wall = 5_000;
    const clock = new HybridClock(() => wall);
    const seen = [clock.now(), clock.now()];
    wall = 4_000;
    seen.push(clock.now());
    wall = 6_000;
    seen.push(clock.now());
    expect(seen).toEqual(['0000000005000-00000', '0000000005000-00001', '0000000005000-00002', '0000000006000-00000']);
  });

  test('a received timestamp ahead of the local clock moves it forward', () => {
    const clock = new HybridClock(() => 1_000);
    expect(clock.receive(formatHlc({ wall: 9_000, counter: 7 }))).toBe('0000000009000-00008');
    expect(clock.now()).toBe('0000000009000-00009');
  });

  test('a full counter carries into the wall time', () => {
    const clock = new HybridClock(() => 1_000, formatHlc({ wall: 1_000, counter: 99_999 }));
    expect(clock.now()).toBe('0000000001001-00000');
  });

  test('ties between equal timestamps go to the greater device id', () => {
    const hlc = formatHlc({ wall: 1, counter: 0 });
    expect(isLater({ hlc, device: 'b' }, { hlc, device: 'a' })).toBe(true);
    expect(isLater({ hlc, device: 'a' }, { hlc, device: 'b' })).toBe(false);
    expect(isLater({ hlc: formatHlc({ wall: 2, counter: 0 }), device: 'a' }, { hlc, device: 'z' })).toBe(true);
  });
});
