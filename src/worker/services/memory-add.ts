/**
 * Adding memories with near-duplicate detection: the same normalized text, or
 * a vector above the dedup threshold with the same facts, updates the
 * existing memory instead of adding a copy (unless the row says `dedup: false`). The vector compared is the
 * caller's when the row brings one of a cosine model, else the current
 * model's, computed before the write transaction. Rows are decided one after
 * another inside one transaction, so a row can also match one added earlier
 * in the same batch.
 */
import type { MemoryAddResult, MemoryInput } from '../../shared/api';
import { fail } from '../../shared/errors';
import type { Memory, Scope } from '../../shared/models';
import { callerVector, type CallerVector, type ModelLookup } from '../embed/caller-vectors';
import type { VectorSearch, VectorStore } from '../embed/service';
import { dedupThreshold, findSimilarMemory, type SimilarMemory } from '../search/dedup';
import { scopedWriter, type WriteDeps } from '../write';

export interface MemoryAddDeps extends WriteDeps {
  embeddings: VectorSearch & VectorStore & { callerModel: ModelLookup };
  /** How long an add waits for the model's vectors before it dedups by text alone (default `MODEL_WAIT_MS`). */
  modelWaitMs?: number;
}

/**
 * An add waits this long for the current model (loading it, then embedding):
 * a model that does not answer (a stuck download or embedding worker) must
 * not hold the write. Past it the add dedups by text, as without a model, and
 * the queue embeds the row once the model answers.
 */
export const MODEL_WAIT_MS = 15_000;

/** One row's outcome; 'ignored' (batches only) when an exact duplicate would change nothing. */
export interface MemoryRowResult {
  memory: Memory;
  action: 'added' | 'updated' | 'ignored';
  reason?: 'exact' | 'similar';
  similarity?: number;
  /** When updated: the memory before the merge. */
  previous?: Memory;
}

/** A row checked and ready to write. */
interface Prepared {
  value: MemoryInput;
  caller: CallerVector | undefined;
  /** The current model's vector, for dedup and to spare the queue the work. */
  own: { modelId: string; vector: Float32Array } | undefined;
}

