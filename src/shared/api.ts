/**
 * The Mnemo API: the one contract between the database worker and every
 * caller. The worker's implementation is checked against it with
 * `satisfies MnemoApi`; the client is typed from it.
 */
import type {
  Agent,
  AgentExecution,
  Conversation,
  DocumentChunk,
  DocumentContent,
  DocumentWithText,
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

import type * as v from 'valibot';
import type { Schemas } from './schemas';

export type { Scope } from './models';
export type { Limits } from './input/base';
import type { Limits } from './input/base';

/** The input type of an API argument: what its schema (`shared/input/`) accepts. */
type In<K extends keyof Schemas> = NonNullable<v.InferInput<Schemas[K]>>;

export interface OpenOptions {
  /** Database file name in OPFS (default 'mnemo'). */
  name?: string;
  /** 'opfs' persists in the origin private file system; 'memory' is private and lost on close. */
  storage?: 'opfs' | 'memory';
  /** Upper bounds for input sizes checked at the API edge. */
  limits?: Partial<Limits>;
  /**
   * Where the bundled embedding model's folder (`mnemo-glove-100d/config.json`,
   * `tokenizer.json`, `tokenizer_config.json`, `onnx/model.onnx`) is served
   * from, e.g. 'https://cdn.example.com/mnemo/models/' or '/static/models/';
   * relative URLs resolve against the page. Default: the copy the package's
   * bundler placed (or the app's `<base>models/`).
   */
  modelBaseUrl?: string;
  /** Where ort-wasm-simd-threaded.mjs and .wasm are served from (same rules as modelBaseUrl). */
  wasmBaseUrl?: string;
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
  /** Set when the file is encrypted at rest; `locked` until `encryption.unlock(passphrase)`. */
  encryption?: { encrypted: boolean; locked: boolean };
}

// ---- inputs ---------------------------------------------------------------

// Inferred from the schemas, so the validated value is exactly the declared type.
export type SpaceInput = In<'spaceInput'>;
export type AgentInput = In<'agentInput'>;
export type AgentPatch = In<'agentPatch'>;
export type SessionInput = In<'sessionInput'>;
export type SessionPatch = In<'sessionPatch'>;
export type ConversationInput = In<'conversationInput'>;
export type ConversationPatch = In<'conversationPatch'>;
export type ConversationListRequest = In<'conversationList'>;
export type MessageInput = In<'message'>;
/** `messages.add` input: `conversationId` may be left out to use the space's default conversation. */
export type MessageAddInput = In<'messageAdd'>;
export type MemoryInput = In<'memoryInput'>;
export type MemoryPatch = In<'memoryPatch'>;
export type MemoryListRequest = In<'memoryList'>;
export type VectorEntryInput = In<'vectorInput'>;
export type VectorEntryPatch = In<'vectorPatch'>;
export type VectorListRequest = In<'vectorList'>;
export type UploadFile = In<'upload'>;
export type UploadOptions = In<'uploadOptions'>;
export type ExecutionListRequest = In<'executionList'>;
export type ClearAllOptions = In<'clearAll'>;
export type SearchRequest = In<'searchRequest'>;
export type SearchFilters = NonNullable<SearchRequest['filters']>;
export type EmbeddingModelInput = In<'embeddingModelInput'>;
export type SyncConfigInput = In<'syncConfig'>;
/** `get(id, { withEmbedding: true, model? })` of vector entries and memories. */
export type EmbeddingReadOptions = In<'embeddingRead'>;
export type ChunkEmbedding = In<'chunkEmbeddings'>[number];

export interface MemoryAddResult {
  memory: Memory;
  action: 'added' | 'updated';
  /** Why an existing memory was updated: same normalized text, or a vector above the dedup threshold. */
  reason?: 'exact' | 'similar';
  /** Cosine to the existing memory when reason is 'similar'. */
  similarity?: number;
  /** When updated: the memory as it was before this add, so a caller can undo the merge (`memories.update` with its fields). */
  previous?: Memory;
}






/** `memories.insertMany`: each row's outcome, in input order. */
export interface MemoryInsertManyResult {
  rows: Array<{
    id: string;
    /** 'ignored': an exact duplicate of a stored memory that would change nothing; nothing was written for it. */
    action: 'added' | 'updated' | 'ignored';
    reason?: 'exact' | 'similar';
    similarity?: number;
  }>;
  added: number;
  updated: number;
  ignored: number;
}

/** `vectors.insertMany`: `ids[i]` is the entry row i was stored in (a repeated documentId updates one entry). */
export interface VectorInsertManyResult {
  inserted: number;
  updated: number;
  ids: string[];
}

export interface Progress {
  /** What is being worked on: 'upload', 'embedding', 'import', 'export', 'backup', 'index'. */
  task: string;
  done: number;
  total: number;
  detail?: string;
  /** Items per second since the task began (from the first step on). */
  ratePerSecond?: number;
  /** At that rate, milliseconds until `total` (from the first step on; absent once done). */
  remainingMs?: number;
}

export type ProgressCallback = (progress: Progress) => void;

/** Events the worker pushes to subscribers: progress of long work and data changes (for refreshing views). */
export type MnemoEvent =
  | ({ type: 'progress' } & Progress)
  | { type: 'change'; table: string; scope: Scope | null };

export type Listener = (event: MnemoEvent) => void;


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
  /** Bytes of the file per table, its indexes included (`dbstat`); FTS5 keeps its index in `search_fts_*` tables. */
  bytesPerTable: Record<string, number>;
  storage: { usage: number | null; quota: number | null; persisted: boolean | null };
}

