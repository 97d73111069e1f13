/**
 * Semantic near-duplicate detection for memories: a new memory whose vector
 * is within the dedup threshold (cosine) of an existing memory of the same
 * kind in the same scope updates that memory instead of adding a copy.
 */
import type { MemoryInput } from '../../shared/api';
import type { Scope } from '../../shared/models';
import { GLOBAL_SCOPE } from '../../shared/scope';
import type { VectorSearch } from '../embed/service';
import type { Db } from '../repos';
import { isStopword, queryWords } from './query';

export const DEFAULT_DEDUP_THRESHOLD = 0.92;
const THRESHOLD_SETTING = 'memories.dedupThreshold';

/** The existing memory a new one nearly duplicates. */
export interface SimilarMemory {
  id: string;
  similarity: number;
  importance: number;
}

/** What dedup needs: settings and memories, and the vectors. */
export interface DedupDeps {
  db: Db;
  embeddings: VectorSearch;
}

const NUMBERISH = /[\p{L}\p{N}]*\p{N}[\p{L}\p{N}]*/gu;

/**
 * Guards a vector match: a static model gives texts that differ only in words
 * it does not know (flight numbers, codes) the same vector, so "Locker code
 * 4411" would overwrite "Locker code 9083". Tokens with digits must agree,
 * and the texts must share at least one content word.
 */
export function sameFacts(a: string, b: string): boolean {
  const numbers = (t: string) => new Set((t.toLowerCase().match(NUMBERISH) ?? []).sort());
  const na = numbers(a);
  const nb = numbers(b);
  if (na.size !== nb.size || [...na].some((x) => !nb.has(x))) return false;
  const words = new Set(queryWords(a).filter((w) => !isStopword(w)));
  return queryWords(b).some((w) => !isStopword(w) && words.has(w));
}

/** The threshold set for the space, else globally, else the default. */
export function dedupThreshold(deps: DedupDeps, scope: Scope): number {
  for (const where of [scope, GLOBAL_SCOPE]) {
    const value = deps.db.repos.settings.get(where, THRESHOLD_SETTING);
    if (typeof value === 'number' && value > 0 && value <= 1) return value;
  }
  return DEFAULT_DEDUP_THRESHOLD;
}

/**
 * The closest memory of the same kind and facts whose vector (of `modelId`,
 * Mnemo's model or a caller's cosine model) is at or above `threshold`.
 */
export function findSimilarMemory(
  deps: DedupDeps,
  scope: Scope,
  input: Pick<MemoryInput, 'kind' | 'content'>,
  modelId: string,
  vector: Float32Array,
  threshold: number,
): SimilarMemory | undefined {
  const hits = deps.embeddings.nearest(modelId, vector, scope, 8, (key) => key.startsWith('memories:'));
  for (const hit of hits) {
    if (hit.score < threshold) break;
    const id = hit.id.slice('memories:'.length);
    const row = deps.db.repos.memories.findForDedup(scope, id);
    if (row && row.kind === input.kind && sameFacts(row.content, input.content)) return { id, similarity: hit.score, importance: row.importance };
  }
  return undefined;
}
