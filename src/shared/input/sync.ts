/** Schemas of `mnemo.sync.*`: where the server is, the device token, which spaces sync. */
import * as v from 'valibot';
import { strictObject, type Base } from './base';

/** Server-side ids (docs/sync.md): a synced space's id must be one. */
export const SYNC_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Tokens the server issues: `mnemo_` + base64url. */
const TOKEN = /^[A-Za-z0-9_-]{16,200}$/;

export function syncSchemas(b: Base) {
  const url = v.pipe(
    v.string('a string'),
    v.maxLength(2000, 'a URL of at most 2000 characters'),
    v.check((text) => {
      try {
        const parsed = new URL(text);
        return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.username === '' && parsed.password === '';
      } catch {
        return false;
      }
    }, 'an absolute http(s) URL without credentials'),
  );
  const space = strictObject(
    {
      userId: b.scopeEntries.userId,
      spaceId: v.pipe(b.scopeEntries.spaceId, v.regex(SYNC_ID, "a space id of letters, digits, '.', '_', ':' or '-' (the server's id rule)")),
    },
    'an object { userId, spaceId }',
  );
  return {
    syncConfig: strictObject(
      {
        url,
        /** Left out: keep the token stored for the same URL (changing the spaces needs no new sign-in). */
        token: v.optional(v.pipe(v.string('a string'), v.regex(TOKEN, 'a device token as the server issued it (POST /tokens)'))),
        spaces: v.optional(v.pipe(v.array(space, 'an array of { userId, spaceId }'), v.maxLength(100, 'at most 100 spaces'))),
        /** Sync on local changes, when the browser comes online and every `intervalMs` (default true). */
        auto: v.optional(v.boolean('a boolean')),
        intervalMs: v.optional(v.pipe(v.number('a number'), v.integer('an integer'), v.minValue(1_000, 'at least 1000'), v.maxValue(86_400_000, 'at most one day'))),
      },
      'an object { url, token, spaces?, auto?, intervalMs? }',
    ),
    syncSpaces: v.pipe(v.array(space, 'an array of { userId, spaceId }'), v.maxLength(100, 'at most 100 spaces')),
  };
}
