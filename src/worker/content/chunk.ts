import { fail } from '../../shared/errors';

export interface Chunk {
  index: number;
  /** Exactly lines startLine..endLine of the document joined by '\n'. */
  text: string;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  /** Markdown only: the headings the chunk starts under, e.g. "Setup > Install". */
  heading?: string;
}

export interface ChunkOptions {
  /** Default 1200. Only a single line longer than this makes a longer chunk. */
  maxChars?: number;
  /** Default 200: a smaller chunk is merged with the next one when the two fit in maxChars. */
  minChars?: number;
}

export const DEFAULT_MAX_CHARS = 1200;
export const DEFAULT_MIN_CHARS = 200;

/**
 * The document's lines as chunk line numbers count them: split on LF, where a
 * final LF ends the last line instead of starting an empty one.
 */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** 0-based inclusive line indexes. */
interface Span {
  start: number;
  end: number;
}

interface Section {
  /** Blocks hold every non-blank line of the section; blank lines lie between them. */
  blocks: Span[];
  /** Set when blocks[0] is the heading that opens the section. */
  heading?: string;
}

interface Packed extends Span {
  heading?: string;
}

/**
 * Splits a document into chunks for search. The chunks cover every line of
 * the document, in order and without overlap, so any chunk can be located by
 * its line range; blank lines between two chunks go to the earlier one. A
 * document with no visible text has no chunks.
 *
 * Within maxChars, larger units are kept whole before smaller ones: Markdown
 * sections (a heading opens a new chunk, unless minChars folds a small section
 * into its neighbour, and stays with what follows it), then paragraphs and
 * fenced code blocks, then single lines. Lines are
 * never split, so chunk text length is measured without the blank lines at
 * its edges, and a line longer than maxChars becomes a chunk of its own.
 */
export function chunkDocument(text: string, kind: 'markdown' | 'text' | 'pdf', opts: ChunkOptions = {}): Chunk[] {
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  const minChars = opts.minChars ?? DEFAULT_MIN_CHARS;
  if (!Number.isInteger(maxChars) || maxChars < 1) fail('INVALID_INPUT', 'maxChars must be a positive integer.');
  if (!Number.isInteger(minChars) || minChars < 0) fail('INVALID_INPUT', 'minChars must be a non-negative integer.');

  const lines = splitLines(text);
  if (lines.every(isBlank)) return [];

  const size = measurer(lines);
  const fits = (start: number, end: number): boolean => size(start, end) <= maxChars;
  const sections = kind === 'markdown' ? markdownSections(lines) : [{ blocks: paragraphs(lines) }];

  const packed: Packed[] = [];
  for (const section of sections) {
    for (const span of pack(sectionUnits(section, lines, fits), fits)) {
      packed.push(section.heading === undefined ? span : { ...span, heading: section.heading });
    }
  }
  return toChunks(mergeSmall(packed, size, fits, minChars), lines);
}

/** Characters in lines start..end joined by '\n', in O(1). */
function measurer(lines: string[]): (start: number, end: number) => number {
  const prefix = [0];
  for (const line of lines) prefix.push((prefix[prefix.length - 1] ?? 0) + line.length);
  return (start, end) => (prefix[end + 1] ?? 0) - (prefix[start] ?? 0) + (end - start);
}

function isBlank(line: string): boolean {
  return line.trim() === '';
}

function paragraphs(lines: string[]): Span[] {
  const blocks: Span[] = [];
  let start = -1;
  lines.forEach((line, i) => {
    if (isBlank(line)) {
      if (start >= 0) blocks.push({ start, end: i - 1 });
      start = -1;
    } else if (start < 0) {
      start = i;
    }
  });
  if (start >= 0) blocks.push({ start, end: lines.length - 1 });
  return blocks;
}

