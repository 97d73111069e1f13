/**
 * Parsing of conversation exports (ChatGPT, Claude, Mnemo's own JSON) into
 * one format-independent model. Pure: no SQLite, no DOM; it reads bytes and
 * yields conversations.
 *
 *   const parse = parseExport(files, { format: 'auto', namespace: `${userId}/${spaceId}` });
 *   for await (const conversation of parse) sink(conversation);
 *   parse.report; // final once the loop ends
 *
 * Memory: one conversation at a time. Zip entries are inflated in chunks,
 * the top-level array is split into elements by a byte scanner
 * (json-array.ts) and each element is JSON.parsed alone; what is held is the
 * input bytes, the element being read and the conversation being yielded.
 *
 * Sink contract (what the importer does with each yielded conversation):
 *   1. Look up the conversation row by `conversation.id` (derived: the same
 *      source conversation always has the same id) and compare the stored
 *      fingerprint (keep it in the row's metadata, e.g. `import.fingerprint`)
 *      with `conversation.fingerprint`: no row → imported; different →
 *      updated (it grew or changed); equal → unchanged, skip its messages.
 *   2. Upsert the conversation by id (title, status, model, createdAt,
 *      updatedAt, metadata + source/sourceId/fingerprint), in a session the
 *      importer chooses (e.g. one per import source).
 *   3. Upsert its messages by `message.id` in batches, in the order given
 *      (messages page by created_at, then insertion order), each with
 *      `conversationId: conversation.id`. A message that moved between a
 *      ChatGPT branch and the main path keeps its id, so the upsert must set
 *      conversation_id too. Messages whose ids are no longer in an updated
 *      conversation may be left (a newer export never drops ChatGPT nodes).
 *   4. Count imported/updated/unchanged conversations and imported messages;
 *      take skipped counts, skippedReasons, problems and dateRange from
 *      `parse.report`. With dryRun, do step 1 only.
 * Iteration throws IMPORT_REJECTED (via `fail`) for a wholly unusable input:
 * before anything is yielded for a bad zip or file list, and at the end when
 * no conversation at all could be read (so nothing was written either).
 */
import { fail } from '../../shared/errors';
import { chatgptConversations, looksLikeChatGpt } from './chatgpt';
import { claudeConversations, looksLikeClaude } from './claude';
import { deriveId, fingerprint } from './ids';
import { collectParts, type Part } from './inputs';
import { JsonArrayScanner } from './json-array';
import { looksLikeMnemo, mnemoConversations } from './mnemo-json';
import { type ConvertContext, ReportBuilder } from './report';
import type { DraftConversation, ImportFile, ImportFormat, ParseOptions, ParsedConversation, ParsedMessage, ParseReport } from './types';
import { idForReport, isRecord } from './values';

export type { ImportFile, ImportFormat, ParseOptions, ParsedConversation, ParsedMessage, ParseReport } from './types';
export { deriveId, fingerprint } from './ids';

export interface ExportParse extends AsyncIterable<ParsedConversation> {
  /** Live while iterating; complete when the iteration has ended. */
  readonly report: ParseReport;
}

type Converter = (raw: unknown, where: string, ctx: ConvertContext) => DraftConversation[];
const CONVERTERS: Record<'chatgpt' | 'claude', Converter> = { chatgpt: chatgptConversations, claude: claudeConversations };

export function parseExport(files: readonly ImportFile[], options: ParseOptions = {}): ExportParse {
  const builder = new ReportBuilder();
  let started = false;
  return {
    report: builder.report,
    [Symbol.asyncIterator]() {
      if (started) fail('INVALID_INPUT', 'an export parse can be iterated once');
      started = true;
      return run(files, options, builder);
    },
  };
}

async function* run(files: readonly ImportFile[], options: ParseOptions, builder: ReportBuilder): AsyncGenerator<ParsedConversation> {
  const ctx: ConvertContext = { report: builder, branches: options.branches ?? 'archived' };
  const namespace = options.namespace ?? '';
  const now = options.now ?? Date.now();
  const chosen = options.format === undefined || options.format === 'auto' ? null : options.format;
  const seen = new Set<string>();
  const parts = await collectParts(files, builder);

  async function* emit(drafts: DraftConversation[], where: string): AsyncGenerator<ParsedConversation> {
    for (const draft of drafts) {
      if (seen.has(draft.sourceId)) {
        builder.skipConversation(`${where} (${idForReport(draft.sourceId)})`, 'duplicate id: kept the first');
        continue;
      }
      seen.add(draft.sourceId);
      const conversation = finish(draft, namespace, now);
      builder.setFormat(builder.report.format ?? conversation.source);
      builder.parsed(conversation);
      yield conversation;
    }
  }

  for (const part of parts) {
    for await (const [drafts, where] of readPart(part, chosen, ctx)) yield* emit(drafts, where);
  }
  const { report } = builder;
  if (report.conversations.parsed === 0) {
    const first = report.problems[0];
    fail('IMPORT_REJECTED', first === undefined ? 'no conversations found' : `no conversation could be read: ${first.where}: ${first.reason}`);
  }
}

const decoder = new TextDecoder();

