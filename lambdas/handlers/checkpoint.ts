import { Logger } from '@aws-lambda-powertools/logger';
import { evidencePartsFromEnv } from '../evidence/from-env';
import { publishPublicKey, writeCheckpoint, type CheckpointResult } from '../evidence/checkpoint';

/**
 * Scheduled every 5 minutes (EventBridge rate(5 minutes)): writes the next signed checkpoint over
 * the chain heads that changed, empty windows included, and makes sure the signing key's public
 * key is published under `keys/`. Env: EVIDENCE_BUCKET, EVIDENCE_PREFIX?, SIGNING_KEY_ID,
 * HEADS_TABLE, RETENTION_DAYS.
 */
const logger = new Logger({ serviceName: 'cordon-checkpoint' });
const evidence = evidencePartsFromEnv(process.env, undefined, logger);
/** Once per container: PutObject IfNoneMatch makes it idempotent, and afterwards it is a no-op. */
let published: Promise<unknown> | undefined;

export interface CheckpointSummary {
  readonly key: string;
  readonly seq: number;
  readonly heads: number;
  readonly merkleRoot: string;
}

export const handler = async (): Promise<CheckpointSummary> => {
  published ??= publishPublicKey(evidence.signer, evidence.store).catch((error: unknown) => {
    published = undefined;
    throw error;
  });
  const [result] = await Promise.all([
    writeCheckpoint({ chain: evidence.chain, heads: evidence.heads, logger }),
    published,
  ]) as [CheckpointResult, unknown];
  logger.info('checkpoint written', { key: result.key, seq: result.seq, heads: result.heads });
  return { key: result.key, seq: result.seq, heads: result.heads, merkleRoot: result.merkleRoot };
};
