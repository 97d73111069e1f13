// Each export format parsed from the hand-written fixtures (test/fixtures/import).
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { byTitle, file, fixture, parseAll } from './import-helpers';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('ChatGPT export', () => {
  it('reads the current path, in order, with times in ms and models', async () => {
    const { conversations, report } = await parseAll([file('conversations.json', fixture('chatgpt-conversations.json'))]);
    expect(report.format).toBe('chatgpt');
    const main = byTitle(conversations, 'conv-branches');
    expect(main).toMatchObject({ source: 'chatgpt', title: 'Branches 🌿 and edits', status: 'active', model: 'gpt-4o', createdAt: 1718000000123, updatedAt: 1718000600500 });
    expect(main.id).toMatch(UUID);
    expect(main.messages.map((m) => m.sourceId)).toEqual(['u1', 'a2', 'u2b', 'a4']);
    const [u1, a2, u2b, a4] = main.messages;
    expect(u1).toMatchObject({ role: 'user', content: "Héllo 👋 — what's a monad? 日本語も", createdAt: 1718000001250 });
    expect(a2).toMatchObject({ role: 'assistant', model: 'gpt-4o' });
    expect(u2b?.content).toBe('Edited follow-up: explain this diagram');
    expect(u2b?.attachments).toEqual([{ type: 'image', assetPointer: 'file-service://file-abc', sizeBytes: 12345, width: 640, height: 480 }]);
    expect(a4).toMatchObject({ content: 'The diagram shows composition.', model: 'o3', thinking: 'Reading the diagram\nIt shows arrows between boxes.' });
    expect(a4?.metadata.reasoningRecap).toBe('Thought for 4 seconds');
    for (const m of main.messages) expect(m.id).toMatch(UUID);
  });

  it('keeps each side branch as an archived conversation holding only what differs', async () => {
    const { conversations } = await parseAll([file('conversations.json', fixture('chatgpt-conversations.json'))]);
    const main = byTitle(conversations, 'conv-branches');
    const regenerated = byTitle(conversations, 'conv-branches#a1');
    const edited = byTitle(conversations, 'conv-branches#u2a');
    expect(regenerated).toMatchObject({ status: 'archived', title: main.title, createdAt: 1718000002000 });
    expect(regenerated.messages.map((m) => m.content)).toEqual(['First answer (regenerated away).']);
    expect(edited.messages.map((m) => m.sourceId)).toEqual(['u2a', 'a3']);
    const u1 = main.messages[0];
    const a2 = main.messages[1];
    expect(regenerated.metadata.branch).toEqual({ sourceId: 'conv-branches', conversationId: main.id, forkedAfterSourceId: 'u1', forkedAfterMessageId: u1?.id });
    expect(edited.metadata.branch).toMatchObject({ conversationId: main.id, forkedAfterMessageId: a2?.id });
    // Every node is in exactly one conversation.
    const ids = [main, regenerated, edited].flatMap((c) => c.messages.map((m) => m.id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("drops side branches on request, counting their messages", async () => {
    const { conversations, report } = await parseAll([file('conversations.json', fixture('chatgpt-conversations.json'))], { branches: 'drop' });
    expect(conversations.map((c) => c.sourceId)).toEqual(['conv-branches', 'conv-tools', 'conv-long']);
    expect(report.skippedReasons['message: side branch dropped']).toBe(3);
  });

  it('maps tool calls, tool output and every content type, counting what it skips', async () => {
    const { conversations, report } = await parseAll([file('conversations.json', fixture('chatgpt-conversations.json'))]);
    const tools = byTitle(conversations, 'conv-tools');
    expect(tools.status).toBe('archived');
    expect(tools.model).toBe('gpt-4o');
    const bySource = new Map(tools.messages.map((m) => [m.sourceId, m]));
    expect([...bySource.keys()]).toEqual(['u', 'call', 'out', 'search', 'browse', 'quote', 'err', 'w0', 'final']);
    expect(bySource.get('u')).toMatchObject({ content: 'Plot the sine function please', createdAt: 1718100001500 });
    expect(bySource.get('u')?.attachments).toEqual([
      { type: 'audio', assetPointer: 'sediment://file-audio', sizeBytes: 999 },
      { type: 'unsupported', contentType: 'some_future_part' },
    ]);
    const call = bySource.get('call');
    expect(call).toMatchObject({ role: 'assistant', content: '', toolCalls: [{ id: 'call', name: 'python', arguments: 'import math\nprint(math.sin(1))' }] });
    expect(call?.metadata).toMatchObject({ contentType: 'code', language: 'python' });
    expect(bySource.get('out')).toMatchObject({ role: 'tool', content: '0.8414709848078965', toolCallId: 'call', metadata: { toolName: 'python', contentType: 'execution_output' } });
    expect(bySource.get('browse')).toMatchObject({ role: 'tool', toolCallId: 'search', content: '# 【0†Sine wave】 result list' });
    expect(bySource.get('quote')?.metadata).toMatchObject({ url: 'https://example.org/sine', quoteTitle: 'Sine wave', domain: 'example.org' });
    expect(bySource.get('err')?.metadata.error).toBe('tool_error');
    expect(bySource.get('w0')?.metadata.weight).toBe(0);
    // Null times are filled from the previous message.
    expect(bySource.get('search')).toMatchObject({ createdAt: 1718100003000, metadata: { timeFilled: true } });
    expect(report.skippedReasons).toMatchObject({
      'message: user_editable_context': 1,
      'message: model_editable_context': 1,
      'message: unsupported content type sonic_webpage_unknown': 1,
      'message: hidden': 1,
      'part: some_future_part': 1,
    });
  });

  it('keeps a 19,000-character message and fills missing conversation times from the messages', async () => {
    const { conversations } = await parseAll([file('conversations.json', fixture('chatgpt-conversations.json'))]);
    const long = byTitle(conversations, 'conv-long');
    // 19,000 characters counted as code points (each emoji is two UTF-16 units).
    expect(Array.from(long.messages[0]?.content ?? '')).toHaveLength(19_000);
    expect(long.messages[0]?.content.startsWith('Ünïcødé 🚀')).toBe(true);
    expect(long).toMatchObject({ createdAt: 1718200000000, updatedAt: 1718200005000 });
  });

  it('reads a zip, and every split conversations-NNN.json part in number order', async () => {
    const all = JSON.parse(new TextDecoder().decode(fixture('chatgpt-conversations.json'))) as unknown[];
    const zip = zipSync({
      'chat.html': strToU8('<html></html>'),
      'user.json': strToU8('{}'),
      'conversations-001.json': strToU8(JSON.stringify(all.slice(2))),
      'conversations-000.json': strToU8(JSON.stringify(all.slice(0, 2))),
      'file-abc.png': new Uint8Array([1, 2, 3]),
    });
    const { conversations, report } = await parseAll([file('export.zip', zip)]);
    expect(conversations.filter((c) => c.status === 'active' || !c.sourceId.includes('#')).map((c) => c.sourceId)).toEqual(['conv-branches', 'conv-tools', 'conv-long']);
    expect(report.skippedReasons['file: not a conversations file']).toBe(3);
    // Same parts chosen as loose files, with their siblings.
    const loose = await parseAll([
      file('conversations-001.json', JSON.stringify(all.slice(2))),
      file('chat.html', '<html></html>'),
      file('conversations-000.json', JSON.stringify(all.slice(0, 2))),
    ]);
    expect(loose.conversations.map((c) => c.id)).toEqual(conversations.map((c) => c.id));
  });
});

describe('Claude export', () => {
  it('reads blocks, thinking, tool use and results, attachments and files', async () => {
    const { conversations, report } = await parseAll([file('conversations.json', fixture('claude-conversations.json'))]);
    expect(report.format).toBe('claude');
    const blocks = byTitle(conversations, 'c-blocks');
    expect(blocks).toMatchObject({ source: 'claude', title: 'Claude with blocks 🧠', status: 'active', createdAt: Date.UTC(2024, 5, 1, 10), updatedAt: Date.UTC(2024, 5, 1, 10, 5, 0, 123) });
    expect(blocks.messages.map((m) => m.sourceId)).toEqual(['m1', 'm2', 'm4']);
    const [m1, m2, m4] = blocks.messages;
    expect(m1).toMatchObject({ role: 'user', content: 'Summarise the attached file' });
    expect(m1?.attachments).toEqual([
      { type: 'attachment', fileName: 'notes.txt', fileType: 'text/plain', fileSize: 42, extractedContent: 'Meeting notes: ship on Friday.' },
      { type: 'file', fileName: 'photo.png', fileUuid: 'f-1' },
    ]);
    expect(m2).toMatchObject({
      role: 'assistant',
      content: 'The notes say: ship on Friday. ✅',
      thinking: 'The user wants a summary; search first.',
      toolCalls: [{ id: 'toolu_1', name: 'web_search', input: { query: 'friday shipping' } }],
      toolResults: [{ toolUseId: 'toolu_1', name: 'web_search', content: [{ type: 'text', text: 'result' }] }],
      attachments: [{ type: 'unsupported', contentType: 'image' }],
    });
    expect(m4).toMatchObject({ content: 'Thanks!', createdAt: m2?.createdAt, metadata: { timeFilled: true } });
    expect(report.skippedReasons).toMatchObject({ 'message: unknown role': 1, 'part: image': 1 });
    const plain = byTitle(conversations, 'c-plain');
    expect(plain.title).toBeNull();
    expect(plain.messages.map((m) => [m.role, m.content])).toEqual([['user', 'Bonjour 🇫🇷'], ['assistant', 'Salut ! Comment puis-je aider ?']]);
    expect(report.dateRange).toEqual({ from: Date.UTC(2024, 4, 1, 8), to: Date.UTC(2024, 5, 1, 10, 5, 0, 123) });
  });

  it('reads the Claude zip', async () => {
    const zip = zipSync({ 'users.json': strToU8('[]'), 'projects.json': strToU8('[]'), 'conversations.json': fixture('claude-conversations.json') });
    const { conversations, report } = await parseAll([file('data-2024.zip', zip)]);
    expect(report.format).toBe('claude');
    expect(conversations).toHaveLength(2);
  });
});

describe('Mnemo JSON', () => {
  it('reads a space export back with every message field', async () => {
    const { conversations, report } = await parseAll([file('mnemo-work.json', fixture('mnemo-space.json'))]);
    expect(report.format).toBe('mnemo-json');
    expect(conversations.map((c) => [c.sourceId, c.status, c.title])).toEqual([['0190-c1', 'active', 'Roadmap'], ['0190-c2', 'closed', null]]);
    const [first] = conversations;
    expect(first?.metadata).toEqual({ tag: 'x', original: { id: '0190-c1', sessionId: '0190-sess' } });
    expect(first?.messages[1]).toMatchObject({
      role: 'assistant',
      content: 'Imports 📥',
      thinking: 'short',
      model: 'm',
      toolCalls: [{ id: 't', name: 'lookup', arguments: '{}' }],
      createdAt: 1718000000002,
      metadata: { original: { id: '0190-m2', thinkingSignature: 'sig', tokensUsed: 12 } },
    });
    expect(conversations[1]?.messages[0]).toMatchObject({ role: 'tool', toolCallId: 't', content: '42' });
    expect(report.skippedReasons['message: conversation not in the file']).toBe(1);
  });

  it('refuses a version it does not know', async () => {
    const doc = JSON.parse(new TextDecoder().decode(fixture('mnemo-space.json'))) as Record<string, unknown>;
    const { rejected } = await import('./import-helpers');
    expect(await rejected([file('x.json', { ...doc, version: 2 })])).toContain('version 2 is not supported');
  });
});
