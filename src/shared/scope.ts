/**
 * The one spelling of a scope as a string key, and the one global scope.
 * Keys are JSON arrays: ids may contain any character (a separator such as
 * U+0000 would let two different scopes share a key), JSON keeps them apart.
 */
import type { Scope } from './models';

/** The scope of rows that belong to no space (global settings, the embedding model choice). */
export const GLOBAL_SCOPE: Scope = Object.freeze({ userId: '', spaceId: '' });

export function isGlobalScope(scope: Scope): boolean {
  return scope.userId === GLOBAL_SCOPE.userId && scope.spaceId === GLOBAL_SCOPE.spaceId;
}

/** A string that identifies `scope` (userId and spaceId only), for maps and caches. */
export function scopeKey(scope: Scope): string {
  return JSON.stringify([scope.userId, scope.spaceId]);
}

/** The scope a key from `scopeKey` was made from. */
export function scopeFromKey(key: string): Scope {
  const [userId, spaceId] = JSON.parse(key) as [string, string];
  return { userId, spaceId };
}
