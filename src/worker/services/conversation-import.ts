/**
 * Writes parsed exports (src/worker/import) into a scope, following the sink
 * contract in import/index.ts: conversations keep ids derived from the
 * source, so importing the same file twice changes nothing and a newer export
 * adds only what is new. Conversations are written whole, a batch at a time,
 * each batch in one transaction: a cancel or a failure leaves no half
 * conversation. New conversations go through the bulk path (index fed per
 * batch); grown ones are upserted message by message.
 */
import type { ConversationImportOptions as ImportOptions, ConversationImportReport as ImportReport, ImportPart, MessageInput } from '../../shared/api';
import { fail } from '../../shared/errors';
import { scopeKey } from '../../shared/scope';
import type { Scope } from '../../shared/models';
import type { Changes, ProgressReporter, ProgressTask } from '../events';
import { deriveId, parseExport, type ImportFile, type ParsedConversation } from '../import';
import { scopeNamespace } from '../import/ids';
import type { Db } from '../repos';

/** Messages per write transaction: big enough to amortize the index feed, small enough to keep reads answering. */
const BATCH_MESSAGES = 2_000;
const YIELD_EVERY = 100;

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

const SOURCE_NAMES = { chatgpt: 'ChatGPT', claude: 'Claude', 'mnemo-json': 'Mnemo' } as const;

export interface ImportDeps {
  db: Db;
  events: Changes & ProgressReporter;
  now: () => number;
}

export class ConversationImporter {
  /** Scopes with an import running, and whether it was asked to stop. */
  private readonly running = new Map<string, { cancelled: boolean }>();

  constructor(private readonly deps: ImportDeps) {}

  cancel(scope: Scope): boolean {
    const run = this.running.get(scopeKey(scope));
    if (!run) return false;
    run.cancelled = true;
    return true;
  }

  async import(scope: Scope, input: ImportPart | ImportPart[], options: ImportOptions): Promise<ImportReport> {
    const key = scopeKey(scope);
    if (this.running.has(key)) fail('CONFLICT', 'importConversations: an import is already running in this space');
    const run = { cancelled: false };
    this.running.set(key, run);
    try {
      return await this.run(scope, readParts(input), options, run);
    } finally {
      this.running.delete(key);
    }
  }

  private async run(scope: Scope, files: ImportFile[], options: ImportOptions, run: { cancelled: boolean }): Promise<ImportReport> {
    const { db, events } = this.deps;
    if (options.sessionId !== undefined) db.repos.sessions.get(scope, options.sessionId);
    const task = (options.dryRun ?? false) ? null : events.begin('import', options.expectedConversations ?? 0);
    try {
      const report = await this.parseAndWrite(scope, files, options, run, task);
      task?.end(report.cancelled ? 'cancelled' : 'done');
      return report;
    } catch (error) {
      // A failed import still ends its progress, so the app's bar goes away.
      task?.end('failed');
      throw error;
    }
  }

  private async parseAndWrite(
    scope: Scope,
    files: ImportFile[],
    options: ImportOptions,
    run: { cancelled: boolean },
    task: ProgressTask | null,
  ): Promise<ImportReport> {
    const { db, events, now } = this.deps;
    const dryRun = options.dryRun ?? false;
    const parse = parseExport(files, { format: options.format ?? 'auto', namespace: scopeNamespace(scope), now: now() });
    const counts = { imported: 0, updated: 0, unchanged: 0, messages: 0 };
    let sessionId: string | null = options.sessionId ?? null;
    let batch: Array<{ conversation: ParsedConversation; existing: boolean }> = [];
    let batchMessages = 0;
    let done = 0;

    const flush = () => {
      if (batch.length === 0) return;
      const written = batch;
      batch = [];
      batchMessages = 0;
      const at = now();
      const added = db.sql.tx(() => written.reduce((sum, item) => sum + this.write(scope, sessionId!, item.conversation, item.existing, at), 0));
      counts.messages += added;
      // Counted when written: a cancel drops the batch still pending.
      for (const item of written) counts[item.existing ? 'updated' : 'imported'] += 1;
      done += written.length;
      events.changed('messages', scope);
      task?.step(done, `${done} conversations, ${counts.messages} messages`);
    };

    let seen = 0;
    for await (const conversation of parse) {
      // The parse only awaits microtasks, so without a real task boundary a
      // cancelImport() call queued behind this loop is read after it ends.
      if (++seen % YIELD_EVERY === 0) await nextTask();
      if (run.cancelled) break;
      const stored = db.repos.conversations.importFingerprint(scope, conversation.id);
      const existing = stored !== null || db.repos.conversations.exists(scope, conversation.id);
      if (stored === conversation.fingerprint) {
        counts.unchanged += 1;
        continue;
      }
      if (dryRun) {
        counts[existing ? 'updated' : 'imported'] += 1;
        counts.messages += existing ? Math.max(0, conversation.messages.length - db.repos.messages.count(scope, { conversationId: conversation.id })) : conversation.messages.length;
        continue;
      }
      sessionId ??= this.ensureSession(scope, conversation.source);
      batch.push({ conversation, existing });
      batchMessages += conversation.messages.length;
      if (batchMessages >= BATCH_MESSAGES) flush();
    }
    if (!run.cancelled) flush();
    else batch = [];
    const report = parse.report;
    return {
      format: report.format,
      conversations: { imported: counts.imported, updated: counts.updated, unchanged: counts.unchanged, skipped: report.conversations.skipped },
      messages: { imported: counts.messages, skipped: report.messages.skipped },
      skippedReasons: { ...report.skippedReasons },
      problems: [...report.problems, ...(report.problemsOmitted ? [{ where: 'import', reason: `${report.problemsOmitted} more problems not listed` }] : [])],
      dateRange: { ...report.dateRange },
      dryRun,
      cancelled: run.cancelled,
      sessionId: dryRun ? null : sessionId,
    };
  }

