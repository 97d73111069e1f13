/**
 * The retrieval evaluation set: documents (`corpus/docs.jsonl`) and queries
 * with graded judgements (`corpus/queries.jsonl`), read and checked here.
 *
 * docs.jsonl, one object a line:
 *   { id, kind: 'message', conversation, role, text }
 *   { id, kind: 'memory', memoryKind: 'long' | 'short', text }
 *   { id, kind: 'vector', collection, text }
 *   { id, kind: 'chunk', file, heading, text }   one Markdown section of `file`
 * queries.jsonl: { id, type: 'exact' | 'paraphrase' | 'mixed', tags?: ['synonym' | 'question'], query, rel: { docId: 1 | 2 } }
 *   2 = answers the query, 1 = on the topic / partly useful; unlisted = not relevant.
 *   'paraphrase' queries share no content word (after Porter stemming) with any judged document; 'mixed'
 *   ones share some words with their answers and rely on meaning for the rest;
 *   'synonym' ones are written from the 32-word synonym groups of the mnemo-test-32d model.
 */
import { readFileSync } from 'node:fs';

export type EvalDoc =
  | { id: string; kind: 'message'; conversation: string; role: 'user' | 'assistant'; text: string }
  | { id: string; kind: 'memory'; memoryKind: 'long' | 'short'; text: string }
  | { id: string; kind: 'vector'; collection: string; text: string }
  | { id: string; kind: 'chunk'; file: string; heading: string; text: string };

export interface EvalQuery {
  id: string;
  type: 'exact' | 'paraphrase' | 'mixed';
  tags?: Array<'synonym' | 'question'>;
  query: string;
  rel: Record<string, 1 | 2>;
}

/** Words that do not count as shared content between a paraphrase query and its answers. */
export const STOPWORDS = new Set(
  `a an the and or but if then so because of to in on at by for with from about as into over after before under between through
  during without again also just only very really i you he she it we they me him her us them my your his its our their mine yours
  this that these those here there what which who whom whose when where why how is am are was were be been being have has had do does
  did will would can could shall should may might must not no yes up down out off near all any some each every other such own than too s t`.split(/\s+/),
);

function readJsonl<T>(url: URL): T[] {
  return readFileSync(url, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as T;
      } catch {
        throw new Error(`${url.pathname}:${i + 1}: not JSON`);
      }
    });
}

/** The evaluation sets: `corpus` is the one ranking defaults are tuned on, `corpus-life` the check. */
export const SETS = ['corpus', 'corpus-life'] as const;
export type SetName = (typeof SETS)[number];

export function loadCorpus(set: SetName = 'corpus'): { docs: EvalDoc[]; queries: EvalQuery[] } {
  const docs = readJsonl<EvalDoc>(new URL(`./${set}/docs.jsonl`, import.meta.url));
  const queries = readJsonl<EvalQuery>(new URL(`./${set}/queries.jsonl`, import.meta.url));
  const ids = new Set<string>();
  for (const d of docs) {
    if (ids.has(d.id)) throw new Error(`duplicate document id ${d.id}`);
    ids.add(d.id);
  }
  const qids = new Set<string>();
  for (const q of queries) {
    if (qids.has(q.id)) throw new Error(`duplicate query id ${q.id}`);
    qids.add(q.id);
    if (q.type !== 'exact' && q.type !== 'paraphrase' && q.type !== 'mixed') throw new Error(`query ${q.id}: bad type`);
    const grades = Object.entries(q.rel);
    if (!grades.some(([, g]) => g === 2)) throw new Error(`query ${q.id}: needs a document graded 2`);
    for (const [id, g] of grades) {
      if (!ids.has(id)) throw new Error(`query ${q.id}: unknown document ${id}`);
      if (g !== 1 && g !== 2) throw new Error(`query ${q.id}: grade of ${id} must be 1 or 2`);
    }
  }
  return { docs, queries };
}

/** The content words of a query, lower-cased. */
export function contentWords(query: string): string[] {
  return (query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOPWORDS.has(w));
}
