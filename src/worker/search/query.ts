/**
 * Turns any user string into a valid FTS5 MATCH expression. Users get a small,
 * forgiving syntax — words (any may match), "quoted phrases" (required), prefix*,
 * -excluded words, and OR between terms — and every token reaches FTS5 as a
 * double-quoted string, so operators, stray quotes, parentheses, NEAR, column
 * filters or `^` in the input are just text and can never be a syntax error.
 */

const MAX_TERMS = 32;
const MAX_TERM_CHARS = 64;

interface Term {
  text: string;
  phrase: boolean;
  prefix: boolean;
  negate: boolean;
}

/** Letters, digits and marks of any script; everything else separates words. */
const WORD = /[\p{L}\p{N}\p{M}_]+/gu;

function quote(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

function words(text: string): string[] {
  return (text.normalize('NFKC').match(WORD) ?? []).map((w) => w.slice(0, MAX_TERM_CHARS));
}

/** Parsed form of the query: groups of alternatives, all groups required. */
function parse(input: string): Term[][] {
  const groups: Term[][] = [];
  let pendingOr = false;
  const pattern = /(-?)"([^"]*)"?|(\S+)/g;
  for (const match of input.slice(0, 2000).matchAll(pattern)) {
    const [, neg, phraseText, bare] = match;
    if (bare !== undefined && bare === 'OR') {
      pendingOr = groups.length > 0;
      continue;
    }
    const terms: Term[] = [];
    if (phraseText !== undefined) {
      const w = words(phraseText);
      if (w.length) terms.push({ text: w.join(' '), phrase: true, prefix: false, negate: neg === '-' });
    } else if (bare !== undefined) {
      const negate = bare.startsWith('-') && bare.length > 1;
      const prefix = bare.endsWith('*');
      const w = words(bare);
      if (w.length === 1) terms.push({ text: w[0]!, phrase: false, prefix, negate });
      // An excluded "e-mail" excludes the phrase; otherwise "mum's" or "covid-19" are separate words
      // (a required phrase "mum s" would drop every row that says "mum").
      else if (w.length > 1 && negate) terms.push({ text: w.join(' '), phrase: true, prefix: false, negate });
      else w.forEach((text, i) => terms.push({ text, phrase: false, prefix: prefix && i === w.length - 1, negate: false }));
    }
    for (const term of terms) {
      const last = groups.at(-1);
      if (pendingOr && last && !term.negate && !last.some((t) => t.negate)) last.push(term);
      else groups.push([term]);
      pendingOr = false;
    }
    if (groups.length >= MAX_TERMS) break;
  }
  return groups;
}

function render(term: Term): string {
  return term.prefix ? `${quote(term.text)}*` : quote(term.text);
}

export interface ParsedQuery {
  /** The FTS5 MATCH expression, or null when there is nothing to search for. */
  match: string | null;
  /**
   * Positive terms that count toward ranking (stopwords dropped when anything
   * else is there), each with its own MATCH expression.
   */
  terms: Array<{ words: string[]; prefix: boolean; match: string }>;
}

/**
 * A user query as FTS5 sees it, with OR semantics: any counted word may match
 * and BM25 ranks rows matching more (and rarer) words first. "Quoted phrases"
 * are required, `-word` excludes, `a OR b` groups alternatives, `word*` is a
 * prefix. Stopwords do not count unless the query has nothing else.
 */
export function parseQuery(input: string): ParsedQuery {
  const groups = parse(input);
  const positive = groups.filter((g) => !g[0]!.negate);
  const isStop = (g: Term[]) => g.length === 1 && !g[0]!.prefix && !g[0]!.phrase && STOPWORDS.has(g[0]!.text.toLowerCase());
  const required = positive.filter((g) => g.some((t) => t.phrase));
  const plain = positive.filter((g) => !g.some((t) => t.phrase));
  const optional = plain.some((g) => !isStop(g)) ? plain.filter((g) => !isStop(g)) : required.length ? [] : plain;
  const counted = [...required, ...optional];
  const terms = counted.flatMap((g) => g.map((t) => ({ words: t.text.toLowerCase().split(' '), prefix: t.prefix, match: render(t) })));
  if (counted.length === 0) return { match: null, terms };
  const unit = (g: Term[]) => (g.length === 1 ? render(g[0]!) : `(${g.map(render).join(' OR ')})`);
  const parts = required.map(unit);
  // A row with every phrase but none of the other words must still match: the OR repeats the first phrase.
  if (optional.length) parts.push(`(${[...optional.map(unit), ...(required.length ? [unit(required[0]!)] : [])].join(' OR ')})`);
  let expression = parts.join(' AND ');
  for (const g of groups.filter((g) => g[0]!.negate)) expression = `(${expression}) NOT ${render(g[0]!)}`;
  return { match: expression, terms };
}

/** The FTS5 expression for a user query (see {@link parseQuery}). */
export function toFtsQuery(input: string): string | null {
  return parseQuery(input).match;
}

/** Plain words of a query, for weighting and highlighting outside FTS. */
export function queryWords(input: string): string[] {
  return words(input).map((w) => w.toLowerCase());
}

/** Function words that say nothing about a document; they do not count toward a match. */
const STOPWORDS = new Set(
  `a an the and or but if then so because of to in on at by for with from about as into over after before under between through
  during without again also just only very really i you he she it we they me him her us them my your his its our their mine yours
  this that these those here there what which who whom whose when where why how is am are was were be been being have has had do does
  did will would can could shall should may might must not no yes up down out off near all any some each every other such own than too s t`.split(/\s+/),
);
export function isStopword(word: string): boolean {
  return STOPWORDS.has(word.toLowerCase());
}
