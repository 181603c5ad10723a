import type { Ec2Target } from '../../lambdas/findings/ec2';
import { isolationFromRecords } from '../../lambdas/isolation/evidence-reader';
import { isolationDecision } from '../../lambdas/isolation/decision';
import { planIsolation } from '../../lambdas/isolation/plan';
import { planRelease } from '../../lambdas/isolation/release';
import {
  defaultIsolationConfig,
  type InstanceState,
  type ObservedEni,
  type ObservedSecurityGroup,
  type Step,
} from '../../lambdas/isolation/types';

const ID = 'i-0123456789abcdef0';
const VPC = 'vpc-1';
const INCIDENT = 'inc-000000000000000000000001';
const ALL = { ipProtocol: '-1', prefixListIds: [], groupIds: [] };

const eni = (eniId: string, deviceIndex: number, extra: Partial<ObservedEni> = {}): ObservedEni => ({
  eniId,
  vpcId: VPC,
  groupIds: [`sg-${eniId}`],
  deviceIndex,
  privateIps: [`10.0.0.${deviceIndex + 1}`],
  ipv6: [],
  requesterManaged: false,
  ...extra,
});

const tagged: ObservedSecurityGroup[] = [
  { groupId: 'sg-allow', vpcId: VPC, role: 'allow-all', ingress: [{ ...ALL, ipv4: ['0.0.0.0/0'], ipv6: ['::/0'] }], egress: [{ ...ALL, ipv4: ['0.0.0.0/0'], ipv6: ['::/0'] }] },
  { groupId: 'sg-iso', vpcId: VPC, role: 'isolation', ingress: [], egress: [] },
];

const state = (extra: Partial<InstanceState> = {}): InstanceState => ({
  instance: {
    instanceId: ID,
    state: 'running',
    vpcId: VPC,
    tags: {},
    devices: [{ deviceName: '/dev/xvda', volumeId: 'vol-1', deleteOnTermination: true }],
  },
  enis: [eni('eni-a', 0)],
  volumeIds: ['vol-1'],
  addresses: [],
  isolationGroups: tagged,
  targetGroups: [],
  classicLoadBalancers: [],
  ...extra,
});

const target: Ec2Target = {
  kind: 'guardduty',
  action: 'isolate',
  instance: { instanceId: ID, account: '111111111111', region: 'eu-west-1' },
  incidentId: INCIDENT,
  trigger: { source: 'aws.guardduty', findingId: 'f-1' },
  finding: { id: 'f-1', type: 'Backdoor:EC2/Spambot', severity: 5, sample: false },
  resourceType: 'Instance',
};

const ids = (steps: Step[]) => steps.map((s) => s.id);
const byKind = <K extends Step['kind']>(steps: Step[], kind: K) => steps.filter((s): s is Extract<Step, { kind: K }> => s.kind === kind);

