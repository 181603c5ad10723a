#!/usr/bin/env node
// The `cordon` command: bundled to dist/cordon.js by esbuild (npm run build; npm ci and npm link run it), installed by `npm link` or
// `npm i -g` of the packed tarball. Only wires: the program is lib/cli/program.ts.

// The AWS SDK warns about Node versions on stderr when the first client is created; the SDK honours
// this variable. Set before any client exists, so a user's terminal shows only what cordon says.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the line above on purpose
const { runCli } = require('../lib/cli/program') as typeof import('../lib/cli/program');

// A worker thread of `cordon verify` loads this bundle for its code only (lambdas/evidence/pool.ts).
// eslint-disable-next-line @typescript-eslint/no-require-imports
if ((require('node:worker_threads') as typeof import('node:worker_threads')).isMainThread) {
  void runCli(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
