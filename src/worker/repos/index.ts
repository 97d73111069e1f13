/**
 * Every repository over one connection. Services receive a `Db`, a live
 * view that always answers with the current connection's repositories, so
 * reopening the file (initDatabase, a replacing import) reaches them all.
 */
import type { Sql } from '../engine/sql';
import { AdminRepo } from './admin';
import { AgentsRepo } from './agents';
import { CallerModelsRepo } from './caller-models';
import { ConversationsRepo } from './conversations';
import { DocumentsRepo } from './documents';
import { EmbedQueueRepo } from './embed-queue';
import { EmbeddingsRepo } from './embeddings';
import { ExecutionsRepo } from './executions';
import { MemoriesRepo } from './memories';
import { MessagesRepo } from './messages';
import { SearchRepo } from './search';
import { SessionsRepo } from './sessions';
import { SettingsRepo } from './settings';
import { SpacesRepo } from './spaces';
import { SyncRepo } from './sync';
import { VectorsRepo } from './vectors';

export function createRepos(sql: Sql) {
  return {
    spaces: new SpacesRepo(sql),
    agents: new AgentsRepo(sql),
    sessions: new SessionsRepo(sql),
    conversations: new ConversationsRepo(sql),
    messages: new MessagesRepo(sql),
    memories: new MemoriesRepo(sql),
    vectors: new VectorsRepo(sql),
    documents: new DocumentsRepo(sql),
    settings: new SettingsRepo(sql),
    executions: new ExecutionsRepo(sql),
    embeddings: new EmbeddingsRepo(sql),
    callerModels: new CallerModelsRepo(sql),
    embedQueue: new EmbedQueueRepo(sql),
    admin: new AdminRepo(sql),
    search: new SearchRepo(sql),
    sync: new SyncRepo(sql),
  };
}

export type Repos = ReturnType<typeof createRepos>;

/** The open database as services see it: its connection (for transactions) and repositories. */
export interface Db {
  readonly sql: Sql;
  readonly repos: Repos;
}
