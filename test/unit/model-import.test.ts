import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { env } from '@huggingface/transformers';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ModelFile } from '../../src/shared/api';
import { nodeCatalog, nodeDir } from '../../src/node/catalog';
import { ModelStore, modelDims, parseIndex, prepareModelFiles, serializeIndex, type StoreDir, type StoredModel } from '../../src/worker/embed/model-store';
import { errorOf, openTest } from './helpers';

const MODEL_DIR = fileURLToPath(new URL('../../public/models/mnemo-test-32d/', import.meta.url));
const MODELS_DIR = fileURLToPath(new URL('../../public/models/', import.meta.url));
const TEST_MODEL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'];

const text = (s: string) => new TextEncoder().encode(s);
const testModel = (prefix = ''): ModelFile[] => TEST_MODEL_FILES.map((path) => ({ path: prefix + path, bytes: new Uint8Array(readFileSync(join(MODEL_DIR, path))) }));

/** A minimal folder: JSON files as given, weights as placeholder bytes. */
function folder(config: object, weights: string[], extra: Record<string, string> = {}): ModelFile[] {
  return [
    { path: 'config.json', bytes: text(JSON.stringify(config)) },
    { path: 'tokenizer.json', bytes: text('{}') },
    { path: 'tokenizer_config.json', bytes: text('{}') },
    ...weights.map((path) => ({ path, bytes: new Uint8Array(8) })),
    ...Object.entries(extra).map(([path, s]) => ({ path, bytes: text(s) })),
  ];
}

const paths = (files: ModelFile[]) => files.map((f) => f.path).sort();
const messageOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return `${(e as { code?: string }).code}: ${(e as Error).message}`;
  }
  return 'no error';
};

let dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mnemo-models-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

describe('prepareModelFiles', () => {
  it('accepts the test model and reads dims from hidden_size', () => {
    const prepared = prepareModelFiles(testModel());
    expect(paths(prepared.files)).toEqual([...TEST_MODEL_FILES].sort());
    expect(prepared.dims).toBe(32);
    expect(prepared.dtype).toBeUndefined(); // its config.json names fp32
  });

  it('drops the picked folder name, hidden files and weight variants that will not be loaded', () => {
    const files = folder(
      { hidden_size: 384 },
      ['onnx/model.onnx', 'onnx/model_quantized.onnx', 'onnx/model_fp16.onnx', 'onnx/model_q4.onnx'],
      { 'README.md': '# model', '.gitattributes': '*', '.git/HEAD': 'ref' },
    ).map((f) => ({ ...f, path: `bge-small/${f.path}` }));
    const prepared = prepareModelFiles(files);
    expect(paths(prepared.files)).toEqual(['README.md', 'config.json', 'onnx/model_quantized.onnx', 'tokenizer.json', 'tokenizer_config.json']);
    expect(prepared).toMatchObject({ dims: 384, dtype: 'q8' });
  });

  it('keeps the variant config.json names, with its external data', () => {
    const prepared = prepareModelFiles(
      folder({ hidden_size: 8, 'transformers.js_config': { dtype: 'fp16' } }, ['onnx/model.onnx', 'onnx/model_fp16.onnx', 'onnx/model_fp16.onnx_data']),
    );
    expect(paths(prepared.files).filter((p) => p.startsWith('onnx/'))).toEqual(['onnx/model_fp16.onnx', 'onnx/model_fp16.onnx_data']);
    expect(prepared.dtype).toBeUndefined();
  });

  it('falls back to full precision without a quantised file', () => {
    expect(prepareModelFiles(folder({}, ['onnx/model.onnx'])).dtype).toBe('fp32');
    expect(prepareModelFiles(folder({}, ['onnx/model.onnx'])).dims).toBeNull();
  });

  it('rejects incomplete or unsafe folders', () => {
    expect(messageOf(() => prepareModelFiles(folder({}, [])))).toMatch(/^INVALID_INPUT: .*onnx\/model\.onnx/);
    expect(messageOf(() => prepareModelFiles(folder({}, ['onnx/model.onnx']).filter((f) => f.path !== 'tokenizer_config.json')))).toMatch(
      /must contain tokenizer_config\.json/,
    );
    expect(messageOf(() => prepareModelFiles(folder({ 'transformers.js_config': { dtype: 'q4' } }, ['onnx/model.onnx'])))).toMatch(
      /onnx\/model_q4\.onnx/,
    );
    expect(messageOf(() => prepareModelFiles([...folder({}, ['onnx/model.onnx']), { path: '../escape', bytes: new Uint8Array() }]))).toMatch(
      /invalid file path/,
    );
    expect(messageOf(() => prepareModelFiles([...folder({}, ['onnx/model.onnx']), { path: '/config.json', bytes: text('{}') }]))).toMatch(
      /listed twice/,
    );
    expect(messageOf(() => prepareModelFiles(folder({}, ['onnx/model.onnx']).map((f) => (f.path === 'config.json' ? { ...f, bytes: text('{') } : f))))).toMatch(
      /config\.json is not valid JSON/,
    );
    expect(messageOf(() => prepareModelFiles([{ path: 'config.json', bytes: 'text' as never }]))).toMatch(/array of \{ path, bytes \}/);
  });

  it('reads dims only from a positive integer', () => {
    expect(modelDims({ hidden_size: 768 })).toBe(768);
    expect(modelDims({ d_model: 512 })).toBe(512);
    expect(modelDims({ hidden_size: '768' })).toBeNull();
    expect(modelDims(null)).toBeNull();
  });
});

