/**
 * Search over one scope: keyword (FTS5 BM25), vector (cosine over the current
 * model's vectors) and hybrid (reciprocal-rank or weighted-score fusion).
 * Every hit carries its score parts so callers can see why it ranked.
 */
import type { HitKind, SearchFilters, SearchHit, SearchRequest } from '../../shared/api';
import { fail, MnemoFailure } from '../../shared/errors';
import type { Scope } from '../../shared/models';
import { vectorKey, type OwnerTable, type VectorSearch } from '../embed/service';
import type { Db } from '../repos';
import { hitsByIds, keywordSearch, KIND_TABLE, kindsFor, type CandidateHit } from './keyword';
import { queryWords, toFtsQuorumQuery } from './query';

export const DEFAULT_LIMIT = 10;
export const DEFAULT_RRF_K = 60;
export const DEFAULT_WEIGHTS = { text: 0.5, vector: 0.5 };
const SNIPPET_CHARS = 180;

/** What search needs: the database, the vectors and the clock. */
export interface SearchDeps {
  db: Db;
  embeddings: VectorSearch;
  now: () => number;
}

interface Ranked extends CandidateHit {
  cosine?: number;
  rankKeyword?: number;
  rankVector?: number;
}

/** Reciprocal-rank fusion: Σ w / (k + rank), ranks starting at 1. */
export function rrf(rankKeyword: number | undefined, rankVector: number | undefined, weights: { text: number; vector: number }, k: number): number {
  return (rankKeyword ? weights.text / (k + rankKeyword) : 0) + (rankVector ? weights.vector / (k + rankVector) : 0);
}

/**
 * Weighted score fusion: bm25 as a fraction of the best keyword hit's (best =
 * 1; min-max scaling would score the last hit like a non-hit), cosine clamped
 * to [0, 1].
 */
export function weighted(bm25: number | undefined, cosine: number | undefined, range: { min: number; max: number }, weights: { text: number; vector: number }): number {
  // FTS5 bm25 is negative (lower is better): scaling by the best hit keeps every keyword hit above a non-hit.
  const text = bm25 === undefined ? 0 : range.min < 0 ? bm25 / range.min : 1;
  const vector = cosine === undefined ? 0 : Math.max(0, Math.min(1, cosine));
  return weights.text * text + weights.vector * vector;
}

export function normalizeWeights(weights: SearchRequest['weights']): { text: number; vector: number } {
  const text = weights?.text ?? DEFAULT_WEIGHTS.text;
  const vector = weights?.vector ?? DEFAULT_WEIGHTS.vector;
  const sum = text + vector;
  if (!(sum > 0)) fail('INVALID_INPUT', "search: field 'weights' must not both be zero");
  return { text: text / sum, vector: vector / sum };
}

/** A short excerpt around the first query word, with the query words marked. */
export function excerpt(text: string, words: string[]): { snippet: string; highlights: Array<[number, number]> } {
  const lower = text.toLowerCase();
  let first = -1;
  for (const w of words) {
    const at = lower.indexOf(w);
    if (at >= 0 && (first < 0 || at < first)) first = at;
  }
  const start = first < 0 ? 0 : Math.max(0, first - 60);
  const end = Math.min(text.length, start + SNIPPET_CHARS);
  const snippet = `${start > 0 ? '…' : ''}${text.slice(start, end)}${end < text.length ? '…' : ''}`;
  const highlights: Array<[number, number]> = [];
  const snippetLower = snippet.toLowerCase();
  for (const w of words) {
    if (w.length < 2) continue;
    for (let at = snippetLower.indexOf(w); at >= 0; at = snippetLower.indexOf(w, at + w.length)) highlights.push([at, at + w.length]);
  }
  highlights.sort((a, b) => a[0] - b[0]);
  return { snippet, highlights: highlights.filter((h, i) => i === 0 || h[0] >= highlights[i - 1]![1]) };
}

const TABLE_KIND: Record<OwnerTable, HitKind> = { messages: 'message', memories: 'memory', vector_entries: 'vector', chunks: 'chunk' };

