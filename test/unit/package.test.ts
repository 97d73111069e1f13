// The npm package as `npm pack` would publish it: every export resolves to a
// packed file, every file a packed module names by `new URL(…, import.meta.url)`
// (workers, wasm, the ONNX runtime, the model) is packed too, and nothing of
// the app's sources, tests, eval data or node_modules travels with it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

interface PackedFile {
  path: string;
  size: number;
}
let files: PackedFile[] = [];
let paths = new Set<string>();
let unpackedSize = 0;

beforeAll(() => {
  // MNEMO_LIB_BUILT=1: dist-lib/ is fresh (scripts/test-examples.mjs builds it first).
  if (process.env['MNEMO_LIB_BUILT'] !== '1') execFileSync('node', ['scripts/build-lib.mjs'], { cwd: ROOT, stdio: 'pipe' });
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [report] = JSON.parse(out) as Array<{ files: PackedFile[]; unpackedSize: number }>;
  files = report!.files;
  paths = new Set(files.map((f) => f.path));
  unpackedSize = report!.unpackedSize;
}, 180_000);

/** Export targets, flattened: ['./dist-lib/index.js', './dist-lib/types/client/index.d.ts', …]. */
function targets(entry: unknown): string[] {
  if (typeof entry === 'string') return [entry];
  return Object.values(entry as Record<string, unknown>).flatMap(targets);
}

const LANGCHAIN = existsSync(join(ROOT, 'src/langchain/index.ts'));

