import { MAX_PROBLEMS, type ImportFormat, type ParseReport } from './types';

/** What a format converter gets besides the raw conversation. */
export interface ConvertContext {
  report: ReportBuilder;
  branches: 'archived' | 'drop';
}

/** Collects the report while parsing; the parsers only call these methods. */
export class ReportBuilder {
  readonly report: ParseReport = {
    format: null,
    conversations: { parsed: 0, skipped: 0 },
    messages: { parsed: 0, skipped: 0 },
    skippedReasons: {},
    problems: [],
    problemsOmitted: 0,
    dateRange: { from: null, to: null },
  };

  setFormat(format: ImportFormat): void {
    this.report.format = format;
  }

  /** Counts a skipped item under `reason` (no content: a fixed phrase or a sanitized type tag). */
  skip(reason: string, count = 1): void {
    this.report.skippedReasons[reason] = (this.report.skippedReasons[reason] ?? 0) + count;
    if (reason.startsWith('message:')) this.report.messages.skipped += count;
  }

  skipConversation(where: string, reason: string): void {
    this.report.conversations.skipped += 1;
    this.skip(`conversation: ${reason}`);
    this.problem(where, reason);
  }

  problem(where: string, reason: string): void {
    if (this.report.problems.length < MAX_PROBLEMS) this.report.problems.push({ where, reason });
    else this.report.problemsOmitted += 1;
  }

  parsed(conversation: { createdAt: number; updatedAt: number; messages: readonly unknown[] }): void {
    this.report.conversations.parsed += 1;
    this.report.messages.parsed += conversation.messages.length;
    const range = this.report.dateRange;
    range.from = range.from === null ? conversation.createdAt : Math.min(range.from, conversation.createdAt);
    range.to = range.to === null ? conversation.updatedAt : Math.max(range.to, conversation.updatedAt);
  }
}
