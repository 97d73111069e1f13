/**
 * `mnemo/langchain`: Mnemo as a LangChain.js vector store, embeddings and
 * chat history (`@langchain/core` is a peer dependency). Everything goes
 * through the public client API, so these classes work with the handles
 * `openMnemo()` returns in a page, and with any object of the same shape.
 *
 * * `MnemoVectorStore`: LangChain documents are vector entries of one
 *   collection; a document's `id` is the entry's `documentId`, its metadata
 *   the entry's metadata, and its vector a caller vector of a registered
 *   model (docs/byo-embeddings.md). Scores are cosines, higher is better.
 * * `MnemoEmbeddings`: the in-browser model (`mnemo.embeddings.embed`).
 * * `MnemoChatMessageHistory`: the messages of one conversation.
 */
import type { Callbacks } from '@langchain/core/callbacks/manager';
import { BaseListChatMessageHistory } from '@langchain/core/chat_history';
import { Document, type DocumentInterface } from '@langchain/core/documents';
import { Embeddings, type EmbeddingsInterface, type EmbeddingsParams } from '@langchain/core/embeddings';
import { AIMessage, type BaseMessage, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import { maximalMarginalRelevance } from '@langchain/core/utils/math';
import { VectorStore, type MaxMarginalRelevanceSearchOptions } from '@langchain/core/vectorstores';
import type { EmbeddingDistance, Json, JsonObject, Message, MessageInput, MessageRole, MnemoClient, ScopedClient, SearchFilters, SearchHit } from '../client';

/** What the vector store uses of a scoped handle (`mnemo.space({ userId, spaceId })`). */
export type MnemoSpace = Pick<ScopedClient, 'vectors' | 'search'>;
/** What the embeddings and model registration use of the client. */
export type MnemoEmbeddingsClient = { embeddings: Pick<MnemoClient['embeddings'], 'embed'> };
export type MnemoRegistryClient = { embeddings: Pick<MnemoClient['embeddings'], 'register'> };

/** Search is capped at 200 hits per call. */
const MAX_K = 200;
/** Entries per insertMany call when adding documents. */
const ADD_BATCH = 5_000;

// ---- embeddings --------------------------------------------------------------------------------

export interface MnemoEmbeddingsParams extends EmbeddingsParams {
  /** The client (`await openMnemo()`); only `embeddings.embed` is used. */
  mnemo: { embeddings: MnemoEmbeddingsClient['embeddings'] & Partial<MnemoRegistryClient['embeddings']> };
}

/**
 * LangChain embeddings computed by Mnemo's in-browser model (the current
 * model, `mnemo-glove-100d` unless changed): unit vectors, nothing leaves
 * the device.
 */
export class MnemoEmbeddings extends Embeddings {
  readonly mnemo: MnemoEmbeddingsParams['mnemo'];

  constructor(params: MnemoEmbeddingsParams) {
    super(params);
    this.mnemo = params.mnemo;
  }

  async embedDocuments(documents: string[]): Promise<number[][]> {
    if (documents.length === 0) return [];
    const vectors = await this.caller.call(() => this.mnemo.embeddings.embed(documents));
    return vectors.map((vector) => Array.from(vector));
  }

  async embedQuery(document: string): Promise<number[]> {
    const [vector] = await this.embedDocuments([document]);
    return vector!;
  }
}

// ---- vector store ------------------------------------------------------------------------------

/**
 * A filter: metadata values to match (`{ topic: 'db' }`; an array lists
 * accepted values, `{ topic: ['db', 'web'] }`), applied in the database, or a
 * function over each candidate document, applied to up to 200 nearest hits.
 */
export type MnemoFilter = Record<string, string | number | boolean | null | Array<string | number | boolean | null>> | ((document: DocumentInterface) => boolean);

export interface MnemoVectorStoreConfig {
  /** Where the entries live: a scoped handle, `mnemo.space({ userId, spaceId })`. */
  space: MnemoSpace;
  /** The vector-entry collection holding this store's documents (default 'langchain'). */
  collection?: string;
  /**
   * The registered model the vectors are stored under. Default:
   * `langchain-<dims>d`, registered on first use (cosine).
   */
  model?: string;
  /** Used when the store registers its model; default 'cosine'. */
  distance?: EmbeddingDistance;
  /**
   * The client, for registering the model. Not needed when the model is
   * registered already, or when the embeddings are `MnemoEmbeddings` (whose
   * client is used).
   */
  mnemo?: MnemoRegistryClient;
}

/** `addDocuments`/`addVectors` options: ids for the documents (else each document's `id`, else a new UUID). */
export interface MnemoAddOptions {
  ids?: string[];
}

/** `delete({ ids })` removes those documents; `delete({ deleteAll: true })` empties the collection. */
export interface MnemoDeleteParams {
  ids?: string[];
  deleteAll?: boolean;
}

export class MnemoVectorStore extends VectorStore {
  declare FilterType: MnemoFilter;

  readonly space: MnemoSpace;
  readonly collection: string;
  private readonly distance: EmbeddingDistance;
  private readonly registry: MnemoRegistryClient | undefined;
  private readonly fixedModel: string | undefined;
  private model: Promise<string> | undefined;

  _vectorstoreType(): string {
    return 'mnemo';
  }

  constructor(embeddings: EmbeddingsInterface, config: MnemoVectorStoreConfig) {
    super(embeddings, { collection: config.collection, model: config.model });
    this.space = config.space;
    this.collection = config.collection ?? 'langchain';
    this.distance = config.distance ?? 'cosine';
    this.fixedModel = config.model;
    const own = embeddings instanceof MnemoEmbeddings ? embeddings.mnemo : undefined;
    this.registry = config.mnemo ?? (own?.embeddings.register ? (own as MnemoRegistryClient) : undefined);
  }

  /** The model id vectors of `dims` dimensions are stored under, registered once per store when a client is at hand. */
  private modelFor(dims: number): Promise<string> {
    this.model ??= (async () => {
      const id = this.fixedModel ?? `langchain-${dims}d`;
      if (this.registry) await this.registry.embeddings.register({ id, dims, distance: this.distance });
      else if (this.fixedModel === undefined) {
        throw new Error('MnemoVectorStore: pass `mnemo` (the client) or a registered `model` to store vectors');
      }
      return id;
    })();
    this.model.catch(() => (this.model = undefined));
    return this.model;
  }

  override async addDocuments(documents: DocumentInterface[], options?: MnemoAddOptions): Promise<string[]> {
    const vectors = await this.embeddings.embedDocuments(documents.map((d) => d.pageContent));
    return this.addVectors(vectors, documents, options);
  }

  /** Stores documents with their vectors; a document id already in the collection is replaced. */
  async addVectors(vectors: number[][], documents: DocumentInterface[], options?: MnemoAddOptions): Promise<string[]> {
    if (vectors.length !== documents.length) throw new Error('MnemoVectorStore.addVectors: one vector per document');
    if (options?.ids && options.ids.length !== documents.length) throw new Error('MnemoVectorStore.addVectors: one id per document');
    if (documents.length === 0) return [];
    const model = await this.modelFor(vectors[0]!.length);
    const ids = documents.map((doc, i) => options?.ids?.[i] ?? doc.id ?? crypto.randomUUID());
    for (let from = 0; from < documents.length; from += ADD_BATCH) {
      await this.space.vectors.insertMany(
        documents.slice(from, from + ADD_BATCH).map((doc, j) => ({
          collection: this.collection,
          documentId: ids[from + j]!,
          content: doc.pageContent,
          metadata: doc.metadata as JsonObject,
          embedding: vectors[from + j]!,
          embeddingModel: model,
        })),
      );
    }
    return ids;
  }

  override async delete(params?: MnemoDeleteParams): Promise<void> {
    if (params?.deleteAll) await this.space.vectors.clearVectors(this.collection);
    else if (params?.ids?.length) await this.space.vectors.deleteByDocumentIds(this.collection, params.ids);
  }

  /** The `k` nearest documents to a query vector with their cosine (higher is more similar). */
  async similaritySearchVectorWithScore(query: number[], k: number, filter?: MnemoFilter): Promise<[DocumentInterface, number][]> {
    const hits = await this.nearest(query, k, filter);
    return hits.map((hit) => [toDocument(hit), hit.score.cosine ?? hit.score.fused]);
  }

  /**
   * Maximal marginal relevance: `fetchK` (default 20) nearest documents,
   * of which `k` are picked for relevance and diversity (`lambda` 1 = only
   * relevance, 0 = only diversity; default 0.5).
   */
  override async maxMarginalRelevanceSearch(query: string, options: MaxMarginalRelevanceSearchOptions<MnemoFilter>, _callbacks?: Callbacks): Promise<DocumentInterface[]> {
    const queryVector = await this.embeddings.embedQuery(query);
    const model = await this.modelFor(queryVector.length);
    const hits = await this.nearest(queryVector, options.fetchK ?? 20, options.filter);
    const stored = await Promise.all(hits.map((hit) => this.space.vectors.get(hit.id, { withEmbedding: true, model })));
    const picked = maximalMarginalRelevance(queryVector, stored.map((entry) => Array.from(entry.embedding ?? [])), options.lambda ?? 0.5, options.k);
    return picked.map((i) => toDocument(hits[i]!));
  }

  private async nearest(query: number[], k: number, filter: MnemoFilter | undefined): Promise<SearchHit[]> {
    const limit = Math.max(0, Math.min(Math.floor(k), MAX_K));
    if (limit === 0) return [];
    const model = await this.modelFor(query.length);
    const byFunction = typeof filter === 'function';
    const filters: SearchFilters = { kinds: ['vector'], collection: this.collection, ...(filter && !byFunction ? { metadata: filter } : {}) };
    const hits = await this.space.search({ vector: query, model, mode: 'vector', limit: byFunction ? MAX_K : limit, minSimilarity: -1, filters });
    return (byFunction ? hits.filter((hit) => filter(toDocument(hit))) : hits).slice(0, limit);
  }

  static override async fromTexts(texts: string[], metadatas: object[] | object, embeddings: EmbeddingsInterface, config: MnemoVectorStoreConfig): Promise<MnemoVectorStore> {
    const documents = texts.map(
      (pageContent, i) => new Document({ pageContent, metadata: Array.isArray(metadatas) ? ((metadatas[i] ?? {}) as Record<string, unknown>) : (metadatas as Record<string, unknown>) }),
    );
    return MnemoVectorStore.fromDocuments(documents, embeddings, config);
  }

  static override async fromDocuments(documents: DocumentInterface[], embeddings: EmbeddingsInterface, config: MnemoVectorStoreConfig & MnemoAddOptions): Promise<MnemoVectorStore> {
    const store = new MnemoVectorStore(embeddings, config);
    await store.addDocuments(documents, config.ids ? { ids: config.ids } : undefined);
    return store;
  }
}

function toDocument(hit: SearchHit): DocumentInterface {
  return new Document({ pageContent: hit.text, metadata: { ...(hit.metadata ?? {}) }, id: hit.ref.documentId ?? hit.id });
}

// ---- chat history --------------------------------------------------------------------------------

/** What the history uses of a scoped handle. */
export type MnemoMessagesSpace = Pick<ScopedClient, 'messages'>;

export interface MnemoChatMessageHistoryInput {
  space: MnemoMessagesSpace;
  /** The conversation whose messages this history is (`s.conversations.create(…)`). */
  conversationId: string;
}

/** LangChain message types as Mnemo roles; the original type is kept in metadata for those that differ. */
const ROLE_OF: Record<string, MessageRole> = { human: 'user', ai: 'assistant', system: 'system', developer: 'system', tool: 'tool', function: 'tool' };

/**
 * The messages of one Mnemo conversation as a LangChain chat history, oldest
 * first. Text content is stored as the message's content; LangChain content
 * blocks, tool calls and the tool call id travel with it and come back on read.
 */
export class MnemoChatMessageHistory extends BaseListChatMessageHistory {
  lc_namespace = ['langchain', 'stores', 'message', 'mnemo'];

  readonly space: MnemoMessagesSpace;
  readonly conversationId: string;

  constructor(input: MnemoChatMessageHistoryInput) {
    super(input);
    this.space = input.space;
    this.conversationId = input.conversationId;
  }

  async getMessages(): Promise<BaseMessage[]> {
    const messages: BaseMessage[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.space.messages.list({ conversationId: this.conversationId, order: 'asc', limit: 1000, ...(cursor ? { cursor } : {}) });
      messages.push(...page.items.map(fromMnemo));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return messages;
  }

  async addMessage(message: BaseMessage): Promise<void> {
    await this.space.messages.add(toMnemo(message, this.conversationId));
  }

  /** All in one transaction. */
  override async addMessages(messages: BaseMessage[]): Promise<void> {
    if (messages.length) await this.space.messages.insertMany(messages.map((m) => toMnemo(m, this.conversationId)));
  }

  override async clear(): Promise<void> {
    await this.space.messages.deleteByConversation(this.conversationId);
  }
}

/** LangChain's extras on a stored message (`metadata.langchain`). */
interface Extras {
  type?: string;
  content?: Json;
  name?: string;
}

function toMnemo(message: BaseMessage, conversationId: string): MessageInput {
  const type = message.getType();
  const role = ROLE_OF[type] ?? chatRole(message);
  const extras: Extras = {};
  if (ROLE_OF[type] === undefined || type === 'developer' || type === 'function') extras.type = type;
  if (typeof message.content !== 'string') extras.content = message.content as Json;
  if (message.name) extras.name = message.name;
  const toolCalls = AIMessage.isInstance(message) && message.tool_calls?.length ? (message.tool_calls as unknown as Json) : undefined;
  const toolCallId = ToolMessage.isInstance(message) ? message.tool_call_id : undefined;
  return {
    conversationId,
    role,
    content: message.text,
    ...(toolCalls === undefined ? {} : { toolCalls }),
    ...(toolCallId === undefined ? {} : { toolCallId }),
    metadata: Object.keys(extras).length ? { langchain: extras as JsonObject } : {},
  };
}

/** A generic ChatMessage's role, when it is one Mnemo knows; anything else is stored as a user message. */
function chatRole(message: BaseMessage): MessageRole {
  const role = (message as { role?: unknown }).role;
  return role === 'assistant' || role === 'system' || role === 'tool' ? role : 'user';
}

function fromMnemo(message: Message): BaseMessage {
  const extras = (message.metadata['langchain'] ?? {}) as Extras;
  const content = (extras.content ?? message.content) as string;
  const fields = { content, id: message.id, ...(extras.name ? { name: extras.name } : {}) };
  switch (message.role) {
    case 'assistant':
      return new AIMessage({ ...fields, ...(Array.isArray(message.toolCalls) ? { tool_calls: message.toolCalls as never } : {}) });
    case 'system':
      return new SystemMessage(fields);
    case 'tool':
      return new ToolMessage({ ...fields, tool_call_id: message.toolCallId ?? '' });
    default:
      return new HumanMessage(fields);
  }
}
