// `npm run build:lib`: the npm package in dist-lib/ (see docs/library.md).
// 1. vite.lib.config.ts bundles the client entry (and src/langchain when it
//    exists) with both workers, SQLite's wasm, the ONNX runtime and the model.
// 2. Every `new URL(…, import.meta.url)` Vite wrote is put back into the one
//    static form Vite and webpack 5 both follow in a consumer's build,
//    `new URL("./file", import.meta.url)`; one naming a file that is not in
//    the package (a dependency's Node-only path, an unused worker) is hidden
//    from them behind a call they do not evaluate.
// 3. The Vite plugin (mnemo/vite) is built for Node; tsc writes the types.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist-lib');

const Q = '["\'`]';
// Vite's relative-base form: new URL(/* @vite-ignore */ new URL("x", import.meta.url).href, "" + import.meta.url)
const NESTED = new RegExp(`new URL\\(\\s*(?:/\\*[^*]*\\*/\\s*)?new URL\\(\\s*(${Q})([^"'\`$]+)\\1\\s*,\\s*import\\.meta\\.url\\s*\\)\\.href\\s*,\\s*(?:${Q}${Q}\\s*\\+\\s*)?import\\.meta\\.url\\s*\\)`, 'g');
const PLAIN = new RegExp(`new URL\\(\\s*(${Q})([^"'\`$]+)\\1\\s*,\\s*import\\.meta\\.url\\s*\\)`, 'g');

/** Workers a dependency can start that Mnemo never does (sqlite-wasm's Worker1 API): left out of the package. */
const UNUSED_WORKERS = /(^|\/)sqlite3-worker1-[^/]+\.js$/;
/** `import.meta.resolve` only runs in Node branches of dependencies (unpdf); bundlers would try to resolve it. */
const META_RESOLVE = /import\.meta\.resolve\(/g;
const NO_RESOLVE = '((specifier) => { throw new Error(`mnemo: ${specifier} cannot be resolved in the bundled package`); })(';

function jsFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsFiles(path);
    return /\.m?js$/.test(name) && !path.includes(`${join(out, 'assets')}`) ? [path] : [];
  });
}

/** Rewrites one chunk's asset and worker URLs; returns how many it changed and hid, and files to drop. */
export function rewriteUrls(file, code) {
  let fixed = 0;
  let hidden = 0;
  const unused = [];
  code = code.replace(META_RESOLVE, () => {
    hidden += 1;
    return NO_RESOLVE;
  });
  const asRelative = (path) => (path.startsWith('./') || path.startsWith('../') ? path : `./${path}`);
  const exists = (path) => existsSync(resolve(dirname(file), path));
  code = code.replace(NESTED, (_m, _q, path) => {
    fixed += 1;
    return `new URL(${JSON.stringify(asRelative(path))}, import.meta.url)`;
  });
  code = code.replace(PLAIN, (m, _q, path) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('/')) return m;
    if (UNUSED_WORKERS.test(path)) {
      unused.push(resolve(dirname(file), path));
      hidden += 1;
      return `new URL(${JSON.stringify(path)}, ((url) => url)(import.meta.url))`;
    }
    if (exists(path)) {
      fixed += 1;
      return `new URL(${JSON.stringify(asRelative(path))}, import.meta.url)`;
    }
    hidden += 1;
    return `new URL(${JSON.stringify(path)}, ((url) => url)(import.meta.url))`;
  });
  return { code, fixed, hidden, unused };
}

async function main() {
  rmSync(out, { recursive: true, force: true });
  await build({ configFile: join(root, 'vite.lib.config.ts'), logLevel: 'warn' });

  const unused = new Set();
  for (const file of jsFiles(out)) {
    if (unused.has(file)) continue;
    const result = rewriteUrls(file, readFileSync(file, 'utf8'));
    if (result.fixed + result.hidden > 0) writeFileSync(file, result.code);
    for (const path of result.unused) unused.add(path);
    if (result.hidden > 0) console.log(`${relative(out, file)}: ${result.hidden} reference(s) to files outside the package hidden from bundlers`);
  }
  for (const path of unused) rmSync(path, { force: true });

  await build({
    configFile: false,
    root,
    publicDir: false,
    logLevel: 'warn',
    build: {
      ssr: true,
      outDir: out,
      emptyOutDir: false,
      target: 'node20',
      minify: false,
      lib: { entry: { vite: join(root, 'src/vite/index.ts') }, formats: ['es'] },
      rollupOptions: { external: [/^node:/, /^vite$/], output: { entryFileNames: '[name].js' } },
    },
  });

  const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.lib.json'], { cwd: root, stdio: 'inherit' });
  if (tsc.status !== 0) throw new Error('tsc -p tsconfig.lib.json failed');
  console.log(`dist-lib: ${readdirSync(out).join(', ')}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
