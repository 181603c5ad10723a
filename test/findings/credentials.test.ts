import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseCredentialEvent, type CredentialRequest, type RevokeRequest } from '../../lambdas/findings/credentials';
import { derivedGuardDuty, fixture } from '../credentials/support';

const ctx = { homeAccount: '111122223333', homeRegion: 'us-east-1', requestId: 'req-1' };
const parse = (event: unknown): CredentialRequest => parseCredentialEvent(event, ctx);
const revoke = (event: unknown): RevokeRequest => {
  const r = parse(event);
  if (r.kind !== 'revoke') throw new Error(`expected revoke, got ${r.kind}: ${'reason' in r ? r.reason : ''}`);
  return r;
};

describe('credential event parsing: real fixtures', () => {
  const dir = join(__dirname, '..', 'fixtures', 'real');
  const all = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it('parses or skips every real fixture with a specific reason, never throws', () => {
    expect(all.length).toBeGreaterThanOrEqual(40);
    const results = all.map((name) => parse(fixture(name)));
    expect(results.every((r) => r.kind === 'revoke' || r.kind === 'skip')).toBe(true);
    expect(results.every((r) => /^inc-[0-9a-f]{24}$/.test(r.incidentId))).toBe(true);
    const vague = results.flatMap((r, i) => (r.kind === 'skip' && r.reason.length < 30 ? [`${all[i] ?? ''}: ${r.reason}`] : []));
    expect(vague).toEqual([]);
  });

  it.each([
    ['guardduty-iam-recon-networkpermissions-1.json', '742968239728'],
    ['guardduty-iam-tor-ip-caller-1.json', '883606788610'],
    ['guardduty-bare-iam-maliciousipcaller-1.json', '111111111111'],
    ['guardduty-bare-iam-recon-maliciousipcaller-custom-1.json', '123456789012'],
  ])('reads the IAMUser key of %s as a sample in account %s', (name, account) => {
    const r = revoke(fixture(name));
    expect(r.sample).toBe(true);
    expect(r.targets).toEqual([
      {
        kind: 'iam-user-key',
        account,
        accessKeyId: 'GeneratedFindingAccessKeyId',
        userName: 'GeneratedFindingUserName',
        principalId: 'GeneratedFindingPrincipalId',
        userCompromised: false,
      },
    ]);
    expect(r.trigger.source).toBe('aws.guardduty');
  });

  it('takes the account from detail.accountId, not the envelope (custodian sample: 101010101111 vs 883606788610)', () => {
    expect(revoke(fixture('guardduty-iam-tor-ip-caller-1.json')).targets[0]?.account).toBe('883606788610');
  });

  it('keeps an unknown userType (GeneratedFindingUserType) as an unknown principal, flagged sample', () => {
    const r = revoke(fixture('guardduty-bare-iam-exfiltration-anomalousbehavior-1.json'));
    expect(r.sample).toBe(true);
    expect(r.targets[0]).toMatchObject({ kind: 'unknown-principal', userType: 'GeneratedFindingUserType' });
  });

  it('records eventLastSeen for evidence', () => {
    expect(revoke(fixture('guardduty-iam-recon-networkpermissions-1.json')).eventLastSeen).toBe('2019-09-29T02:58:54.697Z');
  });

  it.each([
    ['guardduty-bare-attacksequence-iam-compromisedcredentials-1.json', /resource type AttackSequence/],
    ['guardduty-bare-iam-privilegeescalation-adminpermissions-1.json', /has no resource/],
    ['guardduty-bare-eks-policy-admintodefaultsa-1.json', /resource type EKSCluster/],
    ['guardduty-bare-s3-pentest-parrotlinux-1.json', /resource type S3Bucket/],
    ['guardduty-ec2-backdoor-spambot-1.json', /resource type Instance/],
    ['guardduty-malware-protection-s3-scan-result-1.json', /is not a finding/],
    ['cloudtrail-api-call-guardduty-createsamplefindings-1.json', /AWS API Call via CloudTrail' is not a finding/],
    ['guardduty-api-getfindings-pascalcase-iam-recon-userpermissions-1.json', /GetFindings API response/],
    ['guardduty-partial-envelope-ec2-sshbruteforce-1.json', /partial EventBridge envelope/],
    ['health-other-ec2-retirement-scheduled-1.json', /AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED is not a credential risk event/],
    ['securityhub-imported-afsbp-ec2-7-1.json', /only through a custom action/],
    ['securityhub-preview-finding-notification-guardduty-2018-1.json', /'Security Hub Finding Notification' is not acted on/],
    ['securityhub-custom-action-afsbp-ec2-8-instance-1.json', /AwsEc2Instance, not AwsIamAccessKey/],
    ['securityhub-asff-bare-guardduty-iam-maliciousipcaller-2018-1.json', /bare Security Hub \(ASFF\) finding/],
    ['cloudtrail-api-call-s3-createbucket-root-1.json', /source aws.s3/],
  ])('skips %s with the reason', (name, reason) => {
    const r = parse(fixture(name));
    expect(r.kind).toBe('skip');
    expect(r.kind === 'skip' && r.reason).toMatch(reason);
  });
});

describe('credential event parsing: AWS Health', () => {
  it('reads the key and user of the current shape from affectedEntities and eventMetadata', () => {
    const r = revoke(fixture('health-credentials-exposed-2.json'));
    expect(r.trigger).toMatchObject({ source: 'aws.health', findingType: 'AWS_RISK_CREDENTIALS_EXPOSED', eventId: '5b53b920-3e7c-6003-589a' });
    expect(r.targets).toEqual([{ kind: 'iam-user-key', account: '1234567890', accessKeyId: 'AKIAXXXXXXXXXX', userName: 'test-1', userCompromised: false }]);
    expect(r.sample).toBe(false);
  });

  it('reads the classic shape (key only in affectedEntities) without a user name', () => {
    const event = structuredClone(fixture('health-credentials-exposed-1.json')) as { detail: { affectedEntities: { entityValue: string }[] } };
    event.detail.affectedEntities[0] = { entityValue: 'AKIAIOSFODNN7EXAMPLE' };
    const r = revoke(event);
    expect(r.targets).toEqual([{ kind: 'iam-user-key', account: '123456789012', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', userCompromised: false }]);
  });

  it('escalates an exposure whose key is a placeholder (real fixture) instead of skipping it', () => {
    const r = revoke(fixture('health-credentials-exposed-1.json'));
    expect(r.targets).toEqual([
      expect.objectContaining({ kind: 'unactionable', code: 'key-unparsable', reason: expect.stringMatching(/names no parsable key id \("ACCESS_KEY_ID_HERE" is not AKIA/) as unknown }),
    ]);
  });

  it('revokes the key AWS quarantined (AWS_RISK_IAM_QUARANTINE) and escalates AWS\'s partial quarantine policy', () => {
    const event = structuredClone(fixture('health-credentials-exposed-2.json')) as { detail: { eventTypeCode: string } };
    event.detail.eventTypeCode = 'AWS_RISK_IAM_QUARANTINE';
    const r = revoke(event);
    expect(r.targets).toEqual([
      { kind: 'iam-user-key', account: '1234567890', accessKeyId: 'AKIAXXXXXXXXXX', userName: 'test-1', userCompromised: false },
      expect.objectContaining({ kind: 'unactionable', code: 'aws-quarantine', subject: 'test-1', reason: expect.stringContaining('AWSCompromisedKeyQuarantine policy to user test-1 (key AKIAXXXXXXXXXX)') as unknown }),
    ]);
  });

  it('quarantines the user named by AWS_RISK_ACCOUNT_CONSOLE_COMPROMISE, and escalates when it names none', () => {
    const event = structuredClone(fixture('health-credentials-exposed-2.json')) as { detail: { eventTypeCode: string; eventMetadata: Record<string, unknown> } };
    event.detail.eventTypeCode = 'AWS_RISK_ACCOUNT_CONSOLE_COMPROMISE';
    expect(revoke(event).targets).toEqual([{ kind: 'iam-user', account: '1234567890', userName: 'test-1', userCompromised: true }]);
    delete event.detail.eventMetadata.userName;
    expect(revoke(event).targets).toEqual([expect.objectContaining({ kind: 'unactionable', code: 'console-compromise', reason: expect.stringContaining('reset the root password and MFA') as unknown })]);
  });

  it.each(['AWS_RISK_CREDENTIALS_COMPROMISED', 'AWS_RISK_CREDENTIALS_COMPROMISE_SUSPECTED', 'AWS_RISK_CREDENTIALS_EXPOSURE_SUSPECTED'])('accepts %s', (code) => {
    const event = structuredClone(fixture('health-credentials-exposed-2.json')) as { detail: { eventTypeCode: string } };
    event.detail.eventTypeCode = code;
    expect(parse(event).kind).toBe('revoke');
  });
});

describe('credential event parsing: principal types', () => {
  it('reads an EC2 instance-role session (AssumedRole, AROA...:i-0abc) as a role session', () => {
    const r = revoke(
      derivedGuardDuty(
        { accessKeyId: 'ASIAEXAMPLE12345678', principalId: 'AROAEXAMPLEROLEID:i-0abc1234def567890', userName: 'WebServerRole', userType: 'AssumedRole' },
        { type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', instanceId: 'i-0abc1234def567890' },
      ),
    );
    expect(r.sample).toBe(false);
    expect(r.targets).toEqual([
      {
        kind: 'role-session',
        account: '742968239728',
        roleName: 'WebServerRole',
        principalId: 'AROAEXAMPLEROLEID:i-0abc1234def567890',
        sessionName: 'i-0abc1234def567890',
        accessKeyId: 'ASIAEXAMPLE12345678',
        instanceId: 'i-0abc1234def567890',
      },
    ]);
  });

  it('reads Root and Federated principals', () => {
    expect(revoke(derivedGuardDuty({ accessKeyId: 'AKIAROOTEXAMPLE00000', principalId: '742968239728', userName: 'Root', userType: 'Root' })).targets[0]).toMatchObject({ kind: 'root' });
    expect(revoke(derivedGuardDuty({ accessKeyId: 'ASIAFEDEXAMPLE000000', principalId: '742968239728:bob', userName: 'bob', userType: 'Federated' })).targets[0]).toMatchObject({
      kind: 'federated',
      principalId: '742968239728:bob',
    });
  });

  it('marks console sign-in findings as the user itself compromised', () => {
    const r = revoke(derivedGuardDuty({ accessKeyId: 'AKIAEXAMPLE000000001', principalId: 'AIDAEXAMPLE', userName: 'alice', userType: 'IAMUser' }, { type: 'UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B' }));
    expect(r.targets[0]).toMatchObject({ kind: 'iam-user-key', userCompromised: true });
  });

  it('skips Policy:* configuration findings', () => {
    const r = parse(derivedGuardDuty({ accessKeyId: 'AKIAEXAMPLE000000001', userName: 'alice', userType: 'IAMUser' }, { type: 'Policy:S3/BucketBlockPublicAccessDisabled' }));
    expect(r.kind === 'skip' && r.reason).toMatch(/configuration change/);
  });
});

describe('credential event parsing: Security Hub custom action', () => {
  it('reads AWS::IAM::AccessKey:null through Details.AwsIamAccessKey.UserName as a compromised user (ConsoleLogin)', () => {
    const r = revoke(fixture('securityhub-custom-action-guardduty-iam-consolelogin-1.json'));
    expect(r.targets).toEqual([{ kind: 'iam-user', account: '644160558196', userName: 'kapil', userCompromised: true }]);
    expect(r.trigger).toMatchObject({ source: 'aws.securityhub', findingType: expect.stringContaining('ConsoleLogin') as unknown });
    expect(r.sample).toBe(false);
  });

  it('skips a null key with no principal name', () => {
    const event = structuredClone(fixture('securityhub-custom-action-guardduty-iam-consolelogin-1.json')) as {
      detail: { findings: { Resources: { Details: unknown }[] }[] };
    };
    const resource = event.detail.findings[0]?.Resources[0];
    if (resource) resource.Details = { AwsIamAccessKey: {} };
    const r = parse(event);
    expect(r.kind === 'skip' && r.reason).toMatch(/access key id is null and Details.AwsIamAccessKey names no user/);
  });

  it('reads the key id embedded in the resource Id', () => {
    const event = structuredClone(fixture('securityhub-custom-action-guardduty-iam-consolelogin-1.json')) as {
      detail: { findings: { Resources: { Id: string }[] }[] };
    };
    const resource = event.detail.findings[0]?.Resources[0];
    if (resource) resource.Id = 'AWS::IAM::AccessKey:AKIAEXAMPLE000000001';
    expect(revoke(event).targets[0]).toMatchObject({ kind: 'iam-user-key', accessKeyId: 'AKIAEXAMPLE000000001', userName: 'kapil' });
  });
});

describe('credential event parsing: manual payloads', () => {
  const base = { action: 'revoke', reason: 'leaked in ticket', requestedBy: 'alice@example.com' };

  it('reads a key, a user and a role request', () => {
    expect(revoke({ ...base, accessKeyId: 'AKIAEXAMPLE000000001' }).targets[0]).toEqual({
      kind: 'iam-user-key',
      account: '111122223333',
      accessKeyId: 'AKIAEXAMPLE000000001',
      userCompromised: false,
    });
    expect(revoke({ ...base, userName: 'bob', account: '222233334444' }).targets[0]).toEqual({ kind: 'iam-user', account: '222233334444', userName: 'bob', userCompromised: true });
    // Naming only the role asks explicitly for the role-wide cut; with an instance, only its sessions.
    expect(revoke({ ...base, roleName: 'App' }).targets[0]).toEqual({ kind: 'role-session', account: '111122223333', roleName: 'App', scope: 'role' });
    expect(revoke({ ...base, roleName: 'App', instanceId: 'i-0abc1234def567890' }).targets[0]).toEqual({ kind: 'role-session', account: '111122223333', roleName: 'App', instanceId: 'i-0abc1234def567890' });
    expect(parse({ ...base, userName: 'bob', instanceId: 'i-0abc1234def567890' })).toMatchObject({ kind: 'skip', reason: expect.stringContaining('instanceId needs roleName') as unknown });
  });

  it('rejects a request naming a role and a user, or with no reason', () => {
    expect(parse({ ...base, roleName: 'App', userName: 'bob' })).toMatchObject({ kind: 'skip', reason: expect.stringMatching(/give accessKeyId/) as unknown });
    expect(parse({ action: 'revoke', userName: 'bob', requestedBy: 'x' })).toMatchObject({ kind: 'skip', reason: expect.stringMatching(/reason/) as unknown });
    expect(parse({ action: 'explode' })).toMatchObject({ kind: 'skip', reason: expect.stringMatching(/must be 'revoke' or 'restore'/) as unknown });
  });

  it('reads a pattern, and the same preview and confirm land in one incident', () => {
    const preview = parse({ ...base, pattern: { pathPrefix: '/ci/', olderThanDays: 90 }, preview: true });
    const confirm = parse({ ...base, pattern: { olderThanDays: 90, pathPrefix: '/ci/' }, confirm: 'a'.repeat(64) });
    expect(preview).toMatchObject({ kind: 'pattern', preview: true, pattern: { pathPrefix: '/ci/', olderThanDays: 90 } });
    expect(confirm).toMatchObject({ kind: 'pattern', preview: false, confirm: 'a'.repeat(64) });
    expect(confirm.incidentId).toBe(preview.incidentId);
  });

  it('reads a restore request', () => {
    expect(parse({ action: 'restore', incidentId: 'inc-0123456789abcdef01234567', reason: 'false positive', requestedBy: 'alice' })).toMatchObject({
      kind: 'restore',
      incidentId: 'inc-0123456789abcdef01234567',
    });
  });

  it('skips non-objects', () => {
    expect(parse(null)).toMatchObject({ kind: 'skip', reason: 'expected an event object, received null' });
    expect(parse('x')).toMatchObject({ kind: 'skip' });
  });
});
