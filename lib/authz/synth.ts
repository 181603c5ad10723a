import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CordonConfigInput } from '../config';
import type { CfnTemplate } from './resolve';

/**
 * The synthesized templates of every Cordon stack for one config, unresolved (intrinsics intact),
 * cached as JSON under the temporary folder keyed by a hash of lib/, cdk.json, the CDK version and
 * the config: synthesis takes ~15 s, so the tests, the drill and the bench synthesize once per
 * change of the infrastructure code, not once per process.
 */

export interface SynthStack {
  readonly stackName: string;
  /** Deployed in a member account (the CordonMember stage), not in the security account. */
  readonly member: boolean;
  /** The account the stack names explicitly (the anchor in the log-archive account), if any. */
  readonly account?: string;
  readonly template: CfnTemplate;
}

export interface Synthesized {
  readonly config: CordonConfigInput;
  readonly stacks: readonly SynthStack[];
}

const ROOT = resolve(__dirname, '..', '..');
const SYNTH_FORMAT = '2';

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))
    .sort();

/** Hash of everything synthesis depends on. */
export const synthKey = (config: CordonConfigInput): string => {
  const h = createHash('sha256');
  for (const f of [...filesUnder(join(ROOT, 'lib')).filter((f) => !f.includes('/lib/authz/')), join(ROOT, 'cdk.json')]) h.update(f.slice(ROOT.length)).update(readFileSync(f));
  const cdk = JSON.parse(readFileSync(require.resolve('aws-cdk-lib/package.json'), 'utf8')) as { version: string };
  // SYNTH_FORMAT: what this module stores changed (e.g. stacks gained `account`).
  h.update(cdk.version).update(JSON.stringify(config)).update(SYNTH_FORMAT);
  return h.digest('hex').slice(0, 24);
};

/**
 * Whether this installation can synthesize: the CDK sources and cdk.json beside it (a repository
 * checkout). The bundled `cordon` command carries neither, so it cannot.
 */
export const canSynthesize = (): boolean => existsSync(join(ROOT, 'lib', 'cordon-app.ts')) && existsSync(join(ROOT, 'cdk.json'));

const cacheDir = (): string => process.env.CORDON_AUTHZ_CACHE ?? join(tmpdir(), 'cordon-authz');

/** The feature flags of cdk.json, so synthesis matches `cdk synth`. */
const cdkJsonFlags = (): Record<string, unknown> => {
  const { context } = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const flags = { ...context };
  delete flags.cordon;
  return flags;
};

const synthesize = async (config: CordonConfigInput): Promise<Synthesized> => {
  const [{ App }, { parseConfig }, { CordonApp }] = await Promise.all([import('aws-cdk-lib'), import('../config'), import('../cordon-app')]);
  // Asset bundling skipped (TOOLCHAIN.md): policies do not depend on the bundles.
  const app = new App({ context: { ...cdkJsonFlags(), 'aws:cdk:bundling-stacks': [] } });
  const cordon = new CordonApp(app, { config: parseConfig(config) });
  const assembly = app.synth();
  const memberName = cordon.organization.member?.stackName;
  return {
    config,
    stacks: assembly.stacksRecursively.map((s) => ({
      stackName: s.stackName,
      member: s.stackName === memberName,
      ...(/^\d{12}$/.test(s.environment.account) ? { account: s.environment.account } : {}),
      template: s.template as CfnTemplate,
    })),
  };
};

const inProcess = new Map<string, Promise<Synthesized>>();

/** The templates of `config`, from the cache when lib/ has not changed since they were written. */
export const synthesized = (config: CordonConfigInput): Promise<Synthesized> => {
  const key = synthKey(config);
  let hit = inProcess.get(key);
  if (!hit) {
    const file = join(cacheDir(), `${key}.json`);
    hit = existsSync(file)
      ? Promise.resolve(JSON.parse(readFileSync(file, 'utf8')) as Synthesized)
      : synthesize(config).then((s) => {
          mkdirSync(cacheDir(), { recursive: true });
          // Written aside then renamed: a concurrent reader never sees half a file.
          const tmp = `${file}.${process.pid}.tmp`;
          writeFileSync(tmp, JSON.stringify(s));
          renameSync(tmp, file);
          return s;
        });
    inProcess.set(key, hit);
  }
  return hit;
};
