import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateAliasCommand, CreateKeyCommand } from '@aws-sdk/client-kms';
import { CreateBucketCommand, PutObjectLockConfigurationCommand } from '@aws-sdk/client-s3';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import type { S3Client } from '@aws-sdk/client-s3';
import { createPublicKey } from 'node:crypto';
import { anchorCheckpoint, type AnchorResult, type AnchorTarget } from '../../../lambdas/evidence/anchor';
import { DynamoChainHeads, EvidenceChain, S3EvidenceStore, Verifier, addS3, publishPublicKey, writeCheckpoint, type VerifyReport } from '../../../lambdas/evidence';
import { StoreEvidenceReader } from '../../../lambdas/evidence/reader';
import { pinnedKmsKey } from '../../../lambdas/evidence/reader-from-env';
import { KmsSigner } from '../../../lambdas/evidence/signer';
import { DynamoBreaker } from '../../../lambdas/guardrails/breaker';
import { GuardrailsPersistenceLayer, IdempotentResponder } from '../../../lambdas/guardrails/idempotency';
import { ssmModeReader } from '../../../lambdas/guardrails/mode';
import type { Guardrails } from '../../../lambdas/guardrails/types';
import type { EmulatorAws } from './clients';
import { MotoRawKmsSigner } from './signer';

/**
 * The evidence stack and the response stack's stateful parts, created in the emulator's home
 * account the way lib/evidence-stack.ts and lib/response-stack.ts declare them: an Object Lock
 * bucket (COMPLIANCE default retention), a KMS ECC_NIST_P256 SIGN_VERIFY key under the signing
 * alias, the chain-head and guardrails tables (`pk` string key), and the `/cordon/mode` kill switch
 * set to `enforce`. Cordon's own evidence, guardrail and idempotency code is then wired on them
 * with the emulator's clients, exactly as the handlers wire them from their environment.
 */

export const VAULT = {
  bucket: 'cordon-evidence-emulator-drill',
  headsTable: 'CordonEvidenceChainHeads',
  guardrailsTable: 'CordonGuardrails',
  modeParameter: '/cordon/mode',
  signingAlias: 'alias/cordon/evidence-signing',
  retentionDays: 2555,
  /** The anchor (lib/anchor-stack.ts) in a log-archive account of its own. */
  anchorAccount: '444455556666',
  anchorBucket: 'cordon-anchor-emulator-drill',
} as const;

export interface Vault {
  readonly bucket: string;
  readonly keyArn: string;
  readonly signer: MotoRawKmsSigner;
  readonly store: S3EvidenceStore;
  readonly heads: DynamoChainHeads;
  readonly chain: EvidenceChain;
  readonly guardrails: Guardrails;
  /** The harness's reader of the vault (records checked against the signing key), to judge what was evidenced. */
  readonly reader: StoreEvidenceReader;
  idempotency<R>(responder: string, isFinal: (r: R) => boolean): IdempotentResponder<R>;
}

/** An Object Lock bucket (COMPLIANCE default retention) in `account`, as buckets are created here. */
const lockedBucket = async (s3: S3Client, bucket: string, region: string): Promise<void> => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true, CreateBucketConfiguration: { LocationConstraint: region as 'eu-west-1' } }));
  await s3.send(
    new PutObjectLockConfigurationCommand({
      Bucket: bucket,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: VAULT.retentionDays } } },
    }),
  );
};

/** The anchor bucket in the log-archive account, and the checkpoint function's view of it. */
export const createAnchor = async (aws: EmulatorAws): Promise<AnchorTarget & { readonly s3: S3Client; readonly bucket: string }> => {
  const s3 = aws.s3In(VAULT.anchorAccount);
  await lockedBucket(s3, VAULT.anchorBucket, aws.region);
  return {
    s3,
    bucket: VAULT.anchorBucket,
    store: new S3EvidenceStore(s3, { bucket: VAULT.anchorBucket, retentionDays: VAULT.retentionDays }),
    location: `s3://${VAULT.anchorBucket}`,
    account: VAULT.anchorAccount,
    region: aws.region,
  };
};

const table = (aws: EmulatorAws, name: string) =>
  aws.ddb.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );

