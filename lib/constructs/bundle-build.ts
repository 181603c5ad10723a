import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { sdkSchemaKeys } from './sdk-schema-keys';

/**
 * The build of one function (lazy-bundle.ts explains the choices; bench/bundles.ts measures them).
 * Run as a script by the afterBundling hook, because esbuild plugins need its asynchronous API:
 *   node --require tsx/cjs lib/constructs/bundle-build.ts <handler.ts> <outdir>
 */

/** CommonJS dependencies bundled into an ESM file still call require(). */
export const CREATE_REQUIRE = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

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
  // The SDK's schema modules made tree-shakable: only the shapes of the commands used are kept.
  plugins: [sdkSchemaKeys],
});

/**
 * The split build into `outdir`, then `index.mjs` (NodejsFunction's one-file build, and its map)
 * replaced by the lazy entry.
 */
export const buildLazyBundle = async (handlerFile: string, outdir: string): Promise<void> => {
  await build(lazyBuildOptions(handlerFile, outdir));
  const index = path.join(outdir, 'index.mjs');
  rmSync(`${index}.map`, { force: true });
  writeFileSync(index, LAZY_ENTRY);
};

if (require.main === module) {
  const [handlerFile, outdir] = process.argv.slice(2);
  if (!handlerFile || !outdir) {
    process.stderr.write('usage: bundle-build.ts <handler.ts> <outdir>\n');
    process.exit(2);
  }
  buildLazyBundle(handlerFile, outdir).catch((error: unknown) => {
    process.stderr.write(`bundle-build: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
