/**
 * Cold start of every Lambda handler, bundled exactly as the functions are (lib/constructs/
 * lazy-bundle.ts: ESM, tree-shaken, minified, SDK bundled, split so that init loads only the entry
 * and the first invocation loads what it uses), and run in a fresh `node` with the environment a
 * deployed function has.
 *
 * A cold start is module init plus the first invocation up to its first AWS request: moving work
 * from init into the first call improves nothing, so both parts are reported, and their sum.
 * - init vs bare node: wall time of a fresh `node index.mjs` (the file Lambda imports: evaluating it
 *   is module init) over a bare `node -e 0` (the method; the two alternate, so load on this
 *   shared machine hits both).
 * - init: the import measured inside the process; first request: from calling the handler with a
 *   real event to the first connection to AWS (every endpoint points at a local socket that
 *   accepts and never answers). Medians of RUNS fresh processes.
 * - the CPU time (user + system) of both parts, from process.cpuUsage in the same process: on this
 *   shared, loaded machine wall time doubles with the load, CPU time hardly moves.
 * Node 20 here, Node 24 on Lambda (BENCH_NODE runs the bundles on another Node: bench/bench-node.ts);
 * the SDK's "Node < 22" warning is off, as it is there.
 */
import { execSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lazyBundleCommand } from '../lib/constructs/lazy-bundle';
import { benchNode } from './bench-node';
import { median } from './stats';
import type { BenchRow } from './types';

const ROOT = join(__dirname, '..');
const HANDLERS = join(ROOT, 'lambdas', 'handlers');
const RUNS = 11;

/** What a deployed responder's environment holds (lib/response-stack.ts), with placeholder values. */
const LAMBDA_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SESSION_TOKEN: 'bench',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  POWERTOOLS_SERVICE_NAME: 'cordon',
  POWERTOOLS_LOGGER_LOG_EVENT: 'false',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  EVIDENCE_BUCKET: 'cordon-evidence-bench',
  SIGNING_KEY_ID: 'arn:aws:kms:us-east-1:111111111111:key/00000000-0000-0000-0000-000000000000',
  HEADS_TABLE: 'cordon-heads-bench',
  RETENTION_DAYS: '2555',
  MODE_PARAMETER: '/cordon/mode',
  GUARDRAILS_TABLE: 'cordon-guardrails-bench',
  NOTIFY_TOPIC_ARN: 'arn:aws:sns:us-east-1:111111111111:cordon-bench',
  SECURITY_HUB_WRITEBACK: 'true',
  PROTECTED_TAG: 'cordon:protected=true',
  SESSION_REVOKER_ARN: 'arn:aws:states:us-east-1:111111111111:stateMachine:cordon-revoke-sessions',
};

const fixture = (name: string): unknown => JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'real', name), 'utf8'));

/** The first event each handler gets: real published samples where there are some. */
const FIRST_EVENT: Record<string, unknown> = {
  'isolate-instance': fixture('guardduty-ec2-backdoor-cc-activity-b-dns-1.json'),
  'revoke-credentials': fixture('guardduty-iam-tor-ip-caller-1.json'),
  checkpoint: { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} },
  tamper: fixture('cloudtrail-api-call-iam-deleterolepermissionsboundary-1.json'),
  'guardduty-org-config': {
    RequestType: 'Create',
    ResourceProperties: { DetectorId: 'c0b018e3eb2130078632d999e41d4f02', AutoEnableOrganizationMembers: 'ALL', Features: [] },
  },
};

/** Bundles one handler exactly as the construct does; returns the entry file Lambda imports. */
export const bundle = (handler: string, outdir: string): string => {
  const dir = join(outdir, handler);
  mkdirSync(dir);
  execSync(lazyBundleCommand(join(HANDLERS, `${handler}.ts`), dir), { stdio: ['ignore', 'ignore', 'pipe'], shell: '/bin/bash' });
  return join(dir, 'index.mjs');
};

/** Bytes of JavaScript in a bundle directory (entry and every chunk, source maps excluded). */
const jsBytes = (dir: string): number =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.mjs'))
    .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);

