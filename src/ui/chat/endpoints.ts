// Model endpoints the chat can talk to, and whether the page may reach them.
//
// Contract:
// * Endpoints (`{ id, name, baseUrl, model }`) are one database setting,
//   `ENDPOINTS_KEY`, so they travel with exports and backups. API keys never
//   do: they stay in this browser's localStorage under `apiKeyStorageKey(id)`
//   (`loadApiKey` / `saveApiKey`), `parseEndpoints` drops any `apiKey` field
//   a hand-edited setting may carry, and `settings.set` refuses one
//   (`src/shared/input/endpoints.ts`).
// * Keys leave this browser only when asked: `endpointsFile(endpoints,
//   { includeKeys })` is the "Export endpoints" file (keys only with
//   `includeKeys: true`); `readEndpointsFile(text)` checks such a file
//   against the shared schema and normalizes each endpoint, or names the first
//   problem; `mergeEndpoints` puts imported ones over those with the same id.
// * `validateEndpoint(form)` checks a form's fields and normalizes the base URL
//   (`normalizeBaseUrl`); it returns the endpoint or the reason to show.
// * `cspAllows(policy, url)` says whether a Content-Security-Policy's
//   connect-src (default-src when absent) lets the page fetch `url`. A fetch
//   the policy blocks fails exactly like an unreachable server, so the settings
//   check this first and say which origin to add to `MNEMO_CONNECT_SRC`.
import { ENDPOINTS_FILE_FORMAT, ENDPOINTS_SETTING, endpointsFile as endpointsFileSchema, type EndpointsFile } from '../../shared/input/endpoints';
import type { Json } from '../../shared/models';
import { check } from '../../shared/schemas';
import { normalizeBaseUrl } from './openai';

export interface EndpointConfig {
  id: string;
  name: string;
  /** As `normalizeBaseUrl` returns it, e.g. `http://localhost:11434/v1`. */
  baseUrl: string;
  model: string;
}

export interface ChatPreferences {
  /** The endpoint the composer uses; the first one when unset or gone. */
  endpointId: string | null;
  /** Tokens for the whole system prompt with the recalled items. */
  recallBudgetTokens: number;
  /** After each answer, ask the model for facts worth remembering (off by default). */
  extractMemories: boolean;
}

export const ENDPOINTS_KEY = ENDPOINTS_SETTING;
export const PREFERENCES_KEY = 'chat.preferences';
export const DEFAULT_RECALL_BUDGET = 1500;
export const DEFAULT_SYSTEM_PROMPT = 'You are a helpful assistant. Answer in the language of the user.';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

export function parseEndpoints(value: Json | null): EndpointConfig[] {
  if (!Array.isArray(value)) return [];
  const seen = new Set<string>();
  return value.flatMap((entry) => {
    if (!isRecord(entry)) return [];
    const id = text(entry['id']);
    const baseUrl = normalizeBaseUrl(text(entry['baseUrl']));
    if (id === '' || baseUrl === null || seen.has(id)) return [];
    seen.add(id);
    return [{ id, name: text(entry['name']) || new URL(baseUrl).host, baseUrl, model: text(entry['model']) }];
  });
}

export function parsePreferences(value: Json | null): ChatPreferences {
  const record = isRecord(value) ? value : {};
  const budget = record['recallBudgetTokens'];
  return {
    endpointId: typeof record['endpointId'] === 'string' ? record['endpointId'] : null,
    recallBudgetTokens: typeof budget === 'number' && Number.isFinite(budget) && budget >= 0 ? Math.floor(budget) : DEFAULT_RECALL_BUDGET,
    extractMemories: record['extractMemories'] === true,
  };
}

export function pickEndpoint(endpoints: readonly EndpointConfig[], id: string | null): EndpointConfig | undefined {
  return endpoints.find((e) => e.id === id) ?? endpoints[0];
}

export type EndpointForm = { id: string; name: string; baseUrl: string; model: string };

export function validateEndpoint(form: EndpointForm): { ok: true; endpoint: EndpointConfig } | { ok: false; reason: string } {
  const baseUrl = normalizeBaseUrl(form.baseUrl);
  if (baseUrl === null) return { ok: false, reason: 'The base URL must start with http:// or https://, e.g. http://localhost:11434/v1.' };
  const model = form.model.trim();
  if (model === '') return { ok: false, reason: 'Name a model, or use “Test connection” to list the server’s models.' };
  const name = form.name.trim() || new URL(baseUrl).host;
  return { ok: true, endpoint: { id: form.id, name, baseUrl, model } };
}

export const apiKeyStorageKey = (endpointId: string) => `mnemo.chat.apiKey.${endpointId}`;

type KeyStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export function loadApiKey(store: KeyStore, endpointId: string): string | undefined {
  return store.getItem(apiKeyStorageKey(endpointId)) || undefined;
}