describe('isolation plan', () => {
  it('cuts every ENI, not only the primary, allow-all first then isolation', () => {
    const steps = planIsolation(target, state({ enis: [eni('eni-a', 0), eni('eni-b', 1), eni('eni-c', 2)] }), defaultIsolationConfig);
    for (const e of ['eni-a', 'eni-b', 'eni-c']) {
      const allow = steps.find((s) => s.id === `eni-allow-all:${e}`);
      const isolate = steps.find((s) => s.id === `eni-isolate:${e}`);
      expect(allow).toMatchObject({ kind: 'eni-allow-all', eniId: e, group: { groupId: 'sg-allow' }, before: [`sg-${e}`] });
      expect(isolate).toMatchObject({ kind: 'eni-isolate', eniId: e, group: { groupId: 'sg-iso' }, after: [`eni-allow-all:${e}`] });
      expect(ids(steps).indexOf(`eni-allow-all:${e}`)).toBeLessThan(ids(steps).indexOf(`eni-isolate:${e}`));
      // Existing, correct groups: nothing to wait for but the allow-all step.
      expect(isolate?.needs).toBeUndefined();
    }
    expect(byKind(steps, 'create-security-group')).toEqual([]);
  });

  it('protects the evidence: termination, stop, shutdown behaviour and every volume', () => {
    const devices = [
      { deviceName: '/dev/xvda', volumeId: 'vol-1', deleteOnTermination: true },
      { deviceName: '/dev/sdf', volumeId: 'vol-2', deleteOnTermination: false },
    ];
    const base = state();
    const steps = planIsolation(target, state({ instance: { ...base.instance!, devices }, volumeIds: ['vol-1', 'vol-2'] }), defaultIsolationConfig);
    expect(ids(steps).slice(0, 7)).toEqual([
      'capture-console-output',
      'capture-console-screenshot',
      'tag-instance',
      'protect-termination',
      'protect-stop',
      'shutdown-behaviour-stop',
      'keep-volumes',
    ]);
    expect(byKind(steps, 'keep-volumes')[0]?.devices).toEqual(devices);
    expect(byKind(steps, 'snapshot-volumes')[0]).toMatchObject({ volumeIds: ['vol-1', 'vol-2'], incidentId: INCIDENT });
    expect(byKind(steps, 'tag-instance')[0]?.tags).toEqual({ 'cordon:incident': INCIDENT });
  });

  it('detaches from the ASG and deregisters from two target groups and a classic ELB', () => {
    const steps = planIsolation(
      target,
      state({
        autoScalingGroup: { name: 'web-asg' },
        targetGroups: [
          { arn: 'arn:tg/web', targets: [{ id: ID, port: 80 }] },
          { arn: 'arn:tg/ip', targets: [{ id: '10.0.0.1', port: 8080, availabilityZone: 'all' }] },
        ],
        classicLoadBalancers: ['legacy'],
      }),
      defaultIsolationConfig,
    );
    expect(byKind(steps, 'detach-asg')).toEqual([
      { id: 'detach-asg', action: 'autoscaling:DetachInstances', kind: 'detach-asg', instanceId: ID, autoScalingGroupName: 'web-asg', lifecycleState: 'InService' },
    ]);
    expect(byKind(steps, 'deregister-target-group').map((s) => [s.targetGroupArn, s.targets])).toEqual([
      ['arn:tg/web', [{ id: ID, port: 80 }]],
      ['arn:tg/ip', [{ id: '10.0.0.1', port: 8080, availabilityZone: 'all' }]],
    ]);
    expect(byKind(steps, 'deregister-classic-elb').map((s) => s.loadBalancerName)).toEqual(['legacy']);
    // All independent of the network cut: nothing waits for them, they wait for nothing.
    for (const s of steps.filter((x) => x.kind.startsWith('de') || x.kind === 'detach-asg')) {
      expect(s.after ?? s.needs).toBeUndefined();
    }
  });

  it('disassociates every Elastic IP', () => {
    const steps = planIsolation(
      target,
      state({
        addresses: [
          { associationId: 'eipassoc-1', publicIp: '198.51.100.1', eniId: 'eni-a' },
          { associationId: 'eipassoc-2', publicIp: '198.51.100.2', eniId: 'eni-b' },
        ],
      }),
      defaultIsolationConfig,
    );
    expect(byKind(steps, 'disassociate-address').map((s) => s.address.associationId)).toEqual(['eipassoc-1', 'eipassoc-2']);
  });

  it('plans no profile step for an instance without an instance profile', () => {
    const steps = planIsolation(target, state(), { ...defaultIsolationConfig, quarantineProfileArn: 'arn:aws:iam::1:instance-profile/q' });
    expect(steps.filter((s) => s.kind.includes('profile'))).toEqual([]);
  });

  it('disassociates the instance profile, or replaces it with the quarantine profile', () => {
    const withProfile = state({ profileAssociation: { associationId: 'iip-1', arn: 'arn:aws:iam::1:instance-profile/web' } });
    expect(byKind(planIsolation(target, withProfile, defaultIsolationConfig), 'disassociate-profile')).toEqual([
      { id: 'disassociate-profile', action: 'ec2:DisassociateIamInstanceProfile', kind: 'disassociate-profile', associationId: 'iip-1', before: 'arn:aws:iam::1:instance-profile/web' },
    ]);
    const replaced = planIsolation(target, withProfile, { ...defaultIsolationConfig, quarantineProfileArn: 'arn:aws:iam::1:instance-profile/q' });
    expect(byKind(replaced, 'replace-profile')[0]).toMatchObject({ associationId: 'iip-1', before: 'arn:aws:iam::1:instance-profile/web', profileArn: 'arn:aws:iam::1:instance-profile/q' });
    expect(byKind(replaced, 'disassociate-profile')).toEqual([]);
  });

  it("asks the credential responder to revoke the instance role's sessions once the profile is gone, when configured", () => {
    const withProfile = state({ profileAssociation: { associationId: 'iip-1', arn: 'arn:aws:iam::1:instance-profile/web' } });
    const where = { account: '222222222222', region: 'eu-west-1' };
    const config = { ...defaultIsolationConfig, revokeInstanceSessions: true };
    expect(byKind(planIsolation(target, withProfile, config, where), 'revoke-instance-sessions')).toEqual([
      {
        id: 'revoke-instance-sessions',
        action: 'lambda:InvokeFunction',
        kind: 'revoke-instance-sessions',
        instanceId: ID,
        profileArn: 'arn:aws:iam::1:instance-profile/web',
        account: '222222222222',
        region: 'eu-west-1',
        incidentId: INCIDENT,
        after: ['disassociate-profile'],
      },
    ]);
    const replaced = planIsolation(target, withProfile, { ...config, quarantineProfileArn: 'arn:aws:iam::1:instance-profile/q' }, where);
    expect(byKind(replaced, 'revoke-instance-sessions')[0]?.after).toEqual(['replace-profile']);
    // Not configured, or no profile (no role known): nothing asked.
    expect(byKind(planIsolation(target, withProfile, defaultIsolationConfig, where), 'revoke-instance-sessions')).toEqual([]);
    expect(byKind(planIsolation(target, state(), config, where), 'revoke-instance-sessions')).toEqual([]);
  });

  // Found by the emulator drill: in a dual-stack VPC a new group also gets `::/0` egress; revoking
  // only the IPv4 rule left every "isolated" instance free to send IPv6 traffic out.
  it('revokes both default egress rules of a new isolation group, the IPv6 one in its own call (absent in an IPv4-only VPC)', () => {
    const steps = planIsolation(target, state({ isolationGroups: [] }), defaultIsolationConfig);
    const revokes = byKind(steps, 'revoke-rules').map((s) => [s.id, s.direction, s.rules]);
    expect(revokes).toEqual([
      [`revoke-rules:${VPC}:egress`, 'egress', [{ ...ALL, ipv4: ['0.0.0.0/0'], ipv6: [] }]],
      [`revoke-rules:${VPC}:egress-ipv6`, 'egress', [{ ...ALL, ipv4: [], ipv6: ['::/0'] }]],
    ]);
    // Every ENI waits for the verification, which waits for both revocations.
    for (const s of byKind(steps, 'eni-isolate')) expect(s.needs).toEqual([`verify-groups:${VPC}`]);
    expect(byKind(steps, 'verify-groups')[0]?.needs).toEqual(expect.arrayContaining(revokes.map(([id]) => id)));
  });

  it('creates both groups in a VPC without them, allowing IPv6 as well as IPv4, and makes the ENI steps need them', () => {
    const steps = planIsolation(target, state({ isolationGroups: [], enis: [eni('eni-a', 0, { ipv6: ['2001:db8::1'] })] }), defaultIsolationConfig);
    expect(byKind(steps, 'create-security-group').map((s) => [s.vpcId, s.role, s.groupName])).toEqual([
      [VPC, 'allow-all', 'cordon-isolation-allow-all'],
      [VPC, 'isolation', 'cordon-isolation'],
    ]);
    expect(byKind(steps, 'authorize-allow-all').map((s) => [s.direction, s.ipv4, s.ipv6, s.group])).toEqual([
      ['ingress', true, true, { createdBy: `create-security-group:${VPC}:allow-all` }],
      // The default egress rule already allows 0.0.0.0/0: only ::/0 is missing.
      ['egress', false, true, { createdBy: `create-security-group:${VPC}:allow-all` }],
    ]);
    expect(byKind(steps, 'revoke-rules')).toEqual([
      {
        id: `revoke-rules:${VPC}:egress`,
        action: 'ec2:RevokeSecurityGroupEgress',
        kind: 'revoke-rules',
        group: { createdBy: `create-security-group:${VPC}:isolation` },
        direction: 'egress',
        rules: [{ ...ALL, ipv4: ['0.0.0.0/0'], ipv6: [] }],
        needs: [`create-security-group:${VPC}:isolation`],
      },
      {
        id: `revoke-rules:${VPC}:egress-ipv6`,
        action: 'ec2:RevokeSecurityGroupEgress',
        kind: 'revoke-rules',
        group: { createdBy: `create-security-group:${VPC}:isolation` },
        direction: 'egress',
        rules: [{ ...ALL, ipv4: [], ipv6: ['::/0'] }],
        needs: [`create-security-group:${VPC}:isolation`],
      },
    ]);
    // Both groups are verified (described again) before any ENI is touched.
    expect(byKind(steps, 'verify-groups')).toEqual([
      {
        id: `verify-groups:${VPC}`,
        action: 'ec2:DescribeSecurityGroups',
        kind: 'verify-groups',
        vpcId: VPC,
        allowAll: { createdBy: `create-security-group:${VPC}:allow-all` },
        isolation: { createdBy: `create-security-group:${VPC}:isolation` },
        needs: [
          `create-security-group:${VPC}:allow-all`,
          `authorize-allow-all:${VPC}:ingress`,
          `authorize-allow-all:${VPC}:egress`,
          `create-security-group:${VPC}:isolation`,
          `revoke-rules:${VPC}:egress`,
          `revoke-rules:${VPC}:egress-ipv6`,
        ],
      },
    ]);
    expect(steps.find((s) => s.id === 'eni-allow-all:eni-a')?.needs).toEqual([`verify-groups:${VPC}`]);
    expect(steps.find((s) => s.id === 'eni-isolate:eni-a')?.needs).toEqual([`verify-groups:${VPC}`]);
  });

  it('never lets the allow-all step run before the isolation group is ready too', () => {
    const onlyAllowAll = tagged.filter((g) => g.role === 'allow-all');
    const steps = planIsolation(target, state({ isolationGroups: onlyAllowAll }), defaultIsolationConfig);
    expect(steps.find((s) => s.id === 'eni-allow-all:eni-a')?.needs).toEqual([`verify-groups:${VPC}`]);
    expect(byKind(steps, 'verify-groups')[0]?.needs).toEqual([
      `create-security-group:${VPC}:isolation`,
      `revoke-rules:${VPC}:egress`,
      `revoke-rules:${VPC}:egress-ipv6`,
    ]);
  });

  it('captures console output and a screenshot in the first round, and the cut waits for them only softly', () => {
    const steps = planIsolation(target, state(), defaultIsolationConfig);
    expect(steps.slice(0, 2)).toEqual([
      { id: 'capture-console-output', action: 'ec2:GetConsoleOutput', kind: 'capture-console-output', instanceId: ID },
      { id: 'capture-console-screenshot', action: 'ec2:GetConsoleScreenshot', kind: 'capture-console-screenshot', instanceId: ID },
    ]);
    expect(steps.find((s) => s.id === 'eni-isolate:eni-a')).toMatchObject({
      after: ['eni-allow-all:eni-a'],
      softAfter: ['capture-console-output', 'capture-console-screenshot'],
    });
  });

  it('never records Cordon groups as an ENI\'s originals, and leaves an ENI already cut alone', () => {
    const steps = planIsolation(
      target,
      state({ enis: [eni('eni-a', 0, { groupIds: ['sg-iso'] }), eni('eni-b', 1, { groupIds: ['sg-allow', 'sg-eni-b'] })] }),
      defaultIsolationConfig,
    );
    expect(steps.some((s) => s.id.endsWith('eni-a'))).toBe(false);
    expect(steps.find((s) => s.id === 'eni-isolate:eni-b')).toMatchObject({ before: ['sg-eni-b'] });
  });

  it.each(['InService', 'Standby'])('detaches in %s, recording the scale-in protection for release', (lifecycleState) => {
    const steps = planIsolation(target, state({ autoScalingGroup: { name: 'a', lifecycleState, protectedFromScaleIn: true } }), defaultIsolationConfig);
    expect(byKind(steps, 'detach-asg')[0]).toMatchObject({ lifecycleState, protectedFromScaleIn: true });
    expect(byKind(steps, 'protect-scale-in')).toEqual([]);
  });

  it.each(['Pending', 'Pending:Wait', 'EnteringStandby', 'Warmed:Running'])('protects from scale-in instead of detaching in %s', (lifecycleState) => {
    const steps = planIsolation(target, state({ autoScalingGroup: { name: 'a', lifecycleState, protectedFromScaleIn: false } }), defaultIsolationConfig);
    expect(byKind(steps, 'detach-asg')).toEqual([]);
    expect(byKind(steps, 'protect-scale-in')).toEqual([
      { id: 'protect-scale-in', action: 'autoscaling:SetInstanceProtection', kind: 'protect-scale-in', instanceId: ID, autoScalingGroupName: 'a', protect: true },
    ]);
  });

  it.each(['Terminating', 'Terminating:Wait', 'Terminated'])('neither detaches nor protects in %s (it escalates)', (lifecycleState) => {
    const steps = planIsolation(target, state({ autoScalingGroup: { name: 'a', lifecycleState } }), defaultIsolationConfig);
    expect(steps.filter((s) => s.kind === 'detach-asg' || s.kind === 'protect-scale-in')).toEqual([]);
  });

  it('repairs tagged groups whose rules drifted', () => {
    const drifted: ObservedSecurityGroup[] = [
      { groupId: 'sg-allow', vpcId: VPC, role: 'allow-all', ingress: [{ ...ALL, ipv4: ['0.0.0.0/0'], ipv6: [] }], egress: [{ ...ALL, ipv4: ['0.0.0.0/0'], ipv6: ['::/0'] }] },
      { groupId: 'sg-iso', vpcId: VPC, role: 'isolation', ingress: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipv4: ['203.0.113.0/24'], ipv6: [], prefixListIds: [], groupIds: [] }], egress: [] },
    ];
    const steps = planIsolation(target, state({ isolationGroups: drifted }), defaultIsolationConfig);
    expect(byKind(steps, 'authorize-allow-all').map((s) => [s.direction, s.ipv4, s.ipv6])).toEqual([['ingress', false, true]]);
    expect(byKind(steps, 'revoke-rules').map((s) => [s.group, s.direction, s.rules[0]?.fromPort])).toEqual([[{ groupId: 'sg-iso' }, 'ingress', 22]]);
    expect(steps.find((s) => s.id === 'eni-isolate:eni-a')?.needs).toEqual([`verify-groups:${VPC}`]);
    expect(byKind(steps, 'verify-groups')[0]).toMatchObject({ allowAll: { groupId: 'sg-allow' }, isolation: { groupId: 'sg-iso' } });
  });

  it('leaves requester-managed ENIs alone (their groups cannot be changed)', () => {
    const steps = planIsolation(target, state({ enis: [eni('eni-a', 0), eni('eni-x', 1, { requesterManaged: true })] }), defaultIsolationConfig);
    expect(steps.some((s) => s.id.endsWith('eni-x'))).toBe(false);
  });

  it('plans every step id once', () => {
    const steps = planIsolation(
      target,
      state({
        enis: [eni('eni-a', 0), eni('eni-b', 1)],
        isolationGroups: [],
        autoScalingGroup: { name: 'a' },
        targetGroups: [{ arn: 't', targets: [{ id: ID }] }],
        classicLoadBalancers: ['c'],
        addresses: [{ associationId: 'e' }],
        profileAssociation: { associationId: 'p', arn: 'arn:aws:iam::1:instance-profile/x' },
      }),
      defaultIsolationConfig,
    );
    expect(new Set(ids(steps)).size).toBe(steps.length);
    // Every dependency is planned earlier than its dependant.
    steps.forEach((s, i) => {
      for (const d of [...(s.after ?? []), ...(s.needs ?? []), ...(s.softAfter ?? [])]) expect(ids(steps).indexOf(d)).toBeLessThan(i);
    });
  });
});

