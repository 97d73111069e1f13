import { describe, expect, test } from 'vitest';
import { appHeaders, connectSrcFromEnv, contentSecurityPolicy, DEFAULT_CONNECT_SRC } from '../../scripts/serve.mjs';
import {
  apiKeyStorageKey, cspAllows, cspBlockedMessage, DEFAULT_RECALL_BUDGET, loadApiKey, parseEndpoints, parsePreferences, pickEndpoint, saveApiKey, validateEndpoint,
} from '../../src/ui/chat/endpoints';
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