// dotAll: without it '.' stops at the '\r' that CRLF text leaves at line ends.
const ATX_HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?\s*$/s;
const SETEXT_UNDERLINE = /^ {0,3}(=+|-+)\s*$/;
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/s;
const FENCE_CLOSE = /^ {0,3}(`{3,}|~{3,})\s*$/;

/**
 * A line-level reading of Markdown, just enough to find sections, paragraphs
 * and fenced code (where '#' lines are not headings). Lists, quotes and
 * tables are paragraphs like any other run of non-blank lines.
 */
function markdownSections(lines: string[]): Section[] {
  const sections: Section[] = [{ blocks: [] }];
  const path: { level: number; title: string }[] = [];
  let paragraphStart = -1;

  const current = (): Section => sections[sections.length - 1] as Section;
  const endParagraph = (end: number): void => {
    if (paragraphStart >= 0) current().blocks.push({ start: paragraphStart, end });
    paragraphStart = -1;
  };
  const openSection = (level: number, title: string, start: number, end: number): void => {
    while ((path[path.length - 1]?.level ?? 0) >= level) path.pop();
    path.push({ level, title });
    const heading = path
      .map((entry) => entry.title)
      .filter((entry) => entry !== '')
      .join(' > ');
    sections.push(heading ? { blocks: [{ start, end }], heading } : { blocks: [{ start, end }] });
  };

  let i = 0;
  const frontMatterEnd = findFrontMatterEnd(lines);
  if (frontMatterEnd >= 0) {
    current().blocks.push({ start: 0, end: frontMatterEnd });
    i = frontMatterEnd + 1;
  }
  for (; i < lines.length; i++) {
    const line = lines[i] as string;
    if (isBlank(line)) {
      endParagraph(i - 1);
      continue;
    }
    const fence = FENCE_OPEN.exec(line);
    const marker = fence?.[1];
    // A backtick fence's info string cannot contain backticks: "```x```" is inline code.
    if (marker && !(marker[0] === '`' && fence[2]?.includes('`'))) {
      endParagraph(i - 1);
      const end = findFenceEnd(lines, i, marker);
      current().blocks.push({ start: i, end });
      i = end;
      continue;
    }
    const atx = ATX_HEADING.exec(line);
    if (atx) {
      endParagraph(i - 1);
      openSection(atx[1]?.length ?? 1, (atx[2] ?? '').replace(/\s+#+$/, '').trim(), i, i);
      continue;
    }
    // A setext underline turns the whole paragraph above it into a heading.
    const underline = paragraphStart >= 0 ? SETEXT_UNDERLINE.exec(line) : null;
    if (underline) {
      const title = lines
        .slice(paragraphStart, i)
        .map((text) => text.trim())
        .join(' ');
      openSection(underline[1]?.startsWith('=') ? 1 : 2, title, paragraphStart, i);
      paragraphStart = -1;
      continue;
    }
    if (paragraphStart < 0) paragraphStart = i;
  }
  endParagraph(lines.length - 1);
  return sections;
}

/** YAML front matter: a '---' first line up to the next '---' or '...' line. */
function findFrontMatterEnd(lines: string[]): number {
  if (lines[0]?.trimEnd() !== '---') return -1;
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] as string).trimEnd();
    if (line === '---' || line === '...') return i;
  }
  return -1;
}

/** The closing fence line, or the last line: an unclosed fence runs to the end of the document. */
function findFenceEnd(lines: string[], open: number, marker: string): number {
  for (let i = open + 1; i < lines.length; i++) {
    const close = FENCE_CLOSE.exec(lines[i] as string)?.[1];
    if (close && close[0] === marker[0] && close.length >= marker.length) return i;
  }
  return lines.length - 1;
}

/**
 * The atomic pieces a section is packed from: whole blocks where they fit,
 * otherwise their lines. The heading is fused with the start of the block
 * after it, splitting that block into lines if that is what it takes.
 */
function sectionUnits(section: Section, lines: string[], fits: (start: number, end: number) => boolean): Span[] {
  const units: Span[] = [];
  section.blocks.forEach((block, i) => {
    let own = fits(block.start, block.end) ? [block] : lineUnits(lines, block);
    const heading = i === 1 && section.heading !== undefined ? units.pop() : undefined;
    if (heading) {
      if (!fits(heading.start, block.end)) own = lineUnits(lines, block);
      const [first, ...rest] = own;
      if (first && fits(heading.start, first.end)) {
        own = [{ start: heading.start, end: first.end }, ...rest];
      } else {
        units.push(heading);
      }
    }
    units.push(...own);
  });
  return units;
}

/** One unit per non-blank line; blank lines inside the block (in code) stay with the line above. */
function lineUnits(lines: string[], block: Span): Span[] {
  const units: Span[] = [];
  for (let i = block.start; i <= block.end; i++) {
    const last = units[units.length - 1];
    if (last && isBlank(lines[i] as string)) last.end = i;
    else units.push({ start: i, end: i });
  }
  return units;
}

function pack(units: Span[], fits: (start: number, end: number) => boolean): Span[] {
  const spans: Span[] = [];
  for (const unit of units) {
    const last = spans[spans.length - 1];
    if (last && fits(last.start, unit.end)) last.end = unit.end;
    else spans.push({ ...unit });
  }
  return spans;
}

/**
 * Small chunks (typically a heading with a line or two under it) say little on
 * their own, so each joins the next chunk when both fit; a small last chunk,
 * having no next, joins the one before it.
 */
function mergeSmall(
  spans: Packed[],
  size: (start: number, end: number) => number,
  fits: (start: number, end: number) => boolean,
  minChars: number,
): Packed[] {
  const merged: Packed[] = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last && size(last.start, last.end) < minChars && fits(last.start, span.end)) last.end = span.end;
    else merged.push({ ...span });
  }
  const last = merged[merged.length - 1];
  const previous = merged[merged.length - 2];
  if (last && previous && size(last.start, last.end) < minChars && fits(previous.start, last.end)) {
    previous.end = last.end;
    merged.pop();
  }
  return merged;
}

function toChunks(spans: Packed[], lines: string[]): Chunk[] {
  return spans.map((span, index) => {
    const start = index === 0 ? 0 : span.start;
    const end = (spans[index + 1]?.start ?? lines.length) - 1;
    const chunk: Chunk = {
      index,
      text: lines.slice(start, end + 1).join('\n'),
      startLine: start + 1,
      endLine: end + 1,
    };
    if (span.heading !== undefined) chunk.heading = span.heading;
    return chunk;
  });
}
