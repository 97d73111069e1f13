// Where the embedding worker finds the bundled model and the ONNX runtime:
// the app's own folders, the package's bundled copies, or the folders a
// consumer names with openMnemo({ modelBaseUrl, wasmBaseUrl }).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { openMnemo } from '../../src/client/index';
import { configureBrowserEnv } from '../../src/embed-worker/browser-env';
import { bundledFiles as appFiles } from '../../src/worker/embed/bundled-files';
import { bundledFiles as packageFiles } from '../../src/worker/embed/bundled-files.lib';
import { assetLocations, BUNDLED_MODEL_FILES, LISTED_PREFIX } from '../../src/worker/embed/catalog';

describe('asset locations', () => {
  test('the app serves the model and the runtime under its base', () => {
    expect(appFiles()).toBeNull();
    expect(assetLocations({ baseUrl: 'http://localhost:4173/app/' })).toEqual({ modelBaseUrl: '/app/models/', wasmBaseUrl: '/app/ort/' });
  });

  test('modelBaseUrl and wasmBaseUrl name folders anywhere, the model read file by file', () => {
    const where = assetLocations({
      baseUrl: 'http://localhost:4173/',
      modelBaseUrl: 'https://cdn.example.com/mnemo/models/',
      wasmBaseUrl: 'https://cdn.example.com/mnemo/ort/',
    });
    expect(where.modelBaseUrl).toBe(LISTED_PREFIX);
    expect(where.fileUrls).toEqual(
      Object.fromEntries(BUNDLED_MODEL_FILES.map((f) => [`mnemo-glove-100d/${f}`, `https://cdn.example.com/mnemo/models/mnemo-glove-100d/${f}`])),
    );
    expect(where.wasmPaths).toEqual({
      mjs: 'https://cdn.example.com/mnemo/ort/ort-wasm-simd-threaded.mjs',
      wasm: 'https://cdn.example.com/mnemo/ort/ort-wasm-simd-threaded.wasm',
    });
  });

  test("the package's version names files that exist, one URL per model file", () => {
    const files = packageFiles()!;
    expect(Object.keys(files.models)).toEqual(['mnemo-glove-100d']);
    expect(Object.keys(files.models['mnemo-glove-100d']!).sort()).toEqual([...BUNDLED_MODEL_FILES].sort());
    const urls = [...Object.values(files.models['mnemo-glove-100d']!), files.wasmPaths.mjs, files.wasmPaths.wasm];
    for (const url of urls) expect(existsSync(fileURLToPath(url)), url).toBe(true);
  });
});

describe('listed model files in the embedding worker', () => {
  function fakeEnv() {
    const fetched: string[] = [];
    const env = {
      fetch: async (input: string | URL) => {
        fetched.push(String(input));
        return new Response('ok');
      },
      backends: { onnx: { wasm: {} as Record<string, unknown> } },
    };
    return { env, fetched };
  }

  test('reads under the prefix go to their listed URL; unlisted files are 404 without a request', async () => {
    const { env, fetched } = fakeEnv();
    const fileUrls = { 'mnemo-glove-100d/config.json': 'http://app.test/assets/config-123.json' };
    const wasmPaths = { mjs: 'http://app.test/assets/ort-1.mjs', wasm: 'http://app.test/assets/ort-2.wasm' };
    configureBrowserEnv(env as never, { modelId: 'mnemo-glove-100d', modelBaseUrl: LISTED_PREFIX, fileUrls, wasmPaths });
    expect(env.backends.onnx.wasm['wasmPaths']).toEqual(wasmPaths);

    expect(await (await env.fetch(`${LISTED_PREFIX}mnemo-glove-100d/config.json`)).text()).toBe('ok');
    expect((await env.fetch(`${LISTED_PREFIX}mnemo-glove-100d/generation_config.json`)).status).toBe(404);
    expect((await env.fetch(`${LISTED_PREFIX}__proto__`)).status).toBe(404);
    await env.fetch('https://elsewhere.test/file');
    expect(fetched).toEqual(['http://app.test/assets/config-123.json', 'https://elsewhere.test/file']);
  });
});

describe('openMnemo asset options', () => {
  test.each([
    ['modelBaseUrl', 'javascript:alert(1)'],
    ['modelBaseUrl', 42],
    ['wasmBaseUrl', ''],
    ['wasmBaseUrl', 'file:///etc/secret'],
  ])('%s %j is refused with INVALID_INPUT naming the field, content not echoed', async (field, value) => {
    const error = await openMnemo({ name: `assets-${field}`, [field]: value } as never).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'INVALID_INPUT' });
    const message = (error as { message: string }).message;
    expect(message).toContain(field);
    if (typeof value === 'string' && value !== '') expect(message).not.toContain(value.slice(0, 10));
  });
});
