import { parseEc2Event, type Ec2SkipReason } from '../../lambdas/findings/ec2';
import { guardDutyIncidentId } from '../../lambdas/findings/guardduty';
import { copyOf, fixture, fixtureNames } from '../support/fixtures';

type Expected =
  | { target: { instanceId: string; account?: string; region?: string; sample: boolean; kind: 'guardduty' | 'securityhub' } }
  | { skip: Ec2SkipReason | Ec2SkipReason[] };

/**
 * What the isolation parser makes of every real sample. A fixture added later without an entry here
 * is still covered by the generic rules below (never throws; a target or a skip with a known reason).
 */
const EXPECTED: Record<string, Expected> = {
  // GuardDuty Finding events on instances
  'guardduty-ec2-backdoor-cc-activity-b-dns-1.json': {
    // envelope account 101010101111 emitted the event; the instance lives in detail.accountId
    target: { kind: 'guardduty', instanceId: 'i-99999999', account: '883606788610', region: 'us-east-1', sample: true },
  },
  'guardduty-ec2-backdoor-spambot-1.json': {
    target: { kind: 'guardduty', instanceId: 'i-99999999', account: '303697492861', region: 'ca-central-1', sample: true },
  },
  // console test event, SSH brute force INBOUND with the instance as TARGET: a victim
  'guardduty-partial-envelope-ec2-sshbruteforce-1.json': { skip: 'victim-of-inbound' },
  // bare findings (S3 export, drills, `cordon invoke`); a real SSH brute force against the instance
  'guardduty-bare-ec2-sshbruteforce-1.json': { skip: 'victim-of-inbound' },
  'guardduty-bare-ec2-trojan-dgadomainrequest-b-1.json': {
    target: { kind: 'guardduty', instanceId: 'i-99999999', account: '123456789012', region: 'eu-west-1', sample: true },
  },
  'guardduty-bare-ec2-trojan-blackholetraffic-dns-1.json': {
    target: { kind: 'guardduty', instanceId: 'i-99999999', account: '123412341234', region: 'us-east-1', sample: true },
  },
  // a port probe is inbound by nature: the instance is the TARGET
  'guardduty-bare-ec2-recon-portprobeunprotectedport-1.json': { skip: 'victim-of-inbound' },
  'guardduty-bare-ec2-unauthorizedaccess-torrelay-1.json': {
    target: { kind: 'guardduty', instanceId: 'i-99999999', account: '111111111111', region: 'eu-west-2', sample: true },
  },
  'guardduty-bare-ec2-canary-stateless-integtest-1.json': {
    target: { kind: 'guardduty', instanceId: 'i-05746eb48123455e0', account: '123456789012', region: 'us-east-1', sample: false },
  },
  'guardduty-bare-runtime-container-dockersocketaccessed-1.json': {
    // Runtime Monitoring: resourceType Container, the EC2 host in instanceDetails
    target: { kind: 'guardduty', instanceId: 'i-abcd1234', account: '123456789', region: 'us-west-1', sample: false },
  },
  // GuardDuty findings on other resources (some carry instanceDetails as a sample artefact)
  'guardduty-bare-iam-maliciousipcaller-1.json': { skip: 'not-an-ec2-finding' },
  'guardduty-bare-iam-recon-maliciousipcaller-custom-1.json': { skip: 'not-an-ec2-finding' },
  'guardduty-bare-iam-exfiltration-anomalousbehavior-1.json': { skip: 'not-an-ec2-finding' },
  'guardduty-bare-iam-privilegeescalation-adminpermissions-1.json': { skip: 'not-an-ec2-finding' },
  'guardduty-bare-attacksequence-iam-compromisedcredentials-1.json': { skip: 'not-an-ec2-finding' },
  'guardduty-bare-s3-pentest-parrotlinux-1.json': { skip: 'not-an-ec2-finding' },
  'guardduty-bare-s3-discovery-maliciousipcaller-custom-1.json': { skip: 'not-an-ec2-finding' },
  'guardduty-bare-eks-policy-admintodefaultsa-1.json': { skip: 'not-an-ec2-finding' },
  'guardduty-iam-recon-networkpermissions-1.json': { skip: 'not-an-ec2-finding' },
  'guardduty-iam-tor-ip-caller-1.json': { skip: 'not-an-ec2-finding' },
  // Other detail-types on the same sources
  'guardduty-malware-protection-s3-scan-result-1.json': { skip: 'unsupported-detail-type' },
  'cloudtrail-api-call-guardduty-createsamplefindings-1.json': { skip: 'unsupported-detail-type' },
  'securityhub-imported-afsbp-ec2-7-1.json': { skip: 'unsupported-detail-type' },
  'securityhub-preview-finding-notification-guardduty-2018-1.json': { skip: 'unsupported-detail-type' },
  // Security Hub custom actions
  'securityhub-custom-action-afsbp-ec2-8-instance-1.json': {
    target: { kind: 'securityhub', instanceId: 'i-0bf2bf6b175654c6e', account: '123456789012', region: 'ap-southeast-2', sample: false },
  },
  'securityhub-custom-action-afsbp-ec2-7-1.json': { skip: 'no-ec2-instance' },
  'securityhub-custom-action-afsbp-multi-1.json': { skip: ['no-ec2-instance', 'no-ec2-instance'] },
  'securityhub-custom-action-guardduty-iam-consolelogin-1.json': { skip: 'no-ec2-instance' },
  // Other sources
  'cloudtrail-api-call-iam-deleterolepermissionsboundary-1.json': { skip: 'unsupported-source' },
  'cloudtrail-api-call-s3-createbucket-root-1.json': { skip: 'unsupported-source' },
  'cloudtrail-console-signin-root-1.json': { skip: 'unsupported-source' },
  'health-credentials-exposed-1.json': { skip: 'unsupported-source' },
  'health-credentials-exposed-2.json': { skip: 'unsupported-source' },
  'health-other-ec2-retirement-scheduled-1.json': { skip: 'unsupported-source' },
  // Not events: API responses, bare ASFF, bare CloudTrail records
  'guardduty-api-getfindings-pascalcase-iam-recon-userpermissions-1.json': { skip: 'unrecognised-event' },
  'securityhub-api-getfindings-guardduty-ec2-bitcointool-2018-1.json': { skip: 'unrecognised-event' },
  'securityhub-asff-bare-guardduty-ec2-sshbruteforce-1.json': { skip: 'unrecognised-event' },
  'securityhub-asff-bare-guardduty-ec2-toripcaller-2018-1.json': { skip: 'unrecognised-event' },
  'securityhub-asff-bare-guardduty-iam-maliciousipcaller-2018-1.json': { skip: 'unrecognised-event' },
  'cloudtrail-record-bare-iam-createaccesskey-1.json': { skip: 'unrecognised-event' },
  'cloudtrail-record-bare-putuserpolicy-compromisedkeyquarantine-1.json': { skip: 'unrecognised-event' },
};

