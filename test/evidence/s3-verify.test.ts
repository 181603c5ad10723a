import {
  GetObjectCommand,
  GetObjectRetentionCommand,
  ListObjectVersionsCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { Verifier, addS3, parseS3Url, type ProblemCode } from '../../lambdas/evidence';
import { buildSet, type EvidenceSet } from './helpers';
import { authorizeAs } from '../support/authz';

authorizeAs('auditor');

const DAY = 86_400_000;
const WRITTEN = new Date('2026-01-01T00:00:00.000Z');

describe('verify over S3 (object versions and locks)', () => {
  const s3 = mockClient(S3Client);
  let set: EvidenceSet;

  beforeAll(async () => {
    set = await buildSet({ incidents: 1, perIncident: 2, checkpointAfter: 2 });
  });

  const serve = (options: { overwrite?: string; deleted?: string; governance?: string; short?: string; unlocked?: string } = {}) => {
    s3.reset();
    const objects = set.objects();
    const versions = [...objects.keys()].map((key) => ({ Key: `prod/${key}`, VersionId: `v1-${key}`, LastModified: WRITTEN }));
    if (options.overwrite) versions.push({ Key: `prod/${options.overwrite}`, VersionId: 'v2', LastModified: new Date(WRITTEN.getTime() + DAY) });
    s3.on(ListObjectVersionsCommand).resolvesOnce({
      Versions: versions.slice(0, 2),
      IsTruncated: true,
      NextKeyMarker: 'k',
      NextVersionIdMarker: 'v',
    }).resolves({
      Versions: versions.slice(2),
      DeleteMarkers: options.deleted ? [{ Key: `prod/${options.deleted}`, VersionId: 'dm', IsLatest: true }] : [],
      IsTruncated: false,
    });
    for (const [key, body] of objects) {
      const mode = key === options.governance ? 'GOVERNANCE' : 'COMPLIANCE';
      const until = new Date(WRITTEN.getTime() + (key === options.short ? 30 : 2555) * DAY);
      s3.on(GetObjectCommand, { Key: `prod/${key}` }).callsFake(() => ({
        Body: { transformToByteArray: () => Promise.resolve(new Uint8Array(body)) },
        ...(key === options.unlocked ? {} : { ObjectLockMode: mode, ObjectLockRetainUntilDate: until }),
      }));
    }
    s3.on(GetObjectRetentionCommand).rejects(
      new S3ServiceException({ name: 'NoSuchObjectLockConfiguration', $fault: 'client', $metadata: { httpStatusCode: 404 }, message: 'none' }),
    );
  };

  const run = async (minRetentionDays = 2555) => {
    const verifier = new Verifier({ publicKeys: [set.key] });
    await addS3(new S3Client({ region: 'eu-west-1' }), parseS3Url('s3://cordon-evidence/prod'), verifier, { minRetentionDays });
    return verifier.finish();
  };

  it('accepts a COMPLIANCE-locked set, reading every page of versions and the original version of each key', async () => {
    serve();
    const report = await run();
    expect(report).toMatchObject({ ok: true, records: 2, checkpoints: 1 });
    expect(s3).toHaveReceivedCommandTimes(ListObjectVersionsCommand, 2);
    expect(s3).toHaveReceivedCommandWith(ListObjectVersionsCommand, { Bucket: 'cordon-evidence', Prefix: 'prod/', KeyMarker: 'k', VersionIdMarker: 'v' });
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Key: 'prod/records/inc-0/00000000.json', VersionId: 'v1-records/inc-0/00000000.json' });
  });

  it.each<[string, Parameters<typeof serve>[0], ProblemCode]>([
    ['an overwritten key', { overwrite: 'records/inc-0/00000001.json' }, 'EXTRA_VERSION'],
    ['a delete marker', { deleted: 'records/inc-0/00000000.json' }, 'DELETE_MARKER'],
    ['GOVERNANCE instead of COMPLIANCE', { governance: 'records/inc-0/00000001.json' }, 'WEAK_RETENTION'],
    ['retention shorter than the minimum', { short: 'checkpoints/00000000.json' }, 'WEAK_RETENTION'],
    ['no lock at all', { unlocked: 'records/inc-0/00000000.json' }, 'WEAK_RETENTION'],
  ])('rejects %s', async (_what, options, code) => {
    serve(options);
    const report = await run();
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.code)).toEqual([code]);
  });

  it('honours --min-retention-days', async () => {
    serve({ short: 'checkpoints/00000000.json' });
    expect((await run(30)).ok).toBe(true);
  });

  it('rejects an empty prefix as unusable input', async () => {
    s3.reset();
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [], IsTruncated: false });
    await expect(run()).rejects.toThrow('no evidence records or checkpoints under s3://cordon-evidence/prod/');
  });
});
