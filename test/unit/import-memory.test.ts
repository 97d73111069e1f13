// A generated 10,000-conversation ChatGPT export is parsed one conversation
// at a time: the heap grows by a fraction of the file, where parsing it whole
// (the baseline measured in the same run) grows by several times the file.
// Numbers are printed, not asserted against the clock.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseExport } from '../../src/worker/import';
import { BLOB_SLICE } from '../../src/worker/import/inputs';
import { encode } from './import-helpers';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const CONVERSATIONS = 10_000;
const TURNS = 10;

function conversation(n: number): string {
  const mapping: Record<string, unknown> = { root: { id: 'root', parent: null, children: ['m0'], message: null } };
  let parent = 'root';
  for (let i = 0; i < TURNS; i++) {
    const id = `m${i}`;
    mapping[id] = {
      id,
      parent,
      children: i + 1 < TURNS ? [`m${i + 1}`] : [],
      message: {
        id,
        author: { role: i % 2 === 0 ? 'user' : 'assistant', name: null, metadata: {} },
        create_time: 1700000000 + n * 60 + i,
        update_time: null,
        content: { content_type: 'text', parts: [`Message ${i} of conversation ${n}: ${'lorem ipsum dolor sit amet, ünïcødé 🚀 '.repeat(8)}`] },
        status: 'finished_successfully',
        weight: 1,
        metadata: i % 2 === 1 ? { model_slug: 'gpt-4o' } : {},
        recipient: 'all',
      },
    };
    parent = id;
  }
  return JSON.stringify({ id: `conv-${n}`, title: `Conversation ${n}`, create_time: 1700000000 + n * 60, update_time: 1700000000 + n * 60 + TURNS, current_node: parent, mapping });
}

function generate(): Uint8Array {
  const pieces = [encode('[')];
  for (let n = 0; n < CONVERSATIONS; n++) pieces.push(encode(n === 0 ? conversation(n) : `,${conversation(n)}`));
  pieces.push(encode(']'));
  const out = new Uint8Array(pieces.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

const MB = 1024 * 1024;
const heap = (): number => process.memoryUsage().heapUsed;

interface Run {
  /** Highest heap growth seen, garbage included. */
  peak: number;
  /** Highest heap growth after a full collection: what the parse actually holds. */
  live: number;
  conversations: number;
  messages: number;
  seconds: number;
}

async function measure(name: string, bytes: Uint8Array | Blob, sampleLive: boolean, held: () => number = heap): Promise<Run> {
  const heap = held;
  gc();
  const before = heap();
  let peak = 0;
  let live = 0;
  let conversations = 0;
  let messages = 0;
  const started = performance.now();
  for await (const c of parseExport([bytes instanceof Blob ? { name, blob: bytes } : { name, bytes }], { now: 0 })) {
    conversations++;
    messages += c.messages.length;
    if (conversations % 100 === 0) peak = Math.max(peak, heap() - before);
    if (sampleLive && conversations % 1000 === 0) {
      gc();
      live = Math.max(live, heap() - before);
    }
  }
  return { peak, live, conversations, messages, seconds: (performance.now() - started) / 1000 };
}

describe('memory on a 10,000-conversation export', () => {
  it('streams conversations from JSON and from a zip without holding the parsed file', async () => {
    const json = generate();
    const zip = zipSync({ 'conversations.json': json, 'chat.html': encode('<html></html>') });

    gc();
    const base = heap();
    let whole: unknown[] | null = JSON.parse(new TextDecoder().decode(json)) as unknown[];
    const wholeHeap = heap() - base;
    expect(whole).toHaveLength(CONVERSATIONS);
    whole = null;

    // Timed runs (no forced collections), then the same runs sampling the live heap.
    const fromJson = await measure('conversations.json', json, false);
    const fromZip = await measure('export.zip', zip, false);
    const liveJson = await measure('conversations.json', json, true);
    const liveZip = await measure('export.zip', zip, true);
    const line = (label: string, r: Run, l: Run): string =>
      `${label}: heap +${(r.peak / MB).toFixed(1)} MB at most (garbage included), +${(l.live / MB).toFixed(1)} MB live; ` +
      `${r.conversations} conversations, ${r.messages} messages in ${r.seconds.toFixed(2)} s = ${Math.round(r.messages / r.seconds)} messages/s`;
    console.log(
      [
        `file ${(json.length / MB).toFixed(1)} MB JSON, ${(zip.length / MB).toFixed(1)} MB zip`,
        `baseline JSON.parse of the whole file: heap +${(wholeHeap / MB).toFixed(1)} MB`,
        line('streamed JSON', fromJson, liveJson),
        line('streamed zip', fromZip, liveZip),
      ].join('\n'),
    );
    for (const r of [fromJson, fromZip, liveJson, liveZip]) {
      expect(r.conversations).toBe(CONVERSATIONS);
      expect(r.messages).toBe(CONVERSATIONS * TURNS);
      expect(r.peak).toBeLessThan(wholeHeap / 2);
    }
    // What stays held is a small fraction of the file, whatever its size.
    for (const r of [liveJson, liveZip]) expect(r.live).toBeLessThan(json.length / 10);
  }, 600_000); // four passes over a 68 MB export; minutes on a loaded 2-core machine

  it('reads a 200 MB export chosen as a File in slices: what the parse holds stays a few MB', async () => {
    // A File handed to the worker is a Blob: its bytes stay outside the JS heap until sliced.
    let blob = new Blob([]);
    let written = 0;
    for (let n = 0; blob.size < 200 * MB; n += 1000) {
      const text = Array.from({ length: 1000 }, (_, i) => conversation(n + i)).join(',');
      blob = new Blob([blob, n === 0 ? '[' : ',', text]);
      written = n + 1000;
    }
    blob = new Blob([blob, ']']);
    // The JS heap, then the ArrayBuffers (the 4 MB slices; Node frees their memory lazily, a few stay counted).
    const onHeap = await measure('conversations.json', blob, true);
    const inBuffers = await measure('conversations.json', blob, true, () => process.memoryUsage().arrayBuffers);
    console.log(
      `File of ${(blob.size / MB).toFixed(0)} MB read in slices: heap +${(onHeap.peak / MB).toFixed(1)} MB at most (garbage included), ` +
        `+${(onHeap.live / MB).toFixed(1)} MB live; buffers +${(inBuffers.live / MB).toFixed(1)} MB live; ` +
        `${onHeap.conversations} conversations in ${onHeap.seconds.toFixed(1)} s`,
    );
    for (const run of [onHeap, inBuffers]) {
      expect(run.conversations).toBe(written);
      expect(run.messages).toBe(written * TURNS);
    }
    expect(onHeap.live).toBeLessThan(8 * MB);
    expect(onHeap.peak).toBeLessThan(blob.size / 4);
    expect(inBuffers.live).toBeLessThan(8 * BLOB_SLICE);
  }, 600_000);
});