/** A near-duplicate reinforces the memory it matches: its importance rises a little. */
function bumped(existing: number, incoming: number | undefined): number {
  return Math.min(1, Math.max(existing, incoming ?? 0) + 0.05);
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export class MemoryAdder {
  constructor(private readonly deps: MemoryAddDeps) {}

  async add(scope: Scope, value: MemoryInput): Promise<MemoryAddResult> {
    const [row] = await this.addMany(scope, [value], { context: 'memories.add', batch: false });
    // A single add reports an exact duplicate as updated even when nothing changed (its time is refreshed).
    const { action, ...rest } = row!;
    return { ...rest, action: action === 'added' ? 'added' : 'updated' };
  }

  /**
   * Adds `values` in one transaction, each through dedup; any failing row
   * rejects them all. In a batch an exact duplicate that would change
   * nothing is left alone ('ignored').
   */
  async addMany(scope: Scope, values: MemoryInput[], options: { context: string; batch: boolean }): Promise<MemoryRowResult[]> {
    const { db, embeddings } = this.deps;
    const { context, batch } = options;
    const at = (i: number) => (batch ? `${i}.` : '');
    const prepared = values.map((value, i): Prepared => {
      if (value.kind === 'long' && (value.expiresAt != null || value.ttlMs !== undefined)) {
        fail('INVALID_INPUT', `${context}: field '${at(i)}expiresAt' applies to short-term memories only`);
      }
      if (value.sourceMessageId) db.repos.messages.get(scope, value.sourceMessageId);
      if (value.conversationId) db.repos.memories.assertConversation(scope, value.conversationId);
      return { value, caller: callerVector((id) => embeddings.callerModel(id), value, context, at(i)), own: undefined };
    });
    await this.embedOwn(scope, prepared);
    const threshold = dedupThreshold(this.deps, scope);
    return embeddings.vectorWrite(() =>
      scopedWriter(this.deps, scope)('memories', (now) => prepared.map((row) => this.write(scope, row, threshold, batch, now)), { createsSpace: true }),
    );
  }

  /**
   * Computes the current model's vectors of rows whose dedup needs them (no
   * caller vector of a cosine model, no exact duplicate) in one call; without
   * a usable model, dedup is by text only.
   */
  private async embedOwn(scope: Scope, rows: Prepared[]): Promise<void> {
    const { db, embeddings, now } = this.deps;
    // An exact duplicate already stored needs no vector: text decides (rows duplicating each other are embedded).
    const wanted = rows.filter(
      (row) => row.value.dedup !== false && !this.cosineCaller(row) && !db.repos.memories.findSameContent(scope, row.value.kind, row.value.content, now()),
    );
    if (wanted.length === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), this.deps.modelWaitMs ?? MODEL_WAIT_MS)));
    try {
      const embedded = await Promise.race([embeddings.embedTexts(wanted.map((row) => row.value.content)), late]);
      embedded?.vectors.forEach((vector, i) => (wanted[i]!.own = { modelId: embedded.modelId, vector }));
    } catch {
      // Dedup by text alone, as without a model; the queue embeds the rows later.
    } finally {
      clearTimeout(timer);
    }
  }

  /** The row's caller vector when its model ranks by cosine (dedup thresholds are cosines). */
  private cosineCaller(row: Prepared): CallerVector | undefined {
    return row.caller && this.deps.embeddings.callerModel(row.caller.modelId)?.distance === 'cosine' ? row.caller : undefined;
  }

  /** Decides and writes one row inside the transaction. */
  private write(scope: Scope, row: Prepared, threshold: number, batch: boolean, now: number): MemoryRowResult {
    const { db, embeddings } = this.deps;
    const memories = db.repos.memories;
    const { value, caller, own } = row;
    const keepVectors = (id: string, ownToo: boolean) => {
      if (caller) embeddings.storeVector('memories', id, scope, caller.modelId, caller.vector);
      if (own && ownToo) embeddings.storeVector('memories', id, scope, own.modelId, own.vector);
    };

    if (value.dedup === false) {
      const memory = memories.insert(scope, value, now);
      keepVectors(memory.id, true);
      return { memory, action: 'added' };
    }
    const duplicate = memories.findSameContent(scope, value.kind, value.content, now);
    if (duplicate) {
      const existing = memories.get(scope, duplicate, { includeExpired: true, now });
      if (batch && this.unchanged(existing, row)) return { memory: existing, action: 'ignored', reason: 'exact' };
      const memory = memories.merge(scope, duplicate, value, now);
      keepVectors(memory.id, false);
      return { memory, action: 'updated', reason: 'exact', previous: existing };
    }
    const probe = this.cosineCaller(row) ?? own;
    const similar: SimilarMemory | undefined = probe && findSimilarMemory(this.deps, scope, value, probe.modelId, probe.vector, threshold);
    if (similar) {
      const previous = memories.get(scope, similar.id, { includeExpired: true, now });
      const memory = memories.merge(scope, similar.id, { ...value, importance: bumped(similar.importance, value.importance) }, now);
      keepVectors(memory.id, false);
      return { memory, action: 'updated', reason: 'similar', similarity: similar.similarity, previous };
    }
    const memory = memories.insert(scope, value, now);
    keepVectors(memory.id, true);
    return { memory, action: 'added' };
  }

  /** Whether merging `row` into its exact duplicate would leave the memory (and its caller vector) as it is. */
  private unchanged(existing: Memory, row: Prepared): boolean {
    const { value, caller } = row;
    if (value.content !== existing.content) return false;
    if (value.importance !== undefined && value.importance > existing.importance) return false;
    if (value.ttlMs !== undefined || (value.expiresAt != null && value.expiresAt !== existing.expiresAt)) return false;
    if (value.sourceMessageId != null && value.sourceMessageId !== existing.sourceMessageId) return false;
    if (value.conversationId != null && value.conversationId !== existing.conversationId) return false;
    if (Object.entries(value.metadata ?? {}).some(([key, v]) => !sameJson(existing.metadata[key], v))) return false;
    if (caller) {
      const stored = this.deps.db.repos.embeddings.read('memories', existing.id, caller.modelId, caller.modelId);
      if (!stored || !sameJson([...stored.vector], [...caller.vector])) return false;
    }
    return true;
  }
}
