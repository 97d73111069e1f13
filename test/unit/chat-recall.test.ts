import { describe, expect, test } from 'vitest';
import type { SearchHit } from '../../src/shared/api';
import type { Memory } from '../../src/shared/models';
import {
  assembleRecall, estimateTokens, ITEM_OVERHEAD_TOKENS, RECALL_HEADING, RECALL_PREAMBLE, recallKey,
  type RecallHit, type RecallMemory,
} from '../../src/ui/chat/recall';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const DAY = 86_400_000;
const AGENT = 'You are Mnemo, a helpful assistant.';

let n = 0;
function hit(kind: RecallHit['kind'], text: string, fused: number, ref: RecallHit['ref'] = {}, createdAt = NOW - DAY): RecallHit {
  return { kind, id: `${kind}-${++n}`, text, score: { fused }, ref, createdAt };
}
const memory = (over: Partial<RecallMemory> = {}): RecallMemory => ({ kind: 'long', importance: 0.5, expiresAt: null, metadata: {}, ...over });

// A real search hit and memory row are accepted as they are.
const _hitFits: RecallHit = {} as SearchHit;
const _memoryFits: RecallMemory = {} as Memory;

describe('estimateTokens', () => {
  test('ASCII by four, other code points one each', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abcd')).toBe(1);
    expect(estimateTokens('abcde')).toBe(2);
    expect(estimateTokens('日本語')).toBe(3);
    expect(estimateTokens('🍵')).toBe(1);
  });
});

