import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { MemoryCredentialLedger } from '../../lambdas/credentials/ledger';
import { respond as respondCredentials, type RespondResult } from '../../lambdas/credentials/respond';
import { StepFunctionsSessionWriter } from '../../lambdas/credentials/sessions';
import type { EvidenceChain } from '../../lambdas/evidence';
import type { StoreEvidenceReader } from '../../lambdas/evidence/reader';
import type { Guardrails } from '../../lambdas/guardrails/types';
import { respond as respondIsolation, type ResponseSummary } from '../../lambdas/isolation/respond';
import { accountAccess } from '../../lambdas/shared/assume';
import type { DrillDeployment } from './deployment';
import type { Responder } from './dispatch';
import type { WorldFacts } from './facts';
import { ec2World, FakeClient, guardDutyWorld, iamWorld, senderOf, stsWorld, type CallLog } from './world';

/** One responder's answer to one event, as the drill reports it. */

export type DrillDecision = 'act' | 'dry-run' | 'skip' | 'escalate' | 'preview' | 'refused' | 'crash' | 'not-delivered' | 'unrecognised';

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

/** The drill's own account and region: events in other accounts go through the member-role path. */
export const DRILL_ACCOUNT = '111111111111';
export const DRILL_REGION = 'us-east-1';
/** The member roles the drill's responders assume: the defaults of `cordon.memberRoleNames`, one per responder. */
export const DRILL_MEMBER_ROLES = { isolation: 'CordonMemberIsolation', credentials: 'CordonMemberCredentials' } as const;
export const DRILL_SESSION_REVOKER = `arn:aws:states:${DRILL_REGION}:${DRILL_ACCOUNT}:stateMachine:cordon-drill-session-revoker`;

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

const message = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

const silentIsolationLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const credentialsLogger = new Logger({ serviceName: 'cordon-drill', logLevel: 'SILENT' });

export interface ResponderRun {
  readonly event: unknown;
  readonly facts: WorldFacts;
  readonly log: CallLog;
  readonly requestId: string;
  readonly guardrails: Guardrails;
  readonly deployment: DrillDeployment;
  readonly evidence: EvidenceChain;
  readonly reader: StoreEvidenceReader;
  readonly outDir: string;
}

/** Runs the real responder on one event against the drill's world; a throw is a crash outcome. */
export const runResponder = async (responder: Responder, run: ResponderRun): Promise<ResponderOutcome> => {
  const { event, facts, log, requestId, guardrails, deployment, evidence, reader } = run;
  const actor = { arn: `arn:aws:lambda:${DRILL_REGION}:${DRILL_ACCOUNT}:function:cordon-drill-${responder}`, requestId };
  // Each fake client signs as the principal that would send its calls: the authorization check
  // (lib/drill/authorize.ts) evaluates every call as that principal.
  const home = { account: DRILL_ACCOUNT, region: DRILL_REGION };
  const sts = stsWorld(log, senderOf(responder, home));
  try {
    if (responder === 'isolation') {
      const summary = await respondIsolation(
        event,
        {
          evidence,
          guardrails,
          clientsFor: (access) => ec2World(facts, log, senderOf('isolation', access)),
          sts,
          homeAccount: DRILL_ACCOUNT,
          homeRegion: DRILL_REGION,
          memberRoleName: DRILL_MEMBER_ROLES.isolation,
          partition: 'aws',
          config: deployment.isolation,
          actor,
          reader,
          guardDutyFor: (region) => guardDutyWorld(log, senderOf('isolation', { account: DRILL_ACCOUNT, region })),
          logger: silentIsolationLog,
        },
        { requestId },
      );
      return await fromIsolation(run.outDir, summary);
    }
    const result = await respondCredentials(event, {
      evidence,
      reader,
      guardrails,
      config: deployment.credentials,
      clock: () => new Date(),
      homeAccount: DRILL_ACCOUNT,
      homeRegion: DRILL_REGION,
      access: (incidentId) =>
        accountAccess({ sts, homeAccount: DRILL_ACCOUNT, memberRoleName: DRILL_MEMBER_ROLES.credentials, partition: 'aws' }, incidentId),
      iamFor: (access) => iamWorld(facts, log, access.account, senderOf('credentials', access)),
      // StartSyncExecution is a mutation: the fake world refuses (and logs) it like any other.
      sessions: new StepFunctionsSessionWriter(new FakeClient(log, 'sfn', senderOf('credentials', home)).as<SFNClient>(), DRILL_SESSION_REVOKER),
      ledger: new MemoryCredentialLedger(),
      actor,
      logger: credentialsLogger,
    });
    return fromCredentials(result);
  } catch (error) {
    return { responder, decision: 'crash', error: message(error), steps: [], evidenceKeys: [] };
  }
};
