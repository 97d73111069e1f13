/**
 * The Mnemo API: the one contract between the database worker and every
 * caller. The worker's implementation is checked against it with
 * `satisfies MnemoApi`; the client is typed from it.
 */
import type {
  Agent,
  AgentExecution,
  Conversation,
  ConversationStatus,
  DocumentChunk,
  DocumentContent,
  DocumentWithText,
  ExecutionStatus,
  Json,
  JsonObject,
  Memory,
  MemoryKind,
  Message,
  MessageRole,
  Page,
  PageRequest,
  Scope,
  Session,
  Space,
  VectorEntry,
} from './models';

export type { Scope } from './models';

export interface OpenOptions {
  /** Database file name in OPFS (default 'mnemo'). */
  name?: string;
  /** 'opfs' persists in the origin private file system; 'memory' is private and lost on close. */
  storage?: 'opfs' | 'memory';
  /** Upper bounds for input sizes checked at the API edge. */
  limits?: Partial<Limits>;
}

export interface Limits {
  /** Longest accepted message/memory/document text, in characters. */
  maxContentChars: number;
  /** Longest accepted short field (names, titles, ids), in characters. */
  maxNameChars: number;
  /** Largest accepted JSON field, in characters once serialized. */
  maxJsonChars: number;
  /** Most rows accepted by one insertMany call. */
  maxBatchRows: number;
  /** Largest uploaded document, in bytes. */
  maxUploadBytes: number;
}

export interface DatabaseInfo {
  name: string;
  storage: 'opfs' | 'memory';
  vfs: string;
  path: string;
  journalMode: string;
  /** Set when OPFS was asked for but unavailable and data lives only in memory. */
  warning: string | null;
  schemaVersion: number;
  sqliteVersion: string;
}

// ---- inputs ---------------------------------------------------------------

export interface SpaceInput extends Scope {
  name?: string;
}

export interface AgentInput {
  id?: string;
  name: string;
  description?: string | null;
  model?: string | null;
  systemPrompt?: string | null;
  isActive?: boolean;
  createdAt?: number;
}
export type AgentPatch = Partial<Omit<AgentInput, 'id' | 'createdAt'>>;

export interface SessionInput {
  id?: string;
  name: string;
  role?: string | null;
  goals?: string | null;
  agentId?: string | null;
  metadata?: JsonObject;
  createdAt?: number;
}
export type SessionPatch = Partial<Omit<SessionInput, 'id' | 'createdAt'>>;

export interface ConversationInput {
  id?: string;
  sessionId: string;
  title?: string | null;
  status?: ConversationStatus;
  channelId?: string | null;
  model?: string | null;
  metadata?: JsonObject;
  createdAt?: number;
}
export type ConversationPatch = Partial<Omit<ConversationInput, 'id' | 'createdAt' | 'sessionId'>>;

export interface ConversationListRequest extends PageRequest {
  sessionId?: string;
  status?: ConversationStatus;
}

export interface MessageInput {
  id?: string;
  conversationId: string;
  role: MessageRole;
  content: string;
  toolCalls?: Json | null;
  toolCallId?: string | null;
  toolResults?: Json | null;
  thinking?: string | null;
  thinkingSignature?: string | null;
  assistantId?: string | null;
  attachments?: Json | null;
  model?: string | null;
  tokensUsed?: number | null;
  isStreaming?: boolean;
  source?: string | null;
  error?: string | null;
  metadata?: JsonObject;
  createdAt?: number;
  updatedAt?: number;
}

export interface MemoryInput {
  id?: string;
  kind: MemoryKind;
  content: string;
  importance?: number;
  /** Absolute expiry (short-term memories). */
  expiresAt?: number | null;
  /** Relative expiry in milliseconds from now; alternative to expiresAt. */
  ttlMs?: number;
  metadata?: JsonObject;
  sourceMessageId?: string | null;
  createdAt?: number;
}
export type MemoryPatch = Partial<Pick<MemoryInput, 'content' | 'importance' | 'expiresAt' | 'metadata'>>;