describe('the index', () => {
  const entry: StoredModel = { id: 'org/model', folder: 'org_model-abc123', dims: 32, files: [{ path: 'config.json', size: 2 }], installedAt: 1 };

  it('round-trips and skips entries that do not check out', () => {
    expect(parseIndex(serializeIndex([entry]))).toEqual([entry]);
    const json = JSON.stringify({
      version: 1,
      models: [entry, { ...entry }, { ...entry, id: 'b', folder: '../up-abc' }, { ...entry, id: 'c', dims: -1 }, { ...entry, id: 'd', dtype: 'q9' }, 'junk'],
    });
    expect(parseIndex(json)).toEqual([entry]);
  });

  it('is undefined for what is not an index', () => {
    expect(parseIndex('{')).toBeUndefined();
    expect(parseIndex(JSON.stringify({ version: 2, models: [] }))).toBeUndefined();
    expect(parseIndex('[]')).toBeUndefined();
  });
});

describe('ModelStore on disk', () => {
  it('installs, lists after a restart, and replaces a model under the same id', async () => {
    const dir = tempDir();
    const store = new ModelStore(nodeDir(dir));
    await store.ready;
    expect(store.list()).toEqual([]);
    const first = await store.install('org/model', testModel());
    expect(first).toMatchObject({ id: 'org/model', dims: 32 });
    expect(first.folder).toMatch(/^org_model-[a-z0-9]+$/);
    expect(readFileSync(join(dir, first.folder, 'onnx/model.onnx'))).toEqual(readFileSync(join(MODEL_DIR, 'onnx/model.onnx')));

    const again = new ModelStore(nodeDir(dir));
    await again.ready;
    expect(again.list()).toEqual([first]);

    const second = await again.install('org/model', testModel('picked/'));
    expect(again.list()).toEqual([second]);
    expect(readdirSync(dir).sort()).toEqual([second.folder, 'index.json'].sort());
  });

  it('removes folders the index does not name (interrupted installs) at start', async () => {
    const dir = tempDir();
    const store = new ModelStore(nodeDir(dir));
    const kept = await store.install('kept', testModel());
    await nodeDir(dir).write('half-abc/config.json', text('{}'));
    await new ModelStore(nodeDir(dir)).ready;
    expect(readdirSync(dir).sort()).toEqual([kept.folder, 'index.json'].sort());
  });

  it('keeps the index and cleans up when a write fails', async () => {
    const dir = tempDir();
    const disk = nodeDir(dir);
    let writes = 0;
    const failing: StoreDir = {
      ...disk,
      write: async (path, bytes) => {
        if (++writes === 3) throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
        return disk.write(path, bytes);
      },
    };
    const store = new ModelStore(failing);
    expect(await errorOf(store.install('m', testModel()))).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect(store.list()).toEqual([]);
    expect(existsSync(join(dir, 'index.json'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    // The store keeps working after a failed install.
    await store.install('m', testModel());
    expect(store.list().map((m) => m.id)).toEqual(['m']);
  });

  it('ignores an unreadable index without deleting anything', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'index.json'), 'not json');
    await nodeDir(dir).write('model-abc/config.json', text('{}'));
    const store = new ModelStore(nodeDir(dir));
    await store.ready;
    expect(store.list()).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['index.json', 'model-abc']);
  });
});

