import { residualRoutes } from '../../lambdas/isolation/observed';
import { residualPaths } from '../../lambdas/isolation/residual';
import { respond } from '../../lambdas/isolation/respond';
import type { InstanceState } from '../../lambdas/isolation/types';
import { authorizeAs } from '../support/authz';
import { awsError, busyWorld, ISOLATION_SG } from '../support/aws-world';
import { guardDutyEvent, setup } from './support';

authorizeAs('isolation');

/**
 * What isolation cannot see or cannot cut, said honestly: a side resource it could not read is
 * evidenced and its step skipped while the network is still cut (partial observation), and the
 * outcome lists the paths a security group cannot cut for this instance (residual paths).
 */

const API_TG = 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/api/2';
/** An observation with nothing but its routes. */
const emptyState = { enis: [], volumeIds: [], targetGroups: [], classicLoadBalancers: [], addresses: [], isolationGroups: [] } as unknown as InstanceState;
const WEB_TG = 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/web/1';

describe('isolation with a partial observation', () => {
  it('cuts every ENI and evidences the target group it could not read, whose step is not planned', async () => {
    const s = setup({
      fail: (c) =>
        c.command === 'DescribeTargetHealth' && (c.input as { TargetGroupArn?: string }).TargetGroupArn === API_TG ? awsError('InternalFailure', 'try again', 500) : undefined,
    });
    const summary = await respond(guardDutyEvent(), s.deps);
    expect(summary.decision).toBe('escalate');
    expect(s.world.enis.map((e) => [e.id, e.groups])).toEqual([
      ['eni-0aaa', [ISOLATION_SG]],
      ['eni-0bbb', [ISOLATION_SG]],
      ['eni-0ccc', [ISOLATION_SG]],
    ]);
    const deregistered = s.calls.filter((c) => c.command === 'DeregisterTargets').map((c) => (c.input as { TargetGroupArn?: string }).TargetGroupArn);
    expect(deregistered).toEqual([WEB_TG]);
    const outcome = s.evidence.records.find((r) => r.kind === 'outcome');
    expect((outcome?.detail as { escalations?: unknown[] }).escalations).toContainEqual({
      reason: 'partial-observation',
      message: `could not read target-group:${API_TG} (elasticloadbalancing:DescribeTargetHealth: InternalFailure: try again): its isolation step was not planned; check it by hand`,
    });
  });
});

describe('residual paths', () => {
  it('are in the outcome: the NLB target group it deregistered, then the paths no security group filters', async () => {
    const world = busyWorld();
    world.targetGroups = world.targetGroups.map((t) => (t.arn === WEB_TG ? { ...t, protocol: 'TCP' } : t));
    const s = setup({ world });
    const summary = await respond(guardDutyEvent(), s.deps);
    expect(summary.decision).toBe('act');
    const outcome = s.evidence.records.find((r) => r.kind === 'outcome');
    const paths = (outcome?.detail as { residualPaths: { path: string; observed: boolean; detail: string }[] }).residualPaths;
    expect(paths.map((p) => [p.path, p.observed])).toEqual([
      ['network-load-balancer', true],
      ['amazon-dns', false],
      ['instance-metadata', false],
      ['time-sync', false],
    ]);
    expect(paths[0]?.detail).toBe(`target of ${WEB_TG} (TCP): deregistered, open connections drain for the deregistration delay and stay tracked`);
  });

  it("reads each subnet's own route table, else the main one, for routes a security group does not cut", () => {
    const tables = [
      {
        RouteTableId: 'rtb-0main',
        Associations: [{ Main: true }],
        Routes: [
          { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' as const },
          { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-0abc', State: 'active' as const },
        ],
      },
      {
        RouteTableId: 'rtb-0app',
        Associations: [{ SubnetId: 'subnet-app' }],
        Routes: [
          { DestinationCidrBlock: '0.0.0.0/0', TransitGatewayId: 'tgw-0abc', State: 'active' as const },
          { DestinationIpv6CidrBlock: '::/0', EgressOnlyInternetGatewayId: 'eigw-0abc', State: 'active' as const },
          { DestinationCidrBlock: '192.0.2.0/24', GatewayId: 'vpce-0fw', State: 'active' as const },
          { DestinationCidrBlock: '198.51.100.0/24', NatGatewayId: 'nat-0gone', State: 'blackhole' as const },
        ],
      },
    ];
    const routes = residualRoutes(tables, ['subnet-web', 'subnet-app']);
    expect(routes).toEqual([
      { subnetId: 'subnet-web', routeTableId: 'rtb-0main', destination: '0.0.0.0/0', via: 'nat-gateway', targetId: 'nat-0abc' },
      { subnetId: 'subnet-app', routeTableId: 'rtb-0app', destination: '0.0.0.0/0', via: 'transit-gateway', targetId: 'tgw-0abc' },
      { subnetId: 'subnet-app', routeTableId: 'rtb-0app', destination: '::/0', via: 'egress-only-internet-gateway', targetId: 'eigw-0abc' },
      { subnetId: 'subnet-app', routeTableId: 'rtb-0app', destination: '192.0.2.0/24', via: 'vpc-endpoint', targetId: 'vpce-0fw' },
    ]);
    const paths = residualPaths({ ...emptyState, routes });
    expect(paths.slice(0, 4).map((p) => [p.path, p.detail])).toEqual([
      ['nat-gateway', 'route 0.0.0.0/0 via nat-0abc in rtb-0main (subnet subnet-web)'],
      ['transit-gateway', 'route 0.0.0.0/0 via tgw-0abc in rtb-0app (subnet subnet-app)'],
      ['egress-only-internet-gateway', 'route ::/0 via eigw-0abc in rtb-0app (subnet subnet-app)'],
      ['vpc-endpoint', 'route 192.0.2.0/24 via vpce-0fw in rtb-0app (subnet subnet-app)'],
    ]);
    expect(paths[0]?.advice).toBe(
      'open connections through the NAT gateway stay tracked until idle (350 s): a network ACL deny for the IoC addresses on the subnet (stateless: it drops open connections too, for every host of the subnet)',
    );
  });
});