const KNOWN_REASONS: readonly Ec2SkipReason[] = [
  'unrecognised-event',
  'unsupported-source',
  'unsupported-detail-type',
  'invalid-finding',
  'not-an-ec2-finding',
  'no-ec2-instance',
  'invalid-instance-id',
  'invalid-manual-request',
  'finding-not-found',
  'victim-of-inbound',
];

describe('ec2 event parsing over every real fixture', () => {
  it.each(fixtureNames())('parses or skips %s with a specific reason', (name) => {
    const result = parseEc2Event(fixture(name));
    expect(result.targets.length + result.skips.length).toBeGreaterThan(0);
    for (const skip of result.skips) {
      expect(KNOWN_REASONS).toContain(skip.reason);
      expect(skip.message).toMatch(/expected .+, /);
      expect(skip.incidentId).toMatch(/^inc-[0-9a-f]{24}$/);
    }
    for (const target of result.targets) {
      expect(target.instance.instanceId).toMatch(/^i-[0-9a-f]{8,17}$/);
      expect(target.incidentId).toMatch(/^inc-[0-9a-f]{24}$/);
    }

  });

  it.each(Object.keys(EXPECTED))('makes of %s exactly what is expected', (name) => {
    const result = parseEc2Event(fixture(name));
    const actual: Expected =
      result.targets.length === 0
        ? { skip: result.skips.length === 1 ? (result.skips[0]?.reason ?? 'unrecognised-event') : result.skips.map((s) => s.reason) }
        : {
            target: {
              kind: result.targets[0]?.kind === 'securityhub' ? 'securityhub' : 'guardduty',
              instanceId: result.targets[0]?.instance.instanceId ?? '',
              ...(result.targets[0]?.instance.account ? { account: result.targets[0].instance.account } : {}),
              ...(result.targets[0]?.instance.region ? { region: result.targets[0].instance.region } : {}),
              sample: Boolean(result.targets[0] && 'finding' in result.targets[0] && result.targets[0].finding?.sample),
            },
          };
    expect(actual).toEqual(EXPECTED[name]);
    expect(result.targets.length + result.skips.length).toBe(1 + (name === 'securityhub-custom-action-afsbp-multi-1.json' ? 1 : 0));
  });

  it('has an expectation for every fixture present today', () => {
    expect(Object.keys(EXPECTED).filter((n) => !fixtureNames().includes(n))).toEqual([]);
  });
});

