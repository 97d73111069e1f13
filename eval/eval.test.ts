/**
 * Retrieval evaluation: loads eval/corpus into an in-memory Mnemo with each
 * model, runs every query as keyword, vector and hybrid search (limit 10)
 * and prints nDCG@10 and recall@10 overall and per query type.
 *
 *   npx vitest run -c vitest.eval.config.ts        (EVAL_VERBOSE=1 adds per-query lines)
 *
 * Keyword, vector and the default and RECOMMENDED hybrid settings run through
 * `space.search`. The other rows (marked *) and the sweep re-fuse each query's
 * keyword and vector candidate lists (limit 50, as hybrid search collects
 * them) with the service's own `rrf`/`weighted` functions; the report says
 * whether that re-fusion matched the API on every API-run hybrid setting.
 * Results also go to test-results/eval.json.
 *
 * Fails (so the command exits non-zero) when, for the RECOMMENDED fusion
 * settings and either model, hybrid nDCG@10 over all queries is below the
 * better of keyword and vector; or, with the bundled mnemo-glove-100d, vector
 * search does not beat keyword search on the paraphrase queries; or, with
 * mnemo-test-32d, vector does not beat keyword on the synonym queries.
 * Needs no network (fetch is refused and any attempt fails the run).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SearchHit, SearchRequest } from '../src/shared/api';
import { DEFAULT_RRF_K, DEFAULT_WEIGHTS, normalizeWeights, rrf, weighted } from '../src/worker/search/service';
import { contentWords, loadCorpus as readCorpus, type EvalQuery } from './corpus';
import { loadCorpus, type LoadedCorpus } from './load';
import { mean, ndcg, recall } from './metrics';

type Fusion = Pick<SearchRequest, 'fusion' | 'rrfK' | 'weights'>;
interface Setting {
  label: string;
  mode: 'keyword' | 'vector' | 'hybrid';
  fusion?: Fusion;
}

/** The fusion settings this evaluation recommends as defaults; the criteria are checked on them. */
export const RECOMMENDED: Fusion = { fusion: 'rrf', rrfK: 60, weights: { text: 0.5, vector: 0.5 } };

const LIMIT = 10;
/** Hybrid search takes max(limit * 5, 50) candidates from each side. */
const CANDIDATES = 50;
const MODELS = ['mnemo-glove-100d', 'mnemo-test-32d'] as const;
const VERBOSE = !!process.env.EVAL_VERBOSE;

/** Run through `space.search` for every query. */
const API_SETTINGS: Setting[] = [
  { label: 'keyword', mode: 'keyword' },
  { label: 'vector', mode: 'vector' },
  { label: `hybrid defaults (rrf k=${DEFAULT_RRF_K} t${DEFAULT_WEIGHTS.text}/v${DEFAULT_WEIGHTS.vector})`, mode: 'hybrid', fusion: {} },
  { label: 'hybrid RECOMMENDED', mode: 'hybrid', fusion: RECOMMENDED },
];

/** Further rows of the main table, fused offline from the same candidate lists. */
const TABLE_OFFLINE: Setting[] = [
  { label: 'hybrid rrf k=60 t0.3/v0.7', mode: 'hybrid', fusion: { fusion: 'rrf', rrfK: 60, weights: { text: 0.3, vector: 0.7 } } },
  { label: 'hybrid rrf k=60 t0.7/v0.3', mode: 'hybrid', fusion: { fusion: 'rrf', rrfK: 60, weights: { text: 0.7, vector: 0.3 } } },
  { label: 'hybrid rrf k=20 t0.5/v0.5', mode: 'hybrid', fusion: { fusion: 'rrf', rrfK: 20, weights: { text: 0.5, vector: 0.5 } } },
  { label: 'hybrid rrf k=5 t0.5/v0.5', mode: 'hybrid', fusion: { fusion: 'rrf', rrfK: 5, weights: { text: 0.5, vector: 0.5 } } },
  { label: 'hybrid weighted t0.5/v0.5', mode: 'hybrid', fusion: { fusion: 'weighted', weights: { text: 0.5, vector: 0.5 } } },
  { label: 'hybrid weighted t0.3/v0.7', mode: 'hybrid', fusion: { fusion: 'weighted', weights: { text: 0.3, vector: 0.7 } } },
];

