import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { isMnemoError, MnemoFailure } from '../../src/shared/errors';
import { parseExport } from '../../src/worker/import';
import type { ImportFile, ParseOptions, ParsedConversation, ParseReport } from '../../src/worker/import';

export const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../fixtures/import/${name}`, import.meta.url)));
}

export function file(name: string, content: unknown): ImportFile {
  // A string or bytes as they are; anything else as its JSON.
  const bytes = content instanceof Uint8Array ? content : encode(typeof content === 'string' ? content : JSON.stringify(content));
  return { name, bytes };
}

/** A fixed `now` so parses of the same input are identical. */
export const NOW = 1_750_000_000_000;

export async function parseAll(files: ImportFile[], options: ParseOptions = {}): Promise<{ conversations: ParsedConversation[]; report: ParseReport }> {
  const parse = parseExport(files, { now: NOW, ...options });
  const conversations: ParsedConversation[] = [];
  for await (const conversation of parse) conversations.push(conversation);
  return { conversations, report: parse.report };
}

/** Iterating rejects with IMPORT_REJECTED; returns the message. */
export async function rejected(files: ImportFile[], options: ParseOptions = {}): Promise<string> {
  try {
    await parseAll(files, options);
  } catch (error) {
    expect(error).toBeInstanceOf(MnemoFailure);
    const plain = (error as MnemoFailure).toJSON();
    expect(isMnemoError(plain)).toBe(true);
    expect(plain.code).toBe('IMPORT_REJECTED');
    return plain.message;
  }
  throw new Error('expected IMPORT_REJECTED');
}

export function byTitle(conversations: ParsedConversation[], sourceId: string): ParsedConversation {
  const found = conversations.find((c) => c.sourceId === sourceId);
  if (found === undefined) throw new Error(`no conversation ${sourceId}`);
  return found;
}
