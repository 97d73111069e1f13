// The import graph of src/ and of the sync server in server/: fails on any import cycle (type-only imports
// count: they still tie the modules' designs together), on imports that
// cross a thread boundary, on any module but the wiring importing
// src/worker/core.ts, and on SQL text outside the repositories and the engine. `node scripts/check-imports.mjs [root]` prints each
// problem and exits 1 if there is any; tests call checkImports() on fixtures.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSync } from 'oxc-parser';

/**
 * Which folders under src/ a folder's modules may import. The browser threads
 * meet only in src/shared; the other threads are reached through Worker URLs
 * (not imports) and Comlink. src/node and src/vite are Node code.
 */
export const ALLOWED = {
  shared: ['shared'],
  client: ['client', 'shared'],
  langchain: ['langchain', 'client', 'shared'],
  ui: ['ui', 'client', 'shared'],
  worker: ['worker', 'shared'],
  'embed-worker': ['embed-worker', 'shared'],
  node: ['node', 'worker', 'embed-worker', 'shared'],
  vite: ['vite'],
  // The sync server is deployed on its own: it imports nothing of the app.
  server: ['server'],
};

/** Packages a folder must not import: SQLite belongs to the database worker, the model runtime to the embedders. */
export const FORBIDDEN_PACKAGES = {
  shared: [/^@sqlite\.org\//, /^node:/, /^lit/],
  client: [/^@sqlite\.org\//, /^@huggingface\//, /^node:/],
  langchain: [/^@sqlite\.org\//, /^@huggingface\//, /^node:/, /^lit/],
  ui: [/^@sqlite\.org\//, /^@huggingface\//, /^node:/],
  worker: [/^@huggingface\//, /^lit/, /^node:/],
  'embed-worker': [/^@sqlite\.org\//, /^lit/, /^node:/],
  server: [/^@sqlite\.org\//, /^@huggingface\//, /^lit/, /^comlink/],
};

const SOURCE = /\.(ts|mts|js|mjs)$/;

/** The one module that wires the database worker together; no other module may import `src/worker/core.ts`. */
export const CORE_WIRING = ['worker/main.ts'];

/** Where SQL text may be written: the repositories and the engine (the sync server keeps its own). */
export const SQL_HOMES = ['worker/repos/', 'worker/engine/'];

/** SQL statements as they appear in a string or template literal. */
const SQL_TEXT = [
  /\bSELECT\s+(DISTINCT\s+)?[\w*(]/,
  /\bINSERT\s+(OR\s+\w+\s+)?INTO\b/,
  /\bUPDATE\s+\w+\s+SET\b/,
  /\bDELETE\s+FROM\b/,
  /\b(CREATE|DROP)\s+(VIRTUAL\s+)?(TABLE|INDEX|TRIGGER|VIEW)\b/,
  /\bPRAGMA\s+\w/,
];

/** The text of every string literal and template-literal piece in a parsed program. */
function literalTexts(node, out = []) {
  if (Array.isArray(node)) {
    for (const child of node) literalTexts(child, out);
  } else if (node && typeof node === 'object') {
    if (node.type === 'Literal' && typeof node.value === 'string') out.push(node.value);
    else if (node.type === 'TemplateElement') out.push(node.value.cooked ?? node.value.raw);
    for (const [key, child] of Object.entries(node)) if (key !== 'value' && child && typeof child === 'object') literalTexts(child, out);
  }
  return out;
}

/** The first SQL statement written in a literal of `text`, or null. */
export function sqlText(file, text) {
  const { program } = parseSync(file, text);
  for (const literal of literalTexts(program)) {
    if (SQL_TEXT.some((pattern) => pattern.test(literal))) return literal.replace(/\s+/g, ' ').trim().slice(0, 60);
  }
  return null;
}

function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    // server/dist holds the server's compiled output.
    if (statSync(path).isDirectory()) return name === 'dist' || name === 'node_modules' ? [] : sourceFiles(path);
    return SOURCE.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every module specifier of a file: static imports and re-exports (type-only included) and literal dynamic imports. */
export function specifiers(file, text) {
  const { module, errors } = parseSync(file, text);
  if (errors.length > 0) throw new Error(`${file}: ${errors[0].message}`);
  const found = [
    ...module.staticImports.map((i) => i.moduleRequest.value),
    ...module.staticExports.flatMap((e) => e.entries.flatMap((entry) => (entry.moduleRequest ? [entry.moduleRequest.value] : []))),
  ];
  for (const { moduleRequest } of module.dynamicImports) {
    const literal = /^(['"`])([^'"`$]*)\1$/.exec(text.slice(moduleRequest.start, moduleRequest.end));
    if (literal) found.push(literal[2]);
  }
  return [...new Set(found)];
}

/** The file a relative specifier names (Vite-style: extension optional, `?raw`-like queries ignored), or null. */
function resolveRelative(from, specifier) {
  const base = resolve(dirname(from), specifier.replace(/\?.*$/, ''));
  for (const candidate of [base, `${base}.ts`, `${base}.mts`, join(base, 'index.ts'), base.replace(/\.js$/, '.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/** Strongly connected components with more than one module, or a module importing itself (Tarjan). */
function cycles(graph) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  let next = 0;
  const visit = (node) => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node), low.get(target)));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node), index.get(target)));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node)?.has(node)) found.push(component.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return found;
}

/** One shortest import path from `start` back to itself inside a component, for a readable report. */
function shortestLoop(graph, start, members) {
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift();
    for (const target of graph.get(node) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) {
        const path = [start];
        for (let at = node; at !== start; at = previous.get(at)) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!previous.has(target)) {
        previous.set(target, node);
        queue.push(target);
      }
    }
  }
  return [start];
}

/**
 * Checks the modules under `<root>/src` and `<root>/server`. Returns the problems as sentences
 * (paths relative to root); an empty list means the graph is clean.
 */
export function checkImports(root) {
  const src = join(root, 'src');
  const server = join(root, 'server');
  const graph = new Map();
  const problems = [];
  const inServer = (file) => file.startsWith(server + sep);
  const folderOf = (file) => (inServer(file) ? 'server' : relative(src, file).split(sep)[0]);
  const label = (folder) => (folder === 'server' ? 'server/' : `src/${folder}/`);
  const show = (file) => relative(root, file).split(sep).join('/');

  for (const file of [...sourceFiles(src), ...sourceFiles(server)]) {
    const edges = new Set();
    graph.set(file, edges);
    const folder = folderOf(file);
    const allowed = ALLOWED[folder];
    if (!allowed) {
      problems.push(`${show(file)}: ${label(folder)} has no thread rule in scripts/check-imports.mjs`);
      continue;
    }
    const text = readFileSync(file, 'utf8');
    const underSrc = inServer(file) ? null : relative(src, file).split(sep).join('/');
    if (underSrc !== null && !SQL_HOMES.some((home) => underSrc.startsWith(home))) {
      const found = sqlText(file, text);
      if (found) problems.push(`${show(file)}: SQL outside src/worker/repos and src/worker/engine (“${found}”)`);
    }
    for (const specifier of specifiers(file, text)) {
      if (!specifier.startsWith('.')) {
        if ((FORBIDDEN_PACKAGES[folder] ?? []).some((pattern) => pattern.test(specifier))) {
          problems.push(`${show(file)}: ${label(folder)} must not import '${specifier}'`);
        }
        continue;
      }
      const target = resolveRelative(file, specifier);
      if (!target) {
        problems.push(`${show(file)}: cannot resolve '${specifier}'`);
        continue;
      }
      if (!target.startsWith(src + sep) && !inServer(target)) {
        if (folder === 'server') problems.push(`${show(file)}: server/ must not import outside server/ ('${specifier}')`);
        continue;
      }
      const targetUnderSrc = relative(src, target).split(sep).join('/');
      if (targetUnderSrc === 'worker/core.ts' && underSrc !== null && !CORE_WIRING.includes(underSrc)) {
        problems.push(`${show(file)}: only ${CORE_WIRING.map((w) => `src/${w}`).join(', ')} may import src/worker/core.ts (pass the module what it uses instead)`);
      }
      if (!allowed.includes(folderOf(target))) {
        problems.push(`${show(file)}: ${label(folder)} must not import ${label(folderOf(target))} ('${specifier}')`);
      }
      if (SOURCE.test(target)) edges.add(target);
    }
  }

  for (const component of cycles(graph)) {
    const loop = shortestLoop(graph, component[0], new Set(component));
    problems.push(
      `import cycle among ${component.length} modules: ${component.map(show).join(', ')}\n    for example ${loop.map(show).join(' → ')}`,
    );
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? '.');
  const problems = checkImports(root);
  for (const problem of problems) console.log(problem);
  console.log(problems.length === 0 ? 'imports: no cycles, no boundary crossings, core.ts only in the wiring, no SQL outside repos/engine' : `imports: ${problems.length} problem(s)`);
  process.exit(problems.length === 0 ? 0 : 1);
}
