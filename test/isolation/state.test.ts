import { respond } from '../../lambdas/isolation/respond';
import { awsError, busyWorld, INSTANCE_ID, ISOLATION_SG, READ_ONLY, type World } from '../support/aws-world';
import { guardDutyEvent, REGION, manual, releaseRequest, setup } from './support';
import { authorizeAs } from '../support/authz';

authorizeAs('isolation');

/** Isolation state is kept per instance: found from any incident, restored exactly by release. */

/** What release promises to put back (the rest is listed with commands). */
const restorable = (w: World) => ({
  enis: w.enis.map((e) => [e.id, [...e.groups]]),
  profile: w.profile?.arn,
  asg: w.asg,
  asgProtected: w.asgProtected ?? false,
  tags: { ...w.tags },
});

describe('isolation state per instance', () => {
  it('isolates once for two findings on one instance, and release restores exactly the pre-incident state', async () => {
    const world = busyWorld();
    world.asgProtected = true;
    const s = setup({ world });
    const before = restorable(s.world);

    const first = await respond(guardDutyEvent({ findingId: 'c2-finding' }), s.deps);
    expect(first.decision).toBe('act');
    const mutations = s.calls.filter((c) => !READ_ONLY.test(c.command)).length;

    // A second finding (DNS, miner, ... on the same instance): evidenced, linked, nothing changed.
    const second = await respond(guardDutyEvent({ findingId: 'miner-finding' }), s.deps);
    expect(second.incidentId).not.toBe(first.incidentId);
    expect(second).toMatchObject({ decision: 'skip', reason: 'already-isolated' });
    expect(s.calls.filter((c) => !READ_ONLY.test(c.command))).toHaveLength(mutations);
    expect((await s.evidence.read(second.incidentId)).map((r) => [r.kind, r.action, r.reason, r.detail])).toEqual([
      [
        'skip',
        'skip:already-isolated',
        `instance ${INSTANCE_ID} is already isolated by incident ${first.incidentId} (evidence records/${first.incidentId}/); nothing changed`,
        { isolatedBy: { incidentId: first.incidentId, evidence: `records/${first.incidentId}/` } },
      ],
    ]);
    // A redelivery of the first finding changes nothing either.
    expect(await respond(guardDutyEvent({ findingId: 'c2-finding' }), s.deps)).toMatchObject({ decision: 'skip', reason: 'already-isolated' });
    expect(s.calls.filter((c) => !READ_ONLY.test(c.command))).toHaveLength(mutations);

    const released = await respond(releaseRequest({ reattachAsg: true }), s.deps);
    expect(released).toMatchObject({ decision: 'act', incidentId: first.incidentId });
    expect(released.reason).toBeUndefined();
    // Exactly as before, plus the mark that a person released it; the instance profile is listed
    // below (putting it back passes its role, which no Cordon role may do).
    expect(restorable(s.world)).toEqual({ ...before, profile: undefined, tags: { ...before.tags, 'cordon:released': first.incidentId } });
    expect(s.calls.find((c) => c.command === 'SetInstanceProtection')?.input).toEqual({
      AutoScalingGroupName: 'web-asg',
      InstanceIds: [INSTANCE_ID],
      ProtectedFromScaleIn: true,
    });

    // What release does not put back, each with the command to do it.
    const outcome = (await s.evidence.read(first.incidentId)).at(-1);
    expect(outcome).toMatchObject({ kind: 'outcome', action: 'release-instance' });
    const r = `--region ${REGION}`;
    expect(outcome?.detail?.notRestored).toEqual([
      {
        what: `instance profile ${before.profile}`,
        why: 'associating it passes its role (iam:PassRole), which no Cordon role may do for an application role',
        command: `aws ec2 associate-iam-instance-profile ${r} --instance-id ${INSTANCE_ID} --iam-instance-profile Arn=${before.profile}`,
      },
      {
        what: 'target group arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/web/1',
        why: 'putting an instance back in service is the service owner’s decision',
        command: `aws elbv2 register-targets ${r} --target-group-arn arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/web/1 --targets Id=${INSTANCE_ID},Port=80`,
      },
      {
        what: 'target group arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/api/2',
        why: 'putting an instance back in service is the service owner’s decision',
        command: `aws elbv2 register-targets ${r} --target-group-arn arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/api/2 --targets Id=10.0.1.10,Port=8080`,
      },
      {
        what: 'classic load balancer legacy-web',
        why: 'putting an instance back in service is the service owner’s decision',
        command: `aws elb register-instances-with-load-balancer ${r} --load-balancer-name legacy-web --instances ${INSTANCE_ID}`,
      },
      { what: 'elastic ip 198.51.100.1', why: 'a public address is re-exposed only on purpose', command: `aws ec2 associate-address ${r} --allocation-id eipalloc-0aaa --network-interface-id eni-0aaa` },
      { what: 'elastic ip 198.51.100.2', why: 'a public address is re-exposed only on purpose', command: `aws ec2 associate-address ${r} --allocation-id eipalloc-0bbb --network-interface-id eni-0bbb` },
      { what: 'disableApiTermination', why: 'evidence protection stays until the investigation closes', command: `aws ec2 modify-instance-attribute ${r} --instance-id ${INSTANCE_ID} --no-disable-api-termination` },
      { what: 'disableApiStop', why: 'evidence protection stays until the investigation closes', command: `aws ec2 modify-instance-attribute ${r} --instance-id ${INSTANCE_ID} --no-disable-api-stop` },
      {
        what: 'shutdownBehaviourStop',
        why: 'evidence protection stays until the investigation closes',
        command: `aws ec2 modify-instance-attribute ${r} --instance-id ${INSTANCE_ID} --instance-initiated-shutdown-behavior terminate`,
      },
      {
        what: 'DeleteOnTermination of /dev/xvda',
        why: 'evidence protection stays until the investigation closes',
        command: `aws ec2 modify-instance-attribute ${r} --instance-id ${INSTANCE_ID} --block-device-mappings '[{"DeviceName":"/dev/xvda","Ebs":{"DeleteOnTermination":true}}]'`,
      },
      { what: 'evidence snapshots', why: 'evidence: kept, tagged with the incident id' },
    ]);

    // Released: the next automatic finding does not undo a person's judgement; it escalates with the link.
    const made = s.calls.filter((c) => !READ_ONLY.test(c.command)).length;
    const later = await respond(guardDutyEvent({ findingId: 'later-finding' }), s.deps);
    expect(later).toMatchObject({ decision: 'escalate', reason: 'released-by-human' });
    expect(s.calls.filter((c) => !READ_ONLY.test(c.command))).toHaveLength(made);
    expect((await s.evidence.read(later.incidentId)).map((r) => [r.kind, r.action, r.reason, r.detail])).toEqual([
      [
        'escalation',
        'escalate:released-by-human',
        `instance ${INSTANCE_ID} was released by a person after incident ${first.incidentId} (evidence records/${first.incidentId}/); an automatic finding does not isolate it again: isolate it by hand if this finding changes that judgement`,
        { releasedBy: { incidentId: first.incidentId, evidence: `records/${first.incidentId}/` } },
      ],
    ]);
    // A person's new request isolates again, from the real groups.
    const again = await respond(manual({ reason: 'seen again' }), s.deps);
    expect(again.decision).toBe('act');
    expect(s.evidence.ofKind('intent').at(-1)?.detail?.plan).toContainEqual(expect.objectContaining({ id: 'eni-isolate:eni-0aaa', before: ['sg-0web', 'sg-0ssh'] }));
  });

  it('never asks to put the original profile back: it lists it, and still marks the instance released', async () => {
    const s = setup();
    const isolated = await respond(guardDutyEvent(), s.deps);
    const released = await respond(releaseRequest(), s.deps);
    expect(released).toMatchObject({ decision: 'act' });
    expect(released.reason).toBeUndefined();
    expect(s.calls.filter((c) => /^(Associate|Replace)IamInstanceProfile/.test(c.command))).toEqual([]);
    const outcome = (await s.evidence.read(isolated.incidentId)).at(-1);
    expect((outcome?.detail?.notRestored as unknown[])[0]).toEqual({
      what: 'instance profile arn:aws:iam::111111111111:instance-profile/web',
      why: 'associating it passes its role (iam:PassRole), which no Cordon role may do for an application role',
      command: `aws ec2 associate-iam-instance-profile --region ${REGION} --instance-id ${INSTANCE_ID} --iam-instance-profile Arn=arn:aws:iam::111111111111:instance-profile/web`,
    });
    // Released: no longer read as isolated, so the next automatic finding escalates instead of skipping.
    expect(s.world.tags['cordon:incident']).toBeUndefined();
    expect(s.world.tags['cordon:released']).toBe(isolated.incidentId);
  });

  it('continues an isolation whose cut failed, and release restores what the first one changed', async () => {
    let broken = true;
    const s = setup({
      fail: (c) => (broken && c.command === 'ModifyNetworkInterfaceAttribute' && (c.input.Groups as string[])[0] === ISOLATION_SG ? awsError('InternalError', 'down', 500) : undefined),
    });
    const failed = await respond(guardDutyEvent({ findingId: 'first' }), s.deps);
    expect(failed).toMatchObject({ decision: 'escalate', reason: 'network-not-cut' });
    expect(s.world.profile).toBeUndefined(); // the first isolation removed the profile
    expect(s.world.enis.map((e) => e.groups)).toEqual([['sg-0web', 'sg-0ssh'], ['sg-0app'], ['sg-0db']]);

    broken = false;
    const second = await respond(guardDutyEvent({ findingId: 'second' }), s.deps);
    expect(second.decision).toBe('act');
    expect(s.evidence.ofKind('intent').at(-1)?.detail?.previousIsolation).toBe(failed.incidentId);

    const released = await respond(releaseRequest(), s.deps);
    expect(s.world.enis.map((e) => e.groups)).toEqual([['sg-0web', 'sg-0ssh'], ['sg-0app'], ['sg-0db']]);
    // The profile the first isolation removed is listed for a person to put back.
    const outcome = (await s.evidence.read(released.incidentId)).at(-1);
    expect((outcome?.detail?.notRestored as { what: string }[])[0]?.what).toBe('instance profile arn:aws:iam::111111111111:instance-profile/web');
  });

  it('restores nothing from an incident about another instance, whatever the tag says', async () => {
    const s = setup();
    const isolated = await respond(guardDutyEvent(), s.deps);
    // The tag is moved to an incident whose records are about another instance.
    const foreign = 'inc-0000000000000000000000ff';
    await s.evidence.append(foreign, {
      kind: 'step',
      mode: 'enforce',
      trigger: { source: 'manual' },
      target: { type: 'ec2-instance', id: 'i-0fffffffffffffff0' },
      action: 'ec2:ModifyNetworkInterfaceAttribute',
      actor: { arn: 'arn:aws:iam::111111111111:role/attacker' },
      detail: { status: 'succeeded', step: { kind: 'eni-isolate', eniId: 'eni-0aaa', before: ['sg-0attacker'] } },
    });
    s.world.tags['cordon:incident'] = foreign;
    const released = await respond(releaseRequest(), s.deps);
    expect(released).toMatchObject({ decision: 'skip', reason: 'no-isolation-evidence' });
    expect(s.world.enis.every((e) => e.groups[0] === ISOLATION_SG)).toBe(true);
    expect(isolated.decision).toBe('act');
  });

  it('starts afresh on an instance whose tag outlived the isolation (groups restored by hand)', async () => {
    const world = busyWorld();
    world.tags['cordon:incident'] = 'inc-00000000000000000000aaaa';
    const s = setup({ world });
    const summary = await respond(guardDutyEvent(), s.deps);
    expect(summary.decision).toBe('act');
    expect(s.evidence.ofKind('intent')[0]?.detail?.previousIsolation).toBe('inc-00000000000000000000aaaa');
    expect(s.world.tags['cordon:incident']).toBe(summary.incidentId);
  });
});