export interface HealthReport {
  ok: boolean;
  quickCheck: string[];
  foreignKeyViolations: number;
  /** Derived data out of step with its rows (search index, vector counts), one line each; `rebuildIndex()` repairs them. */
  derivedDataIssues: string[];
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


// ---- search ---------------------------------------------------------------

export type SearchMode = 'keyword' | 'vector' | 'hybrid';
export type HitKind = 'message' | 'memory' | 'vector' | 'chunk';



export interface SearchScore {
  /** FTS5 bm25 (lower is better, as SQLite reports it). */
  bm25?: number;
  /** Share (0..1) of the query's counted words the row holds, weighted by their IDF; keyword hits only. */
  coverage?: number;
  /** Vector similarity: the cosine, or the dot product for a model registered with distance 'dot'. */
  cosine?: number;
  fused: number;
  rankKeyword?: number;
  rankVector?: number;
}

export interface SearchHit {
  kind: HitKind;
  id: string;
  text: string;
  /** Short excerpt around the match with `[` `]`-free plain text. */
  snippet: string;
  /** Match ranges [start, end) in `snippet`. */
  highlights: Array<[number, number]>;
  score: SearchScore;
  /** The row's metadata (messages, memories, vector entries; not chunks). */
  metadata?: JsonObject;
  ref: {
    table: 'messages' | 'memories' | 'vector_entries' | 'chunks';
    id: string;
    sessionId?: string;
    conversationId?: string;
    contentId?: string;
    collection?: string;
    documentId?: string | null;
    memoryKind?: MemoryKind;
    role?: MessageRole;
    startLine?: number;
    endLine?: number;
  };
  createdAt: number;
}

// ---- embeddings -------------------------------------------------------------

export interface ModelInfo {
  id: string;
  dims: number | null;
  source: 'bundled' | 'imported' | 'remote' | 'test';
}

export interface EmbeddingStatus {
  modelId: string;
  dims: number | null;
  ready: boolean;
  /** Rows waiting to be embedded with the current model. */
  pending: number;
  /** Rows embedded with the current model. */
  embedded: number;
  error: string | null;
  models: ModelInfo[];
}

export type EmbeddingDistance = 'cosine' | 'dot';

/** A model whose vectors the caller computes (`embeddings.register`). */
export interface RegisteredModel {
  id: string;
  dims: number;
  distance: EmbeddingDistance;
  createdAt: number;
}

/** Every model `embeddings.models()` knows: those Mnemo runs and those registered for caller vectors. */
export interface EmbeddingModelInfo {
  id: string;
  /** Null for a model Mnemo runs that was never loaded. */
  dims: number | null;
  distance: EmbeddingDistance;
  /** 'caller' for registered models; else where Mnemo loads the model from. */
  source: ModelInfo['source'] | 'caller';
  /** The model Mnemo embeds rows with. */
  current: boolean;
  /** Rows holding a vector of this model. */
  embedded: number;
}

/** Present on a row read with `{ withEmbedding: true }`. */
export interface EmbeddingFields {
  /** The stored vector, exactly as given (a caller's) or computed (Mnemo's model); null when the row has none yet. */
  embedding?: Float32Array | null;
  embeddingModel?: string | null;
}

export interface ModelFile {
  /** Path inside the model folder, e.g. 'onnx/model.onnx'. */
  path: string;
  bytes: Uint8Array;
}

// ---- files --------------------------------------------------------------------

export interface ImportOptions {
  /** 'replace' swaps the whole database for the file; 'merge' adds the file's rows that are not present yet. */
  mode: 'replace' | 'merge';
  /** Passphrase of an encrypted export (`MNEMOENC` container); without it such a file is refused with ENCRYPTED. */
  passphrase?: string;
}

export interface ImportResult {
  mode: 'replace' | 'merge';
  /** Rows added per table (merge) or present after replacing, keyed like `TableCounts` (camelCase). */
  rows: Record<string, number>;
  schemaVersion: number;
  /** The schema version the file had; lower than `schemaVersion` when it was migrated on import. */
  migratedFrom: number;
  /** The automatic backup taken before the import (null when the database was empty). */
  backup: BackupInfo | null;
}

export interface ExportOptions {
  /**
   * Record this export as the last downloaded copy (`backups.lastDownloadedAt`,
   * which drives the backup reminder). Default true; false leaves the database
   * exactly as it was, e.g. for a copy that is only inspected.
   */
  markDownloaded?: boolean;
  /**
   * Of an encrypted database, export the plain SQLite file instead of the
   * `MNEMOENC` container (readable by anyone who gets the file). Default false.
   */
  plaintext?: boolean;
}

export interface SpaceExportOptions {
  /** Of an encrypted database, export readable by anyone who gets the file. Default false. */
  plaintext?: boolean;
}

export interface BackupInfo {
  id: string;
  createdAt: number;
  sizeBytes: number;
  /** 'manual', 'scheduled', 'before-import', 'before-restore', 'before-clear-all', 'before-migration' or a caller's text. */
  reason: string;
}

export interface BackupStatus {
  count: number;
  totalBytes: number;
  lastBackupAt: number | null;
  /** When the newest copy the user downloaded was taken (export time, or a downloaded backup's creation time). */
  lastDownloadedAt: number | null;
  /** Global setting `backups.keep` (default 5): backups kept, oldest pruned first. */
  keep: number;
  /** Global setting `backups.remindAfterDays` (default 7). */
  remindAfterDays: number;
  /** True when the database holds data and no copy was downloaded within `remindAfterDays`. */
  reminderDue: boolean;
}

export interface BackupsApi {
  /** Newest first. */
  list(): Promise<BackupInfo[]>;
  create(reason?: string): Promise<BackupInfo>;
  /** Validated like an import; the current state is backed up first. */
  restore(id: string): Promise<ImportResult>;
  download(id: string, options?: ExportOptions): Promise<Uint8Array>;
  delete(id: string): Promise<boolean>;
  status(): Promise<BackupStatus>;
}

/** `files.exportJson()`: one space as versioned JSON (docs/export-format.md). */
export interface SpaceJsonExport {
  format: 'mnemo.space';
  version: 1;
  exportedAt: number;
  schemaVersion: number;
  space: Space;
  agents: Agent[];
  sessions: Session[];
  conversations: Conversation[];
  messages: Message[];
  memories: Memory[];
  vectorEntries: VectorEntry[];
  documents: { contents: DocumentWithText[]; chunks: DocumentChunk[] };
  settings: Record<string, Json>;
  executions: AgentExecution[];
}

export interface FilesApi {
  /** The whole database as a SQLite file (rollback-journal mode, opens in any sqlite3). */
  export(options?: ExportOptions): Promise<Uint8Array>;
  /** One space as a new SQLite file with the full schema; of an encrypted database sealed like `export()`, unless `plaintext`. */
  exportSpace(scope: Scope, options?: SpaceExportOptions): Promise<Uint8Array>;
  /**
   * One space as versioned JSON (`SpaceJsonExport`, see docs/export-format.md).
   * JSON cannot be sealed: of an encrypted database it needs `{ plaintext: true }`
   * (INVALID_INPUT otherwise).
   */
  exportJson(scope: Scope, options?: SpaceExportOptions): Promise<string>;
  /** Validates the file first; a refused file rejects with IMPORT_REJECTED and changes nothing. */
  import(bytes: Uint8Array | ArrayBuffer, options: ImportOptions): Promise<ImportResult>;
  backups: BackupsApi;
}

export interface EmbeddingsApi {
  status(): Promise<EmbeddingStatus>;
  setModel(modelId: string): Promise<EmbeddingStatus>;
  importModel(modelId: string, files: ModelFile[]): Promise<ModelInfo>;
  /** Waits until the queue is empty (or the timeout passes); resolves to the status. */
  flush(timeoutMs?: number): Promise<EmbeddingStatus>;
  /**
   * Registers a model whose vectors the caller computes (OpenAI, Cohere, a
   * local model); rows then take `embedding` + `embeddingModel`, and
   * `search({ vector, model })` ranks them. Registering the same id again
   * with the same dims and distance changes nothing; other values are CONFLICT.
   */
  register(model: EmbeddingModelInput): Promise<RegisteredModel>;
  /** Forgets a registered model and deletes every vector stored under it. */
  unregister(modelId: string): Promise<boolean>;
  /** The models Mnemo runs and the registered ones, with how many rows hold a vector of each. */
  models(): Promise<EmbeddingModelInfo[]>;
  /** Vectors of the current model for these texts (unit length, one per text, same order): the in-browser embedder as a function. */
  embed(texts: string[]): Promise<Float32Array[]>;
}

// ---- the API ----------------------------------------------------------------

export interface CrudApi<T, I, P, L = PageRequest> {
  create(input: I): Promise<T>;
  get(id: string): Promise<T>;
  list(request?: L): Promise<Page<T>>;
  update(id: string, patch: P): Promise<T>;
  delete(id: string): Promise<boolean>;
}

/** Messages in order with an opaque cursor for the next call (null at the end). */
export interface MessageCursorPage {
  items: Message[];
  nextCursor: string | null;
}

export interface MessageListRequest {
  sessionId?: string;
  conversationId?: string;
  /** Inclusive lower bound on createdAt (ms). */
  since?: number;
  /** Exclusive upper bound on createdAt (ms). */
  until?: number;
  roles?: MessageRole[];
  cursor?: string;
  /** Default 100, at most 1000. */
  limit?: number;
  /** Oldest first (default) or newest first. */
  order?: 'asc' | 'desc';
}

export interface MessagesApi {
  /**
   * Without `conversationId` the message goes to the space's default
   * conversation (session "Default", made on first use): a flat per-user
   * history for apps that need no more.
   */
  add(message: MessageAddInput): Promise<Message>;
  /** Atomic: every row is inserted or none is. */
  insertMany(messages: MessageInput[]): Promise<{ inserted: number; ids: string[] }>;
  /**
   * Insert, or update the row with the same id: every field given is set
   * (`null` clears one, e.g. `error` after a retry), fields left out keep
   * their value. An id of another conversation is CONFLICT.
   */
  upsert(message: MessageInput & { id: string }): Promise<Message>;
  get(id: string): Promise<Message>;
  page(conversationId: string, request?: PageRequest & { order?: 'asc' | 'desc' }): Promise<Page<Message>>;
  /** The newest `limit` (default 20) messages of a conversation, newest first; pass `nextCursor` as `before` for older ones. */
  recent(conversationId: string, request?: { limit?: number; before?: string }): Promise<MessageCursorPage>;
  /** Messages across the space (or a session or conversation), filtered by time and role, in pages by cursor. */
  list(request?: MessageListRequest): Promise<MessageCursorPage>;
  count(request?: { conversationId?: string; sessionId?: string }): Promise<number>;
  delete(id: string): Promise<boolean>;
  deleteByConversation(conversationId: string): Promise<number>;
  deleteBySession(sessionId: string): Promise<number>;
}

/** One file of an export: `{ name, bytes }` or a File. */
export type ImportPart = { name: string; bytes: Uint8Array } | (Blob & { name: string });

export interface ConversationImportOptions {
  /** 'auto' (default) decides from file names and content. */
  format?: 'auto' | 'chatgpt' | 'claude' | 'mnemo-json';
  /** Parse and report what would happen, writing nothing (the preview). */
  dryRun?: boolean;
  /** Put the conversations in this session; default: one session per source ("Imported from ChatGPT"). */
  sessionId?: string;
  /** Conversations the preview counted, so progress can show a total. */
  expectedConversations?: number;
}

export interface ConversationImportReport {
  format: 'chatgpt' | 'claude' | 'mnemo-json' | null;
  conversations: { imported: number; updated: number; unchanged: number; skipped: number };
  messages: { imported: number; skipped: number };
  skippedReasons: Record<string, number>;
  /** Conversations or files skipped or repaired: ids and positions, never content. */
  problems: Array<{ where: string; reason: string }>;
  dateRange: { from: number | null; to: number | null };
  dryRun: boolean;
  /** True when `cancelImport()` stopped it; every conversation written is whole. */
  cancelled: boolean;
  /** The session the conversations went to (null for a dry run). */
  sessionId: string | null;
}

export interface HistoryApi {
  /** Deletes every message of the scope (created before `before`, if given) in one transaction; returns how many. */
  clear(request?: { before?: number }): Promise<number>;
}

export interface MemoriesApi {
  /** Through dedup (unless `dedup: false`): an equal or similar memory is updated instead of copied. */
  add(input: MemoryInput): Promise<MemoryAddResult>;
  /** Every row through dedup, in order, in one transaction: all are written or none (a failing row rejects the batch). */
  insertMany(memories: MemoryInput[]): Promise<MemoryInsertManyResult>;
  /** With `{ withEmbedding: true }` the memory carries its vector: the caller's (of `model`, or the newest) or else the current model's. */
  get(id: string, options?: EmbeddingReadOptions): Promise<Memory & EmbeddingFields>;
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
  /** A documentId already in the collection updates that entry. */
  add(input: VectorEntryInput): Promise<VectorEntry>;
  /** Atomic: every entry is stored or none; a documentId already present (or repeated in the batch) updates one entry. */
  insertMany(entries: VectorEntryInput[]): Promise<VectorInsertManyResult>;
  /** Changes the fields given: content, metadata (replaced whole), and/or a caller vector. */
  update(id: string, patch: VectorEntryPatch): Promise<VectorEntry>;
  /** With `{ withEmbedding: true }` the entry carries its vector: the caller's (of `model`, or the newest) or else the current model's. */
  get(id: string, options?: EmbeddingReadOptions): Promise<VectorEntry & EmbeddingFields>;
  getByDocumentId(collection: string, documentId: string): Promise<VectorEntry>;
  list(request?: VectorListRequest): Promise<Page<VectorEntry>>;
  collections(): Promise<Array<{ collection: string; count: number }>>;
  delete(id: string): Promise<boolean>;
  /** Deletes the collection's entries with these document ids; returns how many there were. */
  deleteByDocumentIds(collection: string, documentIds: string[]): Promise<number>;
  clearVectors(collection?: string): Promise<number>;
}

export interface DocumentsApi {
  upload(sessionId: string, file: UploadFile, options?: UploadOptions): Promise<DocumentContent>;
  list(sessionId: string, request?: PageRequest): Promise<Page<DocumentContent>>;
  get(id: string): Promise<DocumentWithText>;
  chunks(contentId: string): Promise<DocumentChunk[]>;
  /** Stores caller-computed vectors of `model` for chunks of a document, by chunk index; returns how many. */
  setChunkEmbeddings(contentId: string, chunks: ChunkEmbedding[], model: string): Promise<number>;
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
  /** The scope's chat history as a whole, as DMAssistant's per-user history. */
  history: HistoryApi;
  memories: MemoriesApi;
  vectors: VectorsApi;
  documents: DocumentsApi;
  settings: SettingsApi;
  executions: ExecutionsApi;
  search(request: SearchRequest): Promise<SearchHit[]>;
  /**
   * Imports a ChatGPT or Claude data export (zip or JSON, one file or its
   * parts) or Mnemo's own JSON. Idempotent: the same file twice changes
   * nothing; a newer export adds what is new and updates what grew.
   */
  importConversations(input: ImportPart | ImportPart[], options?: ConversationImportOptions): Promise<ConversationImportReport>;
  /** Stops a running import in this scope after the conversation being written. */
  cancelImport(): Promise<boolean>;
}

export interface SpacesApi {
  list(request?: PageRequest & { userId?: string }): Promise<Page<Space>>;
  get(scope: Scope): Promise<Space>;
  create(input: SpaceInput): Promise<Space>;
  rename(scope: Scope, name: string): Promise<Space>;
  /** Deletes the space and everything in it. */
  delete(scope: Scope): Promise<boolean>;
}

// ---- encryption at rest ----------------------------------------------------------

export interface EncryptionStatus {
  /** False for in-memory databases, which have nothing at rest to encrypt. */
  available: boolean;
  encrypted: boolean;
  /** Encrypted and its key not in this worker: every other call answers ENCRYPTED. */
  locked: boolean;
  /** Cipher of the file ('chacha20', SQLite3 Multiple Ciphers) when encrypted. */
  cipher: string | null;
  /** Key derivation of the passphrase when encrypted. */
  kdf: { name: 'PBKDF2-SHA256'; iterations: number } | null;
}

export interface EncryptionApi {
  status(): Promise<EncryptionStatus>;
  /** Encrypts the database: a new encrypted file is written, verified (counts, content hash), then swapped in. */
  enable(passphrase: string): Promise<EncryptionStatus>;
  /** Wrong passphrase: ENCRYPTED, nothing changed. */
  unlock(passphrase: string): Promise<EncryptionStatus>;
  /** Closes the file and forgets the key; every other call answers ENCRYPTED until unlocked. */
  lock(): Promise<EncryptionStatus>;
  /** Re-wraps the data key under the new passphrase; the database file is not rewritten. */
  change(oldPassphrase: string, newPassphrase: string): Promise<EncryptionStatus>;
  /** Writes the database back in plain form (verified, then swapped) and deletes the key file. */
  disable(passphrase: string): Promise<EncryptionStatus>;
}

// ---- sync with a self-hosted server (docs/sync.md) ------------------------------

export interface SyncSpaceStatus extends Scope {
  /** Local changes of this space not yet acknowledged by the server. */
  pending: number;
  /** Conflicts resolved here: a local change that lost to a later one, or a pulled version that lost to a local one. */
  conflictsResolved: number;
  lastSyncAt: number | null;
  /** The server's grant: null until the first sync reached it. */
  access: 'owner' | 'write' | 'read' | null;
  lastError: string | null;
}

export interface SyncStatus {
  configured: boolean;
  /** The server's URL (the token is never returned). */
  url: string | null;
  /** This browser's device id in change records. */
  deviceId: string | null;
  auto: boolean;
  /** A sync is running now. */
  syncing: boolean;
  /** End of the last sync that completed for every space. */
  lastSyncAt: number | null;
  /** The last failure (server down, token refused…); null after a clean sync. */
  lastError: string | null;
  /** When automatic sync retries after a failure (backoff), or null. */
  nextRetryAt: number | null;
  pending: number;
  conflictsResolved: number;
  spaces: SyncSpaceStatus[];
}

/** What one `sync.now()` moved. */
export interface SyncReport {
  pushed: number;
  pulled: number;
  applied: number;
  conflictsResolved: number;
  /** Pulled rows that could not be applied (their parent row is gone). */
  skipped: number;
  status: SyncStatus;
}

export interface RemoteSpace {
  id: string;
  name: string;
  access: 'owner' | 'write' | 'read';
}

export interface SyncApi {
  /**
   * Signs this browser in to a sync server with a device token (from
   * `POST /tokens`) and chooses the spaces that sync. The token stays in this
   * browser's origin storage, outside the database file: exports and backups
   * never carry it.
   */
  configure(config: SyncConfigInput): Promise<SyncStatus>;
  /** Pulls, applies and pushes every configured space now; rejects with the failure (status keeps it too). */
  now(): Promise<SyncReport>;
  status(): Promise<SyncStatus>;
  /** The spaces the signed-in user can reach on the server. */
  remoteSpaces(): Promise<RemoteSpace[]>;
  /** Signs out: forgets the token and stops automatic sync; local data and unpushed changes stay. */
  disable(): Promise<SyncStatus>;
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
  files: FilesApi;
  embeddings: EmbeddingsApi;
  encryption: EncryptionApi;
  /** Sync of chosen spaces through a self-hosted server (docs/sync.md). */
  sync: SyncApi;
  /** Rebuilds every full-text index and queues rows missing vectors of the current model. */
  rebuildIndex(): Promise<RebuildResult>;
  /** The seeds' per-session index bookkeeping: dirty when content changed after the last rebuild. */
  indexStatus(sessionId?: string): Promise<IndexStatus[]>;
  close(): Promise<void>;
}

export interface RebuildResult {
  rows: Record<string, number>;
  queuedForEmbedding: number;
  durationMs: number;
}

export interface IndexStatus {
  sessionId: string;
  dirty: boolean;
  lastIndexedAt: number;
  docCount: number;
}
