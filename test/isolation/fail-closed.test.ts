import { respond } from '../../lambdas/isolation/respond';
import { RevokeSecurityGroupEgressCommand } from '@aws-sdk/client-ec2';
import { ALLOW_ALL_SG, awsError, busyWorld, ec2Mock, ISOLATION_SG, plainWorld, READ_ONLY, type Call, type World } from '../support/aws-world';
import { guardDutyEvent, REGION, setup } from './support';
import { authorizeAs } from '../support/authz';

authorizeAs('isolation');

/**
 * Fault injection: whichever mutating call fails, no ENI is left on the allow-all group, and the
 * outcome's `networkCut` is true exactly when every ENI ended on the isolation group.
 */

const signature = (c: Call) => `${c.command} ${JSON.stringify(c.input)}`;

/** The mutating calls of a clean isolation of `world`, in order. */
const mutatingCalls = async (world: () => World): Promise<Call[]> => {
  const s = setup({ world: world() });
  await respond(guardDutyEvent(), s.deps);
  return s.calls.filter((c) => !READ_ONLY.test(c.command));
};

const expectFailClosed = async (s: ReturnType<typeof setup>, summary: Awaited<ReturnType<typeof respond>>) => {
  const allowAll = s.world.securityGroups.filter((g) => g.tags['cordon:isolation'] === 'allow-all').map((g) => g.id);
  const isolation = s.world.securityGroups.filter((g) => g.tags['cordon:isolation'] === 'isolation').map((g) => g.id);
  for (const eni of s.world.enis) expect({ eni: eni.id, onAllowAll: eni.groups.some((g) => allowAll.includes(g)) }).toEqual({ eni: eni.id, onAllowAll: false });
  const cut = s.world.enis.every((e) => e.groups.length === 1 && isolation.includes(e.groups[0]!));
  const outcome = s.evidence.ofKind('outcome')[0];
  expect(outcome?.after).toMatchObject({ networkCut: cut });
  if (!cut) {
    expect(summary).toMatchObject({ decision: 'escalate', reason: 'network-not-cut' });
    expect(s.evidence.records.at(-1)).toMatchObject({ kind: 'escalation', action: 'escalate:network-not-cut' });
  }
};

