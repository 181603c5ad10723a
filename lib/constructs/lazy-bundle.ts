import * as path from 'node:path';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/**
 * How every function is bundled, for cold start (measured by bench/bundles.ts, which builds with
 * exactly these options):
 * - ESM, tree-shaken (`mainFields: module`), minified, the SDK bundled (the pinned clients run);
 * - split: the file Lambda imports at init (`index.mjs`) holds only a one-line entry that imports
 *   the handler module on the first invocation, and every `import()` in the code (the SDK's own
 *   credential providers included) becomes a chunk loaded only when reached. Module init is then
 *   the entry alone; the first invocation pays for loading what it uses, and the bench reports both;
 * - source maps written beside the chunks for reading a stack trace offline, but not enabled at run
 *   time: `--enable-source-maps` parses each chunk's map at load and doubled the load time.
 *
 * NodejsFunction builds one file (`--outfile`, which esbuild cannot split), so an afterBundling
 * hook rebuilds the output directory with these options (`lazyBundleCommand`).
 */

/** CommonJS dependencies bundled into an ESM file still call require(). */
const CREATE_REQUIRE = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** The file Lambda imports at init (`index.mjs`): nothing but the import of the handler on the first call. */
export const LAZY_ENTRY = "export const handler = async (event, context) => (await import('./handler.mjs')).handler(event, context);\n";

/** esbuild options that build `handlerFile` (a .ts module exporting `handler`) into `outdir/handler.mjs` and its chunks. */
export const lazyBuildOptions = (handlerFile: string, outdir: string): BuildOptions => ({
  entryPoints: [{ in: handlerFile, out: 'handler' }],
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  banner: { js: CREATE_REQUIRE },
  logLevel: 'warning',
});

/**
 * The shell command of the afterBundling hook, which bench/bundles.ts runs too: the split build,
 * then `index.mjs` (NodejsFunction's one-file build, and its map) replaced by the lazy entry.
 */
export const lazyBundleCommand = (handlerFile: string, outdir: string): string => {
  const index = path.join(outdir, 'index.mjs');
  const script = [
    `require(${JSON.stringify(require.resolve('esbuild'))}).buildSync(${JSON.stringify(lazyBuildOptions(handlerFile, outdir))});`,
    `require('node:fs').rmSync(${JSON.stringify(`${index}.map`)}, { force: true });`,
    `require('node:fs').writeFileSync(${JSON.stringify(index)}, ${JSON.stringify(LAZY_ENTRY)});`,
  ].join(' ');
  return `"${process.execPath}" -e '${script.replace(/'/g, `'\\''`)}'`;
};

/**
 * NodejsFunction bundling of `entry`: its own one-file build (same format and targets) is replaced
 * by the split build. No NODE_OPTIONS: source maps stay off at run time.
 */
export const lazyBundling = (entry: string): BundlingOptions => ({
  format: OutputFormat.ESM,
  bundleAwsSDK: true,
  mainFields: ['module', 'main'],
  target: 'node24',
  minify: true,
  banner: CREATE_REQUIRE,
  commandHooks: {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir, outputDir) => [lazyBundleCommand(entry, outputDir)],
  },
});
