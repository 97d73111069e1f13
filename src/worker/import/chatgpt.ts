/**
 * ChatGPT data export (`conversations.json`, or `conversations-NNN.json`
 * parts): each conversation is a tree of nodes in `mapping`; what the user
 * last saw is the path from `current_node` up to the root, reversed.
 *
 * Branches (regenerated answers, edited prompts): every node goes into
 * exactly one conversation. The current path is the conversation itself
 * (status from the export: 'active', or 'archived' when ChatGPT archived it).
 * Each other branch becomes an archived sibling conversation holding only the
 * part that differs — from the first node after the fork down to its leaf —
 * with `metadata.branch` naming the main conversation and the message it
 * forked after. So the shared prefix is stored and indexed once (no duplicate
 * search hits), every alternative answer stays readable and searchable, and a
 * branch's id is keyed by its first node, which stays the same when a later
 * export continues that branch. Message ids are scoped by the main
 * conversation, so a message keeps its id if the user switches branches.
 * `branches: 'drop'` skips side branches instead, counting their messages.
 *
 * Fields follow OpenAI's shape: an assistant message addressed to a tool
 * (`recipient` other than 'all') becomes `toolCalls` [{ id, name, arguments }]
 * with empty content; the tool's answer is a 'tool' message whose content is
 * the output and whose `toolCallId` points at the call. `thoughts` nodes go
 * into the next assistant message's `thinking`, a `reasoning_recap` into its
 * metadata. Images and other non-text parts become `attachments` entries.
 */
import type { Json, JsonObject, MessageRole } from '../../shared/models';
import type { ConvertContext, ReportBuilder } from './report';
import type { DraftConversation, DraftMessage } from './types';
import { compactObject, idForReport, isRecord, nonEmpty, num, type Raw, secondsToMs, str, tag } from './values';

interface Node {
  parent: string | null;
  message: Raw | null;
}

const ROLES: ReadonlySet<string> = new Set(['user', 'assistant', 'system', 'tool']);
/** Content types that are settings or memory, not part of the conversation. */
const CONTEXT_TYPES: ReadonlySet<string> = new Set(['user_editable_context', 'model_editable_context']);
const POINTER_TYPES: Record<string, string> = {
  image_asset_pointer: 'image',
  audio_asset_pointer: 'audio',
  real_time_user_audio_video_asset_pointer: 'audio-video',
  video_container_asset_pointer: 'video',
};

export function looksLikeChatGpt(value: Raw): boolean {
  return 'mapping' in value || 'current_node' in value;
}

export function chatgptConversations(raw: unknown, where: string, ctx: ConvertContext): DraftConversation[] {
  const { report } = ctx;
  if (!isRecord(raw)) {
    report.skipConversation(where, 'not an object');
    return [];
  }
  const sourceId = nonEmpty(raw.conversation_id) ?? nonEmpty(raw.id);
  if (sourceId === undefined) {
    report.skipConversation(where, 'missing id');
    return [];
  }
  const at = `${where} (${idForReport(sourceId)})`;
  if (!isRecord(raw.mapping)) {
    report.skipConversation(at, 'missing mapping');
    return [];
  }
  const nodes = readNodes(raw.mapping, report);
  if (nodes.size === 0) {
    report.skipConversation(at, 'empty mapping');
    return [];
  }

  let current = str(raw.current_node);
  if (current === undefined || !nodes.has(current)) {
    current = newestLeaf(nodes);
    report.problem(at, 'current_node is not in mapping: followed the newest leaf');
  }
  const main = walkUp(current, nodes, new Set());
  if (main === null) {
    report.skipConversation(at, 'cycle in parent links');
    return [];
  }
  const assigned = new Set(main.ids);
  const title = typeof raw.title === 'string' ? raw.title : null;
  const createdAt = secondsToMs(raw.create_time);
  const updatedAt = secondsToMs(raw.update_time);
  const messages = convertPath(main.ids, nodes, report);
  if (messages.length === 0) {
    report.skipConversation(at, 'no readable messages');
    return [];
  }
  const model = nonEmpty(raw.default_model_slug) ?? lastModel(messages);
  const conversations: DraftConversation[] = [
    {
      sourceId,
      messageScope: sourceId,
      source: 'chatgpt',
      title,
      createdAt,
      updatedAt,
      status: raw.is_archived === true ? 'archived' : 'active',
      ...(model === undefined ? {} : { model }),
      metadata: compactObject({
        gizmoId: nonEmpty(raw.gizmo_id),
        currentNodeRepaired: current === raw.current_node ? undefined : true,
      }),
      messages,
    },
  ];

  for (const leaf of sideLeaves(nodes, assigned)) {
    const branch = walkUp(leaf, nodes, assigned);
    if (branch === null) {
      report.skip('conversation: branch with a cycle in parent links');
      continue;
    }
    for (const id of branch.ids) assigned.add(id);
    if (ctx.branches === 'drop') {
      report.skip('message: side branch dropped', branch.ids.filter((id) => nodes.get(id)?.message != null).length);
      continue;
    }
    const branchMessages = convertPath(branch.ids, nodes, report);
    if (branchMessages.length === 0) continue;
    const first = branch.ids[0] as string;
    conversations.push({
      sourceId: `${sourceId}#${first}`,
      messageScope: sourceId,
      source: 'chatgpt',
      title,
      createdAt: branchMessages[0]?.createdAt ?? createdAt,
      updatedAt: branchMessages.at(-1)?.createdAt ?? updatedAt,
      status: 'archived',
      ...(lastModel(branchMessages) === undefined ? {} : { model: lastModel(branchMessages) }),
      // The importer adds the derived ids beside these (see index.ts).
      metadata: { branch: { sourceId, forkedAfterSourceId: branch.forkedAfter } },
      messages: branchMessages,
    });
  }
  return conversations;
}

