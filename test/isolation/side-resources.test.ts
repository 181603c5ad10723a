import { respond } from '../../lambdas/isolation/respond';
import { authorizeAs } from '../support/authz';
import { awsError, ISOLATION_SG } from '../support/aws-world';
import { guardDutyEvent, setup } from './support';

authorizeAs('isolation');

/**
 * Issue 12 item 3, partial observation, for the side resources beside target groups (those are in
 * observation.test.ts): a classic load balancer listing denied (a member account's SCP, say) and an
 * Elastic IP listing that fails are each evidenced as `partial-observation` with the call and the
 * error, their steps are not planned, and every ENI is still cut.
 */

const cutEveryEni = (s: ReturnType<typeof setup>) =>
  expect(s.world.enis.map((e) => [e.id, e.groups])).toEqual([
    ['eni-0aaa', [ISOLATION_SG]],
    ['eni-0bbb', [ISOLATION_SG]],
    ['eni-0ccc', [ISOLATION_SG]],
  ]);

const escalationsOf = (s: ReturnType<typeof setup>) => (s.evidence.records.find((r) => r.kind === 'outcome')?.detail as { escalations?: unknown[] }).escalations;

describe('isolation with a side resource it cannot read', () => {
  it('cuts every ENI and evidences the classic load balancers it could not list, planning no deregistration', async () => {
    const s = setup({ fail: (c) => (c.command === 'DescribeLoadBalancers' && c.service === 'elb' ? awsError('AccessDenied', 'explicit deny in a service control policy', 403) : undefined) });
    const summary = await respond(guardDutyEvent(), s.deps);
    expect(summary.decision).toBe('escalate');
    cutEveryEni(s);
    expect(s.calls.filter((c) => c.command === 'DeregisterInstancesFromLoadBalancer')).toEqual([]);
    expect(s.calls.filter((c) => c.command === 'DeregisterTargets')).toHaveLength(2);
    expect(escalationsOf(s)).toContainEqual({
      reason: 'partial-observation',
      message:
        'could not read classic-load-balancers (elasticloadbalancing:DescribeLoadBalancers: AccessDenied: explicit deny in a service control policy): its isolation step was not planned; check it by hand',
    });
  });

  it('cuts every ENI and evidences the Elastic IPs it could not list, planning no disassociation', async () => {
    const s = setup({ fail: (c) => (c.command === 'DescribeAddresses' ? awsError('InternalError', 'an internal error occurred', 500) : undefined) });
    const summary = await respond(guardDutyEvent(), s.deps);
    expect(summary.decision).toBe('escalate');
    cutEveryEni(s);
    expect(s.calls.filter((c) => c.command === 'DisassociateAddress')).toEqual([]);
    expect(escalationsOf(s)).toContainEqual({
      reason: 'partial-observation',
      message: 'could not read elastic-ips (ec2:DescribeAddresses: InternalError: an internal error occurred): its isolation step was not planned; check it by hand',
    });
  });
});