export function saveApiKey(store: KeyStore, endpointId: string, key: string): void {
  if (key.trim() === '') store.removeItem(apiKeyStorageKey(endpointId));
  else store.setItem(apiKeyStorageKey(endpointId), key.trim());
}

/** An endpoint with the key to import with it, if the file has one. */
export type PortableEndpoint = EndpointConfig & { apiKey?: string };

/** The "Export endpoints" file; API keys (from `store`) only with `includeKeys`. */
export function endpointsFile(endpoints: readonly EndpointConfig[], options: { includeKeys: boolean; store: KeyStore; now: number }): EndpointsFile {
  return {
    format: ENDPOINTS_FILE_FORMAT,
    version: 1,
    exportedAt: options.now,
    endpoints: endpoints.map(({ id, name, baseUrl, model }) => {
      const apiKey = options.includeKeys ? loadApiKey(options.store, id) : undefined;
      return { id, name, baseUrl, model, ...(apiKey === undefined ? {} : { apiKey }) };
    }),
  };
}

export function readEndpointsFile(text: string): { ok: true; endpoints: PortableEndpoint[] } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'This is not an endpoints file: it is not JSON.' };
  }
  let file: EndpointsFile;
  try {
    file = check(endpointsFileSchema, value, 'Endpoints file');
  } catch (error) {
    return { ok: false, reason: `${(error as Error).message}.` };
  }
  const endpoints: PortableEndpoint[] = [];
  for (const [i, entry] of file.endpoints.entries()) {
    const checked = validateEndpoint(entry);
    if (!checked.ok) return { ok: false, reason: `Endpoints file: endpoint ${i + 1} (“${entry.name || entry.baseUrl}”): ${checked.reason}` };
    if (endpoints.some((e) => e.id === entry.id)) return { ok: false, reason: `Endpoints file: endpoint ${i + 1} repeats the id of an earlier one.` };
    endpoints.push({ ...checked.endpoint, ...(entry.apiKey === undefined ? {} : { apiKey: entry.apiKey }) });
  }
  return { ok: true, endpoints };
}

/** Imported endpoints replace those with the same id, in place; new ones go last. Keys are not part of the result. */
export function mergeEndpoints(current: readonly EndpointConfig[], imported: readonly PortableEndpoint[]): EndpointConfig[] {
  const strip = ({ id, name, baseUrl, model }: PortableEndpoint): EndpointConfig => ({ id, name, baseUrl, model });
  const byId = new Map(imported.map((e) => [e.id, strip(e)]));
  const merged = current.map((e) => byId.get(e.id) ?? e);
  return [...merged, ...imported.filter((e) => !current.some((c) => c.id === e.id)).map(strip)];
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443' };

/** Whether one CSP source expression matches `url` (scheme, host with `*.`, port with `*`). */
function sourceMatches(source: string, url: URL, self: URL | null): boolean {
  const lower = source.toLowerCase();
  if (lower === "'self'") return self !== null && self.origin === url.origin;
  if (lower === '*') return url.protocol === 'http:' || url.protocol === 'https:';
  if (/^[a-z][a-z0-9+.-]*:$/.test(lower)) return url.protocol === lower || (lower === 'http:' && url.protocol === 'https:');
  const match = /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\*\.)?([^:/]+)(?::(\d+|\*))?(\/.*)?$/.exec(lower);
  if (match === null) return false;
  const [, scheme, wildcard, host, port] = match;
  const protocol = url.protocol;
  if (scheme !== undefined && `${scheme}:` !== protocol && !(scheme === 'http' && protocol === 'https:')) return false;
  if (wildcard !== undefined ? !url.hostname.endsWith(`.${host}`) : url.hostname !== host) return false;
  const actual = url.port || DEFAULT_PORTS[protocol] || '';
  const wanted = port ?? DEFAULT_PORTS[scheme === undefined ? protocol : `${scheme}:`] ?? '';
  return port === '*' || actual === wanted;
}

/** Whether `policy` lets the page connect to `url`; true when there is no policy or no applicable directive. */
export function cspAllows(policy: string | null, url: string, selfUrl?: string): boolean {
  if (policy === null || policy.trim() === '') return true;
  const directives = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name !== undefined && name !== '' && !directives.has(name.toLowerCase())) directives.set(name.toLowerCase(), sources);
  }
  const sources = directives.get('connect-src') ?? directives.get('default-src');
  if (sources === undefined) return true;
  const target = new URL(url);
  const self = selfUrl === undefined ? null : new URL(selfUrl);
  return sources.some((source) => sourceMatches(source, target, self));
}

/** What to tell the user when the page's policy does not list an endpoint's origin. */
export function cspBlockedMessage(baseUrl: string): string {
  const origin = new URL(baseUrl).origin;
  return `This app’s Content-Security-Policy does not allow connecting to ${origin}, so the browser blocks every request to it (it looks like a network error). Start the server with MNEMO_CONNECT_SRC="${origin}" (space-separated, add every endpoint’s origin), or use the connectSrc option of the mnemo() Vite plugin.`;
}
