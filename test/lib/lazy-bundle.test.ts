import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lazyBundleCommand, lazyBundling } from '../../lib/constructs/lazy-bundle';

/**
 * The build every function gets: module init evaluates only the entry; the handler module (and
 * the chunks it imports) is loaded by the first invocation, once.
 */
describe('lazy bundle', () => {
  let dir: string;
  let out: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cordon-lazy-'));
    out = join(dir, 'out');
    // A handler that counts its own evaluations, and a module it loads only when asked.
    writeFileSync(join(dir, 'rare.ts'), `export const rare = (): string => 'rare loaded';\n`);
    writeFileSync(
      join(dir, 'handler.ts'),
      [
        `const g = globalThis as unknown as { evaluations?: number };`,
        `g.evaluations = (g.evaluations ?? 0) + 1;`,
        `export const handler = async (event: { rare?: boolean }, context: { awsRequestId: string }) =>`,
        `  ({ event, requestId: context.awsRequestId, evaluations: g.evaluations, rare: event.rare ? (await import('./rare')).rare() : undefined });`,
      ].join('\n'),
    );
    // NodejsFunction's one-file output, which the hook replaces.
    execSync(`mkdir -p '${out}' && echo 'stale' > '${out}/index.mjs' && echo '{}' > '${out}/index.mjs.map'`);
    const [command] = lazyBundling(join(dir, 'handler.ts')).commandHooks!.afterBundling(dir, out);
    execSync(command!, { shell: '/bin/bash', stdio: 'pipe' });
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the same command as lazyBundleCommand in the afterBundling hook', () => {
    expect(lazyBundling(join(dir, 'handler.ts')).commandHooks!.afterBundling(dir, out)).toEqual([lazyBundleCommand(join(dir, 'handler.ts'), out)]);
  });

  it('replaces the one-file index.mjs by an entry that imports the handler on the first call', () => {
    expect(readFileSync(join(out, 'index.mjs'), 'utf8')).toBe(
      "export const handler = async (event, context) => (await import('./handler.mjs')).handler(event, context);\n",
    );
    expect(existsSync(join(out, 'index.mjs.map'))).toBe(false);
    expect(existsSync(join(out, 'handler.mjs'))).toBe(true);
    expect(readdirSync(join(out, 'chunks')).filter((f) => f.startsWith('rare-') && f.endsWith('.mjs'))).toHaveLength(1);
  });

  it('evaluates nothing of the handler at init, the handler once on the first call, a dynamic import only when reached', () => {
    const script = `
      const m = await import(${JSON.stringify(join(out, 'index.mjs'))});
      const atInit = globalThis.evaluations ?? 0;
      const first = await m.handler({ n: 1 }, { awsRequestId: 'r1' });
      const second = await m.handler({ n: 2, rare: true }, { awsRequestId: 'r2' });
      process.stdout.write(JSON.stringify({ atInit, first, second }));`;
    const result = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as unknown;
    expect(result).toEqual({
      atInit: 0,
      first: { event: { n: 1 }, requestId: 'r1', evaluations: 1 },
      second: { event: { n: 2, rare: true }, requestId: 'r2', evaluations: 1, rare: 'rare loaded' },
    });
  });
});
