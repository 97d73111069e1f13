/**
 * The format-independent shape every export parser produces. Field names and
 * value shapes follow `MessageInput` / `Conversation` in src/shared, so the
 * importer can write a parsed message with nothing but an added
 * `conversationId`.
 */
import type { ConversationStatus, Json, JsonObject, MessageRole } from '../../shared/models';

export const IMPORT_FORMATS = ['chatgpt', 'claude', 'mnemo-json'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** One chosen file: a File is turned into this by the caller. */
/**
 * One chosen file: its bytes, or a Blob (a File handed to the worker) that is
 * read in slices, so a 200 MB export is never in memory whole.
 */
export type ImportFile = { name: string; bytes: Uint8Array } | { name: string; blob: Blob };

export interface ParseOptions {
  /** 'auto' (default) decides from file names and content. */
  format?: ImportFormat | 'auto';
  /**
   * Mixed into every derived id, e.g. `${userId}/${spaceId}`: ids are global
   * primary keys, so the same export imported into two spaces must not map to
   * the same rows. Default '' (one namespace).
   */
  namespace?: string;
  /** ChatGPT side branches: 'archived' (default) emits them as archived conversations, 'drop' counts and skips them. */
  branches?: 'archived' | 'drop';
  /** Used only for a conversation that carries no timestamp at all. Default `Date.now()` at the call. */
  now?: number;
}

export interface ParsedMessage {
  /** Derived from (namespace, source, conversation sourceId, message sourceId): stable across imports. */
  id: string;
  sourceId: string;
  role: MessageRole;
  content: string;
  /** Unix ms: the original time, or filled from the neighbours / the conversation (then `metadata.timeFilled`). */
  createdAt: number;
  model?: string;
  toolCalls?: Json;
  toolCallId?: string;
  toolResults?: Json;
  thinking?: string;
  attachments?: Json;
  metadata: JsonObject;
}

export interface ParsedConversation {
  /** Derived from (namespace, source, sourceId). */
  id: string;
  sourceId: string;
  source: ImportFormat;
  title: string | null;
  createdAt: number;
  updatedAt: number;
  /** 'archived' for a ChatGPT side branch or archived chat (see chatgpt.ts); a Mnemo export keeps its own. */
  status: ConversationStatus;
  model?: string;
  metadata: JsonObject;
  /** In conversation order; write them in this order (messages page by created_at, then rowid). */
  messages: ParsedMessage[];
  /** SHA-256 (hex) of the title, status and every message's id, role and text fields: equal means unchanged. */
  fingerprint: string;
}

/** What was read, skipped or repaired. Never holds content: ids, file names and positions only. */
export interface ParseReport {
  /** null until the format is known (auto-detection on an empty input stays null). */
  format: ImportFormat | null;
  conversations: { parsed: number; skipped: number };
  messages: { parsed: number; skipped: number };
  /** Why things were skipped: `conversation: …`, `message: …`, `part: …` (non-text content), `file: …`. */
  skippedReasons: Record<string, number>;
  /** Skipped or repaired conversations and files, first {@link MAX_PROBLEMS}; the rest counted in `problemsOmitted`. */
  problems: Array<{ where: string; reason: string }>;
  problemsOmitted: number;
  /** Earliest createdAt and latest updatedAt of the parsed conversations. */
  dateRange: { from: number | null; to: number | null };
}

export const MAX_PROBLEMS = 200;

/** A conversation as a format parser hands it over: no derived ids or fingerprint yet. */
export interface DraftMessage extends Omit<ParsedMessage, 'id' | 'createdAt'> {
  /** null when the file has no (valid) time: filled once the whole conversation is known. */
  createdAt: number | null;
}

export interface DraftConversation extends Omit<ParsedConversation, 'id' | 'fingerprint' | 'messages' | 'createdAt' | 'updatedAt'> {
  createdAt: number | null;
  updatedAt: number | null;
  /** The conversation whose id scopes the message ids: the main one for a side branch, so a message keeps its id when the user switches branches. */
  messageScope: string;
  messages: DraftMessage[];
}
