import { Logger } from '@aws-lambda-powertools/logger';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { S3Client } from '@aws-sdk/client-s3';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { STSClient } from '@aws-sdk/client-sts';
import { RETRY } from '../shared/retry';
import * as z from 'zod';
import { parseEnv, protectedTagOf, responderEnvSchema } from '../shared/responder-env';
import { S3EvidenceStore } from '../evidence/store';
import { evidenceReaderFromEnv } from '../evidence/reader-from-env';
import { ISOLATION_RESPONDER, respond, type ResponseSummary } from '../isolation/respond';
import { isolationPrivileged } from '../manual/entry';
import { responderHandler } from '../pipeline/entry';
import { entryFromEnv } from '../pipeline/from-env';
import { CredentialResponderSessions } from '../isolation/sessions';
import type { ClientsFor, Ec2Clients, IsolationConfig } from '../isolation/types';

/**
 * EC2 isolation responder: GuardDuty findings on instances (and runtime findings with an EC2 host),
 * Security Hub custom actions on AwsEc2Instance, and manual `{action: 'isolate' | 'release', ...}`.
 * Thin: validates the environment, builds clients once, calls lambdas/isolation/respond.ts.
 */

export const envSchema = responderEnvSchema.extend({
  /** Replace the instance profile with this one; unset = disassociate it. */
  QUARANTINE_PROFILE_ARN: z
    .string()
    .regex(/^arn:[\w-]+:iam::\d{12}:instance-profile\/.+$/, { error: 'QUARANTINE_PROFILE_ARN must be an instance profile arn' })
    .optional(),
  /** Automatic findings below this severity (0-10) are skipped. */
  MINIMUM_SEVERITY: z.coerce.number().min(0).max(10).optional(),
  /** The credential function: isolation asks it to revoke the instance role's sessions. Unset = not revoked. */
  CREDENTIALS_FUNCTION_NAME: z.string().min(1).optional(),
});
export type IsolationEnv = z.infer<typeof envSchema>;

/** Reads and validates the environment; throws naming every bad variable. */
export const configFromEnv = (env: NodeJS.ProcessEnv): { env: IsolationEnv; config: IsolationConfig } => {
  const e = parseEnv(envSchema, env);
  return {
    env: e,
    config: {
      protectedTag: protectedTagOf(e.PROTECTED_TAG),
      ...(e.QUARANTINE_PROFILE_ARN ? { quarantineProfileArn: e.QUARANTINE_PROFILE_ARN } : {}),
      ...(e.MINIMUM_SEVERITY !== undefined ? { minimumSeverity: e.MINIMUM_SEVERITY } : {}),
      ...(e.CREDENTIALS_FUNCTION_NAME ? { revokeInstanceSessions: true } : {}),
    },
  };
};

export type { LambdaContextLike } from '../pipeline/entry';

const logger = new Logger({ serviceName: 'cordon-isolate-instance' });
const { env, config } = configFromEnv(process.env);
/** Throttled or failing AssumeRole is retried (RETRY) before it becomes a re-driven `account-access`. */
const sts = new STSClient({ region: env.AWS_REGION, ...RETRY });
/** Evidence, guardrails, notifier, idempotency and parking (lambdas/pipeline/from-env.ts). */
const wired = entryFromEnv<ResponseSummary>(ISOLATION_RESPONDER);
const { evidence, notifier } = wired;
/** Verifies every record against the signing key KMS returns for SIGNING_KEY_ID before release/restore act on it. */
const reader = evidenceReaderFromEnv();
/** The vault, where isolation stores console captures (artifacts/, write-once, locked like the records). */
const vault = new S3EvidenceStore(new S3Client({ region: env.AWS_REGION }), {
  bucket: env.EVIDENCE_BUCKET,
  prefix: env.EVIDENCE_PREFIX,
  retentionDays: env.RETENTION_DAYS,
});

/** Clients with the function's own credentials, per region, reused across invocations. */
const home = new Map<string, Ec2Clients>();
const guardDuty = new Map<string, GuardDutyClient>();

/** The credential function runs at home: one Lambda client, made when first needed. */
let lambda: LambdaClient | undefined;

const build = (region: string, credentials?: Parameters<ClientsFor>[0]['credentials']): Ec2Clients => {
  // Throttling and 5xx are retried as every other responder call is (RETRY: adaptive, 6 attempts),
  // before an ENI step's own retries (lambdas/isolation/execute.ts) count a failed attempt.
  const options = { region, ...(credentials ? { credentials } : {}), ...RETRY };
  const functionName = env.CREDENTIALS_FUNCTION_NAME;
  // IAM of the instance's account (its instance profile), made only when a revocation needs it.
  let iam: IAMClient | undefined;
  return {
    ec2: new EC2Client(options),
    autoScaling: new AutoScalingClient(options),
    elbv2: new ElasticLoadBalancingV2Client(options),
    elb: new ElasticLoadBalancingClient(options),
    ...(functionName
      ? {
          sessions: new CredentialResponderSessions({
            iam: { send: (command) => (iam ??= new IAMClient(options)).send(command) } as Pick<IAMClient, 'send'>,
            lambda: { send: (command) => (lambda ??= new LambdaClient({ region: env.AWS_REGION, ...RETRY })).send(command) } as Pick<LambdaClient, 'send'>,
            functionName,
          }),
        }
      : {}),
  };
};

/** Every client of a target is built with that account's credentials and the target's region. */
export const clientsFor: ClientsFor = (access) => {
  if (access.credentials) return build(access.region, access.credentials);
  let clients = home.get(access.region);
  if (!clients) {
    clients = build(access.region);
    home.set(access.region, clients);
  }
  return clients;
};

const guardDutyFor = (region: string): GuardDutyClient => {
  let client = guardDuty.get(region);
  if (!client) {
    client = new GuardDutyClient({ region });
    guardDuty.set(region, client);
  }
  return client;
};

/**
 * A function URL request (the manual request URL, auth type AWS_IAM) is answered as HTTP; any other
 * event as the responder's result (lambdas/pipeline/entry.ts).
 */
export const handler = responderHandler<ResponseSummary>({
  ...wired,
  logger,
  privileged: isolationPrivileged,
  respond: (event, checked, actor, context) => {
    const arn = context.invokedFunctionArn.split(':');
    return respond(
      event,
      {
        evidence,
        guardrails: checked,
        ...(notifier ? { notifier } : {}),
        clientsFor,
        sts,
        homeAccount: arn[4] ?? '',
        homeRegion: env.AWS_REGION,
        ...(env.MEMBER_ROLE_NAME ? { memberRoleName: env.MEMBER_ROLE_NAME } : {}),
        ...(arn[1] ? { partition: arn[1] } : {}),
        config,
        actor,
        reader,
        artifacts: vault,
        guardDutyFor,
        logger,
      },
      { requestId: context.awsRequestId },
    );
  },
  done: (summary) =>
    logger.info('isolate-instance done', {
      decision: summary.decision,
      reason: summary.reason,
      incidentId: summary.incidentId,
      failed: summary.steps.filter((s) => s.status !== 'succeeded').length,
    }),
});
