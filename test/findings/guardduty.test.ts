import {
  camelCaseKeys,
  findingLocation,
  fromSdkFinding,
  isSampleFinding,
  looksLikeGuardDutyFinding,
  looseNumber,
  parseGuardDutyFindingArn,
} from '../../lambdas/findings/guardduty';
import { fixture } from '../support/fixtures';

describe('guardduty parsing helpers', () => {
  it.each([
    [5, 5],
    ['5.0', 5],
    [' 8 ', 8],
    ['2.5', 2.5],
  ])('reads severity %p as %p', (input, expected) => {
    expect(looseNumber.parse(input)).toBe(expected);
  });

  it.each(['high', '', '5,0', Number.NaN])('rejects severity %p', (input) => {
    expect(looseNumber.safeParse(input).success).toBe(false);
  });

  it('reads the sample flag in each of its real shapes', () => {
    expect(isSampleFinding({ service: { additionalInfo: { sample: true } } })).toBe(true);
    expect(isSampleFinding({ service: { additionalInfo: { sample: 'true' } } })).toBe(true);
    expect(isSampleFinding({ service: { additionalInfo: { value: '{"sample":true}', type: 'default' } } })).toBe(true);
    expect(isSampleFinding({ service: { additionalInfo: { value: '{"sample":false}' } } })).toBe(false);
    expect(isSampleFinding({ service: { additionalInfo: { value: 'sample, not json' } } })).toBe(false);
    expect(isSampleFinding({ service: { additionalInfo: {} } })).toBe(false);
    expect(isSampleFinding({ service: null })).toBe(false);
    expect(isSampleFinding(fixture('guardduty-bare-ec2-trojan-blackholetraffic-dns-1.json') as never)).toBe(true);
  });

  it('reads region, account, detector and finding from a finding ARN', () => {
    expect(parseGuardDutyFindingArn('arn:aws:guardduty:us-east-1:883606788610:detector/abc/finding/f1')).toEqual({
      region: 'us-east-1',
      account: '883606788610',
      detectorId: 'abc',
      findingId: 'f1',
    });
    expect(parseGuardDutyFindingArn('arn:aws:s3:::bucket')).toBeUndefined();
  });

  it('locates the resource by the finding account, not the envelope account', () => {
    const event = fixture('guardduty-ec2-backdoor-cc-activity-b-dns-1.json') as { account: string; region: string; detail: never };
    expect(findingLocation(event.detail, event)).toEqual({ account: '883606788610', region: 'us-east-1' });
    expect(findingLocation({ accountId: null, region: null, arn: null }, { account: '1', region: 'r' })).toEqual({ account: '1', region: 'r' });
  });

  it('converts the SDK/CLI PascalCase GetFindings result into the event shape', () => {
    const response = fixture('guardduty-api-getfindings-pascalcase-iam-recon-userpermissions-1.json') as { Findings: unknown[] };
    const parsed = fromSdkFinding(response.Findings[0]);
    expect(parsed.success).toBe(true);
    expect(parsed.data).toMatchObject({
      id: '1ab92989eaf0e742df4a014d5example',
      accountId: '111122223333',
      type: 'Recon:IAMUser/UserPermissions',
      severity: 5,
      resource: { resourceType: 'AccessKey', accessKeyDetails: { accessKeyId: 'ASIASZ4SI7REEEXAMPLE' } },
      service: { detectorId: 'd4b040365221be2b54a6264dcexample' },
    });
    expect(camelCaseKeys({ A: [{ BDate: new Date(0) }] })).toEqual({ a: [{ bDate: '1970-01-01T00:00:00.000Z' }] });
  });

  it('tells a bare guardduty finding from other objects', () => {
    expect(looksLikeGuardDutyFinding(fixture('guardduty-bare-ec2-sshbruteforce-1.json'))).toBe(true);
    expect(looksLikeGuardDutyFinding(fixture('securityhub-asff-bare-guardduty-ec2-sshbruteforce-1.json'))).toBe(false);
    expect(looksLikeGuardDutyFinding(fixture('cloudtrail-record-bare-iam-createaccesskey-1.json'))).toBe(false);
  });
});