/** One part's conversations as drafts, each batch with the position it came from. */
async function* readPart(part: Part, chosen: ImportFormat | null, ctx: ConvertContext): AsyncGenerator<[DraftConversation[], string]> {
  const { report } = ctx;
  const scanner = new JsonArrayScanner();
  let format: 'chatgpt' | 'claude' | null = chosen === 'chatgpt' || chosen === 'claude' ? chosen : null;
  let index = 0;
  let damaged = false;
  try {
    for await (const chunk of part.chunks()) {
      for (const element of scanner.feed(chunk)) {
        if (chosen === 'mnemo-json') {
          report.problem(part.name, 'an array of chats, not a Mnemo space export');
          return;
        }
        const where = `${part.name} #${index++}`;
        let raw: unknown;
        try {
          raw = JSON.parse(decoder.decode(element));
        } catch {
          report.skipConversation(where, 'not valid JSON');
          continue;
        }
        format ??= sniff(raw, part.hint);
        if (format === null) {
          report.skipConversation(where, 'not a ChatGPT or Claude conversation');
          continue;
        }
        yield [CONVERTERS[format](raw, where, ctx), where];
      }
      if (scanner.top === 'other') break;
    }
  } catch (error) {
    // Only the zip reader throws plain Errors here (a damaged deflate stream); refusals pass through.
    if (!(error instanceof Error) || error.message !== 'truncated') throw error;
    damaged = true;
  }

  if (scanner.top === 'object') {
    yield [objectPart(scanner.objectBytes(), part.name, chosen, ctx), part.name];
    return;
  }
  if (damaged) report.problem(part.name, `truncated after ${scanner.count} complete conversations`);
  else if (scanner.top === null) report.problem(part.name, 'empty file');
  else if (scanner.top === 'other') report.problem(part.name, 'not JSON');
  else if (scanner.ending === 'truncated') report.problem(part.name, `truncated after ${scanner.count} complete conversations`);
  else if (scanner.ending === 'malformed') report.problem(part.name, `malformed JSON after ${scanner.count} conversations: the rest was not read`);
  else if (scanner.trailingData) report.problem(part.name, 'data after the closing bracket was ignored');
  if (format !== null && chosen === null && scanner.count > 0) report.setFormat(report.report.format ?? format);
}

function sniff(raw: unknown, hint: ImportFormat | null): 'chatgpt' | 'claude' | null {
  if (isRecord(raw)) {
    if (looksLikeChatGpt(raw)) return 'chatgpt';
    if (looksLikeClaude(raw)) return 'claude';
  }
  return hint === 'chatgpt' || hint === 'claude' ? hint : null;
}

/** A top-level object: a Mnemo space export is one; an export of chats must be an array. */
function objectPart(bytes: Uint8Array, where: string, chosen: ImportFormat | null, ctx: ConvertContext): DraftConversation[] {
  let doc: unknown;
  try {
    doc = JSON.parse(decoder.decode(bytes));
  } catch {
    ctx.report.problem(where, 'not valid JSON');
    return [];
  }
  if (chosen === 'mnemo-json' || (chosen === null && isRecord(doc) && looksLikeMnemo(doc))) return mnemoConversations(doc, where, ctx);
  ctx.report.problem(where, 'the top level is an object, expected an array of conversations');
  return [];
}

/** Fills missing times, derives ids and the fingerprint. */
function finish(draft: DraftConversation, namespace: string, now: number): ParsedConversation {
  const { messageScope, messages: drafts, ...rest } = draft;
  const known = drafts.map((m) => m.createdAt).filter((t): t is number => t !== null);
  const createdAt = draft.createdAt ?? known[0] ?? draft.updatedAt ?? now;
  const updatedAt = draft.updatedAt ?? Math.max(createdAt, ...known);
  // A missing time takes the previous message's, or for a leading gap the first known one, or the conversation's.
  const messages: ParsedMessage[] = [];
  let previous = known[0] ?? createdAt;
  for (const m of drafts) {
    const metadata = m.createdAt === null ? { ...m.metadata, timeFilled: true } : m.metadata;
    const time = m.createdAt ?? previous;
    previous = time;
    messages.push({ ...m, id: deriveId(namespace, draft.source, 'message', messageScope, m.sourceId), createdAt: time, metadata });
  }
  const id = deriveId(namespace, draft.source, 'conversation', draft.sourceId);
  const conversation: Omit<ParsedConversation, 'fingerprint'> = {
    ...rest,
    id,
    createdAt,
    updatedAt,
    metadata: { ...rest.metadata, ...(draft.createdAt === null && known.length === 0 && draft.updatedAt === null ? { timeMissing: true } : {}) },
    messages,
  };
  const branch = isRecord(rest.metadata.branch) ? rest.metadata.branch : null;
  if (branch !== null) {
    const forkedAfter = branch.forkedAfterSourceId;
    conversation.metadata.branch = {
      ...branch,
      conversationId: deriveId(namespace, draft.source, 'conversation', messageScope),
      forkedAfterMessageId: typeof forkedAfter === 'string' ? deriveId(namespace, draft.source, 'message', messageScope, forkedAfter) : null,
    };
  }
  return { ...conversation, fingerprint: fingerprint(conversation) };
}
