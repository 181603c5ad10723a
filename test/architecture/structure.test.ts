import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

/**
 * The shape of the source tree, which the guide asks for and review cannot keep by hand:
 * every source file readable in one sitting (at most 350 lines), no import circle, and constructs
 * below stacks (lib/constructs imports no stack module). Tests and fixtures are not source.
 */

const ROOT = resolve(__dirname, '../..');
const SOURCE_ROOTS = ['lambdas', 'lib', 'bin', 'bench'];
const MAX_LINES = 350;

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.isFile() && path.endsWith('.ts') && !path.endsWith('.d.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });

/** Lines as `wc -l` counts them, plus a last line without a newline. */
const lineCount = (text: string): number => (text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0));

/**
 * File -> the files it imports, by relative specifier: `import`, `import type`, `export ... from`,
 * `import()` and `require()` alike (a circle through types is still a circle a reader must follow).
 */
const importGraph = (files: ReadonlyMap<string, string>): Map<string, string[]> =>
  new Map(
    [...files].map(([file, text]) => {
      const specifiers = ts.preProcessFile(text, true, true).importedFiles.map((i) => i.fileName).filter((s) => s.startsWith('.'));
      const targets = specifiers
        .map((s) => resolve(dirname(file), s))
        .map((base) => [`${base}.ts`, join(base, 'index.ts'), base].find((candidate) => files.has(candidate)))
        .filter((t): t is string => t !== undefined);
      return [file, [...new Set(targets)]];
    }),
  );

/** The import circles: each strongly connected component of more than one file, or a file importing itself (Tarjan). */
const circlesOf = (graph: ReadonlyMap<string, readonly string[]>): string[][] => {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) circles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return circles;
};

const files = new Map(SOURCE_ROOTS.flatMap((root) => sourceFiles(join(ROOT, root))).map((f) => [f, readFileSync(f, 'utf8')] as const));
const rel = (f: string): string => relative(ROOT, f);

describe('source tree', () => {
  it('reads every source file of lambdas/, lib/, bin/ and bench/', () => {
    expect(files.size).toBeGreaterThan(100);
    expect([...files.keys()].map(rel)).toEqual(expect.arrayContaining(['bin/app.ts', 'bin/cordon.ts', 'lib/config.ts', 'lambdas/findings/ec2.ts', 'bench/run.ts']));
  });

  it(`keeps every source file at or under ${MAX_LINES} lines`, () => {
    const long = [...files].filter(([, text]) => lineCount(text) > MAX_LINES).map(([f, text]) => `${rel(f)}: ${lineCount(text)} lines`);
    expect(long).toEqual([]);
  });

  it('has no import circle', () => {
    const circles = circlesOf(importGraph(files)).map((c) => c.map(rel).join(' <-> '));
    expect(circles).toEqual([]);
  });

  it('keeps constructs below stacks: nothing in lib/constructs imports a stack module', () => {
    const graph = importGraph(files);
    const upward = [...graph]
      .filter(([f]) => rel(f).startsWith('lib/constructs/'))
      .flatMap(([f, targets]) => targets.filter((t) => /-stack\.ts$/.test(t)).map((t) => `${rel(f)} -> ${rel(t)}`));
    expect(upward).toEqual([]);
  });
});

describe('the structure checks themselves', () => {
  it('count lines as wc -l does, plus an unterminated last line', () => {
    expect(lineCount('')).toBe(0);
    expect(lineCount('a\nb\n')).toBe(2);
    expect(lineCount('a\nb')).toBe(2);
  });

  it('find a circle through type-only imports and re-exports, and resolve index files', () => {
    const graph = importGraph(
      new Map([
        ['/x/a.ts', "import type { B } from './b';\n"],
        ['/x/b.ts', "export { c } from './c';\n"],
        ['/x/c/index.ts', "import { a } from '../a';\nimport { z } from 'zod';\n"],
        ['/x/d.ts', "import { a } from './a';\n"],
      ]),
    );
    expect(graph.get('/x/c/index.ts')).toEqual(['/x/a.ts']);
    expect(circlesOf(graph)).toEqual([['/x/a.ts', '/x/b.ts', '/x/c/index.ts']]);
  });

  it('find a file that imports itself, and no circle in a tree', () => {
    expect(circlesOf(new Map([['/a.ts', ['/a.ts']]]))).toEqual([['/a.ts']]);
    expect(circlesOf(new Map([['/a.ts', ['/b.ts', '/c.ts']], ['/b.ts', ['/c.ts']], ['/c.ts', []]]))).toEqual([]);
  });
});
