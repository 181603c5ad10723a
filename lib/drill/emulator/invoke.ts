import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoCredentialLedger } from '../../../lambdas/credentials/ledger';
import { CREDENTIALS_RESPONDER, respond as respondCredentials, type RespondResult } from '../../../lambdas/credentials/respond';
import { defaultCredentialsConfig } from '../../../lambdas/credentials/types';
import { StoreEvidenceReader } from '../../../lambdas/evidence/reader';
import { pinnedKmsKey } from '../../../lambdas/evidence/reader-from-env';
import { KmsSigner } from '../../../lambdas/evidence/signer';
import type { Actor } from '../../../lambdas/evidence/types';
import { runGuarded } from '../../../lambdas/guardrails/handle';
import { ISOLATION_RESPONDER, respond as respondIsolation, type ResponseSummary } from '../../../lambdas/isolation/respond';
import { defaultIsolationConfig } from '../../../lambdas/isolation/types';
import { accountAccess } from '../../../lambdas/shared/assume';
import { parseConfig } from '../../config';
import type { EmulatorAws } from './clients';
import { EmulatorSessionRevoker } from './sessions';
import { VAULT, type Vault } from './vault';

/**
 * One invocation of a deployed responder on the emulator: the real `respond` behind the handler's
 * `runGuarded` (kill switch read from the emulator's SSM parameter, breaker and idempotency on its
 * DynamoDB table), configured as lib/response-stack.ts configures the function, with clients
 * pointed at the emulator. Runs inside `aws.log.during(<the function's role>)`: every call it sends
 * is recorded as that principal's (or the member role's, after AssumeRole), for the authorization
 * check.
 */

/**
 * The deployed configuration's defaults (cdk.json without a `cordon` key): the member role each
 * responder assumes, the isolation function's minimum severity, the credentials function's
 * allowlist and quarantine switch, as lib/response-stack.ts passes them in the environment.
 */
export const DEPLOYED = parseConfig({});
export const MEMBER_ROLES = DEPLOYED.memberRoleNames;
const ISOLATION_CONFIG = { ...defaultIsolationConfig, minimumSeverity: DEPLOYED.minimumSeverity };
const CREDENTIALS_CONFIG = {
  ...defaultCredentialsConfig,
  allowlist: DEPLOYED.allowlistedPrincipals,
  quarantineUser: DEPLOYED.credentials.quarantineUser,
  ownRolePrefix: 'Cordon',
  partition: 'aws',
};

export type ResponderName = 'isolation' | 'credentials';

/** The home function role each responder runs as (lib/authz's names). */
export const FUNCTION_PRINCIPAL: Readonly<Record<ResponderName, string>> = { isolation: 'isolation', credentials: 'credentials' };

/** The environment the functions would get for the emulator's vault (the authorization check maps these names to the deployed ones). */
export const configuredNames = (vault: Vault): Record<string, string> => ({
  EVIDENCE_BUCKET: vault.bucket,
  SIGNING_KEY_ID: vault.keyArn,
  HEADS_TABLE: VAULT.headsTable,
  GUARDRAILS_TABLE: VAULT.guardrailsTable,
  MODE_PARAMETER: VAULT.modeParameter,
});

export interface Invocation {
  readonly incidentId: string;
  readonly decision: string;
  readonly reason?: string;
  readonly steps: readonly { readonly id: string; readonly action: string; readonly status: string; readonly error?: string }[];
  readonly evidenceKeys: readonly string[];
}

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface InvokeOptions {
  /** The person AWS authenticated at the manual request URL (a release, a force). */
  readonly caller?: Actor['caller'];
}

const run = async (aws: EmulatorAws, vault: Vault, responder: ResponderName, event: unknown, requestId: string, options: InvokeOptions): Promise<Invocation> => {
  const home = aws.homeAccount;
  const functionArn = `arn:aws:lambda:${aws.region}:${home}:function:CordonResponse-${responder === 'isolation' ? 'IsolateInstance' : 'RevokeCredentials'}`;
  const context = { invokedFunctionArn: functionArn, awsRequestId: requestId, getRemainingTimeInMillis: () => 60_000 };
  const actor: Actor = { arn: functionArn, requestId, ...(options.caller ? { caller: options.caller } : {}) };
  const reader = new StoreEvidenceReader(vault.store, pinnedKmsKey(new KmsSigner(aws.kms, vault.keyArn)));
  const guarded = { event, context, guardrails: vault.guardrails, evidence: vault.chain, logger: silent };
  if (responder === 'isolation') {
    const r: ResponseSummary = await runGuarded({
      ...guarded,
      responder: ISOLATION_RESPONDER,
      idempotency: vault.idempotency<ResponseSummary>(ISOLATION_RESPONDER, () => true),
      respond: (guardrails) =>
        respondIsolation(
          event,
          {
            evidence: vault.chain,
            guardrails,
            clientsFor: (access) => aws.ec2Family(access.region, access.credentials),
            sts: aws.sts,
            homeAccount: home,
            homeRegion: aws.region,
            memberRoleName: MEMBER_ROLES.isolation,
            partition: 'aws',
            config: ISOLATION_CONFIG,
            actor,
            reader,
            logger: silent,
          },
          { requestId },
        ),
    });
    const steps = [...r.steps, ...(r.results ?? []).flatMap((x) => x.steps)];
    return { incidentId: r.incidentId, decision: r.decision, ...(r.reason ? { reason: r.reason } : {}), steps, evidenceKeys: r.evidenceKeys };
  }
  const r: RespondResult = await runGuarded({
    ...guarded,
    responder: CREDENTIALS_RESPONDER,
    idempotency: vault.idempotency<RespondResult>(CREDENTIALS_RESPONDER, () => true),
    respond: (guardrails) =>
      respondCredentials(event, {
        evidence: vault.chain,
        reader,
        guardrails,
        config: CREDENTIALS_CONFIG,
        clock: () => new Date(),
        homeAccount: home,
        homeRegion: aws.region,
        access: (incidentId) => accountAccess({ sts: aws.sts, homeAccount: home, memberRoleName: MEMBER_ROLES.credentials, partition: 'aws' }, incidentId),
        iamFor: (access) => aws.iamWith(access.credentials),
        // The state machine's stand-in signs as the state machine's role at home, as the member
        // session writer it assumes in a member account.
        sessions: new EmulatorSessionRevoker((account) => aws.iamAs(account === home ? 'session-revoker' : 'member-session-writer', account)),
        ledger: new DynamoCredentialLedger(aws.ddb, VAULT.guardrailsTable),
        actor,
        logger: new Logger({ serviceName: 'cordon-emulator-drill', logLevel: 'SILENT' }),
      }),
  });
  return {
    incidentId: r.incidentId,
    decision: r.decision,
    ...(r.reason ? { reason: r.reason } : {}),
    steps: r.steps.map((s) => ({ id: s.id, action: s.action, status: s.status, ...(s.error ? { error: s.error } : {}) })),
    evidenceKeys: r.evidenceKeys,
  };
};

/** Invokes `responder` on `event` as its function role would run it; its calls are recorded in `aws.log`. */
export const invokeResponder = (aws: EmulatorAws, vault: Vault, responder: ResponderName, event: unknown, requestId: string, options: InvokeOptions = {}): Promise<Invocation> =>
  aws.log.during(FUNCTION_PRINCIPAL[responder], () => run(aws, vault, responder, event, requestId, options));