async function vectorCandidates(deps: SearchDeps, scope: Scope, query: string, filters: SearchFilters, count: number, minSimilarity: number, now: number): Promise<Ranked[]> {
  const kinds = new Set(kindsFor(filters).map((q) => q.kind));
  if (kinds.size === 0) return [];
  const { modelId, vector } = await deps.embeddings.embedQuery(query);
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
  const rows = new Map<string, CandidateHit>();
  for (const [kind, ids] of byKind) {
    for (const row of hitsByIds(deps.db.sql, scope, kind, ids, filters, now)) rows.set(vectorKey(KIND_TABLE[kind], row.id), row);
  }
  const words = queryWords(query);
  const out: Ranked[] = [];
  for (const hit of nearest) {
    const row = rows.get(hit.id);
    if (!row) continue;
    out.push({ ...row, ...excerpt(row.text, words), cosine: hit.score, rankVector: out.length + 1 });
    if (out.length >= count) break;
  }
  return out;
}

export async function search(deps: SearchDeps, scope: Scope, request: SearchRequest): Promise<SearchHit[]> {
  const mode = request.mode ?? 'hybrid';
  const limit = request.limit ?? DEFAULT_LIMIT;
  const filters = request.filters ?? {};
  const now = deps.now();
  const weights = normalizeWeights(request.weights);
  // Without an explicit threshold, a vector hit must at least point the same way as the query.
  const minSimilarity = request.minSimilarity ?? Number.MIN_VALUE;
  const candidates = mode === 'hybrid' ? Math.max(limit * 5, 50) : limit;

  const keyword: Ranked[] = [];
  if (mode !== 'vector') {
    const match = toFtsQuorumQuery(request.query);
    if (match) keywordSearch(deps.db.sql, scope, match, filters, candidates, now).forEach((hit, i) => keyword.push({ ...hit, rankKeyword: i + 1 }));
  }
  let vector: Ranked[] = [];
  if (mode !== 'keyword' && request.query.trim()) {
    try {
      vector = await vectorCandidates(deps, scope, request.query, filters, candidates, minSimilarity, now);
    } catch (error) {
      // Hybrid degrades to keyword when no model is available; vector mode cannot.
      if (mode === 'vector') throw error instanceof MnemoFailure ? error : new MnemoFailure('QUERY_FAILED', 'search: the embedding model is not available');
    }
  }

  const merged = new Map<string, Ranked>();
  for (const hit of keyword) merged.set(`${hit.kind}:${hit.id}`, hit);
  for (const hit of vector) {
    const key = `${hit.kind}:${hit.id}`;
    const existing = merged.get(key);
    merged.set(key, existing ? { ...existing, cosine: hit.cosine, rankVector: hit.rankVector } : hit);
  }
  const bm25s = keyword.map((h) => h.bm25!);
  const range = { min: Math.min(...bm25s), max: Math.max(...bm25s) };
  const fusion = request.fusion ?? 'rrf';
  const rrfK = request.rrfK ?? DEFAULT_RRF_K;
  const hits: SearchHit[] = [...merged.values()].map((h) => {
    const fused =
      mode === 'keyword' ? -h.bm25! : mode === 'vector' ? h.cosine! : fusion === 'rrf' ? rrf(h.rankKeyword, h.rankVector, weights, rrfK) : weighted(h.bm25, h.cosine, range, weights);
    const score: SearchHit['score'] = { fused };
    if (h.bm25 !== undefined) score.bm25 = h.bm25;
    if (h.cosine !== undefined) score.cosine = h.cosine;
    if (h.rankKeyword !== undefined) score.rankKeyword = h.rankKeyword;
    if (h.rankVector !== undefined) score.rankVector = h.rankVector;
    return { kind: h.kind, id: h.id, text: h.text, snippet: h.snippet, highlights: h.highlights, score, ref: h.ref, createdAt: h.createdAt };
  });
  hits.sort((a, b) => b.score.fused - a.score.fused);
  const top = hits.slice(0, limit);

  const recalled = top.filter((h) => h.kind === 'memory').map((h) => h.id);
  // Recall counts as access. No change event: views refreshing on it would search again, forever.
  if (recalled.length) deps.db.sql.tx(() => deps.db.repos.memories.touch(scope, recalled, now));
  return top;
}
