import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import { RETRY } from '../shared/retry';
import * as z from 'zod';
import { parseEnv, protectedTagOf, responderEnvSchema } from '../shared/responder-env';
import { CREDENTIALS_RESPONDER, respond, type RespondResult } from '../credentials/respond';
import { DynamoCredentialLedger, MemoryCredentialLedger } from '../credentials/ledger';
import { DEFAULT_PATTERN_CONCURRENCY } from '../credentials/pattern-flow';
import { StepFunctionsSessionWriter } from '../credentials/sessions';
import type { CredentialsConfig } from '../credentials/types';
import { evidenceFromEnv } from '../evidence/from-env';
import { evidenceReaderFromEnv } from '../evidence/reader-from-env';
import { guardrailsFromEnv } from '../guardrails/from-env';
import { isHeartbeat, runGuarded, runHeartbeat } from '../guardrails/handle';
import { idempotencyFromEnv, parkingFromEnv, redriveBatchFromEnv } from '../guardrails/idempotency-from-env';
import { isFinalResult, type ParkedEvent } from '../guardrails/park';
import { notifierFromEnv } from '../notify/from-env';
import type { ManualCaller } from '../evidence/types';
import { credentialsPrivileged, manualEntry } from '../manual/entry';
import type { FunctionUrlEvent, UrlResponse } from '../manual/url';
import { accountAccess, type AccountAccess } from '../shared/assume';

/**
 * Credential revocation responder: GuardDuty IAM findings, AWS Health AWS_RISK_CREDENTIALS_*,
 * Security Hub custom actions on AwsIamAccessKey, and manual `{action: 'revoke' | 'restore'}`.
 * Thin: wires clients and config; the domain is lambdas/credentials/respond.ts.
 */

const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
const list = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

export const envSchema = responderEnvSchema.extend({
  /** Comma-separated principal ARNs or names. */
  ALLOWLIST: z.string().default(''),
  /** Comma-separated EXACT ARNs of Cordon's own principals in this account (never prefixes). */
  OWN_PRINCIPAL_ARNS: z
    .string()
    .default('')
    .refine((v) => list(v).every((a) => /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/.test(a) && !a.includes('*')), {
      error: 'OWN_PRINCIPAL_ARNS must be comma-separated exact IAM role or user ARNs',
    }),
  /** Comma-separated role names Cordon deploys in every member account. */
  OWN_MEMBER_ROLE_NAMES: z.string().default(''),
  QUARANTINE_USER: bool.default(false),
  ROLE_WIDE_SESSIONS: bool.default(false),
  CUTOFF_MARGIN_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  MINIMUM_SEVERITY: z.coerce.number().min(0).max(10).optional(),
  PATTERN_CONCURRENCY: z.coerce.number().int().min(1).max(50).default(DEFAULT_PATTERN_CONCURRENCY),
  /** The session revoker state machine (Express), the only writer of session-deny policies. */
  SESSION_REVOKER_ARN: z.string().regex(/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]+$/, { error: 'SESSION_REVOKER_ARN must be a state machine arn' }),
});
export type CredentialsEnv = z.infer<typeof envSchema>;

/** Reads and validates the environment; throws naming every bad variable. */
export const configFromEnv = (env: NodeJS.ProcessEnv): { env: CredentialsEnv; config: Omit<CredentialsConfig, 'partition'> } => {
  const e = parseEnv(envSchema, env);
  return {
    env: e,
    config: {
      protectedTag: protectedTagOf(e.PROTECTED_TAG),
      allowlist: list(e.ALLOWLIST),
      ownPrincipalArns: list(e.OWN_PRINCIPAL_ARNS),
      ownMemberRoleNames: list(e.OWN_MEMBER_ROLE_NAMES),
      quarantineUser: e.QUARANTINE_USER,
      roleWideSessions: e.ROLE_WIDE_SESSIONS,
      cutoffMarginSeconds: e.CUTOFF_MARGIN_SECONDS,
      ...(e.MINIMUM_SEVERITY !== undefined ? { minimumSeverity: e.MINIMUM_SEVERITY } : {}),
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

/** Throttling is retried with client-side rate limiting (adaptive), not only backoff. */
export { RETRY };

const { env, config } = configFromEnv(process.env);
const iam = new IAMClient({ region: env.AWS_REGION, ...RETRY });
const sessions = new StepFunctionsSessionWriter(new SFNClient({ region: env.AWS_REGION, ...RETRY }), env.SESSION_REVOKER_ARN);
const ledger = env.GUARDRAILS_TABLE
  ? new DynamoCredentialLedger(new DynamoDBClient({ region: env.AWS_REGION, ...RETRY }), env.GUARDRAILS_TABLE)
  : new MemoryCredentialLedger();
const sts = new STSClient({ region: env.AWS_REGION, ...RETRY });
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
  access.credentials ? new IAMClient({ region: env.AWS_REGION, credentials: access.credentials, ...RETRY }) : iam;

const guarded = (event: unknown, context: LambdaContextLike, redriveOf?: ParkedEvent, caller?: ManualCaller): Promise<RespondResult> => {
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
        sessions,
        ledger,
        patternConcurrency: env.PATTERN_CONCURRENCY,
        actor: { arn: context.invokedFunctionArn, requestId: context.awsRequestId, ...(caller ? { caller } : {}) },
        logger,
      }),
  });
};

/**
 * A function URL request (the manual request URL, auth type AWS_IAM) is answered as HTTP; any other
 * event as the responder's result. Manual requests carry their caller into every record
 * (lambdas/manual/entry.ts); force, release, restore and patterns need an authenticated one.
 */
export async function handler(event: FunctionUrlEvent, context: LambdaContextLike): Promise<UrlResponse>;
export async function handler(event: unknown, context: LambdaContextLike): Promise<RespondResult>;
export async function handler(event: unknown, context: LambdaContextLike): Promise<RespondResult | UrlResponse> {
  logger.appendKeys({ requestId: context.awsRequestId });
  if (isHeartbeat(event)) {
    return runHeartbeat({
      guardrails,
      logger,
      responder: CREDENTIALS_RESPONDER,
      ...(parking ? { parking } : {}),
      redriveLimit: redriveBatchFromEnv(),
      rerun: (p) => guarded(p.event, context, p),
      ...(notifier ? { notifier } : {}),
      evidence,
      actor: { arn: context.invokedFunctionArn, requestId: context.awsRequestId },
    });
  }
  return manualEntry<RespondResult>(event, {
    privileged: credentialsPrivileged,
    evidence,
    mode: () => guardrails.mode(),
    context,
    logger,
    run: (e, caller) => respondTo(e, context, caller),
  });
}

const respondTo = (event: unknown, context: LambdaContextLike, caller: ManualCaller | undefined): Promise<RespondResult> => guarded(event, context, undefined, caller);