describe('isolation fails closed', () => {
  describe.each([
    ['isolation groups present', busyWorld],
    ['first isolation in the VPC (groups created)', plainWorld],
  ])('%s', (_, world) => {
    it('leaves no ENI on allow-all when each mutating call, in turn, fails once', async () => {
      const calls = await mutatingCalls(world);
      expect(calls.length).toBeGreaterThan(10);
      for (let k = 0; k < calls.length; k += 1) {
        let n = -1;
        const s = setup({
          world: world(),
          fail: (c) => (!READ_ONLY.test(c.command) && (n += 1) === k ? awsError('InternalError', `injected failure of call ${k}`, 500) : undefined),
        });
        const summary = await respond(guardDutyEvent(), s.deps);
        await expectFailClosed(s, summary);
      }
    });

    it('leaves no ENI on allow-all when each distinct mutating call fails every time', async () => {
      const calls = await mutatingCalls(world);
      for (const failing of new Set(calls.map(signature))) {
        const s = setup({ world: world(), fail: (c) => (signature(c) === failing ? awsError('UnauthorizedOperation', `${failing} denied`) : undefined) });
        const summary = await respond(guardDutyEvent(), s.deps);
        await expectFailClosed(s, summary);
      }
    });
  });

  it('retries a failed isolation step and records each attempt', async () => {
    let failures = 0;
    const s = setup({
      fail: (c) =>
        c.command === 'ModifyNetworkInterfaceAttribute' && c.input.NetworkInterfaceId === 'eni-0bbb' && (c.input.Groups as string[])[0] === ISOLATION_SG && failures++ < 2
          ? awsError('RequestLimitExceeded', 'slow down', 503)
          : undefined,
    });
    const summary = await respond(guardDutyEvent(), s.deps);
    expect(summary).toMatchObject({ decision: 'act' });
    expect(summary.reason).toBeUndefined();
    const record = s.evidence.ofKind('step').find((r) => r.detail?.stepId === 'eni-isolate:eni-0bbb');
    expect(record?.after).toEqual({
      groups: [ISOLATION_SG],
      attempts: [
        { groups: [ISOLATION_SG], error: 'RequestLimitExceeded: slow down', requestId: 'req-failed-RequestLimitExceeded' },
        { groups: [ISOLATION_SG], error: 'RequestLimitExceeded: slow down', requestId: 'req-failed-RequestLimitExceeded' },
        { groups: [ISOLATION_SG], requestId: expect.stringMatching(/^req-\d+$/) },
      ],
    });
    expect(s.evidence.ofKind('outcome')[0]?.after).toMatchObject({ networkCut: true });
  });

  it('retries a group step that fails once (EC2 eventual consistency right after CreateSecurityGroup) and cuts every ENI', async () => {
    let failures = 0;
    const s = setup({
      world: plainWorld(),
      fail: (c) => (c.command === 'AuthorizeSecurityGroupIngress' && failures++ < 1 ? awsError('InvalidGroup.NotFound', 'The security group does not exist', 400) : undefined),
    });
    const summary = await respond(guardDutyEvent(), s.deps);
    expect(summary).toMatchObject({ decision: 'act' });
    expect(s.calls.filter((c) => c.command === 'AuthorizeSecurityGroupIngress')).toHaveLength(2);
    const retried = s.evidence.ofKind('step').filter((r) => (r.after as { failedAttempts?: unknown } | undefined)?.failedAttempts);
    expect(retried.map((r) => r.detail?.step)).toEqual([expect.objectContaining({ kind: 'authorize-allow-all', direction: 'ingress' })]);
    const record = retried[0];
    expect(record?.detail).toMatchObject({ status: 'succeeded' });
    expect((record?.after as { failedAttempts?: unknown }).failedAttempts).toEqual([
      { error: 'InvalidGroup.NotFound: The security group does not exist', requestId: 'req-failed-InvalidGroup.NotFound' },
    ]);
    const isolation = s.world.securityGroups.find((g) => g.tags['cordon:isolation'] === 'isolation')?.id;
    expect(s.world.enis.map((e) => e.groups)).toEqual(s.world.enis.map(() => [isolation]));
    expect(s.evidence.ofKind('outcome')[0]?.after).toMatchObject({ networkCut: true });
  });

  it('touches no ENI when a group step keeps failing, with every attempt in its record', async () => {
    const s = setup({ world: plainWorld(), fail: (c) => (c.command === 'CreateSecurityGroup' ? awsError('UnauthorizedOperation', 'denied') : undefined) });
    const summary = await respond(guardDutyEvent(), s.deps);
    expect(summary).toMatchObject({ decision: 'escalate', reason: 'network-not-cut' });
    const failed = { error: 'UnauthorizedOperation: denied', requestId: 'req-failed-UnauthorizedOperation' };
    const creates = s.evidence.ofKind('step').filter((r) => String(r.detail?.stepId).startsWith('create-security-group'));
    expect(creates.map((r) => [r.reason, r.after])).toEqual(creates.map(() => ['UnauthorizedOperation: denied', { failedAttempts: [failed, failed, failed] }]));
    expect(s.calls.filter((c) => c.command === 'ModifyNetworkInterfaceAttribute')).toEqual([]);
    // No group to name in a command: the escalation sends the responder to the runbook's procedure.
    const escalation = s.evidence.ofKind('escalation').at(-1);
    expect(escalation?.action).toBe('escalate:network-not-cut');
    expect((escalation?.detail as { escalations: unknown }).escalations).toEqual(
      s.world.enis.map((e) => ({
        reason: 'network-not-cut',
        message: `ENI ${e.id} is not cut (not-run): there is no isolation group to cut it with (it could not be created); cut it by hand: docs/runbooks/compromised-ec2-instance.md, "Cut the network by hand"`,
      })),
    );
  });

  it('puts an ENI whose isolation keeps failing back on its original groups, and escalates with the command', async () => {
    const s = setup({
      fail: (c) =>
        c.command === 'ModifyNetworkInterfaceAttribute' && c.input.NetworkInterfaceId === 'eni-0aaa' && (c.input.Groups as string[])[0] === ISOLATION_SG
          ? awsError('UnauthorizedOperation', 'denied')
          : undefined,
    });
    const summary = await respond(guardDutyEvent(), s.deps);
    expect(summary).toMatchObject({ decision: 'escalate', reason: 'network-not-cut' });
    expect(s.world.enis.map((e) => [e.id, e.groups])).toEqual([
      ['eni-0aaa', ['sg-0web', 'sg-0ssh']],
      ['eni-0bbb', [ISOLATION_SG]],
      ['eni-0ccc', [ISOLATION_SG]],
    ]);
    const mods = s.calls.filter((c) => c.command === 'ModifyNetworkInterfaceAttribute' && c.input.NetworkInterfaceId === 'eni-0aaa').map((c) => c.input.Groups);
    expect(mods).toEqual([[ALLOW_ALL_SG], [ISOLATION_SG], [ISOLATION_SG], [ISOLATION_SG], ['sg-0web', 'sg-0ssh']]);
    const step = s.evidence.ofKind('step').find((r) => r.detail?.stepId === 'eni-isolate:eni-0aaa');
    expect(step).toMatchObject({
      reason: 'Error: isolating eni-0aaa failed after 3 attempts (UnauthorizedOperation: denied); the ENI is back on its original groups sg-0web, sg-0ssh',
      after: { groups: ['sg-0web', 'sg-0ssh'], reverted: true },
      detail: { status: 'failed' },
    });
    const outcome = s.evidence.ofKind('outcome')[0];
    expect(outcome?.after).toMatchObject({ networkCut: false });
    expect(outcome?.detail?.enis).toEqual([
      { eniId: 'eni-0aaa', cut: false, groups: ['sg-0web', 'sg-0ssh'], note: 'back on its original groups' },
      { eniId: 'eni-0bbb', cut: true, groups: [ISOLATION_SG] },
      { eniId: 'eni-0ccc', cut: true, groups: [ISOLATION_SG] },
    ]);
    expect(s.evidence.records.at(-1)).toMatchObject({
      kind: 'escalation',
      action: 'escalate:network-not-cut',
      reason: 'ENI eni-0aaa is not cut (back on its original groups)',
      detail: {
        escalations: [
          {
            reason: 'network-not-cut',
            message: 'ENI eni-0aaa is not cut (back on its original groups)',
            command: `aws ec2 modify-network-interface-attribute --region ${REGION} --network-interface-id eni-0aaa --groups ${ISOLATION_SG}`,
          },
        ],
      },
    });
  });

  it('says so when even the revert fails (the one case an ENI may stay on allow-all)', async () => {
    const s = setup({
      fail: (c) =>
        c.command === 'ModifyNetworkInterfaceAttribute' && c.input.NetworkInterfaceId === 'eni-0aaa' && (c.input.Groups as string[])[0] !== ALLOW_ALL_SG
          ? awsError('InternalError', 'down', 500)
          : undefined,
    });
    const summary = await respond(guardDutyEvent(), s.deps);
    expect(summary).toMatchObject({ decision: 'escalate', reason: 'network-not-cut' });
    expect(s.evidence.ofKind('step').find((r) => r.detail?.stepId === 'eni-isolate:eni-0aaa')).toMatchObject({
      reason: 'Error: isolating eni-0aaa failed (InternalError: down) and so did putting back its original groups sg-0web, sg-0ssh: the ENI may be on the allow-all group',
      after: { revertFailed: true },
    });
    expect(s.evidence.ofKind('outcome')[0]?.detail?.enis).toContainEqual({ eniId: 'eni-0aaa', cut: false, note: 'revert failed: may be on allow-all' });
  });

  it('touches no ENI when a repaired group does not verify as intended', async () => {
    const world = busyWorld();
    world.securityGroups.find((g) => g.id === ISOLATION_SG)!.egress = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];
    const s = setup({ world });
    // The revoke answers success but the rule stays (someone re-added it, or a stale read).
    ec2Mock.on(RevokeSecurityGroupEgressCommand).resolves({ Return: true, $metadata: {} });
    const summary = await respond(guardDutyEvent(), s.deps);
    expect(summary).toMatchObject({ decision: 'escalate', reason: 'network-not-cut' });
    expect(s.calls.filter((c) => c.command === 'ModifyNetworkInterfaceAttribute')).toEqual([]);
    expect(s.calls.find((c) => c.command === 'DescribeSecurityGroups' && c.input.GroupIds)?.input).toEqual({ GroupIds: [ALLOW_ALL_SG, ISOLATION_SG] });
    expect(summary.steps.find((x) => x.id === `verify-groups:${world.vpcId}`)).toEqual({
      id: `verify-groups:${world.vpcId}`,
      action: 'ec2:DescribeSecurityGroups',
      status: 'failed',
      error: `Error: expected Cordon's isolation groups as intended in ${world.vpcId}, received: isolation group ${ISOLATION_SG} still has rules`,
    });
    expect(s.world.enis.map((e) => e.groups)).toEqual([['sg-0web', 'sg-0ssh'], ['sg-0app'], ['sg-0db']]);
  });

  it('reports networkCut false when an ENI is managed by another service', async () => {
    const world = busyWorld();
    world.enis.push({ id: 'eni-0svc', vpcId: world.vpcId, groups: ['sg-0svc'], deviceIndex: 3, privateIps: ['10.0.3.10'], ipv6: [], requesterManaged: true });
    const s = setup({ world });
    const summary = await respond(guardDutyEvent(), s.deps);
    expect(summary).toMatchObject({ decision: 'escalate', reason: 'network-not-cut' });
    expect(s.evidence.ofKind('outcome')[0]?.detail?.enis).toContainEqual({ eniId: 'eni-0svc', cut: false, note: 'managed by another service' });
    expect(s.evidence.ofKind('intent')[0]?.detail?.escalations).toEqual([
      { reason: 'eni-not-modifiable', message: 'ENI eni-0svc is managed by another service: its security groups cannot be changed, so its traffic is not cut' },
    ]);
  });
});
