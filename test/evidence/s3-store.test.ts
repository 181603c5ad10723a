import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createHash } from 'node:crypto';
import { S3EvidenceStore } from '../../lambdas/evidence';
import { notCordonCalls } from '../support/authz';

notCordonCalls(
  'the store is exercised under a prefix (prod/) no deployment sets and with keys of every writer (records/, keys/); ' +
    'what the deployed functions put and read is evaluated in the handler tests (isolation, credentials, checkpoint-handler)',
);

const NOW = new Date('2026-03-01T12:00:00.000Z');

const s3Error = (name: string, status: number): S3ServiceException =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });

describe('S3 evidence store', () => {
  const s3 = mockClient(S3Client);
  const store = new S3EvidenceStore(new S3Client({ region: 'eu-west-1' }), {
    bucket: 'cordon-evidence',
    prefix: 'prod/',
    retentionDays: 2555,
    clock: () => NOW,
  });
  beforeEach(() => s3.reset());

  it('writes once, COMPLIANCE-locked for the retention period, with a SHA-256 checksum', async () => {
    s3.on(PutObjectCommand).resolves({});
    const body = Buffer.from('{"payload":{},"signature":{}}');

    expect(await store.put('records/inc-1/00000000.json', body)).toBe('created');

    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 1);
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'cordon-evidence',
      Key: 'prod/records/inc-1/00000000.json',
      Body: body,
      ContentType: 'application/json',
      ChecksumAlgorithm: 'SHA256',
      ChecksumSHA256: createHash('sha256').update(body).digest('base64'),
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: new Date(NOW.getTime() + 2555 * 86_400_000),
      IfNoneMatch: '*',
    });
  });

  it('reports an existing key (412 PreconditionFailed) as exists instead of overwriting', async () => {
    s3.on(PutObjectCommand).rejects(s3Error('PreconditionFailed', 412));
    expect(await store.put('keys/abc.pem', Buffer.from('x'))).toBe('exists');
  });

  it('rejects other S3 errors', async () => {
    s3.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403));
    await expect(store.put('records/inc-1/00000000.json', Buffer.from('x'))).rejects.toThrow('AccessDenied');
  });

  it('checks existence with HeadObject', async () => {
    s3.on(HeadObjectCommand, { Key: 'prod/a' }).resolves({}).on(HeadObjectCommand, { Key: 'prod/b' }).rejects(s3Error('NotFound', 404));
    expect(await store.exists('a')).toBe(true);
    expect(await store.exists('b')).toBe(false);
  });

  it('reads an object back, and undefined for a missing key', async () => {
    s3.on(GetObjectCommand, { Key: 'prod/a' })
      .resolves({ Body: { transformToByteArray: () => Promise.resolve(new Uint8Array([1, 2])) } as never })
      .on(GetObjectCommand, { Key: 'prod/b' })
      .rejects(s3Error('NoSuchKey', 404));
    expect(await store.read('a')).toEqual(Buffer.from([1, 2]));
    expect(await store.read('b')).toBeUndefined();
  });

  it('rejects a retention that is not a positive whole number of days', () => {
    expect(() => new S3EvidenceStore(new S3Client({}), { bucket: 'b', retentionDays: 0 })).toThrow('retentionDays');
  });
});
