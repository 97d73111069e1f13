/**
 * Loads the evaluation corpus into an in-memory Mnemo through the public API:
 * messages with insertMany into their conversations, memories with
 * memories.add, vector entries with vectors.add, and chunk documents by
 * uploading one Markdown file per `file` and mapping each chunk back to the
 * section it holds (every section is one chunk; the loader checks it).
 */
import { fileURLToPath } from 'node:url';
import type { ScopedApi, SearchHit } from '../src/shared/api';
import { createMnemo, openCore, type Core } from '../src/worker/core';
import type { MnemoService } from '../src/worker/service';
import { nodeCatalog } from '../src/node/catalog';
import type { EvalDoc } from './corpus';

export const MODELS_DIR = fileURLToPath(new URL('../public/models/', import.meta.url));
const SCOPE = { userId: 'eval', spaceId: 'corpus' };
const DAY = 86_400_000;
const LOAD_MODEL = 'test-hash-64';

export interface LoadedCorpus {
  core: Core;
  mnemo: MnemoService;
  space: ScopedApi;
  /** Maps a hit to its corpus id. */
  evalId(hit: SearchHit): string;
  embedded: number;
  loadMs: number;
  embedMs: number;
  close(): Promise<void>;
}

type Of<K extends EvalDoc['kind']> = Extract<EvalDoc, { kind: K }>;

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}

/** One Markdown file: a `## heading` line, a blank line and one paragraph per section. */
export function markdownOf(sections: Array<Of<'chunk'>>): { text: string; startLines: number[] } {
  const startLines = sections.map((_, i) => 4 * i + 1);
  return { text: sections.map((s) => `## ${s.heading}\n\n${s.text}\n`).join('\n'), startLines };
}

export async function loadCorpus(docs: EvalDoc[], modelId: string): Promise<LoadedCorpus> {
  const started = performance.now();
  // Rows are written under the hashing test model and then re-embedded with `modelId` (setModel
  // re-queues everything). With a static model as the current model, memories.add's near-duplicate
  // check merges memories whose only in-vocabulary words are the same (with mnemo-test-32d,
  // "Promoted to senior engineer starting January." merges into another memory), and every memory
  // here is a separate judged document.
  const core = await openCore({ storage: 'memory', name: 'eval', catalog: nodeCatalog(MODELS_DIR, LOAD_MODEL) });
  const mnemo = createMnemo(core);
  const space = mnemo.space(SCOPE);
  const ids = new Map<string, string>();
  const put = (kind: SearchHit['kind'], rowId: string, evalId: string) => ids.set(`${kind}:${rowId}`, evalId);

  // Only byte-identical vectors may merge (exact duplicates are merged regardless).
  await space.settings.set('memories.dedupThreshold', 1);
  const session = await space.sessions.create({ name: 'Evaluation corpus' });

  const messages = docs.filter((d): d is Of<'message'> => d.kind === 'message');
  for (const [conversation, rows] of groupBy(messages, (m) => m.conversation)) {
    const chat = await space.conversations.create({ sessionId: session.id, title: conversation });
    const { ids: rowIds } = await space.messages.insertMany(rows.map((m) => ({ conversationId: chat.id, role: m.role, content: m.text })));
    rows.forEach((m, i) => put('message', rowIds[i]!, m.id));
  }

  for (const m of docs.filter((d): d is Of<'memory'> => d.kind === 'memory')) {
    const result = await space.memories.add({ kind: m.memoryKind, content: m.text, ...(m.memoryKind === 'short' ? { ttlMs: 30 * DAY } : {}) });
    if (result.action !== 'added') throw new Error(`memory ${m.id} was merged into another (${result.action}); the corpus needs distinct memories`);
    put('memory', result.memory.id, m.id);
  }

  for (const v of docs.filter((d): d is Of<'vector'> => d.kind === 'vector')) {
    const entry = await space.vectors.add({ collection: v.collection, content: v.text });
    put('vector', entry.id, v.id);
  }

  const chunks = docs.filter((d): d is Of<'chunk'> => d.kind === 'chunk');
  for (const [file, sections] of groupBy(chunks, (c) => c.file)) {
    const { text, startLines } = markdownOf(sections);
    const content = await space.documents.upload(session.id, { name: file, type: 'text/markdown', bytes: new TextEncoder().encode(text) });
    const stored = await space.documents.chunks(content.id);
    if (stored.length !== sections.length) throw new Error(`${file}: ${sections.length} sections became ${stored.length} chunks`);
    stored.forEach((chunk) => {
      const at = startLines.indexOf(chunk.startLine);
      if (at < 0) throw new Error(`${file}: chunk at line ${chunk.startLine} starts no section`);
      put('chunk', chunk.id, sections[at]!.id);
    });
  }
  const loaded = performance.now();

  await mnemo.embeddings.setModel(modelId);
  const status = await mnemo.embeddings.flush(120_000);
  if (status.modelId !== modelId || status.pending !== 0 || status.error) {
    throw new Error(`embedding did not finish: model ${status.modelId}, pending ${status.pending}, error ${status.error}`);
  }
  if (ids.size !== docs.length) throw new Error(`loaded ${ids.size} of ${docs.length} documents`);

  return {
    core,
    mnemo,
    space,
    evalId(hit) {
      const id = ids.get(`${hit.kind}:${hit.id}`);
      if (!id) throw new Error(`search returned a row the corpus does not know: ${hit.kind}:${hit.id}`);
      return id;
    },
    embedded: status.embedded,
    loadMs: loaded - started,
    embedMs: performance.now() - loaded,
    close: () => mnemo.close(),
  };
}
