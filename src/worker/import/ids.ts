/**
 * Deterministic ids and content fingerprints for imported rows. An id is
 * SHA-256 (sha256.ts) of the (namespace, source, …key) tuple, formatted as a UUID with
 * version 8 (RFC 9562's custom layout): the same export imported twice maps
 * to the same rows, and a newer export adds only what is new. Unlike the app's
 * UUIDv7 ids these do not sort by time; messages page by created_at, then
 * insertion order, so the importer writes them in the order given.
 */
import type { Json } from '../../shared/models';
import { toHex as hex } from '../../shared/hex';
import { sha256 } from './sha256';

const encoder = new TextEncoder();

/** A stable UUID-formatted id for a key. JSON-encoding the tuple keeps ('a:b','c') and ('a','b:c') apart. */
/** The namespace of ids derived in one scope: ids are global keys, so two spaces never share one. */
export function scopeNamespace(scope: { userId: string; spaceId: string }): string {
  return `${scope.userId}/${scope.spaceId}`;
}

export function deriveId(namespace: string, source: string, ...key: string[]): string {
  const bytes = sha256(encoder.encode(JSON.stringify([namespace, source, ...key]))).subarray(0, 16);
  bytes[6] = 0x80 | ((bytes[6] as number) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
  const h = hex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** What makes two versions of a conversation "the same" to the importer: the words, not the times. */
export interface FingerprintInput {
  title: string | null;
  status: string;
  messages: ReadonlyArray<{
    id: string;
    role: string;
    content: string;
    thinking?: string;
    toolCalls?: Json;
    toolCallId?: string;
    toolResults?: Json;
    attachments?: Json;
  }>;
}

/**
 * SHA-256 hex over the title, status and each message's id, role and text
 * fields, in order. Timestamps are left out: a missing one is filled at parse
 * time and must not make an untouched conversation look changed.
 */
export function fingerprint(conversation: FingerprintInput): string {
  const rows: Json[] = [conversation.title, conversation.status];
  for (const m of conversation.messages) {
    rows.push([m.id, m.role, m.content, m.thinking ?? null, m.toolCalls ?? null, m.toolCallId ?? null, m.toolResults ?? null, m.attachments ?? null]);
  }
  return hex(sha256(encoder.encode(JSON.stringify(rows))));
}
