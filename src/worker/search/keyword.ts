/**
 * Keyword search: BM25 over the one full-text index of every kind (see
 * repos/search.ts), then, for the few rows returned, the text is loaded and
 * the snippet and highlights are computed here with the same Porter stemming
 * FTS5 applies (the index is contentless, so FTS5's snippet() has no text).
 */
import { stemmer } from 'stemmer';
import type { HitKind, SearchFilters, SearchHit } from '../../shared/api';
import type { Scope } from '../../shared/models';
import type { SearchRepo } from '../repos/search';
import type { ParsedQuery } from './query';

/** A keyword match before its row is loaded: where it lives and how it ranks. */
export interface KeywordMatch {
  kind: HitKind;
  rowid: number;
  bm25: number;
  /** IDF-weighted share of the query's counted terms the row holds. */
  coverage: number;
  /** The keyword ranking score, higher is better: -bm25, scaled by coverage when coordination is on. */
  keywordScore: number;
}

/**
 * Ranking knobs, chosen on eval/corpus and checked on eval/corpus-life (see
 * docs/decisions.md, "Keyword ranking"). `titleWeight` multiplies matches in
 * a chunk's section heading; `coordination` is how much a row's share of the
 * query's terms scales its BM25 (0 = plain BM25).
 */
export const KEYWORD_TUNING = { titleWeight: 2, coordination: 0.5 };

const SNIPPET_TOKENS = 24;
const WORD = /[\p{L}\p{N}\p{M}_]+/gu;

/** FTS5's `unicode61 remove_diacritics 2` then `porter`, for one token. */
function fold(word: string): string {
  return word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

interface TermMatcher {
  /** Index of the counted term a token matches, or -1. */
  match(token: string): number;
}

/** A term's key in the index vocabulary: its Porter stem, or the folded prefix. */
export function indexTerm(word: string, prefix: boolean): string {
  return prefix ? fold(word) : stemmer(fold(word));
}

/**
 * BM25's IDF, ln(1 + (N - df + 0.5) / (df + 0.5)), of each counted term over
 * the whole index; a phrase weighs as its rarest word. `termDocs[i]`, when
 * given, is df of term i as the candidate statement counted it (used for
 * single words: the vocabulary lookup would read the same doclist again).
 */
export function idfWeights(repo: SearchRepo, terms: ParsedQuery['terms'], termDocs: number[] = []): number[] {
  const counted = (t: ParsedQuery['terms'][number], i: number) => t.words.length === 1 && !t.prefix && termDocs[i] !== undefined;
  const flat = terms.flatMap((t, i) => (counted(t, i) ? [] : t.words.map((w) => ({ i, term: indexTerm(w, t.prefix), prefix: t.prefix }))));
  const { rows, docs } = repo.termStats(flat);
  const idf = (df: number) => Math.log(1 + (rows - df + 0.5) / (df + 0.5));
  const weights = terms.map((t, i) => (counted(t, i) ? idf(termDocs[i]!) : 0));
  flat.forEach(({ i }, j) => {
    weights[i] = Math.max(weights[i]!, idf(docs[j]!));
  });
  return weights;
}

export function termMatcher(terms: ParsedQuery['terms']): TermMatcher {
  const stems = new Map<string, number>();
  const prefixes: Array<[string, number]> = [];
  // Porter stemming rewrites only a word's ending, so a token can match a term only if its folded
  // first letter is one of the terms': for the other ASCII tokens fold and stem are skipped.
  const firsts = new Set<number>();
  terms.forEach((term, i) => {
    for (const word of term.words) {
      const folded = fold(word);
      firsts.add(folded.charCodeAt(0));
      if (term.prefix) prefixes.push([folded, i]);
      else if (!stems.has(stemmer(folded))) stems.set(stemmer(folded), i);
    }
  });
  // Words repeat within and across the texts of one result list; stemming is the cost of a snippet.
  const seen = new Map<string, number>();
  return {
    match(token) {
      const code = token.charCodeAt(0);
      if (code < 128 && !firsts.has(code >= 65 && code <= 90 ? code + 32 : code)) return -1;
      let term = seen.get(token);
      if (term === undefined) {
        const folded = fold(token);
        term = stems.get(stemmer(folded)) ?? prefixes.find(([prefix]) => folded.startsWith(prefix))?.[1] ?? -1;
        seen.set(token, term);
      }
      return term;
    },
  };
}

interface Token {
  start: number;
  end: number;
  term: number;
}

function tokens(text: string, matcher: TermMatcher): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(WORD)) out.push({ start: m.index, end: m.index + m[0].length, term: matcher.match(m[0]) });
  return out;
}

/**
 * The window of at most 24 words with the most distinct query terms (then
 * the most matches), with every matching word marked.
 */
