// Extracted memories applied through the dedup path, each with its own undo.
//
// Contract:
// * `applyExtracted(port, inputs)` adds each memory with `memories.add` (the
//   database's near-duplicate detection decides added or merged; a merge
//   reports the memory as it was in `previous`):
//   - `added`: a new row; undo deletes it.
//   - `updated`: merged into a similar memory; undo restores that memory's
//     content, importance, expiry and metadata as they were.
//   - `ignored`: the same fact was already stored, or the match was stated by
//     the user (`metadata.source: 'user'`, which extraction never rewrites):
//     the merge is reverted at once and nothing changes.
// * `undoApplied(port, item)` reverses one item; it resolves to false when
//   there is nothing to undo. Errors of the database reject, and the caller
//   shows them.
import type { MemoryAddResult } from '../../shared/api';
import type { JsonObject, Memory } from '../../shared/models';

export type AppliedAction = 'added' | 'updated' | 'ignored';

export interface AppliedMemory {
  content: string;
  kind: 'long' | 'short';
  action: AppliedAction;
  memoryId: string;
  /** The matched memory before the merge (for `updated` and `ignored`; null only from a database that does not report it). */
  previous: Memory | null;
}

export interface RememberPort {
  memories: {
    add(input: {
      kind: 'long' | 'short';
      content: string;
      importance: number;
      expiresAt: number | null;
      metadata: JsonObject;
      sourceMessageId?: string;
    }): Promise<MemoryAddResult>;
    update(id: string, patch: { content: string; importance: number; metadata: JsonObject; expiresAt?: number | null }): Promise<Memory>;
    delete(id: string): Promise<boolean>;
  };
}

const restore = (port: RememberPort, previous: Memory) =>
  port.memories.update(previous.id, {
    content: previous.content,
    importance: previous.importance,
    metadata: previous.metadata,
    ...(previous.kind === 'short' ? { expiresAt: previous.expiresAt } : {}),
  });

export async function applyExtracted(port: RememberPort, inputs: Parameters<RememberPort['memories']['add']>[0][]): Promise<AppliedMemory[]> {
  const applied: AppliedMemory[] = [];
  for (const input of inputs) {
    const result = await port.memories.add(input);
    const base = { content: input.content, kind: input.kind, memoryId: result.memory.id };
    if (result.action === 'added') {
      applied.push({ ...base, action: 'added', previous: null });
      continue;
    }
    const previous = result.previous ?? null;
    if (previous && (result.reason === 'exact' || previous.metadata['source'] === 'user')) {
      await restore(port, previous);
      applied.push({ ...base, action: 'ignored', previous });
    } else {
      applied.push({ ...base, action: 'updated', previous });
    }
  }
  return applied;
}

export async function undoApplied(port: RememberPort, item: AppliedMemory): Promise<boolean> {
  if (item.action === 'added') return port.memories.delete(item.memoryId);
  if (item.action === 'updated' && item.previous) {
    await restore(port, item.previous);
    return true;
  }
  return false;
}
