/**
 * Schemas of the chat's model endpoints. API keys live only in the browser's
 * localStorage (src/ui/chat/endpoints.ts), so nothing in the database — and
 * so no export or backup of it — can carry one:
 * - `endpointsSetting`: the `chat.endpoints` setting, checked by
 *   `settings.set`; an entry with a secret-named field is refused.
 * - `endpointsFile`: the file Settings → Chat models exports on request
 *   ("Export endpoints", with keys only when "Include API keys" is ticked)
 *   and imports ("Import endpoints"), checked before anything is saved.
 */
import * as v from 'valibot';
import { isJsonValue, strictObject, wellFormed } from './base';

export const ENDPOINTS_SETTING = 'chat.endpoints';
export const ENDPOINTS_FILE_FORMAT = 'mnemo-endpoints';
export const MAX_ENDPOINTS = 100;

/** Field names that hold a credential, whatever their case or separator. */
const SECRET_FIELD = /^(api[-_]?key|key|token|access[-_]?token|secret|password|authorization|bearer)$/i;

/** True when `value` has a secret-named field at any depth. */
function holdsSecret(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(holdsSecret);
  return Object.entries(value).some(([key, inner]) => SECRET_FIELD.test(key) || holdsSecret(inner));
}

const isPlain = (value: unknown) => isJsonValue(value) && typeof value === 'object' && value !== null && !Array.isArray(value);

/** The `chat.endpoints` setting: an array of endpoint objects, none with an API key (keys never enter the database). */
export const endpointsSetting = v.array(
  v.pipe(
    v.custom<Record<string, unknown>>(isPlain, 'an endpoint object'),
    v.check((entry) => !holdsSecret(entry), 'an endpoint without an API key or other secret field (keys stay in the browser’s localStorage, never in the database)'),
  ),
  'an array of endpoint objects',
);

const text = (max: number, what: string) => v.pipe(v.string('a string'), v.maxLength(max, `${what} of at most ${max} characters`), wellFormed);

/** One endpoint in a file; `apiKey` only in a file exported with keys. */
const fileEndpoint = strictObject(
  {
    id: v.pipe(v.string('a string id'), v.minLength(1, 'a non-empty id'), v.maxLength(128, 'an id of at most 128 characters')),
    name: text(200, 'a name'),
    baseUrl: v.pipe(text(2000, 'a URL'), v.minLength(1, 'a non-empty URL')),
    model: text(200, 'a model name'),
    // A request header carries it, so it must be visible ASCII.
    apiKey: v.optional(v.pipe(v.string('a string'), v.regex(/^[\x21-\x7e]{1,4096}$/, 'an API key of 1 to 4096 visible ASCII characters'))),
  },
  'an endpoint object { id, name, baseUrl, model, apiKey? }',
);

/** The endpoints file: `{ format: "mnemo-endpoints", version: 1, exportedAt, endpoints }`. */
export const endpointsFile = strictObject(
  {
    format: v.literal(ENDPOINTS_FILE_FORMAT, `"${ENDPOINTS_FILE_FORMAT}"`),
    version: v.literal(1, '1'),
    exportedAt: v.optional(v.pipe(v.number('a number'), v.finite('a finite number'))),
    endpoints: v.pipe(v.array(fileEndpoint, 'an array of endpoints'), v.maxLength(MAX_ENDPOINTS, `at most ${MAX_ENDPOINTS} endpoints`)),
  },
  'an endpoints file { format: "mnemo-endpoints", version: 1, endpoints: [...] }',
);

export type EndpointsFile = v.InferOutput<typeof endpointsFile>;
