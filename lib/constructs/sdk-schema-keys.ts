import { readFileSync } from 'node:fs';
import type { Plugin } from 'esbuild';

/**
 * The AWS SDK's schema files (`@aws-sdk/<client>/dist-es/**\/schemas/schemas_N.js`) describe every
 * shape of a service as a top-level `export var X$ = [...]`. Their trait objects use computed keys
 * of module constants, `{ [_xN]: "Foo" }` with `const _xN = "xmlName"`, and esbuild must assume a
 * computed key may have side effects (a key's toString can run code), so it keeps every shape of
 * the service, used or not: 557 KiB of client-ec2's minified 566 KiB in the isolation bundle.
 *
 * `inlineSchemaKeys` writes each such key as the string literal its constant holds, which is the
 * same object (a computed key of a string is that string), and the unused shapes are shaken out.
 * Only constants defined in the file as a plain string literal are inlined, and only in key
 * position (after `{` or `,`); anything else is left as it is.
 */

/** Files the plugin rewrites: the SDK's generated schema modules, nested clients' included. */
export const SDK_SCHEMA_FILE = /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/](?:[^\\/]+[\\/])*schemas[\\/]schemas_\d+\.js$/;

/** `const _xN = "xmlName";` at the start of a line: a string constant of the schema module. */
const STRING_CONSTANT = /^const (_\w+) = ("[\w$.#:/ -]*");$/gm;

/** `{ [_xN]: ` or `, [_xN]: `: a computed key in an object literal. */
const COMPUTED_KEY = /([{,]\s*)\[(_\w+)\]:/g;

/** The schema module `source` with every computed key of a string constant written as that string. */
export const inlineSchemaKeys = (source: string): string => {
  const constants = new Map<string, string>();
  for (const [, name, literal] of source.matchAll(STRING_CONSTANT)) constants.set(name!, literal!);
  return source.replace(COMPUTED_KEY, (whole, before: string, name: string) => {
    const literal = constants.get(name);
    return literal === undefined ? whole : `${before}${literal}:`;
  });
};

/** esbuild plugin: the SDK's schema modules loaded through `inlineSchemaKeys`. */
export const sdkSchemaKeys: Plugin = {
  name: 'cordon-sdk-schema-keys',
  setup(build) {
    build.onLoad({ filter: SDK_SCHEMA_FILE }, (args) => ({ contents: inlineSchemaKeys(readFileSync(args.path, 'utf8')), loader: 'js' }));
  },
};