const SWEEP_RRF_K = [1, 5, 10, 20, 40, 60, 100];
const SWEEP_VECTOR_WEIGHTS = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
const SWEEP_WEIGHTED = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const SWEEP: Setting[] = [
  ...TABLE_OFFLINE,
  ...SWEEP_RRF_K.flatMap((k) =>
    SWEEP_VECTOR_WEIGHTS.map((v) => ({
      label: `rrf k=${k} v=${v}`,
      mode: 'hybrid' as const,
      fusion: { fusion: 'rrf' as const, rrfK: k, weights: { text: round(1 - v), vector: v } },
    })),
  ),
  ...SWEEP_WEIGHTED.map((v) => ({
    label: `weighted v=${v}`,
    mode: 'hybrid' as const,
    fusion: { fusion: 'weighted' as const, weights: { text: round(1 - v), vector: v } },
  })),
];

const GROUPS: Array<{ label: string; test: (q: EvalQuery) => boolean }> = [
  { label: 'all', test: () => true },
  { label: 'exact', test: (q) => q.type === 'exact' },
  { label: 'para', test: (q) => q.type === 'paraphrase' },
  { label: 'syn', test: (q) => !!q.tags?.includes('synonym') },
  { label: 'quest', test: (q) => !!q.tags?.includes('question') },
];

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

interface Scores {
  ndcg: Record<string, number>;
  recall: Record<string, number>;
}

function score(queries: EvalQuery[], ranked: Map<string, string[]>): Scores {
  const out: Scores = { ndcg: {}, recall: {} };
  for (const g of GROUPS) {
    const qs = queries.filter(g.test);
    out.ndcg[g.label] = mean(qs.map((q) => ndcg(ranked.get(q.id)!, q.rel, LIMIT)));
    out.recall[g.label] = mean(qs.map((q) => recall(ranked.get(q.id)!, q.rel, LIMIT)));
  }
  return out;
}