export interface VaultOptions {
  /** The blast-radius breaker's limit per 60-minute window. @default 10 */
  readonly maxContainments?: number;
}

/** Creates the vault's resources in the home account and wires Cordon's evidence code on them. */
export const createVault = async (aws: EmulatorAws, options: VaultOptions = {}): Promise<Vault> => {
  const [, key] = await Promise.all([
    lockedBucket(aws.s3, VAULT.bucket, aws.region),
    aws.kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', Description: 'Cordon evidence signing (emulator drill)' })),
    table(aws, VAULT.headsTable),
    table(aws, VAULT.guardrailsTable),
    aws.ssm.send(new PutParameterCommand({ Name: VAULT.modeParameter, Type: 'String', Value: 'enforce' })),
  ]);
  const keyArn = key.KeyMetadata?.Arn;
  if (!keyArn) throw new Error('emulator: CreateKey returned no key arn');
  await aws.kms.send(new CreateAliasCommand({ AliasName: VAULT.signingAlias, TargetKeyId: keyArn }));
  return vaultOn(aws, keyArn, options);
};

/**
 * Cordon's evidence, guardrail and idempotency code wired on an existing vault (its signing key
 * `keyArn`) with `aws`'s clients: another set of clients (and call log) on the same vault.
 */
export const vaultOn = (aws: EmulatorAws, keyArn: string, options: VaultOptions = {}): Vault => {
  const bucket = VAULT.bucket;
  const signer = new MotoRawKmsSigner(aws.kms, keyArn);
  const store = new S3EvidenceStore(aws.s3, { bucket, prefix: '', retentionDays: VAULT.retentionDays });
  const heads = new DynamoChainHeads(aws.ddb, { tableName: VAULT.headsTable });
  const chain = new EvidenceChain({ signer, store, heads });
  const guardrails: Guardrails = {
    mode: ssmModeReader({ ssm: aws.ssm, parameterName: VAULT.modeParameter, ttlMs: 30_000 }),
    breaker: new DynamoBreaker({ ddb: aws.ddb, tableName: VAULT.guardrailsTable, maxContainments: options.maxContainments ?? 10, windowMinutes: 60 }),
  };
  const layer = () => new GuardrailsPersistenceLayer({ ddb: aws.ddb, tableName: VAULT.guardrailsTable });
  return {
    bucket,
    keyArn,
    signer,
    store,
    heads,
    chain,
    guardrails,
    reader: new StoreEvidenceReader(store, pinnedKmsKey(new KmsSigner(aws.kms, keyArn))),
    idempotency: <R>(responder: string, isFinal: (r: R) => boolean) => new IdempotentResponder<R>({ responder, automatic: layer(), manual: layer(), isFinal }),
  };
};

/**
 * What the checkpoint function and an auditor do after the responders: a checkpoint over the
 * chain heads (copied to the anchor when there is one), the public key published, then the bucket
 * (and the anchor's copies) verified in S3 mode by the code of `cordon verify s3://...`.
 */
export const checkpointAndVerify = async (
  aws: EmulatorAws,
  vault: Vault,
  anchorTarget?: AnchorTarget & { readonly s3: S3Client; readonly bucket: string },
): Promise<{ verify: VerifyReport; anchor?: AnchorResult }> => {
  const checkpoint = await writeCheckpoint({ chain: vault.chain, heads: vault.heads, settleMs: 0 });
  const anchor = anchorTarget ? await anchorCheckpoint(checkpoint, { anchor: anchorTarget, evidence: vault.chain, actor: { arn: 'cordon-emulator-drill' } }) : undefined;
  await publishPublicKey(vault.signer, vault.store);
  const identity = await vault.signer.identity();
  const verifier = new Verifier({ publicKeys: [{ key: createPublicKey({ key: identity.publicKeyDer, format: 'der', type: 'spki' }), fingerprint: identity.keyFingerprint }] });
  await addS3(aws.s3, { bucket: vault.bucket, prefix: '' }, verifier, { minRetentionDays: VAULT.retentionDays });
  if (anchorTarget) await addS3(anchorTarget.s3, { bucket: anchorTarget.bucket, prefix: '' }, verifier.anchorSink(), { minRetentionDays: VAULT.retentionDays });
  return { verify: verifier.finish(), ...(anchor ? { anchor } : {}) };
};