describe('nodeCatalog with an import directory (no network)', () => {
  const attempts: string[] = [];
  const realFetch = env.fetch;

  beforeAll(() => {
    const refuse = (input: string | URL | Request) => {
      attempts.push(String(input instanceof Request ? input.url : input));
      return Promise.reject(new Error('network disabled in tests'));
    };
    vi.stubGlobal('fetch', refuse);
    env.fetch = refuse;
  });

  afterAll(() => {
    vi.unstubAllGlobals();
    env.fetch = realFetch;
    expect(attempts).toEqual([]);
  });

  it('has no install without a directory', () => {
    expect(nodeCatalog(MODELS_DIR).install).toBeUndefined();
  });

  it('lists an imported model and loads it from the directory', async () => {
    const importDir = tempDir();
    const catalog = nodeCatalog(MODELS_DIR, 'test-hash-64', { importDir });
    await catalog.ready;
    expect(await catalog.install!('my-model', testModel())).toEqual({ id: 'my-model', dims: 32, source: 'imported' });
    expect(catalog.models()).toContainEqual({ id: 'my-model', dims: 32, source: 'imported' });
    const embedder = await catalog.factory('my-model');
    try {
      expect(embedder).toMatchObject({ modelId: 'my-model', dims: 32 });
      const [car, automobile, banana] = await embedder.embed(['car', 'automobile', 'banana']);
      const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
      expect(dot(car!, automobile!)).toBeGreaterThan(dot(car!, banana!));
    } finally {
      await embedder.dispose?.();
    }
    // A new catalog on the same directory (the next start) knows it.
    const next = nodeCatalog(MODELS_DIR, 'test-hash-64', { importDir });
    await next.ready;
    expect(next.models()).toContainEqual({ id: 'my-model', dims: 32, source: 'imported' });
  });

  it('refuses the ids of shipped models', async () => {
    const catalog = nodeCatalog(MODELS_DIR, 'test-hash-64', { importDir: tempDir() });
    expect(await errorOf(catalog.install!('mnemo-test-32d', testModel()))).toMatchObject({ code: 'CONFLICT' });
    expect(await errorOf(catalog.install!('test-hash-8', testModel()))).toMatchObject({ code: 'CONFLICT' });
  });

  it('works through the API: import, switch, re-embed, search', async () => {
    const { mnemo, core } = await openTest({ catalog: nodeCatalog(MODELS_DIR, 'test-hash-64', { importDir: tempDir() }) });
    try {
      const s = mnemo.space({ userId: 'u', spaceId: 's' });
      const session = await s.sessions.create({ name: 'n' });
      const conversation = await s.conversations.create({ sessionId: session.id });
      const { ids } = await s.messages.insertMany(
        ['I bought a new automobile', 'I like bananas and apples', 'the weather is cold today'].map((content) => ({
          conversationId: conversation.id,
          role: 'user' as const,
          content,
        })),
      );
      expect(await mnemo.embeddings.importModel('my-model', testModel())).toEqual({ id: 'my-model', dims: 32, source: 'imported' });
      expect(await mnemo.embeddings.setModel('my-model')).toMatchObject({ modelId: 'my-model', ready: true, dims: 32 });
      expect(await mnemo.embeddings.flush()).toMatchObject({ pending: 0, embedded: 3, error: null });
      const hits = await s.search({ query: 'car', mode: 'vector', limit: 1 });
      expect(hits.map((h) => h.ref.id)).toEqual([ids[0]]);
    } finally {
      await core.close();
    }
  });
});
