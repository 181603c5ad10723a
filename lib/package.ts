import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Where the Cordon package lives, found from this file whether it runs from the TypeScript sources
 * (lib/package.ts, through tsx or ts-jest) or from the build (dist/lib/package.js, the installed
 * `cordon` command): the nearest folder above holding Cordon's own package.json.
 */
const findRoot = (from: string): string => {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'cordon') return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the cordon package.json above ${from}`);
  }
};

export const PACKAGE_ROOT = findRoot(__dirname);

/** The `version` of package.json: what `cordon --version` prints. */
export const PACKAGE_VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