  /** One session per source and scope, made on first use ("Imported from ChatGPT"). */
  private ensureSession(scope: Scope, source: ParsedConversation['source']): string {
    const { db, now } = this.deps;
    const id = deriveId(scopeNamespace(scope), source, 'session');
    if (!db.repos.sessions.exists(scope, id)) {
      db.sql.tx(() => {
        db.repos.spaces.ensure(scope, now());
        db.repos.sessions.create(scope, { id, name: `Imported from ${SOURCE_NAMES[source]}`, metadata: { import: { source } } }, now());
      });
    }
    return id;
  }

  /** Writes one conversation inside the caller's transaction; returns how many of its messages are new. */
  private write(scope: Scope, sessionId: string, c: ParsedConversation, existing: boolean, at: number): number {
    const { repos } = this.deps.db;
    repos.conversations.upsertImported({
      id: c.id,
      sessionId,
      title: c.title,
      status: c.status,
      model: c.model ?? null,
      metadata: JSON.stringify({ ...c.metadata, import: { source: c.source, sourceId: c.sourceId, fingerprint: c.fingerprint, importedAt: at } }),
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
    });
    const rows: Array<MessageInput & { id: string }> = c.messages.map((m) => ({
      id: m.id,
      conversationId: c.id,
      role: m.role,
      content: m.content,
      createdAt: m.createdAt,
      source: `import:${c.source}`,
      metadata: { ...m.metadata, sourceId: m.sourceId },
      ...(m.model === undefined ? {} : { model: m.model }),
      ...(m.toolCalls === undefined ? {} : { toolCalls: m.toolCalls }),
      ...(m.toolCallId === undefined ? {} : { toolCallId: m.toolCallId }),
      ...(m.toolResults === undefined ? {} : { toolResults: m.toolResults }),
      ...(m.thinking === undefined ? {} : { thinking: m.thinking }),
      ...(m.attachments === undefined ? {} : { attachments: m.attachments }),
    }));
    // A newer ChatGPT export can move messages between the main path and a side branch (the user switched
    // branches): their ids are derived from the source node, so they move here, and a branch left empty goes.
    const held = repos.messages.holders(scope, rows.map((r) => r.id));
    const fresh = rows.filter((r) => !held.has(r.id));
    if (held.size === 0) {
      if (rows.length) repos.messages.insertMany(scope, rows, at);
      return rows.length;
    }
    const elsewhere = [...held].filter(([, conversation]) => conversation !== c.id);
    if (elsewhere.length) {
      repos.messages.moveTo(scope, elsewhere.map(([id]) => id), c.id);
      for (const left of new Set(elsewhere.map(([, conversation]) => conversation))) {
        if (repos.messages.count(scope, { conversationId: left }) === 0 && repos.conversations.importFingerprint(scope, left) !== null) repos.conversations.delete(scope, left);
      }
    }
    for (const row of rows) repos.messages.upsert(scope, row, at);
    return fresh.length;
  }
}

/** A File stays a handle: the parse reads it in slices. */
function readParts(input: ImportPart | ImportPart[]): ImportFile[] {
  return (Array.isArray(input) ? input : [input]).map((part) => (part instanceof Blob ? { name: part.name, blob: part } : part));
}
