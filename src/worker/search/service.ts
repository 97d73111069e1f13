/**
 * Search over one scope: keyword (FTS5 BM25), vector (cosine over the current
 * model's vectors) and hybrid (reciprocal-rank or weighted-score fusion).
 * Every hit carries its score parts so callers can see why it ranked.
 */
import type { HitKind, SearchFilters, SearchHit, SearchMode, SearchRequest } from '../../shared/api';
import { fail, MnemoFailure } from '../../shared/errors';
import { SEARCH_DEFAULTS } from '../../shared/search-defaults';
import type { Scope } from '../../shared/models';
import { checkDims, type CallerVector, type ModelLookup } from '../embed/caller-vectors';
import { vectorKey, type OwnerTable, type VectorSearch } from '../embed/service';
import type { Db } from '../repos';
import { KIND_TABLE, kindsFor, type SearchRepo } from '../repos/search';
import { keywordSearch, loadHits, termMatcher } from './keyword';
import { parseQuery } from './query';

export const DEFAULT_LIMIT = 10;

/** What search needs: the database, the vectors (and the registry of caller models) and the clock. */
export interface SearchDeps {
  db: Db;
  embeddings: VectorSearch & { callerModel: ModelLookup };
  now: () => number;
}
export const DEFAULT_RRF_K = SEARCH_DEFAULTS.rrfK;
export const DEFAULT_FUSION = SEARCH_DEFAULTS.fusion;
export const DEFAULT_WEIGHTS = SEARCH_DEFAULTS.weights;

/** A candidate of either side, before its row is loaded. */
interface Ranked extends FusionInput {
  kind: HitKind;
  rowid: number;
  keywordScore?: number;
}

/**
 * How far hybrid trusts a keyword hit: its share of the fusion is scaled by
 * coverage^coveragePower × best^queryPower, where coverage is the share of
 * the query's words the row holds and best the highest coverage of any
 * keyword hit for the query. A row sharing one word of a four-word
 * paraphrase is weak evidence; when no row holds most of the query's words
 * the query is likely a paraphrase and the vector side should lead (see
 * docs/decisions.md, "Hybrid fusion").
 */
export const FUSION_TUNING = { coveragePower: 1, queryPower: 2 };

/** The score parts fusion reads. */
export interface FusionInput {
  bm25?: number;
  coverage?: number;
  cosine?: number;
  rankKeyword?: number;
  rankVector?: number;
}

export interface FusionOptions {
  fusion: 'rrf' | 'weighted';
  weights: { text: number; vector: number };
  rrfK: number;
}

/** Reciprocal-rank fusion: Σ w / (k + rank), ranks starting at 1; the keyword part scaled by `trust`. */
export function rrf(rankKeyword: number | undefined, rankVector: number | undefined, weights: { text: number; vector: number }, k: number, trust = 1): number {
  return (rankKeyword ? (weights.text * trust) / (k + rankKeyword) : 0) + (rankVector ? weights.vector / (k + rankVector) : 0);
}

/**
 * Weighted score fusion: bm25 as a fraction of the best keyword hit's (best =
 * 1; min-max scaling would score the last hit like a non-hit), scaled by
 * `trust`, plus cosine clamped to [0, 1].
 */
export function weighted(bm25: number | undefined, cosine: number | undefined, best: number, weights: { text: number; vector: number }, trust = 1): number {
  // FTS5 bm25 is negative (lower is better): scaling by the best hit keeps every keyword hit above a non-hit.
  const text = bm25 === undefined ? 0 : (best < 0 ? bm25 / best : 1) * trust;
  const vector = cosine === undefined ? 0 : Math.max(0, Math.min(1, cosine));
  return weights.text * text + weights.vector * vector;
}

/** The fused score of every merged candidate of one query, in input order. */
export function fusedScores(items: FusionInput[], options: FusionOptions): number[] {
  const best = Math.min(0, ...items.map((h) => h.bm25 ?? 0));
  const bestCoverage = Math.max(0, ...items.map((h) => h.coverage ?? 0));
  const { coveragePower, queryPower } = FUSION_TUNING;
  return items.map((h) => {
    const trust = (h.coverage ?? 1) ** coveragePower * bestCoverage ** queryPower;
    return options.fusion === 'rrf'
      ? rrf(h.rankKeyword, h.rankVector, options.weights, options.rrfK, trust)
      : weighted(h.bm25, h.cosine, best, options.weights, trust);
  });
}

