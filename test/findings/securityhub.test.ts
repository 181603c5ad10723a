import { asffFindingSchema, asffIncidentId, asffSeverity, isAsffSample, parseArn } from '../../lambdas/findings/securityhub';
import { guardDutyIncidentId } from '../../lambdas/findings/guardduty';
import { fixture } from '../support/fixtures';

const asff = (name: string, index = 0) => {
  const raw = fixture(name) as { Findings?: unknown[]; detail?: { findings: unknown[] } };
  return asffFindingSchema.parse(raw.Findings?.[index] ?? raw.detail?.findings[index] ?? raw);
};

describe('security hub parsing helpers', () => {
  it('reads ARNs, including the malformed ones in the GuardDuty documentation', () => {
    expect(parseArn('arn:aws:ec2:ap-southeast-2:123456789012:instance/i-0bf2bf6b175654c6e')).toMatchObject({
      service: 'ec2',
      region: 'ap-southeast-2',
      account: '123456789012',
      resource: 'instance/i-0bf2bf6b175654c6e',
    });
    const doc = asff('securityhub-asff-bare-guardduty-ec2-sshbruteforce-1.json');
    expect(parseArn(doc.Resources[0]!.Id)).toMatchObject({ service: 'ec2', region: 'us-east-1', resource: 'instance/i-0c10c2c7863d1a356' });
    expect(parseArn('AWS::IAM::AccessKey:null')).toBeUndefined();
  });

  it('recognises GuardDuty sample findings carried by Security Hub', () => {
    expect(isAsffSample(asff('securityhub-asff-bare-guardduty-ec2-toripcaller-2018-1.json'))).toBe(true);
    expect(isAsffSample(asff('securityhub-api-getfindings-guardduty-ec2-bitcointool-2018-1.json'))).toBe(true);
    expect(isAsffSample(asff('securityhub-asff-bare-guardduty-ec2-sshbruteforce-1.json'))).toBe(false);
    expect(isAsffSample(asff('securityhub-custom-action-afsbp-ec2-8-instance-1.json'))).toBe(false);
    expect(isAsffSample({ ProductFields: { 'aws/guardduty/service/additionalInfo/sample': 'true' } })).toBe(true);
  });

  it('puts severity on the GuardDuty scale', () => {
    expect(asffSeverity(asff('securityhub-asff-bare-guardduty-ec2-sshbruteforce-1.json'))).toBe(2);
    expect(asffSeverity({ Severity: { Normalized: 70 } })).toBe(7);
    expect(asffSeverity({ Severity: null })).toBeUndefined();
  });

  it('maps a GuardDuty-originated finding to the GuardDuty incident', () => {
    const doc = asff('securityhub-asff-bare-guardduty-ec2-sshbruteforce-1.json');
    const id = doc.Id.split('/').at(-1) ?? '';
    expect(asffIncidentId(doc)).toBe(guardDutyIncidentId('193043430472', id));
    expect(asffIncidentId(asff('securityhub-custom-action-afsbp-ec2-8-instance-1.json'))).toMatch(/^inc-[0-9a-f]{24}$/);
  });
});
