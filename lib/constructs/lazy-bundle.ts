import * as path from 'node:path';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { CREATE_REQUIRE } from './bundle-build';

/**
 * How every function is bundled, for cold start (measured by bench/bundles.ts, which builds with
 * exactly these options):
 * - ESM, tree-shaken (`mainFields: module`), minified, the SDK bundled (the pinned clients run);
 * - the SDK's schema modules made tree-shakable (sdk-schema-keys.ts): each client keeps the shapes
 *   of the commands Cordon sends, not the whole service (isolation: 1,935 KiB -> 1,101 KiB);
 * - split: the file Lambda imports at init (`index.mjs`) holds only a one-line entry that imports
 *   the handler module on the first invocation, and every `import()` in the code (the SDK's own
 *   credential providers included) becomes a chunk loaded only when reached. Module init is then
 *   the entry alone; the first invocation pays for loading what it uses, and the bench reports both;
 * - source maps written beside the chunks for reading a stack trace offline, but not enabled at run
 *   time: `--enable-source-maps` parses each chunk's map at load and doubled the load time.
 *
 * NodejsFunction builds one file (`--outfile`, which esbuild cannot split), so an afterBundling
 * hook rebuilds the output directory with these options (`lazyBundleCommand`, which runs
 * bundle-build.ts: esbuild plugins need its asynchronous API, which a shell hook cannot call).
 */

/** The split build (bundle-build.ts), run by the afterBundling hook and by bench/bundles.ts. */
export { CREATE_REQUIRE, LAZY_ENTRY, lazyBuildOptions } from './bundle-build';

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The shell command of the afterBundling hook, which bench/bundles.ts runs too: bundle-build.ts
 * (TypeScript, run through tsx as the CDK app is) builds `handlerFile` into `outdir`.
 */
export const lazyBundleCommand = (handlerFile: string, outdir: string): string =>
  [process.execPath, '--require', require.resolve('tsx/cjs'), path.join(__dirname, 'bundle-build.ts'), handlerFile, outdir].map(quote).join(' ');

/**
 * NodejsFunction bundling of `entry`: its own one-file build (same format and targets) is replaced
 * by the split build. No --enable-source-maps: source maps stay off at run time (NODE_OPTIONS carries
 * only the young-generation size, lib/function-runtime.ts).
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
