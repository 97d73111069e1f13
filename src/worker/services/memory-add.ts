/**
 * Adding a memory with near-duplicate detection: the same normalized text, or
 * a vector above the dedup threshold with the same facts, updates the
 * existing memory instead of adding a copy.
 */
import type { MemoryAddResult, MemoryInput } from '../../shared/api';
import { fail } from '../../shared/errors';
import type { Scope } from '../../shared/models';
import type { OwnerTable, VectorSearch } from '../embed/service';
import { findSimilarMemory } from '../search/dedup';
import { scopedWriter, type WriteDeps } from '../write';

export interface MemoryAddDeps extends WriteDeps {
  embeddings: VectorSearch & {
    /** Keeps the vector computed for dedup, so the queue need not compute it again. */
    storeVector(table: OwnerTable, id: string, scope: Scope, modelId: string, vector: Float32Array): void;
  };
}

/** A near-duplicate reinforces the memory it matches: its importance rises a little. */
function bumped(existing: number, incoming: number | undefined): number {
  return Math.min(1, Math.max(existing, incoming ?? 0) + 0.05);
}

export class MemoryAdder {
  constructor(private readonly deps: MemoryAddDeps) {}

  async add(scope: Scope, value: MemoryInput): Promise<MemoryAddResult> {
    const { db, now, embeddings } = this.deps;
    if (value.kind === 'long' && (value.expiresAt != null || value.ttlMs !== undefined)) {
      fail('INVALID_INPUT', "memories.add: field 'expiresAt' applies to short-term memories only");
    }
    if (value.sourceMessageId) db.repos.messages.get(scope, value.sourceMessageId);
    // Semantic near-duplicates need the vector first; computing it happens outside the write transaction.
    const similar = db.repos.memories.findSameContent(scope, value.kind, value.content, now())
      ? undefined
      : await findSimilarMemory(this.deps, scope, value);
    return scopedWriter(this.deps, scope)(
      'memories',
      (at): MemoryAddResult => {
        const r = db.repos;
        const duplicate = r.memories.findSameContent(scope, value.kind, value.content, at);
        if (duplicate) return { memory: r.memories.merge(scope, duplicate, value, at), action: 'updated', reason: 'exact' };
        if (similar?.match) {
          const memory = r.memories.merge(scope, similar.match.id, { ...value, importance: bumped(similar.match.importance, value.importance) }, at);
          return { memory, action: 'updated', reason: 'similar', similarity: similar.match.similarity };
        }
        const memory = r.memories.insert(scope, value, at);
        if (similar) embeddings.storeVector('memories', memory.id, scope, similar.modelId, similar.vector);
        return { memory, action: 'added' };
      },
      { createsSpace: true },
    );
  }
}
