import type { InstanceState, ObservedRoute } from './types';

/**
 * What a security group change does not cut, for this instance (AWS: "Security group connection
 * tracking", "Automatically tracked connections", and the Amazon-provided services security groups
 * do not filter). The evidence outcome and docs/runbooks/compromised-ec2-instance.md list them
 * with what an operator can do instead.
 *
 * - Flows through a NAT gateway, an egress-only internet gateway, a transit gateway attachment, a
 *   Gateway Load Balancer or Network Firewall endpoint, or a Network Load Balancer are always
 *   tracked: the allow-all step does not untrack them, so the isolation group does not drop the
 *   connections already open; they end when idle (350 s for a NAT gateway) or when closed.
 * - Amazon DNS (the VPC's +2 resolver), the instance metadata service (169.254.169.254) and Amazon
 *   Time Sync (169.254.169.123) are not filtered by security groups at all.
 */

export interface ResidualPath {
  /** `nat-gateway`, `egress-only-internet-gateway`, `transit-gateway`, `vpc-endpoint`, `network-load-balancer`,
   * `gateway-load-balancer`, `amazon-dns`, `instance-metadata`, `time-sync`. */
  readonly path: string;
  /** Seen in this instance's route tables or target groups (else: true of every instance). */
  readonly observed: boolean;
  readonly detail: string;
  readonly advice: string;
}

const NACL = 'a network ACL deny for the IoC addresses on the subnet (stateless: it drops open connections too, for every host of the subnet)';

const ROUTE_ADVICE: Record<string, string> = {
  'nat-gateway': `open connections through the NAT gateway stay tracked until idle (350 s): ${NACL}`,
  'egress-only-internet-gateway': `open IPv6 connections through the egress-only internet gateway stay tracked: ${NACL}`,
  'transit-gateway': `open connections across the transit gateway attachment stay tracked: ${NACL}, or a blackhole route for the instance address in the transit gateway route table`,
  'vpc-endpoint': 'flows through a Gateway Load Balancer or Network Firewall endpoint stay tracked by the appliance: drop the instance address in the firewall policy (stateful drop rule)',
};

const ALWAYS: readonly ResidualPath[] = [
  {
    path: 'amazon-dns',
    observed: false,
    detail: 'Amazon DNS (the VPC +2 resolver, 169.254.169.253) is not filtered by security groups: DNS tunnelling and DNS C&C continue',
    advice: 'Route 53 Resolver DNS Firewall on the VPC: a BLOCK rule for the IoC domains (or an allow-list domain list for the isolated instance\u2019s VPC)',
  },
  {
    path: 'instance-metadata',
    observed: false,
    detail: 'the instance metadata service (169.254.169.254) is not filtered: the host can still read its metadata and fetch role credentials while a profile is associated',
    advice: 'the isolation removes or replaces the instance profile; the role sessions issued to this instance before the cut are revoked separately (credentials responder)',
  },
  {
    path: 'time-sync',
    observed: false,
    detail: 'Amazon Time Sync (169.254.169.123) is not filtered by security groups',
    advice: 'harmless for containment; noted so that the list of remaining paths is complete',
  },
];

const routePath = (route: ObservedRoute): ResidualPath => ({
  path: route.via,
  observed: true,
  detail: `route ${route.destination} via ${route.targetId} in ${route.routeTableId}${route.subnetId ? ` (subnet ${route.subnetId})` : ''}`,
  advice: ROUTE_ADVICE[route.via] ?? NACL,
});

/** The paths a security group cannot cut for this instance: observed ones first, then the always-present ones. */
export const residualPaths = (state: InstanceState): ResidualPath[] => {
  const out = (state.routes ?? []).map(routePath);
  for (const tg of state.targetGroups) {
    const protocol = tg.protocol?.toUpperCase();
    if (protocol === 'GENEVE') {
      out.push({ path: 'gateway-load-balancer', observed: true, detail: `target of ${tg.arn} (GENEVE)`, advice: ROUTE_ADVICE['vpc-endpoint']! });
    } else if (protocol && ['TCP', 'UDP', 'TLS', 'TCP_UDP'].includes(protocol)) {
      out.push({
        path: 'network-load-balancer',
        observed: true,
        detail: `target of ${tg.arn} (${protocol}): deregistered, open connections drain for the deregistration delay and stay tracked`,
        advice: `${NACL}; or set the target group's deregistration delay to 0 with connection termination on deregistration`,
      });
    }
  }
  return [...out, ...ALWAYS];
};
