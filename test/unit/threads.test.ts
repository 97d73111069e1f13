// Each browser thread's folder is its own TypeScript project with only that
// thread's globals (src/*/tsconfig.json). These tests compile one-file probes
// under each thread's real settings and check that the compiler refuses the
// globals of the other threads, and accepts the thread's own (so a refusal is
// about the global, not a broken fixture).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
// Inside the repository, so the probes resolve the same node_modules types as the real projects.
mkdirSync(join(ROOT, '.cache'), { recursive: true });
const scratch = mkdtempSync(join(ROOT, '.cache', 'thread-probes-'));
let probes = 0;

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Compiles `source` as the only file of a project extending src/<thread>/tsconfig.json. */
function compile(thread: string, source: string): { ok: boolean; output: string } {
  const dir = join(scratch, `${thread}-${probes++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: join(ROOT, 'src', thread, 'tsconfig.json'), include: ['probe.ts'] }));
  writeFileSync(join(dir, 'probe.ts'), `${source}\nexport {};\n`);
  const result = spawnSync(process.execPath, [TSC, '-p', dir, '--noEmit'], { encoding: 'utf8' });
  return { ok: result.status === 0, output: result.stdout + result.stderr };
}

const cases: Array<{ thread: string; allowed: string; refused: Array<[source: string, name: string]> }> = [
  {
    thread: 'worker',
    allowed: 'self.postMessage(navigator.storage); importScripts();',
    refused: [['document.title;', 'document'], ['window.alert();', 'window'], ['process.cwd();', 'process']],
  },
  {
    thread: 'embed-worker',
    allowed: 'self.postMessage(navigator.storage); importScripts();',
    refused: [['document.title;', 'document'], ['process.cwd();', 'process']],
  },
  {
    thread: 'ui',
    allowed: 'document.title = window.location.href;',
    refused: [['importScripts();', 'importScripts'], ['process.cwd();', 'process']],
  },
  {
    thread: 'client',
    allowed: 'new Worker(new URL(import.meta.url));',
    refused: [['importScripts();', 'importScripts'], ['process.cwd();', 'process']],
  },
  {
    thread: 'langchain',
    allowed: 'document.title; crypto.randomUUID();',
    refused: [['importScripts();', 'importScripts'], ['process.cwd();', 'process']],
  },
  {
    thread: 'shared',
    allowed: 'JSON.stringify([1, 2].at(-1));',
    refused: [['document.title;', 'document'], ['self.postMessage(1);', 'self'], ['process.cwd();', 'process'], ["import.meta.env.BASE_URL;", 'env']],
  },
];

describe.each(cases)('src/$thread compiles with its own thread globals only', ({ thread, allowed, refused }) => {
  it('accepts its own globals', () => {
    const { ok, output } = compile(thread, allowed);
    expect(output).toBe('');
    expect(ok).toBe(true);
  });

  it.each(refused)('refuses %s', (source, name) => {
    const { ok, output } = compile(thread, source);
    expect(ok).toBe(false);
    expect(output).toContain(`'${name}'`);
  });
});
