import { createPublicKey } from 'node:crypto';
import { accessSync, constants, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseCredentialEvent } from '../../lambdas/findings/credentials';
import { parseEc2Event } from '../../lambdas/findings/ec2';
import { anchorCheckpoint, type AnchorResult } from '../../lambdas/evidence/anchor';
import { StoreEvidenceReader } from '../../lambdas/evidence/reader';
import {
  EvidenceChain,
  LocalEvidenceStore,
  LocalSigner,
  MemoryChainHeads,
  Verifier,
  addFolder,
  publicKeyFrom,
  readFolder,
  publishPublicKey,
  spkiPem,
  writeCheckpoint,
  type VerifyReport,
} from '../../lambdas/evidence';
import { fixedGuardrails, type Guardrails } from '../../lambdas/guardrails/types';
import { parseConfig } from '../config';
import { PACKAGE_ROOT } from '../package';
import { assumedFacts } from './assumed';
import { deploymentOf, routeInput, type DrillDeployment } from './deployment';
import type { Responder } from './dispatch';
import { factsOf } from './facts';
import { DrillInputError, readInputs, type DrillInput } from './inputs';
import { DRILL_ACCOUNT, DRILL_REGION, runResponder, type DrillDecision, type ResponderOutcome } from './responders';
import { authorizeDrillCalls, type DrillAuthorization } from './authorize';
import { CallLog, type WorldCall } from './world';

export { DrillInputError } from './inputs';
export { DRILL_ACCOUNT, DRILL_MEMBER_ROLES, DRILL_REGION, DRILL_SESSION_REVOKER, type DrillDecision, type PlannedStep, type ResponderOutcome } from './responders';

/**
 * `cordon drill`: replays events as the deployment receives them. Each event first goes through the
 * routing rules of the active config (lib/delivery.ts, the rules the response stack creates); one
 * no rule delivers is reported `not-delivered` with the rule that dropped it. A delivered event
 * goes to the REAL responders (lambdas/isolation/respond.ts, lambdas/credentials/respond.ts), with
 * the functions' configuration from the same config, in dry-run (a GuardDuty sample in enforce: the
 * deployment skips it), with the embedded evidence implementations (local P-256 key file, local
 * folder store, file-backed chain heads) against a fake AWS that answers reads from the event and
 * its world file and refuses every write. Then checkpoints, publishes the public key under keys/,
 * and verifies the folder offline with the same verifier as `cordon verify`.
 */

export const DEFAULT_SCENARIOS = join(PACKAGE_ROOT, 'drill/scenarios');

/** The reason a sample finding carries in the report: what enforce does with it. */
export const SAMPLE_SKIPPED = 'sample: skipped in enforce';

export interface EventOutcome {
  /** The input: `file.json`, or `file.json[i]` for an item of an array or export. */
  readonly file: string;
  /** The finding type or event kind (summary rows). */
  readonly label: string;
  readonly decision: DrillDecision;
  readonly reason?: string;
  /** The rules (or the manual request) that delivered the event. */
  readonly deliveredBy: readonly string[];
  readonly responders: readonly ResponderOutcome[];
  /** Facts the world took for granted (no world file). */
  readonly assumed: readonly string[];
  /** How the input was turned into an event, when it was not one already. */
  readonly note?: string;
  readonly calls: number;
  /** Mutating calls attempted (each refused): must be none. */
  readonly mutations: readonly WorldCall[];
  /** Calls AWS would refuse to the principal that sent them (lib/drill/authorize.ts): must be none. */
  readonly denied: readonly string[];
  /** The IAM requests of its calls evaluated against the synthesized policies, and the member accounts assumed. */
  readonly authorization?: Omit<DrillAuthorization, 'denied'>;
  readonly elapsedMs: number;
}

export interface DrillReport {
  readonly eventsDir: string;
  readonly outDir: string;
  readonly configSource: string;
  readonly publicKeyPath: string;
  /** The anchor folder (outside the evidence folder): a copy of each checkpoint, as the log-archive bucket holds. */
  readonly anchorDir: string;
  /** The checkpoint's copy to the anchor, evidenced in the `anchor-YYYY-MM-DD` chain. */
  readonly anchor: AnchorResult;
  readonly events: readonly EventOutcome[];
  readonly counts: Partial<Record<DrillDecision, number>>;
  /** Events by label (finding type), then by decision. */
  readonly byType: Readonly<Record<string, Partial<Record<DrillDecision, number>>>>;
  readonly steps: number;
  readonly crashed: number;
  /** Calls AWS would refuse (by the synthesized policies), over every event. */
  readonly denied: number;
  readonly authorization: Omit<DrillAuthorization, 'denied'>;
  readonly mutations: number;
  readonly unrecognised: number;
  readonly allowUnknown: boolean;
  readonly checkpointKey: string;
  readonly verify: VerifyReport;
  /** Safe: no crash, no mutating call attempted, the evidence verifies. */
  readonly ok: boolean;
  /** The drill's verdict: `ok`, and no unrecognised input unless `allowUnknown`. */
  readonly passed: boolean;
  readonly elapsedMs: number;
}