/** Imports the bundle, invokes it and reports when the first AWS connection opens. */
const LOADER = `
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
const [file, eventFile] = process.argv.slice(2);
const server = createServer(() => undefined);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:' + server.address().port;
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const t0 = performance.now(), c0 = cpu();
const mod = await import(file);
const t1 = performance.now(), c1 = cpu();
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
server.on('connection', () => {
  const t2 = performance.now(), c2 = cpu();
  process.stdout.write(JSON.stringify({ init: t1 - t0, first: t2 - t1, cpuInit: c1 - c0, cpuFirst: c2 - c1 }));
  process.exit(0);
});
const context = { invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 120000 };
Promise.resolve(mod.handler(event, context)).then(
  () => { process.stderr.write('the handler returned without an AWS request'); process.exit(3); },
  (error) => { process.stderr.write('the handler failed before an AWS request: ' + error); process.exit(3); },
);
setTimeout(() => { process.stderr.write('no AWS request within 10 s'); process.exit(4); }, 10000).unref();
`;

/** What LOADER prints: wall and CPU (user + system, every thread) milliseconds of both parts. */
interface Parts {
  readonly init: number;
  readonly first: number;
  readonly cpuInit: number;
  readonly cpuFirst: number;
}

const spawn = (args: string[]): { ms: number; stdout: string } => {
  const start = process.hrtime.bigint();
  const result = spawnSync(benchNode().path, args, { stdio: ['ignore', 'pipe', 'pipe'], env: LAMBDA_ENV });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr.toString().slice(-1500)}`);
  return { ms, stdout: result.stdout.toString() };
};

export const benchBundles = async (): Promise<BenchRow[]> => {
  const handlers = readdirSync(HANDLERS)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3));
  const outdir = mkdtempSync(join(tmpdir(), 'cordon-bundles-'));
  const loader = join(outdir, 'load.mjs');
  writeFileSync(loader, LOADER);
  const files = new Map(handlers.map((h) => [h, bundle(h, outdir)]));
  const events = new Map(
    handlers.map((h) => {
      const event = FIRST_EVENT[h];
      if (event === undefined) throw new Error(`bench/bundles.ts: no first event for handler ${h}`);
      const file = join(outdir, `${h}.event.json`);
      writeFileSync(file, JSON.stringify(event));
      return [h, file];
    }),
  );
  // Alternate bare and bundle runs so that a burst of load on the machine hits both.
  const bare: number[] = [];
  const wall = new Map(handlers.map((h) => [h, [] as number[]]));
  for (let i = 0; i < RUNS; i++) {
    for (const h of handlers) {
      bare.push(spawn(['-e', '0']).ms);
      wall.get(h)!.push(spawn([files.get(h)!]).ms);
    }
  }
  const bareMs = median(bare);
  const rows: BenchRow[] = [{ name: `bare node -e 0, Node ${benchNode().version} (median of ${bare.length})`, value: bareMs, unit: 'ms' }];
  for (const h of handlers) {
    const parts = Array.from({ length: RUNS }, () => JSON.parse(spawn([loader, files.get(h)!, events.get(h)!]).stdout) as Parts);
    const init = median(parts.map((p) => p.init));
    const first = median(parts.map((p) => p.first));
    rows.push(
      { name: `${h}: bundle size, entry + chunks (minified ESM)`, value: jsBytes(join(outdir, h)) / 1024, unit: 'KiB' },
      { name: `${h}: module init vs bare node`, value: median(wall.get(h)!) / bareMs, unit: 'x', goal: '<= 1.5x' },
      { name: `${h}: module init (import, in process)`, value: init, unit: 'ms' },
      { name: `${h}: first invocation to its first AWS request`, value: first, unit: 'ms' },
      { name: `${h}: cold start = init + first invocation to first request`, value: median(parts.map((p) => p.init + p.first)), unit: 'ms' },
      { name: `${h}: CPU time of module init`, value: median(parts.map((p) => p.cpuInit)), unit: 'ms' },
      { name: `${h}: CPU time of the first invocation to its first AWS request`, value: median(parts.map((p) => p.cpuFirst)), unit: 'ms' },
      { name: `${h}: cold start CPU time (init + first invocation to first request)`, value: median(parts.map((p) => p.cpuInit + p.cpuFirst)), unit: 'ms' },
    );
  }
  rmSync(outdir, { recursive: true, force: true });
  return rows;
};