function readNodes(mapping: Raw, report: ReportBuilder): Map<string, Node> {
  const nodes = new Map<string, Node>();
  for (const [id, value] of Object.entries(mapping)) {
    if (!isRecord(value)) {
      report.skip('message: malformed node');
      continue;
    }
    nodes.set(id, { parent: str(value.parent) ?? null, message: isRecord(value.message) ? value.message : null });
  }
  return nodes;
}

function parentOf(id: string, nodes: Map<string, Node>): string | null {
  const parent = nodes.get(id)?.parent ?? null;
  return parent !== null && nodes.has(parent) ? parent : null;
}

/** Root-first ids from `leaf` up to the root or to the first node in `stop` (then `forkedAfter`); null on a cycle. */
function walkUp(leaf: string, nodes: Map<string, Node>, stop: ReadonlySet<string>): { ids: string[]; forkedAfter: string | null } | null {
  const ids: string[] = [];
  const seen = new Set<string>();
  for (let id: string | null = leaf; id !== null; id = parentOf(id, nodes)) {
    if (stop.has(id)) return { ids: ids.reverse(), forkedAfter: id };
    if (seen.has(id)) return null;
    seen.add(id);
    ids.push(id);
  }
  return { ids: ids.reverse(), forkedAfter: null };
}

function nodeTime(node: Node | undefined): number {
  return secondsToMs(node?.message?.create_time) ?? 0;
}

function leaves(nodes: Map<string, Node>): string[] {
  const parents = new Set<string>();
  for (const id of nodes.keys()) {
    const parent = parentOf(id, nodes);
    if (parent !== null) parents.add(parent);
  }
  return [...nodes.keys()].filter((id) => !parents.has(id));
}

/** Oldest first, ties by id: the order decides which branch holds a shared stretch, so it must not depend on the file's key order. */
function sideLeaves(nodes: Map<string, Node>, main: ReadonlySet<string>): string[] {
  return leaves(nodes)
    .filter((id) => !main.has(id))
    .sort((a, b) => nodeTime(nodes.get(a)) - nodeTime(nodes.get(b)) || (a < b ? -1 : a > b ? 1 : 0));
}

function newestLeaf(nodes: Map<string, Node>): string {
  const all = leaves(nodes);
  // Every node is on a cycle when there is no leaf: start anywhere, the walk reports the cycle.
  if (all.length === 0) return nodes.keys().next().value as string;
  return all.reduce((best, id) => {
    const delta = nodeTime(nodes.get(id)) - nodeTime(nodes.get(best));
    return delta > 0 || (delta === 0 && id > best) ? id : best;
  });
}

function lastModel(messages: readonly DraftMessage[]): string | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const model = messages[i]?.model;
    if (model !== undefined) return model;
  }
  return undefined;
}

interface Extracted {
  text: string;
  attachments: Json[];
  extra: Record<string, Json | undefined>;
}

/** Text and attachments of a `parts` array: strings are text, asset pointers attachments, other parts noted. */
function fromParts(parts: unknown, report: ReportBuilder): Extracted {
  const texts: string[] = [];
  const attachments: Json[] = [];
  for (const part of Array.isArray(parts) ? (parts as unknown[]) : []) {
    if (typeof part === 'string') {
      if (part.length > 0) texts.push(part);
      continue;
    }
    if (!isRecord(part)) continue;
    const type = tag(part.content_type);
    const transcript = str(part.text);
    if (type === 'audio_transcription' && transcript !== undefined) {
      texts.push(transcript);
      continue;
    }
    const kind = POINTER_TYPES[type];
    if (kind !== undefined) {
      attachments.push(
        compactObject({
          type: kind,
          assetPointer: str(part.asset_pointer),
          sizeBytes: num(part.size_bytes),
          width: num(part.width),
          height: num(part.height),
        }),
      );
      continue;
    }
    attachments.push({ type: 'unsupported', contentType: type });
    report.skip(`part: ${type}`);
  }
  return { text: texts.join('\n'), attachments, extra: {} };
}

