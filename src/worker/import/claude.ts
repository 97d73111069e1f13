/**
 * Claude data export (`conversations.json`): conversations with
 * `chat_messages` in order. A message's text comes from its `content` blocks
 * when it has any text block, else from its flat `text` (newer exports carry
 * both, the same words twice). Fields follow Anthropic's shape: `thinking`
 * blocks go to `thinking`, `tool_use` to `toolCalls` [{ id, name, input }],
 * `tool_result` to `toolResults` [{ toolUseId, name, content, isError }];
 * `attachments` (with their extracted text) and `files` go to `attachments`.
 */
import type { Json } from '../../shared/models';
import type { ConvertContext } from './report';
import type { DraftConversation, DraftMessage } from './types';
import { compactObject, idForReport, isoToMs, isRecord, nonEmpty, num, type Raw, str, tag } from './values';

const SENDERS: Record<string, 'user' | 'assistant'> = { human: 'user', user: 'user', assistant: 'assistant' };

export function looksLikeClaude(value: Raw): boolean {
  return 'chat_messages' in value || ('uuid' in value && 'name' in value && !('mapping' in value));
}

export function claudeConversations(raw: unknown, where: string, ctx: ConvertContext): DraftConversation[] {
  const { report } = ctx;
  if (!isRecord(raw)) {
    report.skipConversation(where, 'not an object');
    return [];
  }
  const sourceId = nonEmpty(raw.uuid);
  if (sourceId === undefined) {
    report.skipConversation(where, 'missing uuid');
    return [];
  }
  const at = `${where} (${idForReport(sourceId)})`;
  if (!Array.isArray(raw.chat_messages)) {
    report.skipConversation(at, 'missing chat_messages');
    return [];
  }
  const messages: DraftMessage[] = [];
  const seen = new Set<string>();
  (raw.chat_messages as unknown[]).forEach((value, index) => {
    if (!isRecord(value)) {
      report.skip('message: malformed');
      return;
    }
    // A message without uuid is kept under its position (stable while the conversation only grows).
    const id = nonEmpty(value.uuid) ?? `#${index}`;
    if (seen.has(id)) {
      report.skip('message: duplicate id');
      report.problem(`${at} message ${index}`, 'duplicate message uuid: kept the first');
      return;
    }
    seen.add(id);
    const role = SENDERS[str(value.sender) ?? ''];
    if (role === undefined) {
      report.skip('message: unknown role');
      return;
    }
    const message = convertMessage(value, id, role, ctx);
    if (message === null) report.skip('message: empty');
    else messages.push(message);
  });
  if (messages.length === 0) {
    report.skipConversation(at, 'no readable messages');
    return [];
  }
  const model = nonEmpty(raw.model);
  return [
    {
      sourceId,
      messageScope: sourceId,
      source: 'claude',
      title: nonEmpty(raw.name) ?? null,
      createdAt: isoToMs(raw.created_at),
      updatedAt: isoToMs(raw.updated_at),
      status: 'active',
      ...(model === undefined ? {} : { model }),
      metadata: compactObject({ projectUuid: nonEmpty(raw.project_uuid), isStarred: raw.is_starred === true ? true : undefined }),
      messages,
    },
  ];
}

function convertMessage(value: Raw, id: string, role: 'user' | 'assistant', ctx: ConvertContext): DraftMessage | null {
  const texts: string[] = [];
  const thinking: string[] = [];
  const toolCalls: Json[] = [];
  const toolResults: Json[] = [];
  const attachments: Json[] = [];
  for (const block of Array.isArray(value.content) ? (value.content as unknown[]) : []) {
    if (!isRecord(block)) continue;
    const type = tag(block.type);
    if (type === 'text') {
      const text = str(block.text);
      if (text !== undefined && text !== '') texts.push(text);
    } else if (type === 'thinking') {
      const text = str(block.thinking);
      if (text !== undefined && text !== '') thinking.push(text);
    } else if (type === 'tool_use') {
      toolCalls.push(compactObject({ id: str(block.id), name: str(block.name) ?? 'tool', input: (block.input ?? null) as Json }));
    } else if (type === 'tool_result') {
      toolResults.push(
        compactObject({
          toolUseId: str(block.tool_use_id),
          name: str(block.name),
          content: (block.content ?? null) as Json,
          isError: block.is_error === true ? true : undefined,
        }),
      );
    } else {
      attachments.push({ type: 'unsupported', contentType: type });
      ctx.report.skip(`part: ${type}`);
    }
  }
  for (const file of Array.isArray(value.attachments) ? (value.attachments as unknown[]) : []) {
    if (!isRecord(file)) continue;
    attachments.push(
      compactObject({
        type: 'attachment',
        fileName: str(file.file_name),
        fileType: str(file.file_type),
        fileSize: num(file.file_size),
        extractedContent: str(file.extracted_content),
      }),
    );
  }
  for (const file of Array.isArray(value.files) ? (value.files as unknown[]) : []) {
    if (!isRecord(file)) continue;
    attachments.push(compactObject({ type: 'file', fileName: str(file.file_name), fileUuid: str(file.file_uuid) }));
  }
  const content = texts.length > 0 ? texts.join('\n\n') : (str(value.text) ?? '');
  if (content === '' && thinking.length === 0 && toolCalls.length === 0 && toolResults.length === 0 && attachments.length === 0) return null;
  return {
    sourceId: id,
    role,
    content,
    createdAt: isoToMs(value.created_at),
    ...(thinking.length > 0 ? { thinking: thinking.join('\n\n') } : {}),
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    ...(toolResults.length > 0 ? { toolResults } : {}),
    ...(attachments.length > 0 ? { attachments } : {}),
    metadata: {},
  };
}