describe('guardduty finding events', () => {
  const spambot = () =>
    copyOf(fixture('guardduty-ec2-backdoor-spambot-1.json')) as {
      detail: Record<string, unknown> & { severity: unknown; service: { additionalInfo: Record<string, unknown> }; resource: Record<string, unknown> };
    };

  it('accepts a severity written as a string ("5.0")', () => {
    const event = spambot();
    event.detail.severity = '5.0';
    const [target] = parseEc2Event(event).targets;
    expect(target?.trigger.severity).toBe(5);
  });

  it('skips, rather than crashes on, a finding with an unreadable severity', () => {
    const event = spambot();
    event.detail.severity = 'high';
    expect(parseEc2Event(event).skips.map((s) => s.reason)).toEqual(['invalid-finding']);
  });

  it.each([
    [true, true],
    ['true', true],
    [' True ', true],
    [false, false],
    ['false', false],
  ])('reads additionalInfo.sample = %p as sample %p', (sample, expected) => {
    const event = spambot();
    event.detail.service.additionalInfo = { sample };
    expect(parseEc2Event(event).targets[0]).toMatchObject({ finding: { sample: expected } });
  });

  it('reads the sample flag from the API form ({value: "<json>", type})', () => {
    const event = spambot();
    event.detail.service.additionalInfo = { value: '{"sample":true}', type: 'default' };
    expect(parseEc2Event(event).targets[0]).toMatchObject({ finding: { sample: true } });
  });

  it('puts every delivery of one finding in one incident', () => {
    const event = spambot();
    const a = parseEc2Event(event).targets[0];
    const b = parseEc2Event({ ...event, id: 'another-delivery' }).targets[0];
    expect(a?.incidentId).toBe(b?.incidentId);
    expect(a?.incidentId).toBe(guardDutyIncidentId('303697492861', '7ebc050b71c556086b524045c9067feb'));
  });

  it('skips a finding on an instance whose id is not an instance id', () => {
    const event = spambot();
    (event.detail.resource.instanceDetails as Record<string, unknown>).instanceId = 'GeneratedFindingInstanceId';
    expect(parseEc2Event(event).skips.map((s) => s.reason)).toEqual(['invalid-instance-id']);
  });

  it('skips an event that is not an object', () => {
    expect(parseEc2Event('hello').skips[0]?.reason).toBe('unrecognised-event');
    expect(parseEc2Event(null).skips[0]?.reason).toBe('unrecognised-event');
    expect(parseEc2Event([1]).skips[0]?.message).toContain('an array');
  });
});

describe('victim or actor', () => {
  const bruteForce = () =>
    copyOf(fixture('guardduty-bare-ec2-sshbruteforce-1.json')) as Record<string, unknown> & {
      severity: number;
      service: { resourceRole: string; action: { networkConnectionAction: { connectionDirection: string } } };
    };

  it.each([2, 5, 8, 10])('skips the TARGET of an inbound SSH brute force at severity %p, with the reason', (severity) => {
    const finding = bruteForce();
    finding.severity = severity;
    const result = parseEc2Event(finding);
    expect(result.targets).toEqual([]);
    expect(result.skips).toEqual([
      expect.objectContaining({
        reason: 'victim-of-inbound',
        instanceId: 'i-081de1d7604b11e4a',
        message:
          'expected the instance to be the actor, received UnauthorizedAccess:EC2/SSHBruteForce with i-081de1d7604b11e4a as the TARGET of an inbound connection: ' +
          'a victim is hardened, not isolated; to isolate it anyway, send a manual isolate request naming the instance id',
      }),
    ]);
  });

  it('isolates the instance that brute-forces others (ACTOR, OUTBOUND)', () => {
    const finding = bruteForce();
    finding.service.resourceRole = 'ACTOR';
    finding.service.action.networkConnectionAction.connectionDirection = 'OUTBOUND';
    expect(parseEc2Event(finding).targets.map((t) => t.instance.instanceId)).toEqual(['i-081de1d7604b11e4a']);
  });

  it('isolates a TARGET whose connection is OUTBOUND (the instance called out: TARGET alone says nothing)', () => {
    const finding = bruteForce();
    finding.service.action.networkConnectionAction.connectionDirection = 'OUTBOUND';
    expect(parseEc2Event(finding).targets).toHaveLength(1);
  });

  it('skips a Security Hub custom action on a GuardDuty inbound brute force (ProductFields say TARGET, INBOUND)', () => {
    const event = copyOf(fixture('securityhub-custom-action-afsbp-ec2-8-instance-1.json')) as { detail: { findings: Record<string, unknown>[] } };
    const asff = fixture('securityhub-asff-bare-guardduty-ec2-sshbruteforce-1.json') as { ProductFields: Record<string, string> };
    event.detail.findings[0]!.ProductFields = asff.ProductFields;
    const result = parseEc2Event(event);
    expect(result.targets).toEqual([]);
    expect(result.skips.map((s) => [s.reason, s.instanceId])).toEqual([['victim-of-inbound', 'i-0bf2bf6b175654c6e']]);
  });
});

