import type { WorldFacts } from './facts';

/**
 * What the drill's world takes for granted about an event without a `<event>.world.json`: facts no
 * finding carries, so the plan shows what Cordon would do in the simplest world. Printed with the
 * event, so a short plan is never mistaken for the whole story (world-file format: docs/drill.md).
 */
export const assumedFacts = (facts: WorldFacts): string[] => [
  ...facts.instances.map(
    (i) =>
      `instance ${i.instanceId}: ${i.state}, ${i.enis.length} ENI(s) from the event, ${i.autoScalingGroup ? `in Auto Scaling group ${i.autoScalingGroup}` : 'in no Auto Scaling group'}, no target groups, no classic load balancers, no EBS volumes, no Elastic IPs`,
  ),
  ...facts.users.map((u) => `user ${u.userName}: keys ${u.keys.map((k) => `${k.accessKeyId} ${k.status}`).join(', ') || 'none'}, no other keys, no tags, no console password`),
  ...facts.roles.map((r) => `role ${r.roleName}: path ${r.path}, no tags`),
];