describe('assembleRecall', () => {
  test('empty recall: the agent prompt alone, no section', () => {
    const result = assembleRecall({ systemPrompt: `  ${AGENT}\n`, hits: [], budgetTokens: 1000, now: NOW });
    expect(result).toEqual({ systemPrompt: AGENT, tokens: estimateTokens(AGENT), included: [], excluded: [] });
  });

  test('the documented format: heading, preamble, one line per item with its source and date', () => {
    const tea = hit('memory', 'Likes green\ntea,   no sugar', 0.4, { memoryKind: 'long' }, Date.parse('2025-05-02T08:00:00Z'));
    const chunk = hit('chunk', 'Mnemo keeps data in OPFS.', 0.9, { startLine: 3, endLine: 9 }, Date.parse('2025-04-01T00:00:00Z'));
    const said = hit('message', 'I moved to Lisbon', 0.7, { role: 'user' }, Date.parse('2025-03-03T00:00:00Z'));
    const note = hit('vector', 'Prefers metric units', 0.5, { collection: 'prefs' }, Date.parse('2025-02-02T00:00:00Z'));
    const stated = hit('memory', 'Name is Ana', 0.1, { memoryKind: 'long' }, Date.parse('2025-01-01T00:00:00Z'));
    const memories = new Map([[tea.id, memory()], [stated.id, memory({ metadata: { source: 'user' } })]]);
    const result = assembleRecall({ systemPrompt: AGENT, hits: [tea, chunk, said, note, stated], memories, budgetTokens: 1000, now: NOW });
    expect(result.systemPrompt).toBe([
      AGENT,
      '',
      RECALL_HEADING,
      RECALL_PREAMBLE,
      '- Name is Ana (the user told you, 2025-01-01)',
      '- Likes green tea, no sugar (memory, 2025-05-02)',
      '- Mnemo keeps data in OPFS. (document, lines 3–9, 2025-04-01)',
      '- I moved to Lisbon (user said, earlier conversation, 2025-03-03)',
      '- Prefers metric units (note in prefs, 2025-02-02)',
    ].join('\n'));
    expect(result.included.map((i) => i.tier)).toEqual(['user-memory', 'memory', 'context', 'context', 'context']);
    expect(result.excluded).toEqual([]);
    expect(result.tokens).toBe(estimateTokens(result.systemPrompt));
  });

  test('without an agent prompt the section stands alone', () => {
    const result = assembleRecall({ systemPrompt: ' ', hits: [hit('memory', 'Likes tea', 1)], budgetTokens: 500, now: NOW });
    expect(result.systemPrompt.startsWith(RECALL_HEADING)).toBe(true);
  });

  test('user-stated memories first, then memories by score, importance, recency; then the rest by score', () => {
    const a = hit('memory', 'alpha fact', 0.2);
    const b = hit('memory', 'bravo fact', 0.9);
    const c = hit('memory', 'charlie fact', 0.5);
    const d = hit('memory', 'delta fact', 0.5);
    const e = hit('message', 'echo said', 0.99);
    const f = hit('chunk', 'foxtrot chunk', 0.3);
    const g = hit('memory', 'golf fact', 0.5, {}, NOW - 2 * DAY);
    const memories = new Map([
      [a.id, memory({ metadata: { source: 'user' } })],
      [c.id, memory({ importance: 0.9 })],
      [d.id, memory({ importance: 0.5 })],
      [g.id, memory({ importance: 0.5 })],
    ]);
    const result = assembleRecall({ systemPrompt: AGENT, hits: [e, f, g, d, c, b, a], memories, budgetTokens: 10_000, now: NOW });
    expect(result.included.map((i) => i.line)).toEqual(['alpha fact', 'bravo fact', 'charlie fact', 'delta fact', 'golf fact', 'echo said', 'foxtrot chunk']);
  });

  test('expired short-term memories are left out; unexpired and long ones kept', () => {
    const old = hit('memory', 'Is in Paris this week', 0.9, { memoryKind: 'short' });
    const fresh = hit('memory', 'Has a cold today', 0.8, { memoryKind: 'short' });
    const lasting = hit('memory', 'Allergic to nuts', 0.7, { memoryKind: 'long' });
    const memories = new Map([
      [old.id, memory({ kind: 'short', expiresAt: NOW - 1 })],
      [fresh.id, memory({ kind: 'short', expiresAt: NOW + DAY })],
      [lasting.id, memory({ expiresAt: NOW - DAY })],
    ]);
    const result = assembleRecall({ systemPrompt: AGENT, hits: [old, fresh, lasting], memories, budgetTokens: 1000, now: NOW });
    expect(result.included.map((i) => i.id)).toEqual([fresh.id, lasting.id]);
    expect(result.included[0]?.source).toBe('short-term memory');
    expect(result.excluded).toMatchObject([{ id: old.id, reason: 'expired' }]);
    expect(result.systemPrompt).not.toContain('Paris');
  });

  test('near-duplicates: the better one is kept, the other reported with duplicateOf', () => {
    const best = hit('memory', 'The user likes green tea.', 0.9);
    const copy = hit('message', 'the user LIKES green tea', 0.95);
    const near = hit('chunk', 'User likes green tea!', 0.5);
    const other = hit('memory', 'The user likes black coffee.', 0.8);
    const result = assembleRecall({ systemPrompt: AGENT, hits: [copy, near, other, best, best], budgetTokens: 1000, now: NOW });
    expect(result.included.map((i) => i.id)).toEqual([best.id, other.id]);
    expect(result.excluded.map((e) => [e.id, e.reason, e.duplicateOf])).toEqual([
      [best.id, 'duplicate', recallKey(best)],
      [copy.id, 'duplicate', recallKey(best)],
      [near.id, 'duplicate', recallKey(best)],
    ]);
  });

  test('a duplicate of an item that did not fit may take its place', () => {
    const long = hit('memory', `Works as a nurse ${'in the night shift '.repeat(20)}`, 0.9);
    const short = hit('message', 'Works as a nurse in the night shift', 0.5);
    const budget = estimateTokens(AGENT) + 80;
    const result = assembleRecall({ systemPrompt: AGENT, hits: [long, short], budgetTokens: budget, now: NOW, duplicateThreshold: 0.5 });
    expect(result.included.map((i) => i.id)).toEqual([short.id]);
    expect(result.excluded).toMatchObject([{ id: long.id, reason: 'over-budget' }]);
  });

  test('the user’s exclusions are honoured and reported', () => {
    const a = hit('memory', 'Lives in Porto', 0.9);
    const b = hit('memory', 'Has two cats', 0.8);
    const first = assembleRecall({ systemPrompt: AGENT, hits: [a, b], budgetTokens: 1000, now: NOW });
    expect(first.included.map((i) => i.key)).toEqual([recallKey(a), recallKey(b)]);
    const again = assembleRecall({ systemPrompt: AGENT, hits: [a, b], budgetTokens: 1000, now: NOW, exclude: [first.included[0]!.key] });
    expect(again.included.map((i) => i.id)).toEqual([b.id]);
    expect(again.excluded).toMatchObject([{ id: a.id, reason: 'excluded-by-user' }]);
    expect(again.systemPrompt).not.toContain('Porto');
  });

  test('empty texts are dropped; long texts are cut to one line', () => {
    const blank = hit('chunk', ' \n\t ', 1);
    const long = hit('chunk', 'x'.repeat(50), 0.5);
    const result = assembleRecall({ systemPrompt: AGENT, hits: [blank, long], budgetTokens: 1000, now: NOW, maxItemChars: 10 });
    expect(result.excluded).toMatchObject([{ id: blank.id, reason: 'empty' }]);
    expect(result.included[0]?.line).toBe(`${'x'.repeat(9)}…`);
  });

  test('the budget: smaller items after one that does not fit still go in; nothing fits → no section', () => {
    const big = hit('memory', 'word '.repeat(200), 0.9);
    const small = hit('memory', 'Likes tea', 0.1);
    const header = estimateTokens(`\n\n${RECALL_HEADING}\n${RECALL_PREAMBLE}`);
    const smallCost = estimateTokens('Likes tea (memory, 2025-05-31)') + ITEM_OVERHEAD_TOKENS;
    const exact = estimateTokens(AGENT) + header + smallCost;
    const fits = assembleRecall({ systemPrompt: AGENT, hits: [big, small], budgetTokens: exact, now: NOW });
    expect(fits.included.map((i) => i.id)).toEqual([small.id]);
    expect(fits.excluded).toMatchObject([{ id: big.id, reason: 'over-budget' }]);
    expect(fits.tokens).toBeLessThanOrEqual(exact);
    const tight = assembleRecall({ systemPrompt: AGENT, hits: [big, small], budgetTokens: exact - 1, now: NOW });
    expect(tight.included).toEqual([]);
    expect(tight.systemPrompt).toBe(AGENT);
    expect(tight.excluded.map((e) => e.reason)).toEqual(['over-budget', 'over-budget']);
  });

  test('an agent prompt over the budget is kept whole, with nothing recalled', () => {
    const result = assembleRecall({ systemPrompt: AGENT, hits: [hit('memory', 'Likes tea', 1)], budgetTokens: 2, now: NOW });
    expect(result.systemPrompt).toBe(AGENT);
    expect(result.included).toEqual([]);
  });

  test('never over budget, and every hit reported exactly once (random inputs)', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const vocabulary = ['tea', 'coffee', 'Lisbon', 'cats', 'nurse', 'night', 'piano', '日本', 'über', 'runs', 'on', 'the', 'weekend'];
    const kinds: RecallHit['kind'][] = ['memory', 'message', 'chunk', 'vector'];
    for (let round = 0; round < 200; round++) {
      const hits = Array.from({ length: Math.floor(random() * 30) }, () =>
        hit(kinds[Math.floor(random() * 4)]!, Array.from({ length: 1 + Math.floor(random() * 40) }, () => vocabulary[Math.floor(random() * vocabulary.length)]).join(' '), random(), { memoryKind: random() < 0.5 ? 'short' : 'long' }));
      const memories = new Map(hits.filter(() => random() < 0.5).map((h) => [h.id, memory({ kind: 'short', expiresAt: NOW + (random() - 0.5) * DAY, metadata: random() < 0.3 ? { source: 'user' } : {} })]));
      const budget = estimateTokens(AGENT) + Math.floor(random() * 400);
      const result = assembleRecall({ systemPrompt: AGENT, hits, memories, budgetTokens: budget, now: NOW });
      expect(result.tokens).toBeLessThanOrEqual(budget);
      expect(estimateTokens(result.systemPrompt)).toBe(result.tokens);
      expect(result.included.length + result.excluded.length).toBe(hits.length);
      expect(new Set(result.included.map((i) => i.key)).size).toBe(result.included.length);
      const tiers = result.included.map((i) => ['user-memory', 'memory', 'context'].indexOf(i.tier));
      expect(tiers).toEqual([...tiers].sort((x, y) => x - y));
      for (const item of result.included) expect(result.systemPrompt).toContain(`- ${item.line} (${item.source}`);
    }
  });
});
