// Deterministic ids and fingerprints: the same file twice maps to the same
// rows; a newer export shows exactly what is new or grew.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveId } from '../../src/worker/import';
import { sha256 } from '../../src/worker/import/sha256';
import { file, fixture, parseAll } from './import-helpers';

type Chat = { id: string; current_node: string; update_time: number; mapping: Record<string, unknown> };

function chat(id: string, turns: number): Chat {
  const mapping: Record<string, unknown> = {};
  let parent: string | null = null;
  for (let i = 0; i < turns; i++) {
    const node = `${id}-n${i}`;
    mapping[node] = { id: node, parent, children: [], message: { author: { role: i % 2 === 0 ? 'user' : 'assistant' }, create_time: 1718000000 + i, content: { content_type: 'text', parts: [`turn ${i} of ${id}`] } } };
    parent = node;
  }
  return { id, current_node: parent ?? '', update_time: 1718000000 + turns, mapping };
}

function fingerprints(conversations: Array<{ id: string; fingerprint: string }>): Map<string, string> {
  return new Map(conversations.map((c) => [c.id, c.fingerprint]));
}

describe('sha256', () => {
  it('matches node:crypto around the padding boundaries and over many blocks', () => {
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 100_000]) {
      const data = Uint8Array.from({ length }, (_, i) => (i * 31 + length) & 0xff);
      expect(Buffer.from(sha256(data)).toString('hex'), `length ${length}`).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });
});

describe('derived ids', () => {
  it('are UUID-shaped, stable, and differ by namespace, source and key', async () => {
    const a = deriveId('', 'chatgpt', 'conversation', 'x');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deriveId('', 'chatgpt', 'conversation', 'x')).toBe(a);
    const others = [
      deriveId('alice/work', 'chatgpt', 'conversation', 'x'),
      deriveId('', 'claude', 'conversation', 'x'),
      deriveId('', 'chatgpt', 'message', 'x'),
      deriveId('', 'chatgpt', 'conversation', 'x', ''),
    ];
    expect(new Set([a, ...others]).size).toBe(5);
  });

  it('parsing the same files twice gives the same ids and fingerprints', async () => {
    for (const [name, options] of [
      ['chatgpt-conversations.json', {}],
      ['claude-conversations.json', {}],
      ['mnemo-space.json', {}],
    ] as const) {
      const first = await parseAll([file('conversations.json', fixture(name))], options);
      const second = await parseAll([file('conversations.json', fixture(name))], { ...options, now: 1 });
      expect(second.conversations.map((c) => [c.id, c.fingerprint, c.messages.map((m) => m.id)])).toEqual(first.conversations.map((c) => [c.id, c.fingerprint, c.messages.map((m) => m.id)]));
    }
  });

  it('a namespace (the space) gives other ids for the same file', async () => {
    const plain = await parseAll([file('conversations.json', fixture('claude-conversations.json'))]);
    const scoped = await parseAll([file('conversations.json', fixture('claude-conversations.json'))], { namespace: 'alice/work' });
    expect(scoped.conversations[0]?.id).not.toBe(plain.conversations[0]?.id);
    expect(scoped.conversations[0]?.fingerprint).not.toBe(plain.conversations[0]?.fingerprint);
  });

  it('a newer export: one more conversation and one that grew, the rest unchanged', async () => {
    const older = [chat('a', 4), chat('b', 2), chat('c', 6)];
    const newer = [chat('a', 4), chat('b', 5), chat('c', 6), chat('d', 2)];
    const before = fingerprints((await parseAll([file('conversations.json', older)])).conversations);
    const after = fingerprints((await parseAll([file('conversations.json', newer)])).conversations);
    const added = [...after.keys()].filter((id) => !before.has(id));
    const changed = [...after.keys()].filter((id) => before.has(id) && before.get(id) !== after.get(id));
    const unchanged = [...after.keys()].filter((id) => before.get(id) === after.get(id));
    expect(added).toEqual([deriveId('', 'chatgpt', 'conversation', 'd')]);
    expect(changed).toEqual([deriveId('', 'chatgpt', 'conversation', 'b')]);
    expect(unchanged).toHaveLength(2);
    // The grown conversation keeps the ids of the messages it already had.
    const b1 = (await parseAll([file('conversations.json', older)])).conversations[1]?.messages.map((m) => m.id) ?? [];
    const b2 = (await parseAll([file('conversations.json', newer)])).conversations[1]?.messages.map((m) => m.id) ?? [];
    expect(b2.slice(0, b1.length)).toEqual(b1);
  });

  it('an edited title or message changes the fingerprint, times alone do not', async () => {
    const base = (await parseAll([file('conversations.json', [chat('a', 3)])])).conversations[0]?.fingerprint;
    const retimed = chat('a', 3);
    retimed.update_time += 500;
    const retitled = { ...chat('a', 3), title: 'Renamed' };
    const edited = chat('a', 3);
    (edited.mapping['a-n1'] as { message: { content: { parts: string[] } } }).message.content.parts = ['edited'];
    const [t, r, e] = await Promise.all([retimed, retitled, edited].map(async (c) => (await parseAll([file('conversations.json', [c])])).conversations[0]?.fingerprint));
    expect(t).toBe(base);
    expect(r).not.toBe(base);
    expect(e).not.toBe(base);
  });
});
