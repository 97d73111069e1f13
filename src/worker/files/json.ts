/**
 * One space as versioned JSON (format documented in docs/export-format.md).
 * Rows are read through the repositories, so every object has exactly the
 * shape the API returns.
 */
import type { SpaceJsonExport } from '../../shared/api';
import type { Page, PageRequest, Scope } from '../../shared/models';
import type { OpenFile } from '../connection';

const PAGE_SIZE = 2_000;

function everyPage<T>(fetch: (request: Required<PageRequest>) => Page<T>): T[] {
  const items: T[] = [];
  for (let page = 1; ; page++) {
    const result = fetch({ page, pageSize: PAGE_SIZE });
    items.push(...result.items);
    if (!result.hasNext) return items;
  }
}

/** Oldest first, ties by id (UUIDv7 ids sort in creation order), so two exports of the same data are identical. */
function byCreation<T extends { createdAt: number; id: string }>(rows: T[]): T[] {
  return rows.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function exportSpaceJson(deps: { connection: Pick<OpenFile, 'repos' | 'schemaVersion'>; now: () => number }, scope: Scope): SpaceJsonExport {
  const r = deps.connection.repos;
  const now = deps.now();
  const space = r.spaces.get(scope);
  const sessions = byCreation(everyPage((p) => r.sessions.list(scope, p)));
  const conversations = byCreation(everyPage((p) => r.conversations.list(scope, p)));
  const contents = byCreation(sessions.flatMap((s) => everyPage((p) => r.documents.list(scope, s.id, p)))).map((content) => ({
    ...content,
    // Read directly: `documents.get` would record an access, and an export must not change the data.
    fullText: r.documents.fullText(content.id),
  }));
  return {
    format: 'mnemo.space',
    version: 1,
    exportedAt: now,
    schemaVersion: deps.connection.schemaVersion,
    space,
    agents: byCreation(everyPage((p) => r.agents.list(scope, p))),
    sessions,
    conversations,
    // Conversation by conversation, each in the order the API pages it.
    messages: conversations.flatMap((c) => everyPage((p) => r.messages.page(scope, c.id, p))),
    memories: byCreation(everyPage((p) => r.memories.list(scope, { ...p, includeExpired: true }, now))),
    vectorEntries: byCreation(everyPage((p) => r.vectors.list(scope, p))),
    documents: { contents, chunks: contents.flatMap((c) => r.documents.chunks(scope, c.id)) },
    settings: r.settings.list(scope),
    executions: byCreation(everyPage((p) => r.executions.list(scope, p))),
  };
}
