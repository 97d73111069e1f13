// Bad inputs: a wholly unusable file is refused with IMPORT_REJECTED naming what
// is wrong (never its content); a partly odd one yields every valid
// conversation and lists the rest in `problems`.
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { encode, file, fixture, parseAll, rejected } from './import-helpers';

const SECRET = 'TOP-SECRET-CONTENT';

function chat(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    title: `${SECRET} title`,
    create_time: 1718000000,
    update_time: 1718000100,
    current_node: 'b',
    mapping: {
      a: { id: 'a', parent: null, children: ['b'], message: { id: 'a', author: { role: 'user' }, create_time: 1718000001, content: { content_type: 'text', parts: [`${SECRET} question`] } } },
      b: { id: 'b', parent: 'a', children: [], message: { id: 'b', author: { role: 'assistant' }, create_time: 1718000002, content: { content_type: 'text', parts: [`${SECRET} answer`] } } },
    },
    ...extra,
  };
}

function noContent(text: string): void {
  expect(text).not.toContain(SECRET);
}

describe('wholly unusable input is refused', () => {
  const cases: Array<[string, () => ReturnType<typeof file>[], string]> = [
    ['not JSON', () => [file('conversations.json', `<html>${SECRET}</html>`)], 'not JSON'],
    ['empty file', () => [file('conversations.json', '   ')], 'empty file'],
    ['a top-level object', () => [file('conversations.json', chat('c1'))], 'top level is an object'],
    ['truncated before the first conversation ends', () => [file('conversations.json', JSON.stringify([chat('c1')]).slice(0, 120))], 'truncated after 0'],
    ['an empty array', () => [file('conversations.json', '[]')], 'no conversations found'],
    ['a zip without conversations.json', () => [file('export.zip', zipSync({ 'user.json': strToU8('{}'), 'chat.html': strToU8(SECRET) }))], 'no conversations.json'],
    ['a file that is not a zip but named .zip and is binary', () => [file('export.zip', new Uint8Array([0, 1, 2, 3]))], 'not JSON'],
    ['a damaged zip', () => [file('export.zip', zipSync({ 'conversations.json': strToU8('[]') }).slice(0, 40))], 'not a readable zip'],
    ['every conversation missing mapping', () => [file('conversations.json', [chat('c1', { mapping: undefined }), chat('c2', { mapping: 5 })])], 'missing mapping'],
    ['unknown conversation shapes', () => [file('conversations.json', [{ foo: SECRET }, 3])], 'not a ChatGPT or Claude conversation'],
    ['an array given as Mnemo JSON', () => [file('conversations.json', [chat('c1')])], 'not a Mnemo space export'],
    ['a Mnemo envelope of another kind', () => [file('x.json', { format: 'other', secret: SECRET })], 'top level is an object'],
    ['no file', () => [], 'no file chosen'],
  ];
  for (const [name, files, reason] of cases) {
    it(name, async () => {
      const options = name.includes('Mnemo JSON') ? { format: 'mnemo-json' as const } : {};
      const message = await rejected(files(), options);
      expect(message).toContain(reason);
      noContent(message);
    });
  }
});