export interface MemoryAddResult {
  memory: Memory;
  action: 'added' | 'updated';
}

export interface MemoryListRequest extends PageRequest {
  kind?: MemoryKind;
  includeExpired?: boolean;
  orderBy?: 'newest' | 'oldest' | 'importance' | 'accessed';
}

export interface VectorEntryInput {
  id?: string;
  collection: string;
  content: string;
  documentId?: string | null;
  metadata?: JsonObject;
  createdAt?: number;
}

export interface VectorListRequest extends PageRequest {
  collection?: string;
}

export interface UploadFile {
  name: string;
  type?: string;
  bytes: Uint8Array;
}

export interface UploadOptions {
  maxChunkChars?: number;
  metadata?: JsonObject;
}

export interface Progress {
  /** What is being worked on: 'upload', 'embedding', 'import', 'export', 'backup', 'index'. */
  task: string;
  done: number;
  total: number;
  detail?: string;
}

export type ProgressCallback = (progress: Progress) => void;

/** Events the worker pushes to subscribers: progress of long work and data changes (for refreshing views). */
export type MnemoEvent =
  | ({ type: 'progress' } & Progress)
  | { type: 'change'; table: string; scope: Scope | null };

export type Listener = (event: MnemoEvent) => void;

export interface ExecutionListRequest extends PageRequest {
  agentId?: string;
  sessionId?: string;
  status?: ExecutionStatus;
}

// ---- operations -----------------------------------------------------------

export interface TableCounts {
  spaces: number;
  agents: number;
  sessions: number;
  conversations: number;
  messages: number;
  memories: number;
  longTermMemories: number;
  shortTermMemories: number;
  vectorEntries: number;
  contents: number;
  chunks: number;
  settings: number;
  agentExecutions: number;
}

export interface Stats {
  totals: TableCounts;
  perSpace: Array<Scope & { name: string; counts: TableCounts }>;
  uniqueUsers: number;
  uniqueSpaces: number;
  messagesToday: number;
  /** Users with a message in the last `activeWindowDays` days. */
  activeUsers: number;
  activeWindowDays: number;
  fileSizeBytes: number;
  storage: { usage: number | null; quota: number | null; persisted: boolean | null };
}

export interface HealthReport {
  ok: boolean;
  quickCheck: string[];
  foreignKeyViolations: number;
  schemaVersion: number;
  latestVersion: number;
  vfs: string;
  journalMode: string;
}

export interface SchemaReport {
  ok: boolean;
  missingTables: string[];
  missingColumns: string[];
  missingIndexes: string[];
  missingTriggers: string[];
}

export interface CleanupResult {
  conversations: number;
  messages: number;
}

export interface ClearAllOptions {
  confirm: true;
}

// ---- the API ----------------------------------------------------------------

export interface CrudApi<T, I, P, L = PageRequest> {
  create(input: I): Promise<T>;
  get(id: string): Promise<T>;
  list(request?: L): Promise<Page<T>>;
  update(id: string, patch: P): Promise<T>;
  delete(id: string): Promise<boolean>;
}

export interface MessagesApi {
  add(message: MessageInput): Promise<Message>;
  /** Atomic: every row is inserted or none is. */
  insertMany(messages: MessageInput[]): Promise<{ inserted: number; ids: string[] }>;
  /** Insert, or update content/streaming state of the row with the same id. */
  upsert(message: MessageInput & { id: string }): Promise<Message>;
  get(id: string): Promise<Message>;
  page(conversationId: string, request?: PageRequest): Promise<Page<Message>>;
  delete(id: string): Promise<boolean>;
  deleteByConversation(conversationId: string): Promise<number>;
  deleteBySession(sessionId: string): Promise<number>;
}

