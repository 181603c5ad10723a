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
import { evidenceReaderFromEnv } from '../evidence/reader-from-env';
import { credentialsPrivileged } from '../manual/entry';
import { responderHandler } from '../pipeline/entry';
import { entryFromEnv } from '../pipeline/from-env';
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

export type { LambdaContextLike } from '../pipeline/entry';

/** Throttling is retried with client-side rate limiting (adaptive), not only backoff. */
export { RETRY };

const { env, config } = configFromEnv(process.env);
const iam = new IAMClient({ region: env.AWS_REGION, ...RETRY });
const sessions = new StepFunctionsSessionWriter(new SFNClient({ region: env.AWS_REGION, ...RETRY }), env.SESSION_REVOKER_ARN);
const ledger = env.GUARDRAILS_TABLE
  ? new DynamoCredentialLedger(new DynamoDBClient({ region: env.AWS_REGION, ...RETRY }), env.GUARDRAILS_TABLE)
  : new MemoryCredentialLedger();
const sts = new STSClient({ region: env.AWS_REGION, ...RETRY });
/** Evidence, guardrails, notifier, idempotency and parking (lambdas/pipeline/from-env.ts). */
const wired = entryFromEnv<RespondResult>(CREDENTIALS_RESPONDER);
const { evidence, notifier } = wired;
/** Verifies every record against the signing key KMS returns for SIGNING_KEY_ID before release/restore act on it. */
const reader = evidenceReaderFromEnv();
const logger = new Logger({ serviceName: 'cordon-revoke-credentials' });

/** The home IAM client, or one signed with the member role's credentials. */
const iamFor = (access: AccountAccess): IAMClient =>
  access.credentials ? new IAMClient({ region: env.AWS_REGION, credentials: access.credentials, ...RETRY }) : iam;

/**
 * A function URL request (the manual request URL, auth type AWS_IAM) is answered as HTTP; any other
 * event as the responder's result (lambdas/pipeline/entry.ts).
 */
export const handler = responderHandler<RespondResult>({
  ...wired,
  logger,
  privileged: credentialsPrivileged,
  respond: (event, checked, actor, context) => {
    const [, partition = 'aws', , , account = ''] = context.invokedFunctionArn.split(':');
    return respond(event, {
      evidence,
      reader,
      guardrails: checked,
      ...(notifier ? { notifier } : {}),
      config: { ...config, partition },
      clock: () => new Date(),
      homeAccount: account,
      homeRegion: env.AWS_REGION,
      access: (incidentId) => accountAccess({ sts, homeAccount: account, partition, ...(env.MEMBER_ROLE_NAME ? { memberRoleName: env.MEMBER_ROLE_NAME } : {}) }, incidentId),
      iamFor,
      sessions,
      ledger,
      patternConcurrency: env.PATTERN_CONCURRENCY,
      actor,
      logger,
    });
  },
});
