import { INCIDENT_TAG, type InstanceState, type ObservedEni } from './types';

/**
 * Isolation state is kept per instance, not per incident.
 *
 * Where it lives: the instance's `cordon:incident` tag names the incident that isolated it, and
 * that incident's signed evidence holds the originals (each ENI's groups, the Auto Scaling group
 * and its scale-in protection, target groups, Elastic IPs, instance profile). Why not a table: the
 * tag is read by the observation that every finding makes anyway (DescribeInstances, no extra
 * round trip) in whichever account and region the instance lives, it is written in the first
 * mutating round so a later finding sees it at once, and it cannot drift from the evidence because
 * the originals are never copied into it; a tag someone forged or moved cannot make release
 * restore foreign groups, because release acts only on the named incident's evidence for this
 * very instance (evidence-reader.ts). What a tag cannot do is a compare-and-set: two findings
 * observed in the same instant both isolate. Both then observed the true originals (an ENI already
 * on one of Cordon's groups is never taken as an original), so whichever incident the tag ends on,
 * release restores the same originals.
 *
 * "Isolated" is decided from the ENIs, not from the tag alone: a tag with no ENI on Cordon's groups
 * (an isolation that reverted every ENI, or groups an operator restored by hand) is a previous
 * isolation to link to, not an isolation in place.
 */

export const isolationGroupIds = (state: InstanceState): { readonly all: ReadonlySet<string>; readonly isolation: ReadonlySet<string> } => ({
  all: new Set(state.isolationGroups.map((g) => g.groupId)),
  isolation: new Set(state.isolationGroups.filter((g) => g.role === 'isolation').map((g) => g.groupId)),
});

/** Is this ENI on exactly Cordon's isolation group (cut)? */
export const isCut = (eni: ObservedEni, isolation: ReadonlySet<string>): boolean =>
  eni.groupIds.length > 0 && eni.groupIds.every((g) => isolation.has(g));

export interface IsolationInPlace {
  /** The incident the instance's tag names; undefined when the ENIs say isolated but no tag does. */
  readonly incidentId?: string;
  /** ENIs on exactly the isolation group. */
  readonly cut: readonly string[];
  /** ENIs (not managed by another service) that are not, e.g. left on their own groups by a failed step. */
  readonly notCut: readonly string[];
}

/** The isolation in place on the instance, or undefined when no ENI is on one of Cordon's groups. */
export const isolationInPlace = (state: InstanceState): IsolationInPlace | undefined => {
  const groups = isolationGroupIds(state);
  const enis = state.enis.filter((e) => !e.requesterManaged);
  if (!enis.some((e) => e.groupIds.some((g) => groups.all.has(g)))) return undefined;
  const tag = state.instance?.tags[INCIDENT_TAG];
  return {
    ...(tag ? { incidentId: tag } : {}),
    cut: enis.filter((e) => isCut(e, groups.isolation)).map((e) => e.eniId),
    notCut: enis.filter((e) => !isCut(e, groups.isolation)).map((e) => e.eniId),
  };
};

/** An earlier isolation this one continues (the tag names another incident, no ENI is on Cordon's
 * groups any more): release reads its evidence too, for what it changed and never undid. */
export const previousIsolation = (state: InstanceState, incidentId: string): string | undefined => {
  const tag = state.instance?.tags[INCIDENT_TAG];
  return tag && tag !== incidentId && !isolationInPlace(state) ? tag : undefined;
};

/** Where an incident's records are, for links in evidence and messages. */
export const evidencePrefix = (incidentId: string): string => `records/${incidentId}/`;
