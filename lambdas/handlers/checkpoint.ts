import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { anchorCheckpoint, type AnchorResult, type AnchorStatus, type AnchorTarget } from '../evidence/anchor';
import { evidencePartsFromEnv } from '../evidence/from-env';
import { publishPublicKey, writeCheckpoint, type CheckpointResult } from '../evidence/checkpoint';
import { S3EvidenceStore } from '../evidence/store';

/**
 * Scheduled every 5 minutes (EventBridge rate(5 minutes)): writes the next signed checkpoint over
 * the chain heads that changed, empty windows included, and makes sure the signing key's public
 * key is published under `keys/`. With ANCHOR_BUCKET set, then copies the checkpoint to the
 * anchor bucket in the log-archive account (lambdas/evidence/anchor.ts): evidenced, never
 * blocking; a failure is logged as "checkpoint anchor failed", which alarms.
 * Env: EVIDENCE_BUCKET, EVIDENCE_PREFIX?, SIGNING_KEY_ID, HEADS_TABLE, RETENTION_DAYS,
 * ANCHOR_BUCKET?, ANCHOR_REGION?, ANCHOR_ACCOUNT?, ANCHOR_RETENTION_DAYS?.
 */
const logger = new Logger({ serviceName: 'cordon-checkpoint' });
const evidence = evidencePartsFromEnv(process.env, undefined, logger);

const anchorEnvSchema = z.object({
  ANCHOR_BUCKET: z.string().min(1).optional(),
  ANCHOR_REGION: z.string().min(1).optional(),
  ANCHOR_ACCOUNT: z.string().regex(/^\d{12}$/).optional(),
  ANCHOR_RETENTION_DAYS: z.coerce.number().int().min(1).default(2555),
});

/** The anchor, or the reason it cannot be used (reported on every run, never thrown at load). */
const anchorFromEnv = (): AnchorTarget | string | undefined => {
  const parsed = anchorEnvSchema.safeParse(process.env);
  if (!parsed.success) return `invalid anchor environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
  const e = parsed.data;
  if (!e.ANCHOR_BUCKET) return undefined;
  const region = e.ANCHOR_REGION ?? process.env.AWS_REGION;
  return {
    store: new S3EvidenceStore(new S3Client(region ? { region } : {}), { bucket: e.ANCHOR_BUCKET, retentionDays: e.ANCHOR_RETENTION_DAYS }),
    location: `s3://${e.ANCHOR_BUCKET}`,
    ...(e.ANCHOR_ACCOUNT ? { account: e.ANCHOR_ACCOUNT } : {}),
    ...(region ? { region } : {}),
  };
};
/** Built on first use and kept while the environment names the same anchor (once per container). */
let anchorCache: { readonly env: string; readonly anchor: ReturnType<typeof anchorFromEnv> } | undefined;
const currentAnchor = (): ReturnType<typeof anchorFromEnv> => {
  const env = JSON.stringify(['ANCHOR_BUCKET', 'ANCHOR_REGION', 'ANCHOR_ACCOUNT', 'ANCHOR_RETENTION_DAYS'].map((k) => process.env[k]));
  if (anchorCache?.env !== env) anchorCache = { env, anchor: anchorFromEnv() };
  return anchorCache.anchor;
};

/** Once per container: PutObject IfNoneMatch makes it idempotent, and afterwards it is a no-op. */
let published: Promise<unknown> | undefined;

export interface CheckpointSummary {
  readonly key: string;
  readonly seq: number;
  readonly heads: number;
  readonly merkleRoot: string;
  /** Absent when no anchor is configured. */
  readonly anchor?: AnchorStatus;
}

export const handler = async (_event?: unknown, context?: { invokedFunctionArn?: string; awsRequestId?: string }): Promise<CheckpointSummary> => {
  published ??= publishPublicKey(evidence.signer, evidence.store).catch((error: unknown) => {
    published = undefined;
    throw error;
  });
  const [result] = await Promise.all([
    writeCheckpoint({ chain: evidence.chain, heads: evidence.heads, logger }),
    published,
  ]) as [CheckpointResult, unknown];
  logger.info('checkpoint written', { key: result.key, seq: result.seq, heads: result.heads });
  const summary = { key: result.key, seq: result.seq, heads: result.heads, merkleRoot: result.merkleRoot };
  const anchor = currentAnchor();
  if (anchor === undefined) return summary;
  const anchored: AnchorResult =
    typeof anchor === 'string'
      ? { status: 'failed', key: result.key, error: anchor, evidenced: false }
      : await anchorCheckpoint(result, {
          anchor,
          evidence: evidence.chain,
          actor: { arn: context?.invokedFunctionArn ?? 'cordon-checkpoint', ...(context?.awsRequestId ? { requestId: context.awsRequestId } : {}) },
        });
  if (anchored.status === 'failed' || !anchored.evidenced) {
    logger.error('checkpoint anchor failed', { anchor: anchored.status, key: anchored.key, evidenced: anchored.evidenced, error: anchored.error });
  } else {
    logger.info('checkpoint anchored', { anchor: anchored.status, key: anchored.key });
  }
  return { ...summary, anchor: anchored.status };
};
