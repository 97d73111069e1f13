// scripts/check-imports.mjs (a step of `npm test`) on small fixture trees:
// it must find cycles, type-only ones included, and thread boundary crossings.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkImports, specifiers } from '../../scripts/check-imports.mjs';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A project root whose src/ holds `files` (path under src → text). */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'mnemo-imports-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, 'src', path)), { recursive: true });
    writeFileSync(join(root, 'src', path), text);
  }
  return root;
}

describe('import graph check', () => {
  it('passes a clean tree that imports across allowed folders', () => {
    const root = tree({
      'shared/api.ts': 'export interface Api { ping(): void }\n',
      'worker/main.ts': "import type { Api } from '../shared/api';\nexport const api: Api = { ping() {} };\n",
      'client/index.ts': "import type { Api } from '../shared/api';\nexport const url = new URL('../worker/main.ts', import.meta.url);\nexport type { Api };\n",
      'ui/app.ts': "import { url } from '../client/index';\nexport const app = url;\n",
    });
    expect(checkImports(root)).toEqual([]);
  });

  it('reports a cycle made of type-only imports, with the modules and one loop', () => {
    const root = tree({
      'worker/core.ts': "import type { Ops } from './ops';\nexport interface Core { ops: Ops }\n",
      'worker/ops.ts': "import type { Scoped } from './scoped';\nexport interface Ops { scoped: Scoped }\n",
      'worker/scoped.ts': "import { type Core } from './core';\nexport interface Scoped { core: Core }\n",
      'worker/leaf.ts': "import type { Core } from './core';\nexport type Leaf = Core;\n",
    });
    // (These modules also import core.ts, which only the wiring may: tested below.)
    const problems = checkImports(root).filter((p) => p.startsWith('import cycle'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('import cycle among 3 modules: src/worker/core.ts, src/worker/ops.ts, src/worker/scoped.ts');
    expect(problems[0]).toContain('src/worker/core.ts → src/worker/ops.ts → src/worker/scoped.ts → src/worker/core.ts');
  });

  it('reports cycles through re-exports and dynamic imports', () => {
    const root = tree({
      'worker/a.ts': "export * from './b';\nexport const a = 1;\n",
      'worker/b.ts': "export const b = () => import('./a');\n",
    });
    expect(checkImports(root)).toEqual([expect.stringContaining('import cycle among 2 modules: src/worker/a.ts, src/worker/b.ts')]);
  });

  it('reports imports between the UI and the workers, client into the worker, and shared into anything', () => {
    const root = tree({
      'shared/models.ts': "import type { Row } from '../worker/row';\nexport type Model = Row;\n",
      'worker/row.ts': "import { html } from '../ui/html';\nexport type Row = typeof html;\n",
      'embed-worker/main.ts': "import '../ui/html';\n",
      'ui/html.ts': "import type { Model } from '../shared/models';\nimport type { Row } from '../worker/row';\nexport const html = (m: Model, r: Row) => [m, r];\n",
      'client/index.ts': "import type { Row } from '../worker/row';\nexport type Client = Row;\n",
    });
    const problems = checkImports(root);
    expect(problems).toEqual(
      expect.arrayContaining([
        "src/shared/models.ts: src/shared/ must not import src/worker/ ('../worker/row')",
        "src/worker/row.ts: src/worker/ must not import src/ui/ ('../ui/html')",
        "src/embed-worker/main.ts: src/embed-worker/ must not import src/ui/ ('../ui/html')",
        "src/ui/html.ts: src/ui/ must not import src/worker/ ('../worker/row')",
        "src/client/index.ts: src/client/ must not import src/worker/ ('../worker/row')",
      ]),
    );
  });

  it('reports SQLite imported outside the database worker, unknown folders and unresolvable imports', () => {
    const root = tree({
      'ui/db.ts': "import sqlite3InitModule from '@sqlite.org/sqlite-wasm';\nexport default sqlite3InitModule;\n",
      'misc/x.ts': 'export const x = 1;\n',
      'worker/y.ts': "export * from './missing';\n",
    });
    expect(checkImports(root).sort()).toEqual([
      'src/misc/x.ts: src/misc/ has no thread rule in scripts/check-imports.mjs',
      "src/ui/db.ts: src/ui/ must not import '@sqlite.org/sqlite-wasm'",
      "src/worker/y.ts: cannot resolve './missing'",
    ]);
  });

  it('lets only the wiring import src/worker/core.ts, type-only imports included', () => {
    const root = tree({
      'worker/core.ts': 'export interface Core { name: string }\n',
      'worker/main.ts': "import type { Core } from './core';\nexport type Main = Core;\n",
      'worker/api/notes.ts': "import type { Core } from '../core';\nexport type Notes = Core;\n",
    });
    expect(checkImports(root)).toEqual([
      'src/worker/api/notes.ts: only src/worker/main.ts may import src/worker/core.ts (pass the module what it uses instead)',
    ]);
  });

  it('finds SQL written outside the repositories and the engine, in strings and templates, not in comments or plain words', () => {
    const root = tree({
      'worker/repos/notes.ts': "export const q = 'SELECT id FROM notes WHERE id = ?';\n",
      'worker/engine/open.ts': "export const p = 'PRAGMA journal_mode = WAL';\n",
      'worker/services/sweep.ts': 'export const sweep = (t: string) => `DELETE FROM ${t} WHERE expires_at < ?`;\n',
      'worker/api/add.ts': "export const add = \"INSERT OR IGNORE INTO notes (id) VALUES (?)\";\n",
      'worker/api/plain.ts': "// SELECT * FROM notes is what the repository runs\nexport const tag = (el: { tagName: string }) => el.tagName === 'SELECT';\nexport const words = 'Select a note, then update it';\n",
      'ui/count.ts': "export const count = 'SELECT count(*) FROM t';\n",
    });
    expect(checkImports(root).sort()).toEqual([
      'src/ui/count.ts: SQL outside src/worker/repos and src/worker/engine (“SELECT count(*) FROM t”)',
      'src/worker/api/add.ts: SQL outside src/worker/repos and src/worker/engine (“INSERT OR IGNORE INTO notes (id) VALUES (?)”)',
      'src/worker/services/sweep.ts: SQL outside src/worker/repos and src/worker/engine (“DELETE FROM”)',
    ]);
  });

  it('reads specifiers with a parser, not a pattern: strings and comments are not imports', () => {
    const text = [
      "import type { A } from './a';",
      "import { type B, c } from './b';",
      "export type { D } from './d';",
      "// import { fake } from './comment';",
      "const s = \"import { x } from './string'\";",
      "const lazy = () => import('./lazy');",
      'const computed = (name: string) => import(`./${name}`);',
    ].join('\n');
    expect(specifiers('x.ts', text).sort()).toEqual(['./a', './b', './d', './lazy']);
  });
  it('checks server/: imports that leave it or reach the app, and cycles inside it; server/dist is skipped', () => {
    const root = tree({ 'shared/models.ts': 'export type Model = 1;\n' });
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    write('server/app.ts', "import type { Model } from '../src/shared/models';\nimport { b } from './b.js';\nexport const a = b;\nexport type M = Model;\n");
    write('server/b.ts', "import { a } from './app.js';\nimport '@sqlite.org/sqlite-wasm';\nexport const b = () => a;\n");
    write('server/dist/app.js', "import '../../src/ui/x';\n");
    expect(checkImports(root)).toEqual([
      "server/app.ts: server/ must not import src/shared/ ('../src/shared/models')",
      "server/b.ts: server/ must not import '@sqlite.org/sqlite-wasm'",
      expect.stringContaining('import cycle among 2 modules: server/app.ts, server/b.ts'),
    ]);
  });
});
