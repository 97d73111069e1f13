// Composer commands: `/remember <fact>` and `/forget <words>`.
//
// Contract:
// * `parseComposer(text)` says whether the composer's text is a plain message
//   or a command. A command is `/name` at the very start followed by a space
//   or the end; `/remember` and `/forget` need an argument. Unknown `/name`s
//   are `invalid` (with the reason to show) rather than sent to the model;
//   text like `/etc/hosts …` is a message, and a leading `//` sends a literal
//   `/`.
// * `runCommand(port, command)` does what the UI would: `/remember` adds a
//   long-term memory with `metadata: { source: 'user' }` and importance
//   `USER_MEMORY_IMPORTANCE` (the database merges it into an identical one);
//   `/forget` finds memories by keyword and deletes those whose text holds
//   every given word (`findMemoriesToForget` alone, for a UI that confirms
//   first). It resolves to `{ ok, message, … }` and never rejects: errors of
//   the database become `ok: false` with a message.
// * `port` is the scoped client (`mnemo.space(…)`), typed here by the three
//   methods used so this module does not depend on the rest of the API.
export type ComposerInput =
  | { kind: 'message'; text: string }
  | { kind: 'remember'; fact: string }
  | { kind: 'forget'; words: string }
  | { kind: 'invalid'; command: string; reason: string };

export interface CommandPort {
  memories: {
    add(input: { kind: 'long'; content: string; importance: number; metadata: { source: 'user' } }): Promise<{
      memory: { id: string; content: string };
      action: 'added' | 'updated';
    }>;
    delete(id: string): Promise<boolean>;
  };
  search(request: { query: string; mode: 'keyword'; limit: number; filters: { kinds: Array<'memory'> } }): Promise<
    Array<{ kind: string; id: string; text: string }>
  >;
}

export type CommandResult =
  | { ok: true; command: 'remember'; message: string; memoryId: string; action: 'added' | 'updated' }
  | { ok: true; command: 'forget'; message: string; deleted: Array<{ id: string; text: string }> }
  | { ok: false; command: 'remember' | 'forget'; message: string };

export const COMMANDS = {
  remember: '/remember <fact> — remember something about you',
  forget: '/forget <words> — forget the memories that contain all these words',
} as const;

export const USER_MEMORY_IMPORTANCE = 0.9;
/** How many keyword hits `/forget` looks at. */
export const FORGET_SEARCH_LIMIT = 50;

const COMMAND = /^\/([A-Za-z]+)(?:\s+([\s\S]*))?$/;

export function parseComposer(text: string): ComposerInput {
  const trimmed = text.trim();
  if (trimmed.startsWith('//')) return { kind: 'message', text: trimmed.slice(1) };
  const match = COMMAND.exec(trimmed);
  if (match === null) return { kind: 'message', text: trimmed };
  const name = match[1]!.toLowerCase();
  const argument = (match[2] ?? '').trim();
  if (name === 'remember' || name === 'forget') {
    if (argument === '') return { kind: 'invalid', command: name, reason: `Usage: ${COMMANDS[name]}` };
    return name === 'remember' ? { kind: 'remember', fact: argument } : { kind: 'forget', words: argument };
  }
  return { kind: 'invalid', command: name, reason: `Unknown command /${name}. Commands: /remember, /forget. Start with // to send a message that begins with /.` };
}

const wordsOf = (text: string) => text.toLowerCase().normalize('NFKC').split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '');

const reasonOf = (error: unknown) =>
  typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string'
    ? (error as { message: string }).message
    : 'unknown error';

/** Memories whose text holds every word of `words` (case- and punctuation-insensitive). */
export async function findMemoriesToForget(port: CommandPort, words: string): Promise<Array<{ id: string; text: string }>> {
  const wanted = wordsOf(words);
  if (wanted.length === 0) return [];
  const hits = await port.search({ query: words, mode: 'keyword', limit: FORGET_SEARCH_LIMIT, filters: { kinds: ['memory'] } });
  const seen = new Set<string>();
  return hits.flatMap((hit) => {
    if (hit.kind !== 'memory' || seen.has(hit.id)) return [];
    seen.add(hit.id);
    const have = new Set(wordsOf(hit.text));
    return wanted.every((w) => have.has(w)) ? [{ id: hit.id, text: hit.text }] : [];
  });
}

export async function runCommand(port: CommandPort, command: Extract<ComposerInput, { kind: 'remember' | 'forget' }>): Promise<CommandResult> {
  if (command.kind === 'remember') {
    try {
      const { memory, action } = await port.memories.add({ kind: 'long', content: command.fact, importance: USER_MEMORY_IMPORTANCE, metadata: { source: 'user' } });
      const message = action === 'added' ? `Remembered: “${memory.content}”` : `Already remembered: “${memory.content}”`;
      return { ok: true, command: 'remember', message, memoryId: memory.id, action };
    } catch (error) {
      return { ok: false, command: 'remember', message: `Could not remember that: ${reasonOf(error)}` };
    }
  }
  try {
    const matches = await findMemoriesToForget(port, command.words);
    const deleted: Array<{ id: string; text: string }> = [];
    for (const match of matches) if (await port.memories.delete(match.id)) deleted.push(match);
    const message = deleted.length === 0
      ? `No memory contains all of: ${command.words}`
      : `Forgot ${deleted.length} ${deleted.length === 1 ? 'memory' : 'memories'}.`;
    return { ok: true, command: 'forget', message, deleted };
  } catch (error) {
    return { ok: false, command: 'forget', message: `Could not forget: ${reasonOf(error)}` };
  }
}