export function normalizeWeights(weights: SearchRequest['weights']): { text: number; vector: number } {
  const text = weights?.text ?? DEFAULT_WEIGHTS.text;
  const vector = weights?.vector ?? DEFAULT_WEIGHTS.vector;
  const sum = text + vector;
  if (!(sum > 0)) fail('INVALID_INPUT', "search: field 'weights' must not both be zero");
  return { text: text / sum, vector: vector / sum };
}

const TABLE_KIND: Record<OwnerTable, HitKind> = { messages: 'message', memories: 'memory', vector_entries: 'vector', chunks: 'chunk' };

async function vectorCandidates(
  deps: SearchDeps,
  repo: SearchRepo,
  scope: Scope,
  probe: CallerVector | string,
  filters: SearchFilters,
  count: number,
  minSimilarity: number,
  now: number,
): Promise<Ranked[]> {
  const kinds = new Set(kindsFor(filters));
  if (kinds.size === 0) return [];
  const { modelId, vector } = typeof probe === 'string' ? await deps.embeddings.embedQuery(probe) : probe;
  const accept = (key: string) => kinds.has(TABLE_KIND[key.slice(0, key.indexOf(':')) as OwnerTable]);
  // Oversample: the scope filter is applied in the index, the other filters by SQL afterwards.
  const needsSql = Object.keys(filters).some((k) => k !== 'kinds' && filters[k as keyof SearchFilters] !== undefined);
  const nearest = deps.embeddings.nearest(modelId, vector, scope, needsSql ? count * 10 : count, accept).filter((h) => h.score >= minSimilarity);
  const byKind = new Map<HitKind, string[]>();
  for (const hit of nearest) {
    const sep = hit.id.indexOf(':');
    const kind = TABLE_KIND[hit.id.slice(0, sep) as OwnerTable];
    byKind.set(kind, [...(byKind.get(kind) ?? []), hit.id.slice(sep + 1)]);
  }
  // Only the keys: the texts are loaded for the hits returned.
  const rowids = new Map<string, number>();
  for (const [kind, ids] of byKind) {
    for (const row of repo.keys(scope, kind, ids, filters, now)) rowids.set(vectorKey(KIND_TABLE[kind], row.id), row.rowid);
  }
  const out: Ranked[] = [];
  for (const hit of nearest) {
    const rowid = rowids.get(hit.id);
    if (rowid === undefined) continue;
    out.push({ kind: TABLE_KIND[hit.id.slice(0, hit.id.indexOf(':')) as OwnerTable], rowid, cosine: hit.score, rankVector: out.length + 1 });
    if (out.length >= count) break;
  }
  return out;
}

/**
 * The request's query vector (a caller's, of a registered model) and mode:
 * a vector alone means vector search; keyword and hybrid need query text.
 */
function searchInputs(deps: SearchDeps, request: SearchRequest): { mode: SearchMode; query: string; probe: CallerVector | undefined } {
  const { vector, model } = request;
  if ((vector === undefined) !== (model === undefined)) {
    fail('INVALID_INPUT', vector === undefined ? "search: field 'vector' is required with 'model'" : "search: field 'model' is required with 'vector'");
  }
  const mode = request.mode ?? (request.query === undefined && vector !== undefined ? 'vector' : 'hybrid');
  if (request.query === undefined && mode !== 'vector') fail('INVALID_INPUT', `search: field 'query' is required for ${mode} search`);
  if (vector !== undefined && mode === 'keyword') fail('INVALID_INPUT', "search: field 'vector' applies to vector and hybrid search");
  const probe =
    vector === undefined || model === undefined
      ? undefined
      : { modelId: model, vector: checkDims((id) => deps.embeddings.callerModel(id), Float32Array.from(vector), model, 'search', 'vector', 'model') };
  return { mode, query: request.query ?? '', probe };
}

