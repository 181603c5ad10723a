import { DynamoDBClient, GetItemCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { fingerprintOf } from '../../lambdas/evidence';
import { newP256, signRawDigest } from './helpers';
import { authorizeAs } from '../support/authz';

authorizeAs('checkpoint');

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
      // Errors only: the alarm's log line is asserted; nothing else is printed.
      POWERTOOLS_LOG_LEVEL: 'ERROR',
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

  describe('with an anchor in the log-archive account', () => {
    const loadWithAnchor = async () => {
      Object.assign(process.env, { ANCHOR_BUCKET: 'cordon-anchor-444455556666', ANCHOR_REGION: 'eu-west-1', ANCHOR_ACCOUNT: '444455556666', ANCHOR_RETENTION_DAYS: '3650' });
      return ((await import('../../lambdas/handlers/checkpoint')) as typeof import('../../lambdas/handlers/checkpoint')).handler;
    };
    /** The anchor chain's records in the order they were put: kind of each. */
    const anchorRecords = () =>
      s3
        .commandCalls(PutObjectCommand)
        .map((c) => c.args[0].input)
        .filter((i) => i.Bucket === 'cordon-evidence' && i.Key?.startsWith(`records/${today}/`))
        .map((i) => JSON.parse(Buffer.from(i.Body as Buffer).toString()) as { payload: Record<string, unknown> });
    const context = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:cordon-checkpoint', awsRequestId: 'req-7' };
    const puts = () => s3.commandCalls(PutObjectCommand).map((c) => `${c.args[0].input.Bucket}/${c.args[0].input.Key}`);
    const bodyOf = (bucket: string, key: string): string =>
      Buffer.from(s3.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Bucket === bucket && c.args[0].input.Key === key)?.args[0].input.Body as Buffer).toString();
    const today = `anchor-${new Date().toISOString().slice(0, 10)}`;
    afterEach(() => {
      for (const k of ['ANCHOR_BUCKET', 'ANCHOR_REGION', 'ANCHOR_ACCOUNT', 'ANCHOR_RETENTION_DAYS']) delete process.env[k];
    });

    it('copies the checkpoint, byte for byte, write-once and COMPLIANCE-locked, between its intent and outcome records', async () => {
      const handler = await loadWithAnchor();
      const summary = await handler(undefined, context);

      expect(summary).toMatchObject({ key: expect.stringMatching(/^checkpoints\/\d{8}\.json$/), anchor: 'stored' });
      const { key, seq } = summary;
      expect(puts().filter((p) => !p.includes('/keys/')).map((p) => p.replace(/\/\d{8}\.json$/, '/N.json'))).toEqual([
        'cordon-evidence/checkpoints/N.json',
        `cordon-evidence/records/${today}/N.json`,
        'cordon-anchor-444455556666/checkpoints/N.json',
        `cordon-evidence/records/${today}/N.json`,
      ]);
      expect(anchorRecords().map((r) => r.payload.kind)).toEqual(['intent', 'step']);
      expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
        Bucket: 'cordon-anchor-444455556666',
        Key: key,
        IfNoneMatch: '*',
        ObjectLockMode: 'COMPLIANCE',
        ChecksumAlgorithm: 'SHA256',
      });
      const anchorPut = s3.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Bucket === 'cordon-anchor-444455556666')?.args[0].input;
      const days = ((anchorPut?.ObjectLockRetainUntilDate as Date).getTime() - Date.now()) / 86_400_000;
      expect(Math.round(days)).toBe(3650);
      expect(bodyOf('cordon-anchor-444455556666', key)).toBe(bodyOf('cordon-evidence', key));
      expect(anchorRecords()[1]?.payload).toMatchObject({
        kind: 'step',
        action: 'anchor:PutCheckpointCopy',
        target: { type: 'anchor-object', id: `s3://cordon-anchor-444455556666/${key}`, account: '444455556666', region: 'eu-west-1' },
        actor: { arn: context.invokedFunctionArn, requestId: 'req-7' },
        after: { key, seq, outcome: 'stored' },
      });
    });

    it('stores the checkpoint and evidences the failure when the anchor refuses the copy, logging the alarm line', async () => {
      s3.on(PutObjectCommand, { Bucket: 'cordon-anchor-444455556666' }).rejects(
        new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Access Denied' }),
      );
      const lines: string[] = [];
      const capture = (chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      };
      // Powertools prints errors with console.error.
      const writes = [jest.spyOn(process.stdout, 'write').mockImplementation(capture), jest.spyOn(process.stderr, 'write').mockImplementation(capture)];
      let key = '';
      try {
        const handler = await loadWithAnchor();
        const summary = await handler(undefined, context);
        expect(summary.anchor).toBe('failed');
        key = summary.key;
      } finally {
        for (const w of writes) w.mockRestore();
      }
      expect(puts()).toContain(`cordon-evidence/${key}`);
      expect(anchorRecords().map((r) => r.payload.kind)).toEqual(['intent', 'error']);
      expect(anchorRecords()[1]?.payload).toMatchObject({ kind: 'error', reason: `checkpoint ${Number(key.slice(12, 20))} not copied to the anchor`, detail: { error: 'AccessDenied: Access Denied' } });
      const logged = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'checkpoint anchor failed');
      expect(logged).toMatchObject({ level: 'ERROR', anchor: 'failed', key, evidenced: true, error: 'AccessDenied: Access Denied' });
    });
  });
});
