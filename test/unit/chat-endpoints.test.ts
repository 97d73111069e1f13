import { describe, expect, test } from 'vitest';
import { appHeaders, connectSrcFromEnv, contentSecurityPolicy, DEFAULT_CONNECT_SRC } from '../../scripts/serve.mjs';
import {
  apiKeyStorageKey, cspAllows, cspBlockedMessage, DEFAULT_RECALL_BUDGET, endpointsFile, ENDPOINTS_KEY, loadApiKey, mergeEndpoints, parseEndpoints, parsePreferences,
  pickEndpoint, readEndpointsFile, saveApiKey, validateEndpoint,
} from '../../src/ui/chat/endpoints';
import type { Json } from '../../src/shared/models';
import { errorOf, openTest } from './helpers';
import { crossOriginHeaders } from '../../src/vite/index';

describe('endpoints', () => {
  test('parseEndpoints keeps valid entries, normalizes URLs and never carries a key', () => {
    const parsed = parseEndpoints([
      { id: 'a', name: 'Ollama', baseUrl: 'http://localhost:11434', model: 'llama3.2', apiKey: 'sk-secret' },
      { id: 'b', name: '', baseUrl: 'https://api.openai.com/v1/', model: 'gpt-4o-mini' },
      { id: 'a', name: 'dup', baseUrl: 'http://x', model: 'm' },
      { id: 'c', baseUrl: 'ftp://x', model: 'm' },
      'junk',
    ]);
    expect(parsed).toEqual([
      { id: 'a', name: 'Ollama', baseUrl: 'http://localhost:11434/v1', model: 'llama3.2' },
      { id: 'b', name: 'api.openai.com', baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o-mini' },
    ]);
    expect(parseEndpoints(null)).toEqual([]);
    expect(pickEndpoint(parsed, 'b')?.id).toBe('b');
    expect(pickEndpoint(parsed, 'gone')?.id).toBe('a');
  });

  test('validateEndpoint names the problem', () => {
    expect(validateEndpoint({ id: 'x', name: '', baseUrl: 'localhost:11434', model: 'm' })).toMatchObject({ ok: false, reason: expect.stringMatching(/http/) });
    expect(validateEndpoint({ id: 'x', name: '', baseUrl: 'http://127.0.0.1:8080', model: ' ' })).toMatchObject({ ok: false, reason: expect.stringMatching(/model/) });
    expect(validateEndpoint({ id: 'x', name: '', baseUrl: 'http://127.0.0.1:8080', model: 'q' })).toEqual({ ok: true, endpoint: { id: 'x', name: '127.0.0.1:8080', baseUrl: 'http://127.0.0.1:8080/v1', model: 'q' } });
  });

  test('preferences default the recall budget', () => {
    expect(parsePreferences(null)).toEqual({ endpointId: null, recallBudgetTokens: DEFAULT_RECALL_BUDGET, extractMemories: false });
    expect(parsePreferences({ endpointId: 'a', recallBudgetTokens: 800.7, extractMemories: true })).toEqual({ endpointId: 'a', recallBudgetTokens: 800, extractMemories: true });
    expect(parsePreferences({ extractMemories: 'yes' }).extractMemories).toBe(false);
  });

  test('API keys live in the given storage, one per endpoint; an empty key removes it', () => {
    const map = new Map<string, string>();
    const store = { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => void map.set(k, v), removeItem: (k: string) => void map.delete(k) };
    saveApiKey(store, 'a', ' sk-1 ');
    expect(map.get(apiKeyStorageKey('a'))).toBe('sk-1');
    expect(loadApiKey(store, 'a')).toBe('sk-1');
    saveApiKey(store, 'a', '');
    expect(loadApiKey(store, 'a')).toBeUndefined();
  });
});

describe('CSP', () => {
  const policy = contentSecurityPolicy();
  test.each([
    ['http://localhost:11434/v1', true],
    ['http://127.0.0.1:1234/v1', true],
    ['https://api.openai.com/v1', false],
    ['http://192.168.1.5:11434/v1', false],
    ['https://huggingface.co/x', true],
    ['https://cdn-lfs.hf.co/x', true],
    ['http://localhost:4173/v1', true],
  ])('the default policy and %s → %s', (url, allowed) => {
    expect(cspAllows(policy, url, 'http://localhost:4173/')).toBe(allowed);
  });

  test('MNEMO_CONNECT_SRC replaces the local defaults with plain origins only', () => {
    expect(connectSrcFromEnv(undefined)).toEqual(DEFAULT_CONNECT_SRC);
    expect(connectSrcFromEnv(' https://api.openai.com  https://*.example.org:8443 ')).toEqual(['https://api.openai.com', 'https://*.example.org:8443']);
    expect(() => connectSrcFromEnv("https://a.com; script-src 'unsafe-inline'")).toThrow(/not an origin/);
    expect(() => crossOriginHeaders(["'unsafe-eval'"])).toThrow(/not an origin/);
    const openai = appHeaders(['https://api.openai.com'])['Content-Security-Policy']!;
    expect(cspAllows(openai, 'https://api.openai.com/v1/models')).toBe(true);
    expect(cspAllows(openai, 'http://localhost:11434/v1')).toBe(false);
  });

  test('no policy or no connect rule allows; default-src applies when connect-src is absent', () => {
    expect(cspAllows(null, 'https://x.org')).toBe(true);
    expect(cspAllows("script-src 'self'", 'https://x.org')).toBe(true);
    expect(cspAllows("default-src 'self'", 'https://x.org', 'http://localhost/')).toBe(false);
    expect(cspBlockedMessage('https://api.openai.com/v1')).toContain('MNEMO_CONNECT_SRC="https://api.openai.com"');
  });
});

describe('API keys leave only when asked', () => {
  const SECRET = 'sk-never-exported-7f3a';
  const memoryStore = () => {
    const map = new Map<string, string>();
    return { map, store: { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => void map.set(k, v), removeItem: (k: string) => void map.delete(k) } };
  };
  const hosted = { id: 'a', name: 'Hosted', baseUrl: 'https://api.example.com/v1', model: 'm1' };
  const local = { id: 'b', name: 'Local', baseUrl: 'http://localhost:11434/v1', model: 'llama3.2' };
  const endpoints = [hosted, local];

  test('the endpoints file has the keys only with includeKeys', () => {
    const { store } = memoryStore();
    saveApiKey(store, 'a', SECRET);
    const plain = endpointsFile(endpoints, { includeKeys: false, store, now: 5 });
    expect(plain).toEqual({ format: 'mnemo-endpoints', version: 1, exportedAt: 5, endpoints });
    expect(JSON.stringify(plain)).not.toContain(SECRET);
    const keyed = endpointsFile(endpoints, { includeKeys: true, store, now: 5 });
    expect(keyed.endpoints).toEqual([{ ...hosted, apiKey: SECRET }, local]);
  });

  test('an exported file reads back; a wrong one is refused with the first problem named', () => {
    const { store } = memoryStore();
    saveApiKey(store, 'a', SECRET);
    const file = endpointsFile(endpoints, { includeKeys: true, store, now: 5 });
    expect(readEndpointsFile(JSON.stringify(file))).toEqual({ ok: true, endpoints: [{ ...hosted, apiKey: SECRET }, local] });
    // Base URLs are normalized like the form does.
    const loose = { ...file, endpoints: [{ id: 'c', name: '', baseUrl: 'http://127.0.0.1:8080', model: 'q' }] };
    expect(readEndpointsFile(JSON.stringify(loose))).toEqual({ ok: true, endpoints: [{ id: 'c', name: '127.0.0.1:8080', baseUrl: 'http://127.0.0.1:8080/v1', model: 'q' }] });

    const refused = (value: unknown) => {
      const read = readEndpointsFile(typeof value === 'string' ? value : JSON.stringify(value));
      return read.ok ? 'accepted' : read.reason;
    };
    expect(refused('{')).toMatch(/not JSON/);
    expect(refused({ ...file, format: 'chatgpt' })).toMatch(/field 'format' must be "mnemo-endpoints"/);
    expect(refused({ ...file, version: 2 })).toMatch(/field 'version'/);
    expect(refused({ ...file, endpoints: [{ ...hosted, headers: {} }] })).toMatch(/unexpected field 'endpoints.0.headers'/);
    expect(refused({ ...file, endpoints: [{ ...hosted, apiKey: 'sk with spaces' }] })).toMatch(/endpoints.0.apiKey' must be an API key of 1 to 4096 visible ASCII/);
    expect(refused({ ...file, endpoints: [{ ...hosted, baseUrl: 'ftp://x' }] })).toMatch(/endpoint 1 .*http:\/\//);
    expect(refused({ ...file, endpoints: [hosted, hosted] })).toMatch(/endpoint 2 repeats the id/);
    expect(refused({ ...file, endpoints: Array.from({ length: 101 }, (_, i) => ({ ...local, id: `e${i}` })) })).toMatch(/at most 100 endpoints/);
  });

  test('imported endpoints replace those with the same id and never carry a key into the list', () => {
    const merged = mergeEndpoints(endpoints, [{ id: 'b', name: 'Local 2', baseUrl: 'http://localhost:1234/v1', model: 'x', apiKey: SECRET }, { id: 'c', name: 'New', baseUrl: 'http://h/v1', model: 'y' }]);
    expect(merged).toEqual([hosted, { id: 'b', name: 'Local 2', baseUrl: 'http://localhost:1234/v1', model: 'x' }, { id: 'c', name: 'New', baseUrl: 'http://h/v1', model: 'y' }]);
    expect(JSON.stringify(merged)).not.toContain(SECRET);
  });

  test('settings.set refuses an endpoint with a key, so no export of the database can carry one', async () => {
    const t = await openTest();
    try {
      const scope = { userId: 'u', spaceId: 's' };
      const refused = await errorOf(t.mnemo.settings.set(ENDPOINTS_KEY, [hosted, { ...local, apiKey: SECRET }]));
      expect(refused).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining("field '1' must be an endpoint without an API key") });
      expect(refused.message).not.toContain(SECRET);
      const secrets: Array<Record<string, Json>> = [{ api_key: SECRET }, { headers: { Authorization: `Bearer ${SECRET}` } }, { Token: SECRET }];
      for (const secret of secrets) {
        expect(await errorOf(t.mnemo.space(scope).settings.set(ENDPOINTS_KEY, [{ ...hosted, ...secret }]))).toMatchObject({ code: 'INVALID_INPUT' });
      }
      expect(await errorOf(t.mnemo.settings.set(ENDPOINTS_KEY, { a: 1 }))).toMatchObject({ code: 'INVALID_INPUT' });
      // Other settings may hold anything; the endpoints without keys are stored.
      await t.mnemo.settings.set('notes', { apiKey: 'not a chat key' });
      await t.mnemo.settings.set(ENDPOINTS_KEY, endpoints);
      await t.mnemo.space(scope).settings.set(ENDPOINTS_KEY, endpoints);
      expect(await t.mnemo.settings.get(ENDPOINTS_KEY)).toEqual(endpoints);

      const latin1 = (bytes: Uint8Array | string) => (typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('latin1'));
      const exports = {
        database: latin1(await t.mnemo.files.export({ markDownloaded: false })),
        space: latin1(await t.mnemo.files.exportSpace(scope)),
        json: await t.mnemo.files.exportJson(scope),
        backup: latin1(await t.mnemo.files.backups.download((await t.mnemo.files.backups.create()).id, { markDownloaded: false })),
      };
      for (const [name, text] of Object.entries(exports)) {
        // The endpoints are in every export (so the search looks at the right bytes); the key in none.
        expect(text, name).toContain('https://api.example.com/v1');
        expect(text, name).not.toContain(SECRET);
      }
    } finally {
      await t.mnemo.close();
    }
  });
});
