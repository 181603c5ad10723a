import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { inlineSchemaKeys, SDK_SCHEMA_FILE, sdkSchemaKeys } from '../../lib/constructs/sdk-schema-keys';

/**
 * The SDK schema rewrite must change nothing but esbuild's ability to drop unused shapes: the
 * rewritten modules export the same schemas, and a bundle keeps only the shapes it uses.
 */
const SDK = join(dirname(require.resolve('@aws-sdk/client-ec2/package.json')), '..');

/** Every generated schema module of the installed SDK clients (nested clients included). */
const schemaFiles = (): string[] =>
  readdirSync(SDK, { recursive: true, encoding: 'utf8' })
    .map((f) => join(SDK, f))
    .filter((f) => SDK_SCHEMA_FILE.test(f) && statSync(f).isFile());

describe('inlineSchemaKeys', () => {
  it('writes a computed key of a string constant as that string, in key position only', () => {
    const source = [
      'const _xN = "xmlName";',
      'const _e = "error";',
      'let _v = "not a constant";',
      'export var A$ = [3, n0, _A, { [_e]: _c, [_xN]: "Foo" }, [_xN], [[() => B$, { [_xN]: _f }]]];',
      'export var B$ = { [_v]: 1, [_unknown]: 2, a: b[_xN] };',
    ].join('\n');
    expect(inlineSchemaKeys(source)).toBe(
      [
        'const _xN = "xmlName";',
        'const _e = "error";',
        'let _v = "not a constant";',
        'export var A$ = [3, n0, _A, { "error": _c, "xmlName": "Foo" }, [_xN], [[() => B$, { "xmlName": _f }]]];',
        'export var B$ = { [_v]: 1, [_unknown]: 2, a: b[_xN] };',
      ].join('\n'),
    );
  });

  it('leaves no computed key of a constant in any installed SDK schema module', () => {
    const files = schemaFiles();
    expect(files.length).toBeGreaterThanOrEqual(15);
    for (const file of files) {
      expect({ file, left: inlineSchemaKeys(readFileSync(file, 'utf8')).match(/[{,]\s*\[_\w+\]:/g) }).toEqual({ file, left: null });
    }
  });
});

describe('sdkSchemaKeys plugin', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cordon-schema-keys-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const bundle = async (name: string, contents: string, withPlugin: boolean, minify = false): Promise<string> => {
    const outfile = join(dir, `${name}-${withPlugin ? 'inlined' : 'original'}.mjs`);
    await build({
      stdin: { contents, resolveDir: SDK, loader: 'js' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      mainFields: ['module', 'main'],
      outfile,
      minify,
      logLevel: 'silent',
      plugins: withPlugin ? [sdkSchemaKeys] : [],
    });
    return outfile;
  };

  /**
   * Every export of a module as plain data: a schema reference `() => X$` as the name of the
   * export it returns, a class as its name, so two module instances can be compared.
   */
  const DESCRIBE = `
    const m = await import(process.argv[1]);
    const names = new Map(Object.entries(m).map(([k, v]) => [v, k]));
    const seen = new Set();
    const plain = (v) => {
      if (typeof v === 'function') {
        if (/^class /.test(Function.prototype.toString.call(v))) return 'class ' + v.name;
        return 'ref ' + (names.get(v()) ?? '?');
      }
      if (v === null || typeof v !== 'object') return v;
      if (seen.has(v)) return 'seen ' + (names.get(v) ?? '');
      seen.add(v);
      const out = Array.isArray(v) ? v.map(plain) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
      seen.delete(v);
      return out;
    };
    process.stdout.write(JSON.stringify(Object.fromEntries(Object.keys(m).sort().map((k) => [k, plain(m[k])]))));`;

  const describeModule = (file: string): unknown =>
    JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', DESCRIBE, file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }));

  it.each(['client-ec2', 'client-s3', 'client-guardduty', 'client-lambda', 'nested-clients/dist-es/submodules/sts'])(
    'the rewritten schemas of %s export exactly what the originals export',
    async (client) => {
      const file = schemaFiles().find((f) => f.includes(`/@aws-sdk/${client}/`))!;
      expect(file).toBeDefined();
      const contents = `export * from ${JSON.stringify(file)};`;
      const name = client.replace(/\W/g, '-');
      const original = describeModule(await bundle(name, contents, false));
      const inlined = describeModule(await bundle(name, contents, true));
      expect(Object.keys(original as object).length).toBeGreaterThan(10);
      expect(inlined).toEqual(original);
    },
    60_000,
  );

  it('keeps only the shapes of the commands a bundle sends', async () => {
    const contents = "import { EC2Client, DescribeInstancesCommand } from '@aws-sdk/client-ec2'; export const f = () => new EC2Client({}).send(new DescribeInstancesCommand({}));";
    const original = readFileSync(await bundle('ec2-use', contents, false, true), 'utf8');
    const inlined = readFileSync(await bundle('ec2-use', contents, true, true), 'utf8');
    for (const text of [original, inlined]) expect(text).toContain('DescribeInstancesResult');
    expect(original).toContain('AcceptTransitGatewayPeeringAttachmentResult');
    expect(inlined).not.toContain('AcceptTransitGatewayPeeringAttachmentResult');
    expect(inlined.length).toBeLessThan(original.length / 2);
  }, 60_000);
});
