// Whether a chat turn uses memory: a switch per conversation over a default per space.
//
// Contract:
// * The space default is the space setting `MEMORY_SETTING` (`chat.memory`):
//   `false` turns memory off for the space's conversations; unset, or any
//   other value, is on.
// * A conversation's `metadata.memory` (`true` or `false`) overrides the
//   space default; unset, or not a boolean, the conversation follows the space.
// * `decideMemory(conversationMetadata, spaceSetting)` is the rule:
//   conversation override > space default > on. It returns `{ on, by }`, `by`
//   naming what decided ('conversation', 'space' or 'default').
// * With memory off a turn searches nothing, recalls nothing into the system
//   prompt and asks for no extraction (`runTurn`'s `memory`, the composer);
//   `/remember` and `/forget` still run, because the user asks for them.
// * `readMemory(port, conversationId)` reads both now (the composer asks
//   before every turn, so a switch flipped in another tab counts at once);
//   `withConversationMemory(metadata, on)` is the conversation's metadata with
//   the override set (`true`/`false`) or removed (`null`), other keys kept.
import type { Json, JsonObject } from '../../shared/models';

export const MEMORY_SETTING = 'chat.memory';
export const MEMORY_METADATA_KEY = 'memory';

export type MemorySource = 'conversation' | 'space' | 'default';

export interface MemoryDecision {
  on: boolean;
  by: MemorySource;
}

/** The conversation's own switch: true, false, or null when it follows the space. */
export function conversationMemory(metadata: JsonObject | undefined): boolean | null {
  const value = metadata?.[MEMORY_METADATA_KEY];
  return typeof value === 'boolean' ? value : null;
}

/** The space default: only an explicit `false` turns memory off. */
export function spaceMemory(setting: Json | null | undefined): boolean {
  return setting !== false;
}

export function decideMemory(metadata: JsonObject | undefined, setting: Json | null | undefined): MemoryDecision {
  const own = conversationMemory(metadata);
  if (own !== null) return { on: own, by: 'conversation' };
  if (!spaceMemory(setting)) return { on: false, by: 'space' };
  return { on: true, by: 'default' };
}

export function withConversationMemory(metadata: JsonObject, on: boolean | null): JsonObject {
  const { [MEMORY_METADATA_KEY]: _previous, ...rest } = metadata;
  return on === null ? rest : { ...rest, [MEMORY_METADATA_KEY]: on };
}

/** The scoped client's calls `readMemory` uses (`mnemo.space(…)` is one). */
export interface MemoryPort {
  conversations: { get(id: string): Promise<{ metadata: JsonObject }> };
  settings: { get(key: string): Promise<Json | null> };
}

export interface MemoryState {
  decision: MemoryDecision;
  /** The conversation's own switch, null when it follows the space. */
  conversation: boolean | null;
  /** The space default. */
  space: boolean;
}

export async function readMemory(port: MemoryPort, conversationId: string): Promise<MemoryState> {
  const [conversation, setting] = await Promise.all([port.conversations.get(conversationId), port.settings.get(MEMORY_SETTING)]);
  return { decision: decideMemory(conversation.metadata, setting), conversation: conversationMemory(conversation.metadata), space: spaceMemory(setting) };
}