describe('isolation decision', () => {
  const manual = (force: boolean): Ec2Target => ({
    kind: 'manual',
    action: 'isolate',
    instance: { instanceId: ID },
    incidentId: INCIDENT,
    trigger: { source: 'manual' },
    reason: 'r',
    requestedBy: 'alice',
    force,
  });
  const protectedState = () => {
    const s = state();
    return { ...s, instance: { ...s.instance!, tags: { 'cordon:protected': 'true' } } };
  };

  it('skips a protected instance, even when a manual request forces it (IAM denies it anyway)', () => {
    expect(isolationDecision(target, protectedState(), defaultIsolationConfig, 'enforce').skip?.reason).toBe('protected');
    expect(isolationDecision(manual(false), protectedState(), defaultIsolationConfig, 'enforce').skip?.reason).toBe('protected');
    expect(isolationDecision(manual(true), protectedState(), defaultIsolationConfig, 'enforce')).toEqual({
      skip: {
        reason: 'protected',
        message: `instance ${ID} is tagged cordon:protected=true (force cannot override it: IAM denies Cordon any change to a protected resource; remove the tag to act)`,
      },
    });
  });

  it('escalates an automatic finding on an instance a person released; a click or a manual request goes on', () => {
    const s = state();
    const released = { ...s, instance: { ...s.instance!, tags: { 'cordon:released': 'inc-released' } } };
    expect(isolationDecision(target, released, defaultIsolationConfig, 'enforce')).toEqual({
      escalate: {
        reason: 'released-by-human',
        message: `instance ${ID} was released by a person after incident inc-released (evidence records/inc-released/); an automatic finding does not isolate it again: isolate it by hand if this finding changes that judgement`,
        releasedBy: { incidentId: 'inc-released', evidence: 'records/inc-released/' },
      },
    });
    const click = { ...target, kind: 'securityhub' } as Ec2Target;
    expect(isolationDecision(click, released, defaultIsolationConfig, 'enforce')).toEqual({});
    expect(isolationDecision(manual(false), released, defaultIsolationConfig, 'enforce')).toEqual({});
  });

  it('skips sample findings in enforce mode only', () => {
    const sample = { ...target, finding: { ...target.finding, sample: true } } as Ec2Target;
    expect(isolationDecision(sample, state(), defaultIsolationConfig, 'enforce').skip?.reason).toBe('sample-finding');
    expect(isolationDecision(sample, state(), defaultIsolationConfig, 'dry-run')).toEqual({});
  });

  it('skips an instance isolated by this or another incident, linking the isolating incident', () => {
    const s = state({ enis: [eni('eni-a', 0, { groupIds: ['sg-iso'] })] });
    const tagged = (incident: string) => ({ ...s, instance: { ...s.instance!, tags: { 'cordon:incident': incident } } });
    expect(isolationDecision(target, tagged(INCIDENT), defaultIsolationConfig, 'enforce').skip?.reason).toBe('already-isolated');
    expect(isolationDecision(target, tagged('inc-other'), defaultIsolationConfig, 'enforce').skip).toEqual({
      reason: 'already-isolated',
      message: `instance ${ID} is already isolated by incident inc-other (evidence records/inc-other/); nothing changed`,
      isolatedBy: { incidentId: 'inc-other', evidence: 'records/inc-other/' },
    });
    // A tag whose ENIs are back on their own groups is not an isolation in place.
    expect(isolationDecision(target, { ...tagged('inc-other'), enis: [eni('eni-a', 0)] }, defaultIsolationConfig, 'enforce')).toEqual({});
    // No tag, but an ENI on Cordon's group: an isolation in progress.
    expect(isolationDecision(target, s, defaultIsolationConfig, 'enforce').skip?.message).toContain('no cordon:incident tag');
  });

  it('goes on with a redelivery of the isolating finding whose cut was incomplete', () => {
    const s = state({ enis: [eni('eni-a', 0, { groupIds: ['sg-iso'] }), eni('eni-b', 1)] });
    const mine = { ...s, instance: { ...s.instance!, tags: { 'cordon:incident': INCIDENT } } };
    expect(isolationDecision(target, mine, defaultIsolationConfig, 'enforce')).toEqual({});
    expect(isolationDecision(target, { ...mine, instance: { ...mine.instance, tags: { 'cordon:incident': 'inc-other' } } }, defaultIsolationConfig, 'enforce').skip?.message).toContain(
      'ENIs not cut by it: eni-b',
    );
  });
});

