import { createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { respond as respondCredentials, type RespondResult } from '../../lambdas/credentials/respond';
import { defaultCredentialsConfig } from '../../lambdas/credentials/types';
import { MemoryCredentialLedger } from '../../lambdas/credentials/ledger';
import { StepFunctionsSessionWriter } from '../../lambdas/credentials/sessions';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { StoreEvidenceReader } from '../../lambdas/evidence/reader';
import {
  EvidenceChain,
  LocalEvidenceStore,
  LocalSigner,
  MemoryChainHeads,
  Verifier,
  addFolder,
  publicKeyFrom,
  publishPublicKey,
  spkiPem,
  writeCheckpoint,
  type VerifyReport,
} from '../../lambdas/evidence';
import { fixedGuardrails, type Guardrails } from '../../lambdas/guardrails/types';
import { respond as respondIsolation, type ResponseSummary } from '../../lambdas/isolation/respond';
import { defaultIsolationConfig } from '../../lambdas/isolation/types';
import { accountAccess } from '../../lambdas/shared/assume';
import { PACKAGE_ROOT } from '../package';
import { routeEvent, type Responder } from './dispatch';
import { factsOf, sidecarSchema, type Sidecar } from './facts';
import { CallLog, ec2World, FakeClient, guardDutyWorld, iamWorld, stsWorld, type WorldCall } from './world';

/**
 * `cordon drill`: replays events through the REAL responders (lambdas/isolation/respond.ts and
 * lambdas/credentials/respond.ts) in dry-run, with the embedded evidence implementations (local
 * P-256 key file, local folder store, file-backed chain heads) behind the same interfaces the
 * Lambdas use, against a fake AWS that answers reads from the event and refuses every write.
 * Then checkpoints, publishes the public key under keys/, and verifies the folder offline with the
 * same verifier as `cordon verify`.
 */

/** The drill's own account and region: events in other accounts go through the member-role path. */
export const DRILL_ACCOUNT = '111111111111';
export const DRILL_REGION = 'us-east-1';
/** The member roles the drill's responders assume: the defaults of `cordon.memberRoleNames`, one per responder. */
export const DRILL_MEMBER_ROLES = { isolation: 'CordonMemberIsolation', credentials: 'CordonMemberCredentials' } as const;
export const DEFAULT_SCENARIOS = join(PACKAGE_ROOT, 'drill/scenarios');
export const DRILL_SESSION_REVOKER = `arn:aws:states:${DRILL_REGION}:${DRILL_ACCOUNT}:stateMachine:cordon-drill-session-revoker`;

export type DrillDecision = 'act' | 'dry-run' | 'skip' | 'escalate' | 'preview' | 'refused' | 'crash';

export interface PlannedStep {
  readonly id: string;
  readonly action: string;
}

export interface ResponderOutcome {
  readonly responder: Responder;
  readonly decision: DrillDecision;
  readonly reason?: string;
  readonly incidentId?: string;
  readonly steps: readonly PlannedStep[];
  readonly evidenceKeys: readonly string[];
  readonly error?: string;
}

export interface EventOutcome {
  readonly file: string;
  readonly decision: DrillDecision;
  readonly reason?: string;
  readonly responders: readonly ResponderOutcome[];
  /** Responders that declined the event, with their parser's reason. */
  readonly declined: readonly { readonly responder: Responder; readonly reason: string }[];
  readonly calls: number;
  /** Mutating calls attempted (each refused): must be none. */
  readonly mutations: readonly WorldCall[];
  readonly elapsedMs: number;
}

export interface DrillReport {
  readonly eventsDir: string;
  readonly outDir: string;
  readonly publicKeyPath: string;
  readonly events: readonly EventOutcome[];
  readonly counts: Partial<Record<DrillDecision, number>>;
  readonly crashed: number;
  readonly mutations: number;
  readonly checkpointKey: string;
  readonly verify: VerifyReport;
  readonly ok: boolean;
  readonly elapsedMs: number;
}

export interface DrillOptions {
  /** @default - the scenarios shipped in drill/scenarios */
  readonly eventsDir?: string;
  /** @default - a fresh temporary folder */
  readonly outDir?: string;
  /** Called as each event is decided (printing as it goes). */
  readonly onEvent?: (outcome: EventOutcome) => void;
  /**
   * The guardrails the responders see. The drill is dry-run by definition; tests pass another mode
   * to prove that any mutating call makes the drill fail. @default fixedGuardrails('dry-run')
   */
  readonly guardrails?: Guardrails;
}

/** Bad input: no events folder, an unreadable sidecar (exit 2). */
export class DrillInputError extends Error {
  override readonly name = 'DrillInputError';
}

const RANK: Record<DrillDecision, number> = { skip: 0, refused: 1, preview: 2, 'dry-run': 3, act: 4, escalate: 5, crash: 6 };

const message = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

const silentIsolationLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

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

const readSidecar = (dir: string, file: string): Sidecar => {
  const path = join(dir, file.replace(/\.json$/, '.world.json'));
  if (!existsSync(path)) return {};
  const parsed = sidecarSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new DrillInputError(`invalid world file ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
};

interface IntentPayload {
  readonly kind?: string;
  readonly detail?: { readonly plan?: readonly { readonly id?: string; readonly action?: string }[] };
}

/** The isolation plan as evidenced in its intent record(s): a dry-run summary carries no steps. */
const plannedFromIntent = async (outDir: string, keys: readonly string[]): Promise<PlannedStep[]> => {
  const steps: PlannedStep[] = [];
  for (const key of keys) {
    const { payload } = JSON.parse(await readFile(join(outDir, key), 'utf8')) as { payload: IntentPayload };
    if (payload.kind !== 'intent') continue;
    for (const s of payload.detail?.plan ?? []) steps.push({ id: s.id ?? '?', action: s.action ?? '?' });
  }
  return steps;
};

const fromIsolation = async (outDir: string, r: ResponseSummary): Promise<ResponderOutcome> => {
  const reasons = [...new Set((r.results ?? [r]).map((x) => x.reason).filter((x): x is string => x !== undefined))];
  return {
    responder: 'isolation',
    decision: r.decision,
    ...(reasons.length ? { reason: reasons.join('; ') } : r.decision === 'dry-run' ? { reason: 'mode is dry-run: intent recorded, nothing changed' } : {}),
    incidentId: r.incidentId,
    steps: r.steps.length > 0 ? r.steps.map((s) => ({ id: s.id, action: s.action })) : await plannedFromIntent(outDir, r.evidenceKeys),
    evidenceKeys: r.evidenceKeys,
  };
};

const fromCredentials = (r: RespondResult): ResponderOutcome => ({
  responder: 'credentials',
  decision: r.decision,
  ...(r.reason ? { reason: r.reason } : {}),
  incidentId: r.incidentId,
  steps: r.steps.map((s) => ({ id: s.id, action: `${s.action} ${s.target.type}/${s.target.id}` })),
  evidenceKeys: r.evidenceKeys,
});

/** Runs the drill; never throws for a bad event (it is reported as a crash), only for bad input. */
export const runDrill = async (options: DrillOptions = {}): Promise<DrillReport> => {
  const started = Date.now();
  const eventsDir = resolve(options.eventsDir ?? DEFAULT_SCENARIOS);
  const files = eventFiles(eventsDir);
  const outDir = resolve(options.outDir ?? mkdtempSync(join(tmpdir(), 'cordon-drill-')));
  mkdirSync(outDir, { recursive: true });

  const signer = LocalSigner.fromFile(join(outDir, 'drill-signing-key.pem'), { create: true });
  const store = new LocalEvidenceStore(outDir);
  const heads = new MemoryChainHeads({ file: join(outDir, 'heads.json') });
  const chain = new EvidenceChain({ signer, store, heads });
  const guardrails = options.guardrails ?? fixedGuardrails('dry-run');
  const reader = new StoreEvidenceReader(store, async () => [publicKeyFrom((await signer.identity()).publicKeyDer, 'drill signing key')]);
  const credentialsLogger = new Logger({ serviceName: 'cordon-drill', logLevel: 'SILENT' });

  const events: EventOutcome[] = [];
  for (const [index, file] of files.entries()) {
    const t0 = Date.now();
    const log = new CallLog();
    const requestId = `drill-${String(index + 1).padStart(4, '0')}-${basename(file, '.json')}`.slice(0, 120);
    const ctx = { homeAccount: DRILL_ACCOUNT, homeRegion: DRILL_REGION, requestId };
    const responders: ResponderOutcome[] = [];
    let declined: EventOutcome['declined'] = [];
    let crash: string | undefined;
    try {
      const event: unknown = JSON.parse(readFileSync(join(eventsDir, file), 'utf8'));
      const facts = factsOf(event, ctx, readSidecar(eventsDir, file));
      const route = routeEvent(event, ctx);
      declined = route.declined;
      const sts = stsWorld(log);
      const clients = ec2World(facts, log);
      for (const responder of route.responders) {
        const actor = { arn: `arn:aws:lambda:${DRILL_REGION}:${DRILL_ACCOUNT}:function:cordon-drill-${responder}`, requestId };
        try {
          if (responder === 'isolation') {
            const summary = await respondIsolation(
              event,
              {
                evidence: chain,
                guardrails,
                clientsFor: () => clients,
                sts,
                homeAccount: DRILL_ACCOUNT,
                homeRegion: DRILL_REGION,
                memberRoleName: DRILL_MEMBER_ROLES.isolation,
                partition: 'aws',
                config: defaultIsolationConfig,
                actor,
                reader,
                guardDutyFor: () => guardDutyWorld(log),
                logger: silentIsolationLog,
              },
              { requestId },
            );
            responders.push(await fromIsolation(outDir, summary));
          } else {
            const result = await respondCredentials(event, {
              evidence: chain,
              reader,
              guardrails,
              config: defaultCredentialsConfig,
              clock: () => new Date(),
              homeAccount: DRILL_ACCOUNT,
              homeRegion: DRILL_REGION,
              access: (incidentId) =>
                accountAccess({ sts, homeAccount: DRILL_ACCOUNT, memberRoleName: DRILL_MEMBER_ROLES.credentials, partition: 'aws' }, incidentId),
              iamFor: (access) => iamWorld(facts, log, access.account),
              // StartSyncExecution is a mutation: the fake world refuses (and logs) it like any other.
              sessions: new StepFunctionsSessionWriter(new FakeClient(log, 'states').as<SFNClient>(), DRILL_SESSION_REVOKER),
              ledger: new MemoryCredentialLedger(),
              actor,
              logger: credentialsLogger,
            });
            responders.push(fromCredentials(result));
          }
        } catch (error) {
          responders.push({ responder, decision: 'crash', error: message(error), steps: [], evidenceKeys: [] });
        }
      }
    } catch (error) {
      crash = message(error);
    }
    const top = responders.reduce<ResponderOutcome | undefined>((a, b) => (!a || RANK[b.decision] > RANK[a.decision] ? b : a), undefined);
    const decision: DrillDecision = crash ? 'crash' : (top?.decision ?? 'skip');
    const why = [...new Set(declined.map((d) => d.reason))];
    const unrouted = why.length === 1 ? (why[0] ?? '') : declined.map((d) => `${d.responder}: ${d.reason}`).join(' | ');
    const reason = crash ?? (top ? (top.error ?? top.reason) : `no responder takes this event: ${unrouted}`);
    const outcome: EventOutcome = {
      file,
      decision,
      ...(reason ? { reason } : {}),
      responders,
      declined,
      calls: log.calls.length,
      mutations: log.mutations,
      elapsedMs: Date.now() - t0,
    };
    events.push(outcome);
    options.onEvent?.(outcome);
  }

  const checkpoint = await writeCheckpoint({ chain, heads, settleMs: 0 });
  await publishPublicKey(signer, store);
  const identity = await signer.identity();
  const verifier = new Verifier({
    publicKeys: [{ key: createPublicKey({ key: identity.publicKeyDer, format: 'der', type: 'spki' }), fingerprint: identity.keyFingerprint }],
  });
  addFolder(outDir, verifier);
  const verify = verifier.finish();

  const counts: Partial<Record<DrillDecision, number>> = {};
  for (const e of events) counts[e.decision] = (counts[e.decision] ?? 0) + 1;
  const crashed = events.filter((e) => e.decision === 'crash' || e.responders.some((r) => r.decision === 'crash')).length;
  const mutations = events.reduce((n, e) => n + e.mutations.length, 0);
  // The key to verify with lives outside the evidence folder: a key inside it proves nothing.
  const publicKeyPath = `${outDir}.public-key.pem`;
  writeFileSync(publicKeyPath, spkiPem(identity.publicKeyDer));
  return {
    eventsDir,
    outDir,
    publicKeyPath,
    events,
    counts,
    crashed,
    mutations,
    checkpointKey: checkpoint.key,
    verify,
    ok: crashed === 0 && mutations === 0 && verify.ok,
    elapsedMs: Date.now() - started,
  };
};