export interface MemoriesApi {
  add(input: MemoryInput): Promise<MemoryAddResult>;
  get(id: string): Promise<Memory>;
  list(request?: MemoryListRequest): Promise<Page<Memory>>;
  update(id: string, patch: MemoryPatch): Promise<Memory>;
  delete(id: string): Promise<boolean>;
  /** Marks memories as recalled: bumps access_count and last_accessed_at. */
  touch(ids: string[]): Promise<number>;
  cleanupExpired(): Promise<number>;
  clearLongTerm(): Promise<number>;
  clearShortTerm(): Promise<number>;
}

export interface VectorsApi {
  add(input: VectorEntryInput): Promise<VectorEntry>;
  get(id: string): Promise<VectorEntry>;
  getByDocumentId(collection: string, documentId: string): Promise<VectorEntry>;
  list(request?: VectorListRequest): Promise<Page<VectorEntry>>;
  collections(): Promise<Array<{ collection: string; count: number }>>;
  delete(id: string): Promise<boolean>;
  clearVectors(collection?: string): Promise<number>;
}

export interface DocumentsApi {
  upload(sessionId: string, file: UploadFile, options?: UploadOptions): Promise<DocumentContent>;
  list(sessionId: string, request?: PageRequest): Promise<Page<DocumentContent>>;
  get(id: string): Promise<DocumentWithText>;
  chunks(contentId: string): Promise<DocumentChunk[]>;
  delete(id: string): Promise<boolean>;
}

export interface SettingsApi {
  get(key: string): Promise<Json | null>;
  set(key: string, value: Json): Promise<void>;
  delete(key: string): Promise<boolean>;
  list(): Promise<Record<string, Json>>;
}

export interface ExecutionsApi {
  /** Records a new execution as running (or queued with `{ queued: true }`). */
  start(agentId: string, sessionId?: string | null, options?: { queued?: boolean; metadata?: JsonObject }): Promise<AgentExecution>;
  /** Moves a queued execution to running. */
  run(id: string): Promise<AgentExecution>;
  finish(id: string, status: 'succeeded' | 'failed' | 'cancelled', error?: string | null): Promise<AgentExecution>;
  get(id: string): Promise<AgentExecution>;
  list(request?: ExecutionListRequest): Promise<Page<AgentExecution>>;
}

/** Every call is bound to the scope the handle was created with. */
export interface ScopedApi {
  readonly scope: Scope;
  agents: CrudApi<Agent, AgentInput, AgentPatch>;
  sessions: CrudApi<Session, SessionInput, SessionPatch>;
  conversations: CrudApi<Conversation, ConversationInput, ConversationPatch, ConversationListRequest>;
  messages: MessagesApi;
  memories: MemoriesApi;
  vectors: VectorsApi;
  documents: DocumentsApi;
  settings: SettingsApi;
  executions: ExecutionsApi;
}

export interface SpacesApi {
  list(request?: PageRequest & { userId?: string }): Promise<Page<Space>>;
  get(scope: Scope): Promise<Space>;
  create(input: SpaceInput): Promise<Space>;
  rename(scope: Scope, name: string): Promise<Space>;
  /** Deletes the space and everything in it. */
  delete(scope: Scope): Promise<boolean>;
}

export interface MnemoApi {
  spaces: SpacesApi;
  space(scope: Scope): ScopedApi | Promise<ScopedApi>;
  /** Settings of the global scope (not tied to a space). */
  settings: SettingsApi;
  info(): Promise<DatabaseInfo>;
  initDatabase(name?: string): Promise<DatabaseInfo>;
  getDatabasePath(): Promise<{ path: string; vfs: string; storage: 'opfs' | 'memory' }>;
  stats(): Promise<Stats>;
  healthCheck(): Promise<HealthReport>;
  verifySchema(): Promise<SchemaReport>;
  cleanupOldConversations(days: number): Promise<CleanupResult>;
  clearAll(options: ClearAllOptions): Promise<void>;
  close(): Promise<void>;
}