export function snippetOf(text: string, matcher: TermMatcher): { snippet: string; highlights: Array<[number, number]> } {
  const all = tokens(text, matcher);
  let best = 0;
  if (all.length > SNIPPET_TOKENS) {
    // Slides the window one token at a time, keeping per-term counts: the first window with the best
    // score (distinct terms × 1000 + matches) wins.
    const counts = new Map<number, number>();
    let matches = 0;
    const enter = (t: Token, step: 1 | -1) => {
      if (t.term < 0) return;
      matches += step;
      const n = (counts.get(t.term) ?? 0) + step;
      if (n === 0) counts.delete(t.term);
      else counts.set(t.term, n);
    };
    for (let i = 0; i < SNIPPET_TOKENS; i++) enter(all[i]!, 1);
    let bestScore = counts.size * 1000 + matches;
    for (let i = 1; i + SNIPPET_TOKENS <= all.length; i++) {
      enter(all[i - 1]!, -1);
      enter(all[i + SNIPPET_TOKENS - 1]!, 1);
      const score = counts.size * 1000 + matches;
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    // Start a couple of words before the first match so it reads in context.
    const firstMatch = all.slice(best, best + SNIPPET_TOKENS).findIndex((t) => t.term >= 0);
    if (firstMatch > 2) best = Math.min(best + firstMatch - 2, all.length - SNIPPET_TOKENS);
  }
  const window = all.slice(best, best + SNIPPET_TOKENS);
  if (window.length === 0) return { snippet: text.slice(0, 180), highlights: [] };
  const from = best === 0 ? 0 : window[0]!.start;
  const to = best + SNIPPET_TOKENS >= all.length ? text.length : window.at(-1)!.end;
  const lead = from > 0 ? '…' : '';
  const snippet = `${lead}${text.slice(from, to)}${to < text.length ? '…' : ''}`;
  const highlights = window.filter((t) => t.term >= 0).map((t): [number, number] => [t.start - from + lead.length, t.end - from + lead.length]);
  return { snippet, highlights };
}

/** The parts of a hit that come from its stored row and the query: text, snippet, highlights, where it lives. */
export type LoadedHit = Omit<SearchHit, 'score'>;

/**
 * Loads the rows of `keys` (kind and base rowid), checked against scope and
 * filters again, with each one's snippet for the query. Only the hits a
 * search returns are loaded: texts are the largest part of a row.
 */
export function loadHits(
  repo: SearchRepo,
  scope: Scope,
  keys: Array<{ kind: HitKind; rowid: number }>,
  matcher: TermMatcher,
  filters: SearchFilters,
  now: number,
): Map<string, LoadedHit> {
  const hits = new Map<string, LoadedHit>();
  for (const kind of new Set(keys.map((k) => k.kind))) {
    const rowids = keys.filter((k) => k.kind === kind).map((k) => k.rowid);
    for (const row of repo.load(scope, kind, rowids, filters, now)) {
      const { rowid, title: _title, ...hit } = row;
      hits.set(`${kind}:${rowid}`, { ...hit, ...snippetOf(row.text, matcher) });
    }
  }
  return hits;
}

/**
 * The best `limit` rows of the scope for a parsed query. With coordination
 * on, rows are re-ranked by BM25 scaled by their share of the query's terms.
 */
export function keywordSearch(repo: SearchRepo, scope: Scope, query: ParsedQuery, filters: SearchFilters, limit: number, now: number): KeywordMatch[] {
  if (!query.match) return [];
  const { titleWeight, coordination } = KEYWORD_TUNING;
  // One counted term: every match holds it, so coordination cannot reorder anything.
  const rerank = coordination > 0 && query.terms.length > 1;
  // Which terms each candidate holds comes from the index itself, so no row is loaded here.
  const terms = rerank ? query.terms.map((t) => t.match) : [];
  const { candidates, termDocs } = repo.keywordCandidates(scope, { match: query.match, titleWeight, terms }, filters, rerank ? Math.max(limit * 3, 50) : limit, now);
  const weights = rerank ? idfWeights(repo, query.terms, termDocs) : [1];
  const total = weights.reduce((a, b) => a + b, 0);
  const scored = candidates.map((c) => {
    const held = rerank ? c.has.reduce((sum, has, t) => (has ? sum + weights[t]! : sum), 0) : total;
    const coverage = total > 0 ? held / total : 0;
    const rank = c.bm25 * (1 - coordination + coordination * coverage);
    return { kind: c.kind, rowid: c.rowid, bm25: c.bm25, coverage, keywordScore: -rank };
  });
  scored.sort((a, b) => b.keywordScore - a.keywordScore);
  return scored.slice(0, limit);
}