describe('partly odd input yields every valid conversation', () => {
  it('accepts a UTF-8 BOM', async () => {
    const bytes = encode(`\uFEFF${JSON.stringify([chat('c1')])}`);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const { conversations } = await parseAll([file('conversations.json', bytes)]);
    expect(conversations.map((c) => c.sourceId)).toEqual(['c1']);
  });

  it('keeps the complete conversations of a truncated file', async () => {
    const text = JSON.stringify([chat('c1'), chat('c2'), chat('c3')]);
    const { conversations, report } = await parseAll([file('conversations.json', text.slice(0, text.length - 200))]);
    expect(conversations.map((c) => c.sourceId)).toEqual(['c1', 'c2']);
    expect(report.problems).toEqual([{ where: 'conversations.json', reason: 'truncated after 2 complete conversations' }]);
  });

  it('keeps the conversations before a zip entry whose compressed data ends early', async () => {
    const zip = zipSync({ 'conversations.json': strToU8(JSON.stringify(Array.from({ length: 200 }, (_, i) => chat(`c${i}`)))) });
    // Halve the compressed size the central directory records: the deflate stream then stops mid-way.
    const view = new DataView(zip.buffer);
    let central = zip.length - 22;
    while (view.getUint32(central, true) !== 0x02014b50) central--;
    view.setUint32(central + 20, Math.floor(view.getUint32(central + 20, true) / 2), true);
    const { conversations, report } = await parseAll([file('export.zip', zip)]);
    expect(conversations.length).toBeGreaterThan(0);
    expect(conversations.length).toBeLessThan(200);
    expect(report.problems).toEqual([{ where: 'export.zip/conversations.json', reason: `truncated after ${conversations.length} complete conversations` }]);
  });

  it('lists skipped conversations by position and id, never by content', async () => {
    const elements = [
      JSON.stringify(chat('ok-1')),
      // One element (its braces balance) that is not valid JSON.
      `{"id": "broken", "title": "${SECRET}", }`,
      JSON.stringify(chat('no-mapping', { mapping: null })),
      JSON.stringify(chat('nowhere', { current_node: 'zz' })),
      JSON.stringify(chat('cycle', { current_node: 'b', mapping: { a: { parent: 'b', message: null }, b: { parent: 'a', message: null } } })),
      JSON.stringify(chat('ok-1')),
      JSON.stringify({ ...chat(''), id: 42 }),
      JSON.stringify(chat('types', { title: 7, create_time: 'soon', update_time: false, mapping: { a: { parent: 3, message: { author: 'me', content: 'x' } }, b: 'node' } })),
      JSON.stringify(chat('ok-2')),
    ];
    const { conversations, report } = await parseAll([file('conversations.json', `[${elements.join(',')}]`)]);
    expect(conversations.map((c) => c.sourceId)).toEqual(['ok-1', 'nowhere', 'ok-2']);
    expect(report.problems).toEqual([
      { where: 'conversations.json #1', reason: 'not valid JSON' },
      { where: 'conversations.json #2 (no-mapping)', reason: 'missing mapping' },
      { where: 'conversations.json #3 (nowhere)', reason: 'current_node is not in mapping: followed the newest leaf' },
      { where: 'conversations.json #4 (cycle)', reason: 'cycle in parent links' },
      { where: 'conversations.json #5 (ok-1)', reason: 'duplicate id: kept the first' },
      { where: 'conversations.json #6', reason: 'missing id' },
      { where: 'conversations.json #7 (types)', reason: 'current_node is not in mapping: followed the newest leaf' },
      { where: 'conversations.json #7 (types)', reason: 'no readable messages' },
    ]);
    expect(conversations[1]?.messages.map((m) => m.sourceId)).toEqual(['a', 'b']);
    expect(conversations[1]?.metadata.currentNodeRepaired).toBe(true);
    expect(report.conversations).toEqual({ parsed: 3, skipped: 6 });
    expect(report.skippedReasons).toMatchObject({ 'message: malformed node': 1, 'message: unknown role': 1 });
    noContent(JSON.stringify(report));
  });

  it('survives wrong field types inside a conversation', async () => {
    const odd = chat('types', {
      title: 7,
      create_time: 'soon',
      update_time: false,
      current_node: 'c',
      mapping: {
        a: { parent: 3, children: 'x', message: { author: 'me', content: 'x' } },
        b: 'node',
        c: { parent: 'a', message: { author: { role: 'assistant' }, create_time: null, content: { content_type: 'text', parts: [1, null, 'kept', { weird: true }] } } },
      },
    });
    const { conversations, report } = await parseAll([file('conversations.json', [odd])], { now: 5 });
    const [c] = conversations;
    expect(c).toMatchObject({ title: null, createdAt: 5, updatedAt: 5, metadata: { timeMissing: true } });
    expect(c?.messages.map((m) => m.content)).toEqual(['kept']);
    expect(report.skippedReasons).toMatchObject({ 'message: malformed node': 1, 'message: unknown role': 1, 'part: other': 1 });
  });

  it('skips the odd files of a folder and reads the rest', async () => {
    const { conversations, report } = await parseAll([
      file('conversations-000.json', [chat('c1')]),
      file('conversations-001.json', 'garbage'),
      file('user.json', { email: SECRET }),
    ]);
    expect(conversations.map((c) => c.sourceId)).toEqual(['c1']);
    expect(report.problems).toEqual([{ where: 'conversations-001.json', reason: 'not JSON' }]);
    expect(report.skippedReasons['file: not a conversations file']).toBe(1);
  });

  it('ignores data after the closing bracket, noting it', async () => {
    const { conversations, report } = await parseAll([file('conversations.json', `${JSON.stringify([chat('c1')])}\n]]junk`)]);
    expect(conversations).toHaveLength(1);
    expect(report.problems).toEqual([{ where: 'conversations.json', reason: 'data after the closing bracket was ignored' }]);
  });

  it('Claude: missing chat_messages and duplicate message ids', async () => {
    const claude = JSON.parse(new TextDecoder().decode(fixture('claude-conversations.json'))) as Array<Record<string, unknown>>;
    const [blocks, plain] = claude as [Record<string, unknown>, Record<string, unknown>];
    const twice = plain.chat_messages as unknown[];
    const dupe = { ...plain, uuid: 'dupe', chat_messages: [...twice, ...twice] };
    const { conversations, report } = await parseAll([file('conversations.json', [{ ...blocks, chat_messages: 'none' }, dupe])], { format: 'claude' });
    expect(conversations.map((c) => [c.sourceId, c.messages.length])).toEqual([['dupe', 2]]);
    expect(report.problems[0]).toEqual({ where: 'conversations.json #0 (c-blocks)', reason: 'missing chat_messages' });
    expect(report.skippedReasons['message: duplicate id']).toBe(2);
  });
});
