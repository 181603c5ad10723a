import { residualPaths } from '../../lambdas/isolation/residual';
import type { InstanceState } from '../../lambdas/isolation/types';

/**
 * Issue 12 item 7, honest residual paths, as a pure function of the observation: a Gateway Load
 * Balancer target (GENEVE) and a Network Load Balancer target are listed as observed with what an
 * operator can do, an ALB target is not a residual path, and the paths no security group filters
 * (Amazon DNS with the DNS Firewall advice, the metadata service, Time Sync) close every list.
 */

const GWLB = 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/inspect/3';
const NLB = 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/tcp-ingress/4';
const ALB = 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/web/1';

const observed = (targetGroups: InstanceState['targetGroups'], routes: InstanceState['routes'] = []): InstanceState =>
  ({ enis: [], volumeIds: [], targetGroups, classicLoadBalancers: [], addresses: [], isolationGroups: [], routes }) as unknown as InstanceState;

describe('residual paths of an isolated instance', () => {
  it('lists a Gateway Load Balancer and a Network Load Balancer target, not an ALB one, then the paths no security group filters', () => {
    const paths = residualPaths(observed([
      { arn: GWLB, protocol: 'GENEVE', targets: [{ id: 'i-1', port: 6081 }] },
      { arn: NLB, protocol: 'tcp', targets: [{ id: 'i-1', port: 22 }] },
      { arn: ALB, protocol: 'HTTPS', targets: [{ id: 'i-1', port: 443 }] },
    ]));
    expect(paths.map((p) => [p.path, p.observed, p.detail])).toEqual([
      ['gateway-load-balancer', true, `target of ${GWLB} (GENEVE)`],
      ['network-load-balancer', true, `target of ${NLB} (TCP): deregistered, open connections drain for the deregistration delay and stay tracked`],
      ['amazon-dns', false, 'Amazon DNS (the VPC +2 resolver, 169.254.169.253) is not filtered by security groups: DNS tunnelling and DNS C&C continue'],
      ['instance-metadata', false, 'the instance metadata service (169.254.169.254) is not filtered: the host can still read its metadata and fetch role credentials while a profile is associated'],
      ['time-sync', false, 'Amazon Time Sync (169.254.169.123) is not filtered by security groups'],
    ]);
    expect(paths[0]?.advice).toBe('flows through a Gateway Load Balancer or Network Firewall endpoint stay tracked by the appliance: drop the instance address in the firewall policy (stateful drop rule)');
    expect(paths[1]?.advice).toBe(
      "a network ACL deny for the IoC addresses on the subnet (stateless: it drops open connections too, for every host of the subnet); or set the target group's deregistration delay to 0 with connection termination on deregistration",
    );
    expect(paths[2]?.advice).toBe('Route 53 Resolver DNS Firewall on the VPC: a BLOCK rule for the IoC domains (or an allow-list domain list for the isolated instance’s VPC)');
  });

  it('lists a transit gateway attachment route with the blackhole-route advice', () => {
    const [tgw] = residualPaths(observed([], [{ subnetId: 'subnet-a', routeTableId: 'rtb-1', destination: '10.99.0.0/16', via: 'transit-gateway', targetId: 'tgw-0abc' }]));
    expect(tgw).toEqual({
      path: 'transit-gateway',
      observed: true,
      detail: 'route 10.99.0.0/16 via tgw-0abc in rtb-1 (subnet subnet-a)',
      advice:
        'open connections across the transit gateway attachment stay tracked: a network ACL deny for the IoC addresses on the subnet (stateless: it drops open connections too, for every host of the subnet), or a blackhole route for the instance address in the transit gateway route table',
    });
  });

  it('lists only the unfiltered services for an instance with no observed route or load balancer', () => {
    expect(residualPaths(observed([])).map((p) => [p.path, p.observed])).toEqual([
      ['amazon-dns', false],
      ['instance-metadata', false],
      ['time-sync', false],
    ]);
  });
});