export async function search(deps: SearchDeps, scope: Scope, request: SearchRequest): Promise<SearchHit[]> {
  const { mode, query, probe } = searchInputs(deps, request);
  const limit = request.limit ?? DEFAULT_LIMIT;
  const filters = request.filters ?? {};
  const now = deps.now();
  const weights = normalizeWeights(request.weights);
  // Without an explicit threshold, a vector hit must at least point the same way as the query.
  const minSimilarity = request.minSimilarity ?? Number.MIN_VALUE;
  const candidates = mode === 'hybrid' ? Math.max(limit * 5, 50) : limit;

  const repo = deps.db.repos.search;
  const parsed = parseQuery(query);
  // The vector side starts first: its query goes to the embedding worker, which embeds it while the keyword side runs here.
  const vectorSide =
    mode !== 'keyword' && (probe || query.trim())
      ? vectorCandidates(deps, repo, scope, probe ?? query, filters, candidates, minSimilarity, now).catch((error: unknown): Ranked[] => {
          // Hybrid degrades to keyword when no model is available; vector mode cannot.
          if (mode === 'vector') throw error instanceof MnemoFailure ? error : new MnemoFailure('QUERY_FAILED', 'search: the embedding model is not available');
          return [];
        })
      : undefined;
  // Observed below; this only keeps a failure from being reported as unhandled if the keyword side throws first.
  vectorSide?.catch(() => {});
  const keyword: Ranked[] = [];
  if (mode !== 'vector') {
    keywordSearch(repo, scope, parsed, filters, candidates, now).forEach((hit, i) => keyword.push({ ...hit, rankKeyword: i + 1 }));
  }
  const vector = (await vectorSide) ?? [];

  const merged = new Map<string, Ranked>();
  for (const hit of keyword) merged.set(`${hit.kind}:${hit.rowid}`, hit);
  for (const hit of vector) {
    const key = `${hit.kind}:${hit.rowid}`;
    const existing = merged.get(key);
    merged.set(key, existing ? { ...existing, cosine: hit.cosine, rankVector: hit.rankVector } : hit);
  }
  const candidatesMerged = [...merged.values()];
  const fusedAll =
    mode === 'hybrid' ? fusedScores(candidatesMerged, { fusion: request.fusion ?? DEFAULT_FUSION, weights, rrfK: request.rrfK ?? DEFAULT_RRF_K }) : [];
  const ranked = candidatesMerged.map((h, i) => ({ h, fused: mode === 'keyword' ? h.keywordScore! : mode === 'vector' ? h.cosine! : fusedAll[i]! }));
  ranked.sort((a, b) => b.fused - a.fused);
  const best = ranked.slice(0, limit);

  // Texts, snippets and references only for the hits returned.
  const loaded = loadHits(repo, scope, best.map((r) => r.h), termMatcher(parsed.terms), filters, now);
  const top = best.flatMap(({ h, fused }): SearchHit[] => {
    const row = loaded.get(`${h.kind}:${h.rowid}`);
    if (!row) return [];
    const score: SearchHit['score'] = { fused };
    if (h.bm25 !== undefined) score.bm25 = h.bm25;
    if (h.coverage !== undefined) score.coverage = h.coverage;
    if (h.cosine !== undefined) score.cosine = h.cosine;
    if (h.rankKeyword !== undefined) score.rankKeyword = h.rankKeyword;
    if (h.rankVector !== undefined) score.rankVector = h.rankVector;
    return [{
      kind: row.kind, id: row.id, text: row.text, snippet: row.snippet, highlights: row.highlights, score,
      ...(row.metadata === undefined ? {} : { metadata: row.metadata }), ref: row.ref, createdAt: row.createdAt,
    }];
  });

  const recalled = top.filter((h) => h.kind === 'memory').map((h) => h.id);
  // Recall counts as access. No change event: views refreshing on it would search again, forever.
  if (recalled.length) deps.db.sql.tx(() => deps.db.repos.memories.touch(scope, recalled, now));
  return top;
}