describe('release plan', () => {
  const released = (extra: Partial<InstanceState> = {}) =>
    state({ enis: [eni('eni-a', 0, { groupIds: ['sg-iso'] }), eni('eni-b', 1, { groupIds: ['sg-iso'] })], ...extra });

  it('restores each ENI\'s original groups, the profile, and the ASG only on request', () => {
    const isolation = {
      incidentId: INCIDENT,
      incidents: [INCIDENT],
      targetGroups: [],
      classicLoadBalancers: [],
      addresses: [],
      protections: [],
      deleteOnTermination: [],
      enis: [
        { eniId: 'eni-a', groupIds: ['sg-web', 'sg-ssh'] },
        { eniId: 'eni-b', groupIds: ['sg-app'] },
      ],
      profileArn: 'arn:aws:iam::1:instance-profile/web',
      autoScalingGroupName: 'web-asg',
    };
    const steps = planRelease({ instance: { instanceId: ID }, reattachAsg: false }, released(), isolation);
    const restoring = ['restore-eni-groups:eni-a', 'restore-eni-groups:eni-b'];
    expect(steps.map((s) => s.id)).toEqual([...restoring, 'mark-released']);
    // Once everything is back: marked released (the next automatic finding escalates), then untagged.
    const tagged = released();
    const marks = planRelease({ instance: { instanceId: ID }, reattachAsg: false }, { ...tagged, instance: { ...tagged.instance!, tags: { 'cordon:incident': INCIDENT } } }, isolation).slice(-2);
    expect(marks).toEqual([
      { id: 'mark-released', action: 'ec2:CreateTags', kind: 'tag-instance', instanceId: ID, tags: { 'cordon:released': isolation.incidentId }, needs: restoring },
      { id: 'untag-instance', action: 'ec2:DeleteTags', kind: 'untag-instance', instanceId: ID, keys: ['cordon:incident'], needs: [...restoring, 'mark-released'] },
    ]);
    expect(steps[0]).toMatchObject({ groupIds: ['sg-web', 'sg-ssh'], before: ['sg-iso'] });
    const withAsg = planRelease({ instance: { instanceId: ID }, reattachAsg: true }, released(), isolation);
    expect(withAsg.at(-2)).toMatchObject({ kind: 'attach-asg', autoScalingGroupName: 'web-asg' });
    // The original profile is never put back by Cordon (it passes the role): no step, whatever is associated now.
    const quarantined = planRelease(
      { instance: { instanceId: ID }, reattachAsg: false },
      released({ profileAssociation: { associationId: 'iip-q', arn: 'arn:aws:iam::1:instance-profile/q' } }),
      isolation,
    );
    expect(quarantined.filter((s) => /profile/.test(s.kind))).toEqual([]);
  });

  it('reads what to restore from the succeeded step records only', () => {
    const step = (seq: number, status: string, s: Record<string, unknown>) => ({ seq, kind: 'step' as const, action: 'x', detail: { status, step: s } });
    const isolation = isolationFromRecords(INCIDENT, [
      { seq: 0, kind: 'intent', action: 'isolate-instance', detail: { plan: [] } },
      step(1, 'succeeded', { kind: 'eni-isolate', eniId: 'eni-a', before: ['sg-web'] }),
      step(2, 'failed', { kind: 'eni-isolate', eniId: 'eni-b', before: ['sg-app'] }),
      step(3, 'succeeded', { kind: 'disassociate-profile', before: 'arn:aws:iam::1:instance-profile/web' }),
      step(4, 'not-run', { kind: 'detach-asg', autoScalingGroupName: 'web-asg' }),
      step(5, 'succeeded', { kind: 'keep-volumes', before: [{ deviceName: '/dev/xvda' }] }),
    ]);
    expect(isolation).toEqual({
      incidentId: INCIDENT,
      incidents: [INCIDENT],
      enis: [{ eniId: 'eni-a', groupIds: ['sg-web'] }],
      profileArn: 'arn:aws:iam::1:instance-profile/web',
      targetGroups: [],
      classicLoadBalancers: [],
      addresses: [],
      protections: [],
      deleteOnTermination: [],
    });
    expect(isolationFromRecords(INCIDENT, [step(1, 'failed', { kind: 'eni-isolate', eniId: 'eni-a', before: [] })])).toBeUndefined();
  });
});