describe('security hub custom actions', () => {
  it('finds the instance id inside the resource ARN', () => {
    const [target] = parseEc2Event(fixture('securityhub-custom-action-afsbp-ec2-8-instance-1.json')).targets;
    expect(target).toMatchObject({ kind: 'securityhub', customAction: 'Forensic Triage', finding: { type: expect.stringContaining('Software and Configuration Checks') } });
  });

  it('takes a GuardDuty-originated finding into the GuardDuty incident', () => {
    const event = copyOf(fixture('securityhub-custom-action-afsbp-ec2-8-instance-1.json')) as { detail: { findings: Record<string, unknown>[] } };
    const finding = event.detail.findings[0]!;
    finding.Id = 'arn:aws:guardduty:ap-southeast-2:123456789012:detector/det/finding/f00d';
    finding.ProductFields = { 'aws/guardduty/service/additionalInfo/sample': 'true' };
    const [target] = parseEc2Event(event).targets;
    expect(target?.incidentId).toBe(guardDutyIncidentId('123456789012', 'f00d'));
    expect(target).toMatchObject({ finding: { sample: true } });
  });
});

describe('manual requests', () => {
  const base = { reason: 'suspected miner', requestedBy: 'alice@example.com' };

  it('parses an isolate request', () => {
    const result = parseEc2Event(
      { action: 'isolate', instanceId: 'i-0123456789abcdef0', account: '222222222222', region: 'eu-west-1', ticket: 'IR-1', force: true, ...base },
      { requestId: 'req-1' },
    );
    expect(result.targets).toEqual([
      {
        kind: 'manual',
        action: 'isolate',
        instance: { instanceId: 'i-0123456789abcdef0', account: '222222222222', region: 'eu-west-1' },
        incidentId: expect.stringMatching(/^inc-/),
        trigger: { source: 'manual', eventId: 'req-1' },
        reason: base.reason,
        requestedBy: base.requestedBy,
        ticket: 'IR-1',
        force: true,
      },
    ]);
  });

  it('parses a release request, not reattaching the ASG by default', () => {
    const [target] = parseEc2Event({ action: 'release', instanceId: 'i-0123456789abcdef0', ...base }).targets;
    expect(target).toMatchObject({ action: 'release', reattachAsg: false });
  });

  it('turns a request naming a finding into a GetFindings request', () => {
    const result = parseEc2Event({ action: 'isolate', findingId: 'f1', detectorId: 'd1', region: 'eu-west-1', ...base });
    expect(result.findingRequests).toEqual([
      expect.objectContaining({ kind: 'manual-finding', findingId: 'f1', detectorId: 'd1', region: 'eu-west-1', force: false }),
    ]);
  });

  it.each([
    [{ action: 'isolate', instanceId: 'i-0123456789abcdef0', reason: 'r' }, 'requestedBy'],
    [{ action: 'isolate', instanceId: 'web-1', ...base }, 'instanceId'],
    [{ action: 'isolate', ...base }, 'neither'],
    [{ action: 'isolate', instanceId: 'i-0123456789abcdef0', findingId: 'f', detectorId: 'd', ...base }, 'instanceId and findingId'],
    [{ action: 'reboot', instanceId: 'i-0123456789abcdef0', ...base }, 'action'],
    [{ action: 'isolate', instanceId: 'i-0123456789abcdef0', account: '12345', ...base }, 'account'],
    [{ action: 'isolate', instanceId: 'i-0123456789abcdef0', force: 'yes', ...base }, 'force'],
  ])('rejects %j as an invalid manual request naming %s', (request, what) => {
    const [skip] = parseEc2Event(request).skips;
    expect(skip?.reason).toBe('invalid-manual-request');
    expect(skip?.message).toContain(what);
  });
});