describe('npm pack file list', () => {
  test('every export and the types of every entry are packed', () => {
    const subpaths = Object.keys(pkg.exports as Record<string, unknown>);
    expect(subpaths).toEqual(expect.arrayContaining(['.', './vite', './langchain', './package.json']));
    for (const [subpath, entry] of Object.entries(pkg.exports as Record<string, unknown>)) {
      if (subpath === './langchain' && !LANGCHAIN) continue; // built once src/langchain exists
      const conditions = typeof entry === 'string' ? {} : (entry as Record<string, string>);
      if (subpath !== './package.json') expect(Object.keys(conditions)[0], `${subpath}: "types" must come first`).toBe('types');
      for (const target of targets(entry)) expect(paths, `${subpath} → ${target}`).toContain(posix.normalize(target));
    }
    expect(paths).toContain(posix.normalize(pkg.types));
  });

  test('every file a packed module loads by URL is packed (workers, wasm, runtime, model)', () => {
    const referenced: string[] = [];
    for (const file of files.filter((f) => /\.m?js$/.test(f.path) && !f.path.startsWith('dist-lib/assets/'))) {
      const code = readFileSync(join(ROOT, file.path), 'utf8');
      for (const m of code.matchAll(/new URL\("(\.{1,2}\/[^"]+)", import\.meta\.url\)/g)) {
        const target = posix.normalize(posix.join(posix.dirname(file.path), m[1]!));
        referenced.push(target);
        expect(paths, `${file.path} loads ${m[1]}`).toContain(target);
      }
    }
    const js = files.filter((f) => /\.m?js$/.test(f.path) && !f.path.startsWith('dist-lib/assets/') && f.path !== 'dist-lib/vite.js');
    for (const file of js) {
      const code = readFileSync(join(ROOT, file.path), 'utf8');
      // Only forms both bundlers follow: no URL built from another URL, no import.meta.resolve, no bare imports.
      expect(code, file.path).not.toMatch(/new URL\(\s*(\/\*[^*]*\*\/\s*)?new URL\("[^"]+",\s*import\.meta\.url\)/);
      expect(code, file.path).not.toMatch(/import\.meta\.resolve\(/);
      const bare = [...code.matchAll(/^\s*(?:import|export)\b[^'"\n]*?from\s*["']((?!\.)[^"']+)["']/gm)].map((m) => m[1]!);
      // Only peers stay imports (@langchain/core in mnemo/langchain); everything else is bundled.
      expect(bare.filter((name) => !Object.keys(pkg.peerDependencies).some((peer) => name === peer || name.startsWith(`${peer}/`))), file.path).toEqual([]);
      for (const m of code.matchAll(/new Worker\(new URL\("([^"]+)"/g)) expect(m[1], `${file.path}: a worker URL`).toMatch(/^\.\.?\//);
    }
    // A module that imports from a worker's entry file makes Vite's dev server run that worker twice.
    const workerEntries = new Set<string>();
    const staticImports: Array<[string, string]> = [];
    for (const file of js) {
      const code = readFileSync(join(ROOT, file.path), 'utf8');
      for (const m of code.matchAll(/new Worker\(new URL\("([^"]+)", import\.meta\.url\)/g)) workerEntries.add(posix.normalize(posix.join(posix.dirname(file.path), m[1]!)));
      for (const m of code.matchAll(/^import\b[^'"\n]*?from\s*"(\.{1,2}\/[^"]+)"/gm)) staticImports.push([file.path, posix.normalize(posix.join(posix.dirname(file.path), m[1]!))]);
    }
    expect(workerEntries.size).toBeGreaterThanOrEqual(2);
    expect(staticImports.filter(([, target]) => workerEntries.has(target))).toEqual([]);
    const kinds = (re: RegExp) => referenced.filter((p) => re.test(p)).length;
    expect(kinds(/^dist-lib\/workers\/main-[^/]+\.js$/)).toBeGreaterThanOrEqual(2); // database and embedding workers
    expect(kinds(/sqlite3-[^/]+\.wasm$/)).toBeGreaterThanOrEqual(1);
    expect(kinds(/ort-wasm-simd-threaded-[^/]+\.wasm$/)).toBe(1);
    expect(kinds(/ort-wasm-simd-threaded-[^/]+\.mjs$/)).toBe(1);
    expect(kinds(/model-[^/]*\.onnx$/)).toBe(1);
    expect(kinds(/tokenizer-[^/]+\.json$/)).toBe(1);
  });

  test('no app sources, tests, eval data, maps or node_modules; a sane size', () => {
    const stray = [...paths].filter((p) => /^(src|test|e2e|eval|bench|public|scripts|migrations|node_modules|examples)\//.test(p) || p.includes('node_modules/') || p.endsWith('.map'));
    expect(stray).toEqual([]);
    expect([...paths].filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]);
    expect(paths).toContain('package.json');
    expect(paths).toContain('README.md');
    expect(paths).toContain('LICENSE');
    // The ONNX runtime (~14 MB), the model (~6 MB), SQLite (~0.9 MB) and the JS; the app's dist is not in it.
    expect(unpackedSize).toBeGreaterThan(15_000_000);
    expect(unpackedSize).toBeLessThan(40_000_000);
    expect(files.length).toBeLessThan(200);
  });

  test('package.json is publishable the way bundlers and TypeScript expect', () => {
    expect(pkg.private).toBeUndefined();
    expect(pkg.type).toBe('module');
    // dist-lib is free of side effects; the app's own sources (custom elements register on import) are not.
    expect(pkg.sideEffects).toEqual(['./src/**']);
    expect(pkg.peerDependenciesMeta).toEqual({ '@langchain/core': { optional: true }, vite: { optional: true } });
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['@langchain/core', 'vite']);
    // The runtime is bundled; what remains a dependency is what the published types import.
    const typeImports = new Set<string>();
    for (const file of files.filter((f) => f.path.endsWith('.d.ts'))) {
      const text = readFileSync(join(ROOT, file.path), 'utf8');
      for (const m of text.matchAll(/from '([^'.][^']*)'/g)) typeImports.add(m[1]!.startsWith('@') ? m[1]!.split('/').slice(0, 2).join('/') : m[1]!.split('/')[0]!);
    }
    const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
    expect([...typeImports].filter((name) => !declared.has(name))).toEqual([]);
    expect(Object.keys(pkg.dependencies ?? {}).filter((name) => !typeImports.has(name))).toEqual([]);
  });

  test('the Vite plugin entry loads in Node and sets what a consumer needs', async () => {
    const { mnemo } = (await import(join(ROOT, 'dist-lib/vite.js'))) as typeof import('../../src/vite/index');
    const plugin = mnemo();
    const config = (plugin.config as () => Record<string, any>)();
    expect(config['worker']).toEqual({ format: 'es' });
    expect(config['optimizeDeps'].exclude).toEqual(expect.arrayContaining(['mnemo', '@sqlite.org/sqlite-wasm']));
    for (const server of [config['server'], config['preview']]) {
      expect(server.headers['Cross-Origin-Opener-Policy']).toBe('same-origin');
      expect(server.headers['Cross-Origin-Embedder-Policy']).toBe('require-corp');
      expect(server.headers['Content-Security-Policy']).toBeUndefined();
    }
    // With @langchain/core installed (here a dev dependency), every entry mnemo/langchain imports is pre-bundled.
    const imported = [...readFileSync(join(ROOT, 'dist-lib/langchain.js'), 'utf8').matchAll(/from "(@langchain\/[^"]+)"/g)].map((m) => m[1]!);
    expect(imported.length).toBeGreaterThan(0);
    expect([...config['optimizeDeps'].include].sort()).toEqual([...new Set(imported)].sort());
    expect((plugin.config as (c: object) => Record<string, any>)({ root: '/' })['optimizeDeps'].include).toBeUndefined();
    const withCsp = (mnemo({ csp: true }).config as () => Record<string, any>)();
    expect(withCsp['server'].headers['Content-Security-Policy']).toContain("'wasm-unsafe-eval'");
  });
});
