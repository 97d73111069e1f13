/**
 * Mnemo's own space export (`mnemo.space`, docs/export-format.md) read back:
 * its conversations and their messages, with every message field the API
 * takes. Version 1 only; a newer document is refused rather than half-read.
 * The document is one JSON object, parsed whole: `exportJson` builds it as
 * one string in memory, so it is no larger than what Mnemo could write.
 * Ids are derived like any other source (from the exported id), so restoring
 * the same file twice maps to the same rows; the exported ids and session
 * are kept in `metadata.original`.
 */
import { fail } from '../../shared/errors';
import { CONVERSATION_STATUSES, type ConversationStatus, type Json, type JsonObject, MESSAGE_ROLES, type MessageRole } from '../../shared/models';
import type { ConvertContext } from './report';
import type { DraftConversation, DraftMessage } from './types';
import { compactObject, idForReport, isoToMs, isRecord, nonEmpty, num, type Raw, str } from './values';

export const MNEMO_FORMAT = 'mnemo.space';
const VERSIONS: ReadonlySet<unknown> = new Set([1]);

export function looksLikeMnemo(value: Raw): boolean {
  return value.format === MNEMO_FORMAT;
}

function jsonObject(value: unknown): JsonObject {
  return isRecord(value) ? (value as JsonObject) : {};
}

function jsonOrUndefined(value: unknown): Json | undefined {
  return value === undefined || value === null ? undefined : (value as Json);
}

/** Throws IMPORT_REJECTED when the document is not a space export Mnemo can read. */
export function mnemoConversations(doc: unknown, where: string, ctx: ConvertContext): DraftConversation[] {
  const { report } = ctx;
  if (!isRecord(doc) || doc.format !== MNEMO_FORMAT) fail('IMPORT_REJECTED', `${where}: not a Mnemo space export (format "${MNEMO_FORMAT}")`);
  if (!VERSIONS.has(doc.version)) fail('IMPORT_REJECTED', `${where}: ${MNEMO_FORMAT} version ${idForReport(doc.version)} is not supported (this app reads version 1)`);
  if (!Array.isArray(doc.conversations) || !Array.isArray(doc.messages)) fail('IMPORT_REJECTED', `${where}: conversations or messages is not an array`);

  const byConversation = new Map<string, Raw[]>();
  for (const message of doc.messages as unknown[]) {
    const conversationId = isRecord(message) ? str(message.conversationId) : undefined;
    if (!isRecord(message) || conversationId === undefined) {
      report.skip('message: malformed');
      continue;
    }
    const list = byConversation.get(conversationId) ?? [];
    list.push(message);
    byConversation.set(conversationId, list);
  }

  const drafts: DraftConversation[] = [];
  (doc.conversations as unknown[]).forEach((raw, index) => {
    const at = `${where} conversation ${index}`;
    if (!isRecord(raw)) {
      report.skipConversation(at, 'not an object');
      return;
    }
    const sourceId = nonEmpty(raw.id);
    if (sourceId === undefined) {
      report.skipConversation(at, 'missing id');
      return;
    }
    const messages: DraftMessage[] = [];
    for (const message of byConversation.get(sourceId) ?? []) {
      const draft = convertMessage(message);
      if (draft === null) report.skip('message: malformed');
      else messages.push(draft);
    }
    byConversation.delete(sourceId);
    const status = (CONVERSATION_STATUSES as readonly unknown[]).includes(raw.status) ? (raw.status as ConversationStatus) : 'active';
    const model = nonEmpty(raw.model);
    drafts.push({
      sourceId,
      messageScope: sourceId,
      source: 'mnemo-json',
      title: str(raw.title) ?? null,
      createdAt: isoToMs(raw.createdAt),
      updatedAt: isoToMs(raw.updatedAt),
      status,
      ...(model === undefined ? {} : { model }),
      metadata: { ...jsonObject(raw.metadata), original: compactObject({ id: sourceId, sessionId: str(raw.sessionId), channelId: str(raw.channelId) }) },
      messages,
    });
  });
  for (const orphans of byConversation.values()) report.skip('message: conversation not in the file', orphans.length);
  return drafts;
}

function convertMessage(raw: Raw): DraftMessage | null {
  const sourceId = nonEmpty(raw.id);
  const role = str(raw.role);
  if (sourceId === undefined || role === undefined || !(MESSAGE_ROLES as readonly string[]).includes(role) || typeof raw.content !== 'string') return null;
  const optional = {
    model: nonEmpty(raw.model),
    toolCalls: jsonOrUndefined(raw.toolCalls),
    toolCallId: nonEmpty(raw.toolCallId),
    toolResults: jsonOrUndefined(raw.toolResults),
    thinking: str(raw.thinking),
    attachments: jsonOrUndefined(raw.attachments),
  };
  const kept = Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)) as Partial<DraftMessage>;
  return {
    ...kept,
    sourceId,
    role: role as MessageRole,
    content: raw.content,
    createdAt: isoToMs(raw.createdAt),
    metadata: {
      ...jsonObject(raw.metadata),
      original: compactObject({
        id: sourceId,
        thinkingSignature: str(raw.thinkingSignature),
        assistantId: str(raw.assistantId),
        tokensUsed: num(raw.tokensUsed),
        source: str(raw.source),
        error: str(raw.error),
      }),
    },
  };
}