export interface DrillOptions {
  /** @default - the scenarios shipped in drill/scenarios */
  readonly eventsDir?: string;
  /** @default - a fresh temporary folder */
  readonly outDir?: string;
  /** Called as each event is decided (printing as it goes). */
  readonly onEvent?: (outcome: EventOutcome, index: number, total: number) => void;
  /**
   * The guardrails the responders see. The drill is dry-run by definition; tests pass another mode
   * to prove that any mutating call makes the drill fail. @default fixedGuardrails('dry-run')
   */
  readonly guardrails?: Guardrails;
  /** The deployment to imitate. @default - the default config */
  readonly deployment?: DrillDeployment;
  /** Unrecognised inputs are counted but do not fail the drill (`passed`). @default false */
  readonly allowUnknown?: boolean;
}

const RANK: Record<DrillDecision, number> = {
  unrecognised: -2,
  'not-delivered': -1,
  skip: 0,
  refused: 1,
  preview: 2,
  'dry-run': 3,
  act: 4,
  escalate: 5,
  crash: 6,
};

/** Event files: `*.json` in the folder, sorted, without the `*.world.json` sidecars. */
export const eventFiles = (dir: string): string[] => {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new DrillInputError(`expected a folder of events, received a file: ${dir}`);
    names = readdirSync(dir);
  } catch (error) {
    if (error instanceof DrillInputError) throw error;
    throw new DrillInputError(`cannot read the events folder ${dir}: ${(error as Error).message}`);
  }
  const files = names.filter((n) => n.endsWith('.json') && !n.endsWith('.world.json')).sort();
  if (files.length === 0) throw new DrillInputError(`no *.json events in ${dir}`);
  return files;
};

/** The evidence folder, created and checked writable before anything runs. */
export const prepareOutDir = (dir: string): string => {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new DrillInputError(`cannot write the evidence folder ${dir}: ${(error as Error).message}`);
  }
  return dir;
};

/** A GuardDuty sample (or placeholder) finding, as the responders' parsers see it. */
const isSample = (event: unknown, responders: readonly Responder[], requestId: string): boolean =>
  responders.some((r) =>
    r === 'isolation'
      ? parseEc2Event(event, { requestId }).targets.some((t) => 'finding' in t && t.finding?.sample === true)
      : ((req) => req.kind === 'revoke' && req.sample)(parseCredentialEvent(event, { homeAccount: DRILL_ACCOUNT, homeRegion: DRILL_REGION, requestId })),
  );

interface Shared {
  readonly deployment: DrillDeployment;
  readonly guardrails: Guardrails;
  readonly evidence: EvidenceChain;
  readonly reader: StoreEvidenceReader;
  readonly outDir: string;
}


const decideOne = async (input: DrillInput, index: number, shared: Shared): Promise<EventOutcome> => {
  const t0 = Date.now();
  const log = new CallLog();
  const base = { file: input.name, label: input.label, ...(input.note ? { note: input.note } : {}), calls: 0, mutations: [] as WorldCall[], denied: [] as string[] };
  if (input.kind === 'unrecognised') {
    const reason = 'not an EventBridge event, a GuardDuty or Security Hub finding, or a manual request';
    return { ...base, decision: 'unrecognised', reason, deliveredBy: [], responders: [], assumed: [], elapsedMs: Date.now() - t0 };
  }
  const route = routeInput(input, shared.deployment);
  if ('dropped' in route) return { ...base, decision: 'not-delivered', reason: route.dropped, deliveredBy: [], responders: [], assumed: [], elapsedMs: Date.now() - t0 };
  const requestId = `drill-${String(index + 1).padStart(4, '0')}-${input.name.replace(/\.json/, '').replace(/[^\w.-]/g, '-')}`.slice(0, 120);
  const facts = factsOf(input.event, { homeAccount: DRILL_ACCOUNT, homeRegion: DRILL_REGION, requestId }, input.sidecar ?? {});
  const sample = isSample(input.event, route.responders, requestId);
  // A sample goes through the responders in enforce, as deployed: they skip it, evidenced.
  const guardrails = sample ? fixedGuardrails('enforce') : shared.guardrails;
  const responders: ResponderOutcome[] = [];
  for (const responder of route.responders) {
    responders.push(await runResponder(responder, { ...shared, event: input.event, facts, log, requestId, guardrails }));
  }
  const top = responders.reduce<ResponderOutcome | undefined>((a, b) => (!a || RANK[b.decision] > RANK[a.decision] ? b : a), undefined);
  const decision: DrillDecision = top?.decision ?? 'skip';
  const reason = sample && decision === 'skip' ? SAMPLE_SKIPPED : (top?.error ?? top?.reason);
  const { denied, ...authorization } = await authorizeDrillCalls(log.calls, { config: shared.deployment.config, account: DRILL_ACCOUNT, region: DRILL_REGION });
  return {
    ...base,
    decision,
    ...(reason ? { reason } : {}),
    deliveredBy: route.rules,
    responders,
    assumed: input.sidecar ? [] : assumedFacts(facts),
    calls: log.calls.length,
    mutations: log.mutations,
    denied,
    authorization,
    elapsedMs: Date.now() - t0,
  };
};

