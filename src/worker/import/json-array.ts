/**
 * Finds the elements of a top-level JSON array in bytes that arrive in
 * chunks, without parsing them: it tracks only strings, escapes and bracket
 * depth. Each complete element comes out as its own byte range (a subarray
 * when it lies in one chunk), so the caller JSON.parses one conversation at a
 * time and a 200 MB export never becomes one 200 MB object graph.
 *
 * It checks structure, not syntax: a malformed element is found when the
 * caller parses it. A top-level object is collected whole (the Mnemo space
 * export is one object; the caller decides whether an object is acceptable).
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

type State =
  | 'start' // before the top-level value (BOM, whitespace)
  | 'before-element' // after '[' or ','
  | 'after-element' // expecting ',' or ']'
  | 'element' // inside an element
  | 'closed' // after the closing ']'
  | 'object' // the top level is an object: every byte is kept
  | 'broken'; // bytes that fit no array: scanning stopped

export type TopLevel = 'array' | 'object' | 'other';

export class JsonArrayScanner {
  top: TopLevel | null = null;
  /** Elements completed so far. */
  count = 0;
  /** Non-whitespace after the closing ']' (ignored). */
  trailingData = false;
  private state: State = 'start';
  private seenBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** The current element is a number or literal: it ends at the next delimiter. */
  private scalar = false;
  private pieces: Uint8Array[] = [];

  /** Scans one chunk; returns the elements it completed, in order. */
  feed(chunk: Uint8Array): Uint8Array[] {
    const done: Uint8Array[] = [];
    let i = 0;
    if (this.seenBytes === 0 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    this.seenBytes += chunk.length;
    if (this.state === 'object') {
      this.pieces.push(chunk);
      return done;
    }
    let start = this.state === 'element' ? 0 : -1;
    for (; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      switch (this.state) {
        case 'element': {
          if (this.inString) {
            if (this.escaped) this.escaped = false;
            else if (byte === BACKSLASH) this.escaped = true;
            else if (byte === QUOTE) {
              this.inString = false;
              if (this.depth === 0) done.push(this.complete(chunk, start, i + 1));
            }
          } else if (this.scalar) {
            if (byte === COMMA || byte === CLOSE_ARRAY || isSpace(byte)) {
              done.push(this.complete(chunk, start, i));
              i--; // the delimiter is read again as 'after-element'
            }
          } else if (byte === QUOTE) this.inString = true;
          else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) this.depth++;
          else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
            this.depth--;
            if (this.depth === 0) done.push(this.complete(chunk, start, i + 1));
          }
          break;
        }
        case 'before-element':
        case 'after-element': {
          if (isSpace(byte)) break;
          if (byte === CLOSE_ARRAY) this.state = 'closed';
          else if (this.state === 'after-element') this.state = byte === COMMA ? 'before-element' : 'broken';
          else if (byte === COMMA) this.state = 'broken';
          else {
            this.state = 'element';
            start = i;
            this.depth = byte === OPEN_OBJECT || byte === OPEN_ARRAY ? 1 : 0;
            this.inString = byte === QUOTE;
            this.scalar = this.depth === 0 && !this.inString;
          }
          break;
        }
        case 'start': {
          if (isSpace(byte)) break;
          if (byte === OPEN_ARRAY) {
            this.top = 'array';
            this.state = 'before-element';
          } else if (byte === OPEN_OBJECT) {
            this.top = 'object';
            this.state = 'object';
            this.pieces.push(chunk.subarray(i));
            return done;
          } else {
            this.top = 'other';
            this.state = 'broken';
          }
          break;
        }
        case 'closed':
          if (!isSpace(byte)) this.trailingData = true;
          break;
      }
      if (this.state === 'broken') return done;
    }
    if (this.state === 'element') this.pieces.push(chunk.subarray(start));
    return done;
  }

  /** 'complete' when the array closed; 'truncated' when the bytes ended inside it; 'malformed' when bytes fit no array. */
  get ending(): 'complete' | 'truncated' | 'malformed' {
    if (this.state === 'closed' || this.state === 'object') return 'complete';
    return this.state === 'broken' ? 'malformed' : 'truncated';
  }

  /** The whole top-level object (only when `top` is 'object'). */
  objectBytes(): Uint8Array {
    return concat(this.pieces);
  }

  private complete(chunk: Uint8Array, start: number, end: number): Uint8Array {
    this.state = 'after-element';
    this.count++;
    const last = chunk.subarray(start, end);
    if (this.pieces.length === 0) return last;
    this.pieces.push(last);
    const whole = concat(this.pieces);
    this.pieces = [];
    return whole;
  }
}

export function concat(pieces: readonly Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0] as Uint8Array;
  let length = 0;
  for (const piece of pieces) length += piece.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}
