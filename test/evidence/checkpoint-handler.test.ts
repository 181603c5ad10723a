import { DynamoDBClient, GetItemCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { fingerprintOf } from '../../lambdas/evidence';
import { newP256, signRawDigest } from './helpers';

describe('checkpoint handler', () => {
  const s3 = mockClient(S3Client);
  const kms = mockClient(KMSClient);
  const ddb = mockClient(DynamoDBClient);
  const { privateKey, publicKey } = newP256();
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const fingerprint = fingerprintOf(spki);
  const saved = { ...process.env };

  beforeEach(() => {
    s3.reset();
    kms.reset();
    ddb.reset();
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1',
      EVIDENCE_BUCKET: 'cordon-evidence',
      SIGNING_KEY_ID: 'arn:aws:kms:eu-west-1:111122223333:key/k',
      HEADS_TABLE: 'cordon-heads',
      RETENTION_DAYS: '2555',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    kms.on(GetPublicKeyCommand).resolves({ KeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k', KeySpec: 'ECC_NIST_P256', PublicKey: new Uint8Array(spki) });
    kms.on(SignCommand).callsFake((cmd: { Message: Uint8Array }) => ({ Signature: new Uint8Array(signRawDigest(privateKey, cmd.Message)) }));
    ddb.on(GetItemCommand).resolves({});
    ddb.on(ScanCommand).resolves({
      Items: [{ pk: { S: 'inc-1' }, seq: { N: '4' }, headHash: { S: 'a'.repeat(64) }, headTime: { S: '2026-01-01T00:00:00.000Z' }, updatedAt: { N: '1' } }],
    });
    ddb.on(UpdateItemCommand).resolves({});
    s3.on(PutObjectCommand).resolves({});
  });
  afterAll(() => {
    process.env = saved;
  });

  it('writes the first checkpoint over the changed heads and publishes the key once', async () => {
    const { handler } = (await import('../../lambdas/handlers/checkpoint')) as typeof import('../../lambdas/handlers/checkpoint');
    s3.on(PutObjectCommand, { Key: `keys/${fingerprint}.der` }).rejects(
      new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 }, message: 'exists' }),
    );

    const summary = await handler();

    expect(summary).toMatchObject({ key: 'checkpoints/00000000.json', seq: 0, heads: 1 });
    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: 'cordon-heads',
      Key: { pk: { S: '#checkpoints' } },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(ddb).toHaveReceivedCommandWith(ScanCommand, { TableName: 'cordon-heads', FilterExpression: 'updatedAt > :from AND updatedAt <= :to' });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'cordon-evidence',
      Key: 'checkpoints/00000000.json',
      ObjectLockMode: 'COMPLIANCE',
      IfNoneMatch: '*',
    });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Key: `keys/${fingerprint}.pem`, IfNoneMatch: '*' });
    expect(kms).toHaveReceivedCommandWith(SignCommand, { MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' });

    await handler();
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 4); // 2 keys once + 2 checkpoints
  });
});
