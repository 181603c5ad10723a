import { Logger } from '@aws-lambda-powertools/logger';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { z } from 'zod';
import { parseEnv, protectedTagOf, responderEnvSchema } from '../shared/responder-env';
import { CREDENTIALS_RESPONDER, respond, type RespondResult } from '../credentials/respond';
import type { CredentialsConfig } from '../credentials/types';
import { evidenceFromEnv } from '../evidence/from-env';
import { evidenceReaderFromEnv } from '../evidence/reader-from-env';
import { guardrailsFromEnv } from '../guardrails/from-env';
import { heartbeat, isHeartbeat, redriveParked, runGuarded } from '../guardrails/handle';
import { idempotencyFromEnv, parkingFromEnv, redriveBatchFromEnv } from '../guardrails/idempotency-from-env';
import { isFinalResult, type ParkedEvent } from '../guardrails/park';
import { notifierFromEnv } from '../notify/from-env';
import { accountAccess, type AccountAccess } from '../shared/assume';

/**
 * Credential revocation responder: GuardDuty IAM findings, AWS Health AWS_RISK_CREDENTIALS_*,
 * Security Hub custom actions on AwsIamAccessKey, and manual `{action: 'revoke' | 'restore'}`.
 * Thin: wires clients and config; the domain is lambdas/credentials/respond.ts.
 */

const bool = z.enum(['true', 'false']).transform((v) => v === 'true');

export const envSchema = responderEnvSchema.extend({
  /** Comma-separated principal ARNs or names. */
  ALLOWLIST: z.string().default(''),
  OWN_ROLE_PREFIX: z.string().default('Cordon'),
  QUARANTINE_USER: bool.default(false),
});
export type CredentialsEnv = z.infer<typeof envSchema>;

/** Reads and validates the environment; throws naming every bad variable. */
export const configFromEnv = (env: NodeJS.ProcessEnv): { env: CredentialsEnv; config: Omit<CredentialsConfig, 'partition'> } => {
  const e = parseEnv(envSchema, env);
  return {
    env: e,
    config: {
      protectedTag: protectedTagOf(e.PROTECTED_TAG),
      allowlist: e.ALLOWLIST.split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
      ownRolePrefix: e.OWN_ROLE_PREFIX,
      quarantineUser: e.QUARANTINE_USER,
    },
  };
};

/** The subset of the Lambda context used here. */
export interface LambdaContextLike {
  readonly invokedFunctionArn: string;
  readonly awsRequestId: string;
  /** Bounds an idempotency record's INPROGRESS state to this invocation. */
  getRemainingTimeInMillis?(): number;
}

const { env, config } = configFromEnv(process.env);
const iam = new IAMClient({ region: env.AWS_REGION });
const sts = new STSClient({ region: env.AWS_REGION });
const evidence = evidenceFromEnv();
const guardrails = guardrailsFromEnv();
/** Verifies every record against the signing key KMS returns for SIGNING_KEY_ID before release/restore act on it. */
const reader = evidenceReaderFromEnv();
const logger = new Logger({ serviceName: 'cordon-revoke-credentials' });
const notifier = notifierFromEnv();
/** A decision that depended on an outage is decided again on the next delivery. */
const idempotency = idempotencyFromEnv<RespondResult>(CREDENTIALS_RESPONDER, { isFinal: isFinalResult });
const parking = parkingFromEnv();

/** The home IAM client, or one signed with the member role's credentials. */
const iamFor = (access: AccountAccess): IAMClient =>
  access.credentials ? new IAMClient({ region: env.AWS_REGION, credentials: access.credentials }) : iam;

const guarded = (event: unknown, context: LambdaContextLike, redriveOf?: ParkedEvent): Promise<RespondResult> => {
  const [, partition = 'aws', , , account = ''] = context.invokedFunctionArn.split(':');
  return runGuarded({
    event,
    context,
    responder: CREDENTIALS_RESPONDER,
    guardrails,
    ...(idempotency ? { idempotency } : {}),
    ...(parking ? { parking } : {}),
    ...(redriveOf ? { redriveOf } : {}),
    evidence,
    logger,
    respond: (checked) =>
      respond(event, {
        evidence,
        reader,
        guardrails: checked,
        ...(notifier ? { notifier } : {}),
        config: { ...config, partition },
        clock: () => new Date(),
        homeAccount: account,
        homeRegion: env.AWS_REGION,
        access: (incidentId) =>
          accountAccess({ sts, homeAccount: account, partition, ...(env.MEMBER_ROLE_NAME ? { memberRoleName: env.MEMBER_ROLE_NAME } : {}) }, incidentId),
        iamFor,
        actor: { arn: context.invokedFunctionArn, requestId: context.awsRequestId },
        logger,
      }),
  });
};

export const handler = async (event: unknown, context: LambdaContextLike): Promise<RespondResult> => {
  logger.appendKeys({ requestId: context.awsRequestId });
  if (isHeartbeat(event)) {
    const mode = await heartbeat(guardrails, logger);
    const redrive = parking
      ? await redriveParked({ mode, parking, responder: CREDENTIALS_RESPONDER, limit: redriveBatchFromEnv(), logger, rerun: (p) => guarded(p.event, context, p) })
      : undefined;
    const reason = `${mode.ok ? 'heartbeat' : 'heartbeat: mode unreadable'}${redrive && redrive.rerun > 0 ? `; re-drove ${redrive.rerun} parked event(s)` : ''}`;
    return { decision: 'skip', reason, incidentId: 'heartbeat', steps: [], evidenceKeys: [] };
  }
  return guarded(event, context);
};
