import { templates } from './app';

/**
 * Renaming a stateful resource's logical id makes CloudFormation replace it: a new, empty vault
 * and the old one orphaned. These ids are pinned; change them only with a migration plan.
 */
describe('stateful logical ids', () => {
  it('pins the logical ids of the evidence vault, its keys, table and auditor', () => {
    const { evidence } = templates();
    const ids = Object.entries(evidence.toJSON().Resources as Record<string, { Type: string }>)
      .filter(([, r]) => ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::DynamoDB::Table', 'AWS::IAM::Role'].includes(r.Type))
      .map(([id, r]) => `${r.Type} ${id}`)
      .sort();
    expect(ids).toEqual([
      'AWS::DynamoDB::Table ChainHeadsC1ACA851',
      'AWS::IAM::Role AuditorRoleB9C8BBB2',
      'AWS::KMS::Key DataKey17AFBB84',
      'AWS::KMS::Key SigningKeyEEFC2790',
      'AWS::S3::Bucket AccessLogBucketDA470295',
      'AWS::S3::Bucket EvidenceBucketFBA44255',
    ]);
  });

  it('pins the logical ids of the trail bucket and its key', () => {
    const { detection } = templates();
    const ids = Object.entries(detection.toJSON().Resources as Record<string, { Type: string }>)
      .filter(([, r]) => ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Logs::LogGroup'].includes(r.Type))
      .map(([id, r]) => `${r.Type} ${id}`)
      .sort();
    expect(ids).toEqual([
      'AWS::KMS::Key TrailKey38EB2549',
      'AWS::Logs::LogGroup TrailLogGroup7A1F916A',
      'AWS::S3::Bucket TrailAccessLogBucketA67B9174',
      'AWS::S3::Bucket TrailBucketA831CE63',
    ]);
  });
});
