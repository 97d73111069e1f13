// Every reference from the docs into the repository must still resolve: a
// Markdown link `[text](path#anchor)` to an existing file (and heading), and a
// code span naming a repository path (`src/worker/core.ts`, `scripts/*.mjs`),
// which is how these docs mostly point at code.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function headingIds(markdown: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(markdown).split('\n')) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

/** Fenced code blocks hold examples, not references. */
function withoutFences(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

const globToRegExp = (glob: string) => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);

/** Does a repository path exist? `*` matches within one path segment and needs at least one match. */
function pathExists(root: string, path: string): boolean {
  if (!path.includes('*')) return existsSync(join(root, path));
  const segments = path.split('/');
  let matches = [root];
  for (const segment of segments) {
    const pattern = globToRegExp(segment);
    matches = matches.flatMap((dir) =>
      existsSync(dir) && statSync(dir).isDirectory() ? readdirSync(dir).filter((name) => pattern.test(name)).map((name) => join(dir, name)) : [],
    );
  }
  return matches.length > 0;
}

/**
 * The broken references of one Markdown file, as "target: reason". Code
 * spans are checked when their first segment is a top-level entry of the
 * repository; a bare file name (`core.ts`) or another project's path is
 * prose, not a reference, and so are build outputs (git-ignored folders such
 * as `dist/`, which a fresh clone lacks). `NNNN` stands for a migration number.
 */
export function brokenReferences(root: string, file: string): string[] {
  const markdown = withoutFences(readFileSync(file, 'utf8'));
  const topLevel = new Set(readdirSync(root).filter((name) => name !== '.git'));
  const ignore = join(root, '.gitignore');
  const outputs = existsSync(ignore) ? readFileSync(ignore, 'utf8').split('\n').filter((line) => line.endsWith('/')) : [];
  const broken: string[] = [];

  for (const [, target] of markdown.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target!)) continue; // https:, mailto:
    const [path, anchor] = target!.split('#') as [string, string | undefined];
    const resolved = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
    if (!existsSync(resolved)) {
      broken.push(`${target}: no such file`);
    } else if (anchor && resolved.endsWith('.md') && !headingIds(readFileSync(resolved, 'utf8')).has(anchor)) {
      broken.push(`${target}: no heading #${anchor}`);
    }
  }

  for (const [, span] of markdown.matchAll(/`([^`\s]+)`/g)) {
    const path = span!.replace(/:\d+(-\d+)?$/, '').replace(/\/$/, '');
    if (!path.includes('/') || !topLevel.has(path.split('/')[0]!) || /NNNN|[{}<>]/.test(path)) continue;
    if (outputs.some((folder) => `${path}/`.startsWith(folder))) continue;
    if (!pathExists(root, path)) broken.push(`${span}: no such path`);
  }
  return broken;
}

function markdownFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

const docs = [join(ROOT, 'README.md'), ...['ARCHITECTURE.md'].map((f) => join(ROOT, f)).filter(existsSync), ...markdownFiles(join(ROOT, 'docs'))];

describe('references in the docs resolve', () => {
  it.each(docs.map((file) => relative(ROOT, file)))('%s', (file) => {
    expect(brokenReferences(ROOT, join(ROOT, file))).toEqual([]);
  });
});

describe('the reference checker', () => {
  const root = mkdtempSync(join(tmpdir(), 'mnemo-links-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'docs'));
  mkdirSync(join(root, 'src'));
  mkdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'src', 'a.ts'), '');
  writeFileSync(join(root, '.gitignore'), 'dist/\n*.log\n');
  writeFileSync(join(root, 'docs', 'guide.md'), '# Guide\n\n## Set up: the *first* step\n\n## Set up: the first step\n');

  it('computes GitHub heading ids, numbering repeats', () => {
    expect([...headingIds(readFileSync(join(root, 'docs', 'guide.md'), 'utf8'))]).toEqual(['guide', 'set-up-the-first-step', 'set-up-the-first-step-1']);
  });

  it('accepts links and paths that exist and ignores external links, prose and examples', () => {
    writeFileSync(
      join(root, 'README.md'),
      [
        'See [the guide](docs/guide.md#set-up-the-first-step-1), [top](#readme), [site](https://example.com/x.md),',
        '`src/a.ts`, `src/a.ts:12`, `src/*.ts`, `migrations/NNNN_name.sql`, `core.ts`, `research/x/README.md`, `dist/assets/`.',
        '# Readme',
        '```sh',
        'cat src/missing.ts [x](missing.md)',
        '```',
      ].join('\n'),
    );
    expect(brokenReferences(root, join(root, 'README.md'))).toEqual([]);
  });

  it('reports missing files, missing headings and missing repository paths', () => {
    writeFileSync(join(root, 'README.md'), '[a](docs/missing.md) [b](docs/guide.md#nope) `docs/benchmarks.md` `src/*.mjs`\n');
    expect(brokenReferences(root, join(root, 'README.md'))).toEqual([
      'docs/missing.md: no such file',
      'docs/guide.md#nope: no heading #nope',
      'docs/benchmarks.md: no such path',
      'src/*.mjs: no such path',
    ]);
  });
});

describe('the decisions log', () => {
  const text = readFileSync(join(process.cwd(), 'docs', 'decisions.md'), 'utf8');

  it('stays short: one paragraph per decision, under 250 lines', () => {
    expect(text.split('\n').length).toBeLessThan(250);
  });

  it('never cites files outside the repository', () => {
    expect(text).not.toMatch(/\.\.\/shared|FACTS\.md|\/work\//);
  });
});