/** Runs the drill; never throws for a bad event (it is reported as a crash), only for bad input. */
export const runDrill = async (options: DrillOptions = {}): Promise<DrillReport> => {
  const started = Date.now();
  const eventsDir = resolve(options.eventsDir ?? DEFAULT_SCENARIOS);
  const inputs = readInputs(eventsDir, eventFiles(eventsDir));
  const outDir = prepareOutDir(resolve(options.outDir ?? mkdtempSync(join(tmpdir(), 'cordon-drill-'))));
  const deployment = options.deployment ?? deploymentOf(parseConfig({}), 'the defaults', { account: DRILL_ACCOUNT, region: DRILL_REGION });

  const signer = LocalSigner.fromFile(join(outDir, 'drill-signing-key.pem'), { create: true });
  const store = new LocalEvidenceStore(outDir);
  const heads = new MemoryChainHeads({ file: join(outDir, 'heads.json') });
  const evidence = new EvidenceChain({ signer, store, heads });
  const shared: Shared = { deployment, guardrails: options.guardrails ?? fixedGuardrails('dry-run'), evidence, reader: new StoreEvidenceReader(store, async () => [publicKeyFrom((await signer.identity()).publicKeyDer, 'drill signing key')]), outDir };

  const events: EventOutcome[] = [];
  for (const [index, input] of inputs.entries()) {
    let outcome: EventOutcome;
    try {
      outcome = await decideOne(input, index, shared);
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      outcome = { file: input.name, label: input.label, decision: 'crash', reason, deliveredBy: [], responders: [], assumed: [], calls: 0, mutations: [], denied: [], elapsedMs: 0 };
    }
    events.push(outcome);
    options.onEvent?.(outcome, index, inputs.length);
  }

  const checkpoint = await writeCheckpoint({ chain: evidence, heads, settleMs: 0 });
  // The anchor lives outside the evidence folder, as the log-archive bucket lives outside the security account.
  const anchorDir = `${outDir}.anchor`;
  const anchor = await anchorCheckpoint(checkpoint, { anchor: { store: new LocalEvidenceStore(anchorDir), location: anchorDir }, evidence, actor: { arn: 'cordon-drill' } });
  await publishPublicKey(signer, store);
  const identity = await signer.identity();
  const verifier = new Verifier({
    publicKeys: [{ key: createPublicKey({ key: identity.publicKeyDer, format: 'der', type: 'spki' }), fingerprint: identity.keyFingerprint }],
  });
  addFolder(outDir, verifier);
  if (anchor.status !== 'failed') readFolder(anchorDir, verifier.anchorSink());
  const verify = verifier.finish();

  const counts: Partial<Record<DrillDecision, number>> = {};
  const byType: Record<string, Partial<Record<DrillDecision, number>>> = {};
  for (const e of events) {
    counts[e.decision] = (counts[e.decision] ?? 0) + 1;
    const row = (byType[e.label] ??= {});
    row[e.decision] = (row[e.decision] ?? 0) + 1;
  }
  const crashed = events.filter((e) => e.decision === 'crash' || e.responders.some((r) => r.decision === 'crash')).length;
  const mutations = events.reduce((n, e) => n + e.mutations.length, 0);
  const denied = events.reduce((n, e) => n + e.denied.length, 0);
  const authorization = {
    evaluated: events.reduce((n, e) => n + (e.authorization?.evaluated ?? 0), 0),
    assumedMembers: [...new Set(events.flatMap((e) => e.authorization?.assumedMembers ?? []))].sort(),
    assumedRegions: [...new Set(events.flatMap((e) => e.authorization?.assumedRegions ?? []))].sort(),
    ...(events.some((e) => e.authorization?.unavailable) ? { unavailable: events.find((e) => e.authorization?.unavailable)?.authorization?.unavailable } : {}),
  };
  const unrecognised = counts.unrecognised ?? 0;
  const allowUnknown = options.allowUnknown ?? false;
  // The key to verify with lives outside the evidence folder: a key inside it proves nothing.
  const publicKeyPath = `${outDir}.public-key.pem`;
  writeFileSync(publicKeyPath, spkiPem(identity.publicKeyDer));
  return {
    eventsDir,
    outDir,
    configSource: deployment.source,
    publicKeyPath,
    anchorDir,
    anchor,
    events,
    counts,
    byType,
    steps: events.reduce((n, e) => n + e.responders.reduce((m, r) => m + r.steps.length, 0), 0),
    crashed,
    denied,
    authorization,
    mutations,
    unrecognised,
    allowUnknown,
    checkpointKey: checkpoint.key,
    verify,
    ok: crashed === 0 && denied === 0 && mutations === 0 && verify.ok && anchor.evidenced && anchor.status !== 'failed',
    passed: crashed === 0 && denied === 0 && mutations === 0 && verify.ok && anchor.evidenced && anchor.status !== 'failed' && (allowUnknown || unrecognised === 0),
    elapsedMs: Date.now() - started,
  };
};