/** The service's hybrid ranking, recomputed from its keyword and vector candidate lists. */
function fuse(keyword: SearchHit[], vector: SearchHit[], fusion: Fusion, key: (h: SearchHit) => string): string[] {
  const weights = normalizeWeights(fusion.weights);
  const k = fusion.rrfK ?? DEFAULT_RRF_K;
  const merged = new Map<string, { id: string; bm25?: number; cosine?: number; rankKeyword?: number; rankVector?: number }>();
  keyword.forEach((h, i) => merged.set(`${h.kind}:${h.id}`, { id: key(h), bm25: h.score.bm25!, rankKeyword: i + 1 }));
  vector.forEach((h, i) => {
    const at = `${h.kind}:${h.id}`;
    merged.set(at, { ...(merged.get(at) ?? { id: key(h) }), cosine: h.score.cosine!, rankVector: i + 1 });
  });
  const bm25s = keyword.map((h) => h.score.bm25!);
  const range = { min: Math.min(...bm25s), max: Math.max(...bm25s) };
  return [...merged.values()]
    .map((h) => ({
      id: h.id,
      fused: (fusion.fusion ?? 'rrf') === 'rrf' ? rrf(h.rankKeyword, h.rankVector, weights, k) : weighted(h.bm25, h.cosine, range, weights),
    }))
    .sort((a, b) => b.fused - a.fused)
    .slice(0, LIMIT)
    .map((h) => h.id);
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const num = (x: number) => x.toFixed(3);

function table(rows: Array<{ label: string; scores: Scores }>): string {
  const groups = GROUPS.map((g) => g.label);
  const head = `${pad('setting', 40)} nDCG@10 ${groups.map((g) => pad(g, 6)).join(' ')} | recall@10 ${groups.map((g) => pad(g, 6)).join(' ')}`;
  const lines = rows.map(
    (r) => `${pad(r.label, 40)}         ${groups.map((g) => pad(num(r.scores.ndcg[g]!), 6)).join(' ')} |           ${groups.map((g) => pad(num(r.scores.recall[g]!), 6)).join(' ')}`,
  );
  return [head, ...lines].join('\n');
}

interface ModelResult {
  model: string;
  api: Array<{ label: string; scores: Scores }>;
  sweep: Array<{ label: string; fusion: Fusion; scores: Scores }>;
  mismatches: number;
  loadMs: number;
  embedMs: number;
  searchMs: number;
}

const { docs, queries } = readCorpus();
const results: ModelResult[] = [];
const networkAttempts: string[] = [];
const realFetch = env.fetch;

beforeAll(() => {
  // Models come from public/models/ only; any request is a failure.
  const refuse = (input: string | URL | Request) => {
    networkAttempts.push(String(input instanceof Request ? input.url : input));
    return Promise.reject(new Error('network disabled in the evaluation'));
  };
  vi.stubGlobal('fetch', refuse);
  env.fetch = refuse;
});

afterAll(() => {
  env.fetch = realFetch;
  vi.unstubAllGlobals();
  if (results.length === 0) return;
  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/eval.json', JSON.stringify({ docs: docs.length, queries: queries.length, recommended: RECOMMENDED, results }, null, 2));
});

async function evaluate(corpus: LoadedCorpus, model: string): Promise<ModelResult> {
  const started = performance.now();
  const { space } = corpus;
  const ranked = new Map<string, Map<string, string[]>>(API_SETTINGS.map((s) => [s.label, new Map()]));
  const sweepRanked = new Map<string, Map<string, string[]>>(SWEEP.map((s) => [s.label, new Map()]));
  let mismatches = 0;
  for (const q of queries) {
    const keyword50 = await space.search({ query: q.query, mode: 'keyword', limit: CANDIDATES });
    const vector50 = await space.search({ query: q.query, mode: 'vector', limit: CANDIDATES });
    for (const s of API_SETTINGS) {
      const hits = await space.search({ query: q.query, mode: s.mode, limit: LIMIT, ...s.fusion });
      const ids = hits.map((h) => corpus.evalId(h));
      ranked.get(s.label)!.set(q.id, ids);
      if (s.mode === 'hybrid') {
        const offline = fuse(keyword50, vector50, s.fusion ?? {}, corpus.evalId);
        if (offline.join() !== ids.join()) mismatches++;
      }
    }
    for (const s of SWEEP) sweepRanked.get(s.label)!.set(q.id, fuse(keyword50, vector50, s.fusion!, corpus.evalId));
    if (VERBOSE) {
      const show = (label: string) => {
        const ids = ranked.get(label)!.get(q.id)!;
        return `${num(ndcg(ids, q.rel))} [${ids.slice(0, 5).map((id) => (q.rel[id] ? `${id}*${q.rel[id]}` : id)).join(' ')}]`;
      };
      console.log(`${model} ${q.id} ${q.type} "${q.query}"\n   kw ${show('keyword')}\n  vec ${show('vector')}\n  rec ${show('hybrid RECOMMENDED')}`);
    }
  }
  return {
    model,
    api: API_SETTINGS.map((s) => ({ label: s.label, scores: score(queries, ranked.get(s.label)!) })),
    sweep: SWEEP.map((s) => ({ label: s.label, fusion: s.fusion!, scores: score(queries, sweepRanked.get(s.label)!) })),
    mismatches,
    loadMs: corpus.loadMs,
    embedMs: corpus.embedMs,
    searchMs: performance.now() - started,
  };
}

function report(r: ModelResult): string {
  const best = [...r.sweep].filter((s) => !TABLE_OFFLINE.some((t) => t.label === s.label)).sort((a, b) => b.scores.ndcg.all! - a.scores.ndcg.all!).slice(0, 5);
  const cell = (label: string) => num(r.sweep.find((s) => s.label === label)!.scores.ndcg.all!);
  const grid = [
    `rrf sweep, nDCG@10 all (rows k, columns vector weight; text = 1 - vector)`,
    `${pad('k', 6)} ${SWEEP_VECTOR_WEIGHTS.map((v) => pad(String(v), 6)).join(' ')}`,
    ...SWEEP_RRF_K.map((k) => `${pad(String(k), 6)} ${SWEEP_VECTOR_WEIGHTS.map((v) => pad(cell(`rrf k=${k} v=${v}`), 6)).join(' ')}`),
    `weighted sweep, nDCG@10 all: ${SWEEP_WEIGHTED.map((v) => `v=${v} ${cell(`weighted v=${v}`)}`).join(', ')}`,
  ];
  return [
    `\n=== ${r.model}: ${docs.length} documents, ${queries.length} queries (${queries.filter((q) => q.type === 'exact').length} exact, ${queries.filter((q) => q.type === 'paraphrase').length} paraphrase, ${queries.filter((q) => q.tags?.includes('synonym')).length} synonym, ${queries.filter((q) => q.tags?.includes('question')).length} question); load ${(r.loadMs / 1000).toFixed(1)} s, embed ${(r.embedMs / 1000).toFixed(1)} s, search ${(r.searchMs / 1000).toFixed(1)} s`,
    table([...r.api, ...TABLE_OFFLINE.map((s) => ({ label: `${s.label} *`, scores: r.sweep.find((w) => w.label === s.label)!.scores }))]),
    `* fused offline from the keyword and vector candidate lists (same code as the service)`,
    `best 5 of the sweep (offline fusion, ${r.mismatches === 0 ? 'matches the API on every API-run setting' : `DIFFERS from the API on ${r.mismatches} query×setting pairs`}):`,
    table(best),
    ...grid,
  ].join('\n');
}

describe('corpus', () => {
  it('has the size and mix the evaluation needs', () => {
    expect(docs.length).toBeGreaterThanOrEqual(400);
    expect(queries.length).toBeGreaterThanOrEqual(80);
    for (const kind of ['message', 'memory', 'vector', 'chunk']) expect(docs.some((d) => d.kind === kind)).toBe(true);
    const paraphrase = queries.filter((q) => q.type === 'paraphrase').length;
    expect(paraphrase / queries.length).toBeGreaterThan(0.35);
    expect(paraphrase / queries.length).toBeLessThan(0.65);
  });
});

describe.each(MODELS)('retrieval with %s', (model) => {
  let corpus: LoadedCorpus;
  let result: ModelResult;

  beforeAll(async () => {
    corpus = await loadCorpus(docs, model);
  });
  afterAll(async () => {
    await corpus?.close();
  });

  if (model === MODELS[0]) {
    it('judgements: paraphrase queries share no content word with a judged document, exact ones do', async () => {
      const problems: string[] = [];
      for (const q of queries) {
        const judged = new Set(Object.keys(q.rel));
        const top = new Set(Object.entries(q.rel).filter(([, g]) => g === 2).map(([id]) => id));
        let shares = false;
        for (const word of contentWords(q.query)) {
          const hits = (await corpus.space.search({ query: word, mode: 'keyword', limit: 200 })).map((h) => corpus.evalId(h));
          if (q.type === 'paraphrase') {
            const shared = hits.filter((id) => judged.has(id));
            if (shared.length) problems.push(`${q.id}: "${word}" occurs in ${shared.join(', ')}`);
          } else if (hits.some((id) => top.has(id))) shares = true;
        }
        if (q.type === 'exact' && !shares) problems.push(`${q.id}: no content word occurs in a document graded 2`);
      }
      expect(problems).toEqual([]);
    });
  }

  it('scores keyword, vector and hybrid search', async () => {
    result = await evaluate(corpus, model);
    results.push(result);
    console.log(report(result));
    expect(networkAttempts).toEqual([]);
  });

  it('meets the criteria with the recommended fusion settings', () => {
    const get = (label: string) => result.api.find((r) => r.label === label)!.scores.ndcg;
    const keyword = get('keyword');
    const vector = get('vector');
    const hybrid = get('hybrid RECOMMENDED');
    const checks = [
      { name: `hybrid nDCG@10 ${num(hybrid.all!)} >= max(keyword ${num(keyword.all!)}, vector ${num(vector.all!)})`, ok: hybrid.all! >= Math.max(keyword.all!, vector.all!) },
      model === 'mnemo-glove-100d'
        ? { name: `paraphrase nDCG@10: vector ${num(vector.para!)} > keyword ${num(keyword.para!)}`, ok: vector.para! > keyword.para! }
        : { name: `synonym nDCG@10: vector ${num(vector.syn!)} > keyword ${num(keyword.syn!)}`, ok: vector.syn! > keyword.syn! },
    ];
    console.log(`criteria (${model}, ${JSON.stringify(RECOMMENDED)}):\n${checks.map((c) => `  ${c.ok ? 'PASS' : 'FAIL'} ${c.name}`).join('\n')}`);
    expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([]);
  });
});
