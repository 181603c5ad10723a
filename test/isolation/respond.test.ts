import { CreateSecurityGroupCommand, EC2Client, ModifyInstanceAttributeCommand } from '@aws-sdk/client-ec2';
import { GetFindingsCommand } from '@aws-sdk/client-guardduty';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { guardDutyIncidentId } from '../../lambdas/findings/guardduty';
import { fixedGuardrails } from '../../lambdas/guardrails/types';
import { respond, type RespondDeps } from '../../lambdas/isolation/respond';
import { TransientAwsError } from '../../lambdas/shared/errors';
import {
  ALLOW_ALL_SG,
  asgMock,
  awsError,
  busyWorld,
  ec2Mock,
  elbMock,
  elbv2Mock,
  INSTANCE_ID,
  ISOLATION_SG,
  plainWorld,
  stsMock,
} from '../support/aws-world';
import { copyOf, fixture } from '../support/fixtures';
import { findingId, firstMutating, gdMock, guardDutyEvent, HOME, manual, MEMBER, REGION, releaseRequest, setup, type Setup } from './support';
import { authorizeAs } from '../support/authz';

authorizeAs('isolation');

describe('isolation response', () => {
  it('writes the intent record before the first mutating call and cuts every ENI: allow-all, then isolation', async () => {
    const { deps, order, calls, evidence, world } = setup();
    const summary = await respond(guardDutyEvent(), deps);

    expect(summary.decision).toBe('act');
    expect(summary.reason).toBeUndefined();
    expect(summary.incidentId).toBe(guardDutyIncidentId(HOME, findingId));
    const intentAt = order.indexOf('evidence:intent');
    expect(intentAt).toBeGreaterThan(-1);
    expect(firstMutating(order)).toBeGreaterThan(intentAt);
    expect(order.slice(0, intentAt).every((o) => /:(Describe)/.test(o) || o === 'evidence:intent')).toBe(true);

    for (const eni of ['eni-0aaa', 'eni-0bbb', 'eni-0ccc']) {
      const mods = calls.filter((c) => c.command === 'ModifyNetworkInterfaceAttribute' && c.input.NetworkInterfaceId === eni);
      expect(mods.map((c) => c.input.Groups)).toEqual([[ALLOW_ALL_SG], [ISOLATION_SG]]);
      expect(world.enis.find((e) => e.id === eni)?.groups).toEqual([ISOLATION_SG]);
    }
    expect(evidence.records.map((r) => r.kind)[0]).toBe('intent');
    expect(evidence.records.at(-1)?.kind).toBe('outcome');
  });

  it('makes exactly the calls of the plan, with the documented parameters', async () => {
    const { deps, evidence } = setup();
    const summary = await respond(guardDutyEvent(), deps);
    const incidentId = summary.incidentId;

    expect(ec2Mock).toHaveReceivedCommandWith(ModifyInstanceAttributeCommand, { InstanceId: INSTANCE_ID, DisableApiTermination: { Value: true } });
    expect(ec2Mock).toHaveReceivedCommandWith(ModifyInstanceAttributeCommand, { InstanceId: INSTANCE_ID, DisableApiStop: { Value: true } });
    expect(ec2Mock).toHaveReceivedCommandWith(ModifyInstanceAttributeCommand, {
      InstanceId: INSTANCE_ID,
      InstanceInitiatedShutdownBehavior: { Value: 'stop' },
    });
    expect(ec2Mock).toHaveReceivedCommandWith(ModifyInstanceAttributeCommand, {
      InstanceId: INSTANCE_ID,
      BlockDeviceMappings: [
        { DeviceName: '/dev/xvda', Ebs: { DeleteOnTermination: false } },
        { DeviceName: '/dev/sdf', Ebs: { DeleteOnTermination: false } },
      ],
    });
    const names = (mock: { calls: () => { args: unknown[] }[] }) =>
      mock.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);
    expect(names(asgMock)).toEqual(['DescribeAutoScalingInstancesCommand', 'DetachInstancesCommand']);
    expect(asgMock.calls()[1]?.args[0]).toMatchObject({
      input: { AutoScalingGroupName: 'web-asg', InstanceIds: [INSTANCE_ID], ShouldDecrementDesiredCapacity: false },
    });
    expect(elbv2Mock.calls().filter((c) => (c.args[0] as object).constructor.name === 'DeregisterTargetsCommand').map((c) => (c.args[0] as { input: unknown }).input)).toEqual([
      { TargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/web/1', Targets: [{ Id: INSTANCE_ID, Port: 80 }] },
      { TargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/api/2', Targets: [{ Id: '10.0.1.10', Port: 8080 }] },
    ]);
    expect(names(elbMock)).toEqual(['DescribeLoadBalancersCommand', 'DeregisterInstancesFromLoadBalancerCommand']);
    expect((elbMock.calls()[1]?.args[0] as { input: unknown }).input).toEqual({ LoadBalancerName: 'legacy-web', Instances: [{ InstanceId: INSTANCE_ID }] });

    const ec2Writes = ec2Mock
      .calls()
      .map((c) => c.args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> })
      .filter((c) => !/^(Describe|Get)/.test(c.constructor.name));
    const byName = (n: string) => ec2Writes.filter((c) => c.constructor.name === n).map((c) => c.input);
    expect(byName('DisassociateAddressCommand')).toEqual([{ AssociationId: 'eipassoc-0aaa' }, { AssociationId: 'eipassoc-0bbb' }]);
    expect(byName('DisassociateIamInstanceProfileCommand')).toEqual([{ AssociationId: 'iip-assoc-0aaa' }]);
    expect(byName('CreateSnapshotsCommand')).toEqual([
      {
        InstanceSpecification: { InstanceId: INSTANCE_ID, ExcludeBootVolume: false },
        CopyTagsFromSource: 'volume',
        Description: `Cordon ${incidentId}: evidence snapshot of ${INSTANCE_ID}`,
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'cordon:incident', Value: incidentId }] }],
      },
    ]);
    expect(byName('CreateTagsCommand')).toEqual([{ Resources: [INSTANCE_ID], Tags: [{ Key: 'cordon:incident', Value: incidentId }] }]);
    expect(byName('CreateSecurityGroupCommand')).toEqual([]);
    expect(byName('ModifyInstanceAttributeCommand')).toHaveLength(4);
    expect(byName('ModifyNetworkInterfaceAttributeCommand')).toHaveLength(6);
    expect(ec2Writes).toHaveLength(4 + 6 + 2 + 1 + 1 + 1);

    const steps = evidence.ofKind('step');
    expect(steps).toHaveLength(summary.steps.length);
    expect(steps.every((r) => (r.awsRequestIds ?? []).length === 1)).toBe(true);
    const outcome = evidence.ofKind('outcome')[0];
    expect(outcome?.after).toEqual({ succeeded: summary.steps.length, failed: 0, notRun: 0, networkCut: true });
    expect(summary.evidenceKeys).toHaveLength(evidence.records.length);
  });

  it('records the whole plan and the original state in the intent record', async () => {
    const { deps, evidence } = setup();
    await respond(guardDutyEvent(), deps);
    const intent = evidence.ofKind('intent')[0];
    const plan = (intent?.detail?.plan ?? []) as { id: string; kind: string }[];
    expect(intent?.detail?.dryRun).toBe(false);
    expect(plan.map((s) => s.id)).toEqual(expect.arrayContaining(['eni-isolate:eni-0aaa', 'detach-asg', 'snapshot-volumes']));
    expect(intent?.before).toMatchObject({
      enis: [
        { eniId: 'eni-0aaa', groupIds: ['sg-0web', 'sg-0ssh'], ipv6: ['2001:db8::10'] },
        { eniId: 'eni-0bbb', groupIds: ['sg-0app'] },
        { eniId: 'eni-0ccc', groupIds: ['sg-0db'] },
      ],
      autoScalingGroup: 'web-asg',
      instanceProfile: 'arn:aws:iam::111111111111:instance-profile/web',
    });
    expect(intent?.target).toEqual({ type: 'ec2-instance', id: INSTANCE_ID, account: HOME, region: REGION });
    expect(intent?.trigger).toMatchObject({ source: 'aws.guardduty', findingId, findingType: 'Backdoor:EC2/Spambot', severity: 5 });
  });

  it('creates the isolation groups once, sets their rules, then uses them in order', async () => {
    const { deps, order, calls, world } = setup({ world: plainWorld() });
    const summary = await respond(guardDutyEvent(), deps);
    expect(summary.steps.every((s) => s.status === 'succeeded')).toBe(true);

    const creates = calls.filter((c) => c.command === 'CreateSecurityGroup');
    expect(creates.map((c) => c.input.GroupName).sort()).toEqual(['cordon-isolation', 'cordon-isolation-allow-all']);
    for (const c of creates) {
      expect(c.input.VpcId).toBe('vpc-0a1b2c3d');
      expect(c.input.TagSpecifications).toEqual([
        {
          ResourceType: 'security-group',
          Tags: [
            { Key: 'cordon:isolation', Value: c.input.GroupName === 'cordon-isolation' ? 'isolation' : 'allow-all' },
            { Key: 'Name', Value: c.input.GroupName },
          ],
        },
      ]);
    }
    const isolation = world.securityGroups.find((g) => g.name === 'cordon-isolation');
    const allowAll = world.securityGroups.find((g) => g.name === 'cordon-isolation-allow-all');
    expect(isolation?.ingress).toEqual([]);
    expect(isolation?.egress).toEqual([]);
    expect(calls.find((c) => c.command === 'RevokeSecurityGroupEgress')?.input).toEqual({
      GroupId: isolation?.id,
      IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    });
    expect(calls.find((c) => c.command === 'AuthorizeSecurityGroupIngress')?.input).toEqual({
      GroupId: allowAll?.id,
      IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] }],
    });
    expect(calls.find((c) => c.command === 'AuthorizeSecurityGroupEgress')?.input).toEqual({
      GroupId: allowAll?.id,
      IpPermissions: [{ IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }],
    });
    const at = (name: string) => order.indexOf(`ec2:${name}`);
    expect(at('CreateSecurityGroup')).toBeGreaterThan(order.indexOf('evidence:intent'));
    expect(at('AuthorizeSecurityGroupIngress')).toBeLessThan(order.indexOf('ec2:ModifyNetworkInterfaceAttribute'));
    expect(at('RevokeSecurityGroupEgress')).toBeLessThan(order.lastIndexOf('ec2:ModifyNetworkInterfaceAttribute'));
    expect(world.enis[0]?.groups).toEqual([isolation?.id]);

    // A second finding in the same VPC reuses the groups.
    world.tags = { Name: 'web-1' };
    world.enis[0]!.groups = ['sg-0web'];
    ec2Mock.resetHistory();
    await respond(manual(), deps);
    expect(ec2Mock).toHaveReceivedCommandTimes(CreateSecurityGroupCommand, 0);
  });

  it('uses the group another responder just created when CreateSecurityGroup races', async () => {
    const world = plainWorld();
    let raced = false;
    const { deps, calls } = setup({
      world,
      fail: (call) => {
        if (call.command === 'CreateSecurityGroup' && call.input.GroupName === 'cordon-isolation' && !raced) {
          raced = true;
          // Created by another responder: with the tag its CreateSecurityGroup had to carry.
          world.securityGroups.push({ id: 'sg-0other', vpcId: 'vpc-0a1b2c3d', name: 'cordon-isolation', tags: { 'cordon:isolation': 'isolation' }, ingress: [], egress: [] });
          return awsError('InvalidGroup.Duplicate');
        }
        return undefined;
      },
    });
    const summary = await respond(guardDutyEvent(), deps);
    expect(summary.steps.every((s) => s.status === 'succeeded')).toBe(true);
    expect(calls.filter((c) => c.command === 'ModifyNetworkInterfaceAttribute').at(-1)?.input.Groups).toEqual(['sg-0other']);
  });

  it('replaces the instance profile with the quarantine profile when configured', async () => {
    const quarantine = 'arn:aws:iam::111111111111:instance-profile/cordon-quarantine';
    const { deps, calls, world } = setup({ config: { quarantineProfileArn: quarantine } });
    await respond(guardDutyEvent(), deps);
    expect(calls.find((c) => c.command === 'ReplaceIamInstanceProfileAssociation')?.input).toEqual({
      AssociationId: 'iip-assoc-0aaa',
      IamInstanceProfile: { Arn: quarantine },
    });
    expect(calls.some((c) => c.command === 'DisassociateIamInstanceProfile')).toBe(false);
    expect(world.profile?.arn).toBe(quarantine);
  });

  it('writes only the intent record, marked dry-run, in dry-run mode', async () => {
    const { deps, evidence, mutating } = setup({ mode: 'dry-run' });
    const summary = await respond(guardDutyEvent(), deps);
    expect(summary).toMatchObject({ decision: 'dry-run', steps: [] });
    expect(mutating()).toEqual([]);
    expect(evidence.records.map((r) => [r.kind, r.mode, r.detail?.dryRun])).toEqual([['intent', 'dry-run', true]]);
  });

  it('plans sample findings in dry-run mode (only enforce refuses them)', async () => {
    const { deps, evidence, mutating } = setup({ mode: 'dry-run' });
    const summary = await respond(guardDutyEvent({ sample: 'true' }), deps);
    expect(summary.decision).toBe('dry-run');
    expect(mutating()).toEqual([]);
    expect(evidence.ofKind('intent')).toHaveLength(1);
  });

  describe('skips', () => {
    const expectSkip = async (setupOptions: Setup, event: unknown, reason: string) => {
      const s = setup(setupOptions);
      const summary = await respond(event, s.deps);
      expect(summary).toMatchObject({ decision: 'skip', reason });
      expect(s.mutating()).toEqual([]);
      expect(s.evidence.records.map((r) => [r.kind, r.action])).toEqual([['skip', `skip:${reason}`]]);
      return { ...s, summary };
    };

    it('skips a protected instance', async () => {
      const world = busyWorld();
      world.tags['cordon:protected'] = 'true';
      await expectSkip({ world }, guardDutyEvent(), 'protected');
    });

    it('skips a protected instance for a manual request without force', async () => {
      const world = busyWorld();
      world.tags['cordon:protected'] = 'true';
      await expectSkip({ world }, manual(), 'protected');
    });

    it('skips a protected instance even when forced, changing nothing and saying why', async () => {
      const world = busyWorld();
      world.tags['cordon:protected'] = 'true';
      const { evidence } = await expectSkip({ world }, manual({ force: true }), 'protected');
      expect(evidence.records[0]?.reason).toContain('force cannot override it');
    });

    it('honours a custom protected tag', async () => {
      const world = busyWorld();
      world.tags.tier = 'crown-jewels';
      await expectSkip({ world, config: { protectedTag: { key: 'tier', value: 'crown-jewels' } } }, guardDutyEvent(), 'protected');
    });

    it('skips a stopped instance', async () => {
      const world = busyWorld();
      world.state = 'stopped';
      await expectSkip({ world }, guardDutyEvent(), 'instance-stopped');
    });

    it.each(['terminated', 'shutting-down'])('skips a %s instance', async (state) => {
      const world = busyWorld();
      world.state = state;
      await expectSkip({ world }, guardDutyEvent(), 'instance-terminated');
    });

    it('skips an instance that does not exist', async () => {
      const world = busyWorld();
      world.exists = false;
      const { evidence } = await expectSkip({ world }, guardDutyEvent(), 'instance-not-found');
      expect(evidence.records[0]?.reason).toContain(INSTANCE_ID);
    });

    it.each([true, 'true', 'TRUE'])('skips a sample finding (sample=%p) in enforce mode', async (sample) => {
      await expectSkip({}, guardDutyEvent({ sample }), 'sample-finding');
    });

    it('skips an instance already isolated for this incident (a redelivered finding)', async () => {
      const s = setup();
      await respond(guardDutyEvent(), s.deps);
      const before = s.mutating().length;
      const again = await respond(guardDutyEvent(), s.deps);
      expect(again).toMatchObject({ decision: 'skip', reason: 'already-isolated' });
      expect(s.mutating()).toHaveLength(before);
      expect(s.evidence.records.at(-1)).toMatchObject({ kind: 'skip', action: 'skip:already-isolated' });
    });

    it('skips when the mode is off', async () => {
      await expectSkip({ mode: 'off' }, guardDutyEvent(), 'mode-off');
    });

    it('skips findings below the minimum severity', async () => {
      await expectSkip({ config: { minimumSeverity: 7 } }, guardDutyEvent(), 'below-minimum-severity');
    });

    it('skips, evidenced, an event it cannot act on', async () => {
      const s = setup();
      const summary = await respond(fixture('guardduty-malware-protection-s3-scan-result-1.json'), s.deps);
      expect(summary).toMatchObject({ decision: 'skip', reason: 'unsupported-detail-type' });
      expect(s.calls.filter((c) => c.service !== 'sts')).toEqual([]);
      expect(s.evidence.records).toHaveLength(1);
    });
  });

  it('escalates, with no action, when the mode cannot be read', async () => {
    const { deps, evidence, mutating } = setup({
      guardrails: {
        mode: async () => {
          throw new Error('ParameterNotFound');
        },
      },
    });
    const summary = await respond(guardDutyEvent(), deps);
    expect(summary).toMatchObject({ decision: 'escalate', reason: 'mode-unreadable' });
    expect(mutating()).toEqual([]);
    expect(evidence.records.map((r) => [r.kind, r.action])).toEqual([['escalation', 'escalate:mode-unreadable']]);
  });

  it('escalates when a member account has no member role configured', async () => {
    const s = setup();
    const summary = await respond(guardDutyEvent({ account: MEMBER }), { ...s.deps, memberRoleName: undefined } as RespondDeps);
    expect(summary).toMatchObject({ decision: 'escalate', reason: 'account-access' });
    expect(s.calls).toEqual([]);
    expect(s.evidence.records[0]?.reason).toContain(MEMBER);
  });

  it('records an error and asks for a retry when observation is throttled', async () => {
    const s = setup({ fail: (c) => (c.command === 'DescribeInstances' ? awsError('RequestLimitExceeded', 'slow down', 503) : undefined) });
    await expect(respond(guardDutyEvent(), s.deps)).rejects.toBeInstanceOf(TransientAwsError);
    expect(s.mutating()).toEqual([]);
    expect(s.evidence.records.map((r) => r.kind)).toEqual(['error']);
  });

  it('never mutates when the intent record cannot be written', async () => {
    const s = setup({ failEvidence: (input) => input.kind === 'intent' });
    await expect(respond(guardDutyEvent(), s.deps)).rejects.toThrow('evidence append refused');
    expect(s.mutating()).toEqual([]);
  });

  it('acts in the account where the finding says the instance lives, with that account\'s credentials for every call', async () => {
    const s = setup();
    const event = guardDutyEvent({ account: MEMBER, region: 'us-east-2' });
    (event as unknown as { account: string }).account = HOME; // the administrator emitted the event
    const summary = await respond(event, s.deps);
    expect(summary.decision).toBe('act');

    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    expect(stsMock).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: `arn:aws:iam::${MEMBER}:role/CordonMemberResponder`,
      RoleSessionName: `cordon-${summary.incidentId}`,
    });
    const clients = [ec2Mock, asgMock, elbv2Mock, elbMock].flatMap((m) => (m.calls() as { thisValue: unknown }[]).map((c) => c.thisValue));
    expect(clients.length).toBeGreaterThan(20);
    for (const thisValue of clients) {
      const client = thisValue as EC2Client;
      const credentials = await (client.config.credentials as () => Promise<{ accessKeyId: string }>)();
      expect(credentials.accessKeyId).toBe('ASIAMEMBER');
      expect(await client.config.region()).toBe('us-east-2');
    }
    const intent = s.evidence.ofKind('intent')[0];
    expect(intent?.target).toEqual({ type: 'ec2-instance', id: INSTANCE_ID, account: MEMBER, region: 'us-east-2' });
    expect(intent?.actor.assumedRoleArn).toBe(`arn:aws:iam::${MEMBER}:role/CordonMemberResponder`);
  });

  it('works in the home account without any member role', async () => {
    const s = setup();
    const summary = await respond(guardDutyEvent(), { ...s.deps, memberRoleName: undefined } as RespondDeps);
    expect(summary.decision).toBe('act');
    expect(stsMock.calls()).toHaveLength(0);
  });

  it('isolates every instance of a Security Hub custom action, each in its own incident', async () => {
    const s = setup();
    const event = copyOf(fixture('securityhub-custom-action-afsbp-ec2-8-instance-1.json')) as {
      detail: { findings: { Resources: { Id: string }[]; AwsAccountId: string; Region: string }[] };
    };
    const finding = event.detail.findings[0]!;
    finding.Resources[0]!.Id = `arn:aws:ec2:${REGION}:${HOME}:instance/${INSTANCE_ID}`;
    const summary = await respond(event, s.deps);
    expect(summary.decision).toBe('act');
    expect(s.evidence.ofKind('intent')[0]?.detail?.customAction).toBe('Forensic Triage');
    expect(s.world.enis.every((e) => e.groups[0] === ISOLATION_SG)).toBe(true);
  });

  it('acts on an analyst’s custom action whatever the finding’s severity (only automatic findings are gated)', async () => {
    const s = setup({ config: { minimumSeverity: 9 } });
    const event = copyOf(fixture('securityhub-custom-action-afsbp-ec2-8-instance-1.json')) as {
      detail: { findings: { Resources: { Id: string }[] }[] };
    };
    event.detail.findings[0]!.Resources[0]!.Id = `arn:aws:ec2:${REGION}:${HOME}:instance/${INSTANCE_ID}`;
    const summary = await respond(event, s.deps);
    expect(summary.decision).toBe('act');
  });

  it('reports each result when one event names several targets', async () => {
    const s = setup();
    const event = copyOf(fixture('securityhub-custom-action-afsbp-ec2-8-instance-1.json')) as {
      detail: { findings: unknown[] };
    };
    const ec2Finding = event.detail.findings[0] as { Resources: { Id: string }[] };
    ec2Finding.Resources[0]!.Id = `arn:aws:ec2:${REGION}:${HOME}:instance/${INSTANCE_ID}`;
    const iam = (fixture('securityhub-custom-action-guardduty-iam-consolelogin-1.json') as { detail: { findings: unknown[] } }).detail.findings[0];
    event.detail.findings.push(iam);
    const summary = await respond(event, s.deps);
    expect(summary.decision).toBe('act');
    expect(summary.results?.map((r) => [r.decision, r.reason])).toEqual([
      ['skip', 'no-ec2-instance'],
      ['act', undefined],
    ]);
  });

  describe('manual request naming a GuardDuty finding', () => {
    const sdkFinding = () => {
      const bare = copyOf(fixture('guardduty-bare-ec2-sshbruteforce-1.json')) as Record<string, unknown> & {
        resource: { instanceDetails: { instanceId: string } };
        service: { resourceRole: string; action: { networkConnectionAction: { connectionDirection: string } } };
      };
      bare.resource.instanceDetails.instanceId = INSTANCE_ID;
      bare.accountId = HOME;
      // The instance brute-forces others (as captured, it was the victim: see the victim tests).
      bare.service.resourceRole = 'ACTOR';
      bare.service.action.networkConnectionAction.connectionDirection = 'OUTBOUND';
      // The SDK deserialises to PascalCase member names.
      const pascal = (v: unknown): unknown =>
        Array.isArray(v)
          ? v.map(pascal)
          : v && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k.charAt(0).toUpperCase() + k.slice(1), pascal(x)]))
            : v;
      return pascal(bare);
    };

    it('fetches the finding with GetFindings and responds like the automatic path', async () => {
      const s = setup();
      gdMock.on(GetFindingsCommand).resolves({ Findings: [sdkFinding() as never] });
      const id = (fixture('guardduty-bare-ec2-sshbruteforce-1.json') as { id: string }).id;
      const summary = await respond(
        { action: 'isolate', findingId: id, detectorId: 'det-1', reason: 'from the console', requestedBy: 'bob' },
        s.deps,
      );
      expect(gdMock).toHaveReceivedCommandWith(GetFindingsCommand, { DetectorId: 'det-1', FindingIds: [id] });
      expect(summary.decision).toBe('act');
      expect(summary.incidentId).toBe(guardDutyIncidentId(HOME, id));
      expect(s.evidence.ofKind('intent')[0]?.trigger).toMatchObject({ source: 'manual', findingId: id, findingType: 'UnauthorizedAccess:EC2/SSHBruteForce' });
    });

    it('skips an IAM finding (the real CLI GetFindings output) as not an EC2 finding', async () => {
      const s = setup();
      const response = fixture('guardduty-api-getfindings-pascalcase-iam-recon-userpermissions-1.json') as { Findings: never[] };
      gdMock.on(GetFindingsCommand).resolves(response);
      const summary = await respond(
        { action: 'isolate', findingId: '1ab92989eaf0e742df4a014d5example', detectorId: 'd4b040365221be2b54a6264dcexample', reason: 'r', requestedBy: 'bob' },
        s.deps,
      );
      expect(summary).toMatchObject({ decision: 'skip', reason: 'not-an-ec2-finding' });
      expect(s.mutating()).toEqual([]);
    });

    it('skips the victim of an inbound brute force named by a manual request (the finding says TARGET, INBOUND)', async () => {
      const s = setup();
      const victim = copyOf(fixture('guardduty-bare-ec2-sshbruteforce-1.json')) as Record<string, unknown> & { resource: { instanceDetails: { instanceId: string } } };
      victim.resource.instanceDetails.instanceId = INSTANCE_ID;
      const pascal = JSON.parse(JSON.stringify(victim).replace(/"(\w)(\w*)":/g, (_, a: string, b: string) => `"${a.toUpperCase()}${b}":`)) as never;
      gdMock.on(GetFindingsCommand).resolves({ Findings: [pascal] });
      const summary = await respond({ action: 'isolate', findingId: victim.id as string, detectorId: 'det-1', reason: 'r', requestedBy: 'bob' }, s.deps);
      expect(summary).toMatchObject({ decision: 'skip', reason: 'victim-of-inbound' });
      expect(s.mutating()).toEqual([]);
      expect(s.evidence.records.map((r) => [r.kind, r.action])).toEqual([['skip', 'skip:victim-of-inbound']]);
    });

    it('skips a finding GetFindings does not return', async () => {
      const s = setup();
      gdMock.on(GetFindingsCommand).resolves({ Findings: [] });
      const summary = await respond({ action: 'isolate', findingId: 'abc', detectorId: 'det', reason: 'r', requestedBy: 'bob' }, s.deps);
      expect(summary).toMatchObject({ decision: 'skip', reason: 'finding-not-found' });
    });
  });

  describe('fault injection', () => {
    // ModifyNetworkInterfaceAttribute: see fail-closed.test.ts (a network not cut escalates).
    const MUTATING = [
      'ModifyInstanceAttribute',
      'DetachInstances',
      'DeregisterTargets',
      'DeregisterInstancesFromLoadBalancer',
      'DisassociateAddress',
      'DisassociateIamInstanceProfile',
      'CreateSnapshots',
      'CreateTags',
    ];

    it.each(MUTATING)('evidences every failure and still runs every independent step when %s fails', async (command) => {
      const baseline = setup();
      const all = await respond(guardDutyEvent(), baseline.deps);
      const allIds = all.steps.map((s) => s.id);

      const s = setup({ fail: (c) => (c.command === command ? awsError('UnauthorizedOperation', `${command} denied`) : undefined) });
      const summary = await respond(guardDutyEvent(), s.deps);
      expect(summary).toMatchObject({ decision: 'act', reason: 'some-steps-failed' });
      expect(summary.steps.map((x) => x.id)).toEqual(allIds);

      const failed = summary.steps.filter((x) => x.status === 'failed');
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.every((x) => x.action.endsWith(command))).toBe(true);
      // Nothing else was stopped: the only steps not succeeded are the failing calls themselves.
      expect(summary.steps.filter((x) => x.status === 'not-run')).toEqual([]);
      expect(summary.steps.filter((x) => !x.action.endsWith(command)).every((x) => x.status === 'succeeded')).toBe(true);

      const stepRecords = s.evidence.ofKind('step');
      expect(stepRecords).toHaveLength(allIds.length);
      for (const f of failed) {
        const record = stepRecords.find((r) => r.detail?.stepId === f.id);
        expect(record).toMatchObject({ reason: expect.stringContaining(`${command} denied`), detail: { status: 'failed' } });
      }
      const outcome = s.evidence.ofKind('outcome')[0];
      expect(outcome?.after).toMatchObject({ failed: failed.length });
      expect(s.evidence.records.at(-1)?.kind).toBe('outcome');
    });

    it('still attaches the isolation group when the allow-all step fails on an ENI', async () => {
      const s = setup({
        fail: (c) =>
          c.command === 'ModifyNetworkInterfaceAttribute' && (c.input.Groups as string[])[0] === ALLOW_ALL_SG && c.input.NetworkInterfaceId === 'eni-0bbb'
            ? awsError('InternalError', 'boom', 500)
            : undefined,
      });
      const summary = await respond(guardDutyEvent(), s.deps);
      expect(summary.steps.find((x) => x.id === 'eni-allow-all:eni-0bbb')?.status).toBe('failed');
      expect(summary.steps.find((x) => x.id === 'eni-isolate:eni-0bbb')?.status).toBe('succeeded');
      expect(s.world.enis.find((e) => e.id === 'eni-0bbb')?.groups).toEqual([ISOLATION_SG]);
    });

    it('does not attach a new isolation group whose default egress rule could not be revoked', async () => {
      const s = setup({ world: plainWorld(), fail: (c) => (c.command === 'RevokeSecurityGroupEgress' ? awsError('UnauthorizedOperation') : undefined) });
      const summary = await respond(guardDutyEvent(), s.deps);
      const isolate = summary.steps.find((x) => x.id === 'eni-isolate:eni-0aaa');
      expect(isolate).toMatchObject({ status: 'not-run', error: expect.stringContaining('verify-groups') });
      expect(summary.steps.find((x) => x.id === 'verify-groups:vpc-0a1b2c3d')).toMatchObject({ status: 'not-run', error: expect.stringContaining('revoke-rules') });
      expect(s.evidence.ofKind('step').find((r) => r.detail?.stepId === 'eni-isolate:eni-0aaa')?.detail?.status).toBe('not-run');
      // Not even the allow-all group: no ENI is touched until both groups are verified.
      expect(s.calls.filter((c) => c.command === 'ModifyNetworkInterfaceAttribute')).toEqual([]);
      expect(summary).toMatchObject({ decision: 'escalate', reason: 'network-not-cut' });
    });

    it('fails the invocation after the outcome when a step record could not be written', async () => {
      const s = setup({ failEvidence: (input) => input.kind === 'step' && input.action === 'ec2:CreateTags' });
      await expect(respond(guardDutyEvent(), s.deps)).rejects.toThrow('step record(s) could not be appended');
      expect(s.evidence.records.at(-1)?.kind).toBe('outcome');
      expect(s.evidence.records.at(-1)?.detail?.stepRecordsLost).toHaveLength(1);
    });
  });

  describe('release', () => {
    const release = releaseRequest;

    it('restores every ENI\'s groups from the evidence, in the same incident, and lists the instance profile with its command', async () => {
      const s = setup();
      const isolated = await respond(guardDutyEvent(), s.deps);
      expect(s.world.profile).toBeUndefined();
      const summary = await respond(release(), s.deps);
      expect(summary).toMatchObject({ decision: 'act', incidentId: isolated.incidentId });
      expect(summary.reason).toBeUndefined();
      expect(s.world.enis.map((e) => [e.id, e.groups])).toEqual([
        ['eni-0aaa', ['sg-0web', 'sg-0ssh']],
        ['eni-0bbb', ['sg-0app']],
        ['eni-0ccc', ['sg-0db']],
      ]);
      // Associating the profile passes its role: no Cordon role may, so release never asks.
      expect(s.world.profile).toBeUndefined();
      expect(s.calls.filter((c) => c.command === 'AssociateIamInstanceProfile')).toEqual([]);
      expect(s.world.asg).toBeUndefined();
      const records = await s.evidence.read(isolated.incidentId);
      const releaseRecords = records.filter((r) => r.seq > (records.find((x) => x.kind === 'outcome')?.seq ?? 0));
      expect(releaseRecords.map((r) => r.kind)).toEqual(['intent', 'step', 'step', 'step', 'step', 'step', 'outcome']);
      expect((releaseRecords.at(-1)?.detail?.notRestored as unknown[])[0]).toEqual({
        what: 'instance profile arn:aws:iam::111111111111:instance-profile/web',
        why: 'associating it passes its role (iam:PassRole), which no Cordon role may do for an application role',
        command: `aws ec2 associate-iam-instance-profile --region ${REGION} --instance-id ${INSTANCE_ID} --iam-instance-profile Arn=arn:aws:iam::111111111111:instance-profile/web`,
      });
      expect(s.world.tags['cordon:incident']).toBeUndefined();
      expect(s.world.tags['cordon:released']).toBe(isolated.incidentId);
      expect(releaseRecords[0]).toMatchObject({ action: 'release-instance', actor: { requestedBy: 'alice@example.com' } });
      expect(releaseRecords.at(-1)?.action).toBe('release-instance');
    });

    it('puts the instance back in its Auto Scaling group only on request', async () => {
      const s = setup();
      await respond(guardDutyEvent(), s.deps);
      await respond(release({ reattachAsg: true }), s.deps);
      expect(s.world.asg).toBe('web-asg');
      expect(s.calls.find((c) => c.command === 'AttachInstances')?.input).toEqual({ AutoScalingGroupName: 'web-asg', InstanceIds: [INSTANCE_ID] });
    });

    it('leaves the quarantine profile on and lists replacing it by the original, with the association id', async () => {
      const quarantine = 'arn:aws:iam::111111111111:instance-profile/cordon-quarantine';
      const s = setup({ config: { quarantineProfileArn: quarantine } });
      const isolated = await respond(guardDutyEvent(), s.deps);
      await respond(release(), s.deps);
      expect(s.calls.filter((c) => c.command === 'ReplaceIamInstanceProfileAssociation').map((c) => c.input.IamInstanceProfile)).toEqual([{ Arn: quarantine }]);
      const association = s.world.profile?.associationId;
      expect(s.world.profile?.arn).toBe(quarantine);
      const outcome = (await s.evidence.read(isolated.incidentId)).at(-1);
      expect((outcome?.detail?.notRestored as unknown[])[0]).toEqual({
        what: 'instance profile arn:aws:iam::111111111111:instance-profile/web',
        why: 'associating it passes its role (iam:PassRole), which no Cordon role may do for an application role',
        command: `aws ec2 replace-iam-instance-profile-association --region ${REGION} --association-id ${association} --iam-instance-profile Arn=arn:aws:iam::111111111111:instance-profile/web`,
      });
    });

    it('restores only what the isolation actually changed', async () => {
      const s = setup({
        fail: (c) => (c.command === 'ModifyNetworkInterfaceAttribute' && c.input.NetworkInterfaceId === 'eni-0ccc' ? awsError('UnauthorizedOperation') : undefined),
      });
      await respond(guardDutyEvent(), s.deps);
      s.calls.length = 0;
      await respond(release(), s.deps);
      expect(s.calls.filter((c) => c.command === 'ModifyNetworkInterfaceAttribute').map((c) => c.input.NetworkInterfaceId)).toEqual(['eni-0aaa', 'eni-0bbb']);
    });

    it('skips when the instance carries no isolation', async () => {
      const s = setup();
      const summary = await respond(release(), s.deps);
      expect(summary).toMatchObject({ decision: 'skip', reason: 'no-isolation-evidence' });
      expect(s.mutating()).toEqual([]);
    });

    it('previews a release in dry-run mode', async () => {
      const s = setup();
      await respond(guardDutyEvent(), s.deps);
      const dry = { ...s.deps, guardrails: fixedGuardrails('dry-run') };
      const before = s.mutating().length;
      const summary = await respond(release(), dry);
      expect(summary.decision).toBe('dry-run');
      expect(s.mutating()).toHaveLength(before);
      expect(s.evidence.records.at(-1)).toMatchObject({ kind: 'intent', mode: 'dry-run', detail: { dryRun: true } });
    });

    it('releases by explicit incident id', async () => {
      const s = setup();
      const isolated = await respond(guardDutyEvent(), s.deps);
      delete s.world.tags['cordon:incident'];
      const summary = await respond(release({ incidentId: isolated.incidentId }), s.deps);
      expect(summary).toMatchObject({ decision: 'act', incidentId: isolated.incidentId });
    });
  });
});