/** What a node's content holds, by content_type; null when the type carries nothing to keep. */
function extract(content: Raw, type: string, report: ReportBuilder): Extracted | null {
  const text = str(content.text);
  switch (type) {
    case 'text':
    case 'multimodal_text':
      return fromParts(content.parts, report);
    case 'code':
      return { text: text ?? '', attachments: [], extra: { language: nonEmpty(content.language) } };
    case 'execution_output':
      return { text: text ?? '', attachments: [], extra: {} };
    case 'tether_quote':
      return { text: text ?? '', attachments: [], extra: { url: str(content.url), quoteTitle: str(content.title), domain: str(content.domain) } };
    case 'tether_browsing_display':
      return { text: str(content.result) ?? '', attachments: [], extra: {} };
    case 'system_error':
      return { text: text ?? '', attachments: [], extra: { error: str(content.name) ?? 'error' } };
    default:
      if (text !== undefined) return { text, attachments: [], extra: {} };
      if (Array.isArray(content.parts)) return fromParts(content.parts, report);
      return null;
  }
}

function thoughtsText(content: Raw): string {
  const thoughts = Array.isArray(content.thoughts) ? (content.thoughts as unknown[]) : [];
  return thoughts
    .filter(isRecord)
    .map((thought) => [str(thought.summary), str(thought.content)].filter((part) => part !== undefined && part !== '').join('\n'))
    .filter((part) => part !== '')
    .join('\n\n');
}

/** The visible messages along one path of node ids, root first. */
function convertPath(ids: readonly string[], nodes: Map<string, Node>, report: ReportBuilder): DraftMessage[] {
  const messages: DraftMessage[] = [];
  let thinking: { sourceId: string; texts: string[]; createdAt: number | null } | null = null;
  let recap: string | undefined;
  let lastCall: string | undefined;

  const flushThinking = (): void => {
    if (thinking === null) return;
    messages.push({ sourceId: thinking.sourceId, role: 'assistant', content: '', createdAt: thinking.createdAt, thinking: thinking.texts.join('\n\n'), metadata: compactObject({ reasoningRecap: recap }) });
    thinking = null;
    recap = undefined;
  };

  for (const id of ids) {
    const message = nodes.get(id)?.message ?? null;
    if (message === null) {
      report.skip('message: empty node');
      continue;
    }
    const author = isRecord(message.author) ? message.author : {};
    const role = str(author.role);
    if (role === undefined || !ROLES.has(role)) {
      report.skip('message: unknown role');
      continue;
    }
    const meta = isRecord(message.metadata) ? message.metadata : {};
    if (meta.is_visually_hidden_from_conversation === true) {
      report.skip('message: hidden');
      continue;
    }
    const content = isRecord(message.content) ? message.content : null;
    if (content === null) {
      report.skip('message: no content');
      continue;
    }
    const type = tag(content.content_type);
    const createdAt = secondsToMs(message.create_time);
    if (type === 'thoughts') {
      const text = thoughtsText(content);
      if (text !== '') {
        thinking ??= { sourceId: id, texts: [], createdAt };
        thinking.texts.push(text);
      }
      continue;
    }
    if (type === 'reasoning_recap') {
      recap = str(content.content) ?? recap;
      continue;
    }
    if (CONTEXT_TYPES.has(type)) {
      report.skip(`message: ${type}`);
      continue;
    }
    const extracted = extract(content, type, report);
    if (extracted === null) {
      report.skip(`message: unsupported content type ${type}`);
      continue;
    }
    const recipient = str(message.recipient) ?? 'all';
    const isCall = role === 'assistant' && recipient !== 'all';
    if (extracted.text === '' && extracted.attachments.length === 0) {
      report.skip('message: empty');
      continue;
    }
    const model = nonEmpty(meta.model_slug);
    const weight = num(message.weight);
    const draft: DraftMessage = {
      sourceId: id,
      role: role as MessageRole,
      content: isCall ? '' : extracted.text,
      createdAt,
      ...(model === undefined ? {} : { model }),
      ...(extracted.attachments.length > 0 ? { attachments: extracted.attachments } : {}),
      metadata: {},
    };
    const extra: Record<string, Json | undefined> = { contentType: type, ...extracted.extra, weight: weight === undefined || weight === 1 ? undefined : weight };
    if (role === 'assistant' && !isCall && thinking !== null) {
      const pending: { texts: string[] } = thinking;
      draft.thinking = pending.texts.join('\n\n');
      extra.reasoningRecap = recap;
      thinking = null;
      recap = undefined;
    } else {
      flushThinking();
    }
    if (isCall) {
      draft.toolCalls = [{ id, name: recipient, arguments: extracted.text }];
      lastCall = id;
    } else if (role === 'tool') {
      if (lastCall !== undefined) draft.toolCallId = lastCall;
      extra.toolName = str(author.name);
    }
    draft.metadata = compactObject(extra) as JsonObject;
    messages.push(draft);
  }
  flushThinking();
  return messages;
}
