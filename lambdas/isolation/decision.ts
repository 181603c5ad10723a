import type { Mode } from '../evidence/types';
import type { Ec2Target } from '../findings/ec2';
import { evidencePrefix, isolationInPlace } from './state';
import { RELEASED_TAG, type InstanceState, type IsolationConfig } from './types';

/** The guardrail decision before planning (pure): skip with a reason, or go. */

export type IsolationSkipReason =
  | 'mode-off'
  | 'instance-not-found'
  | 'instance-stopped'
  | 'instance-terminated'
  | 'protected'
  | 'sample-finding'
  | 'below-minimum-severity'
  | 'already-isolated';

export interface Decision {
  /** Not acted on, and a person must look: an automatic finding on an instance a human released. */
  readonly escalate?: {
    readonly reason: 'released-by-human';
    readonly message: string;
    readonly releasedBy: { readonly incidentId: string; readonly evidence: string };
  };
  readonly skip?: {
    readonly reason: IsolationSkipReason;
    readonly message: string;
    /** The incident that isolated the instance, and where its evidence is. */
    readonly isolatedBy?: { readonly incidentId: string; readonly evidence: string };
  };
}

/** Is the instance already isolated (by this incident or any other), so nothing should change? A
 * redelivery of the isolating finding whose cut was incomplete goes on (the plan covers only what
 * is left). */
const alreadyIsolated = (target: Ec2Target, state: InstanceState): Decision['skip'] | undefined => {
  const inPlace = isolationInPlace(state);
  if (!inPlace) return undefined;
  const id = target.instance.instanceId;
  if (inPlace.incidentId === target.incidentId && inPlace.notCut.length > 0) return undefined;
  if (!inPlace.incidentId) {
    return {
      reason: 'already-isolated',
      message: `instance ${id} has ENIs on Cordon's isolation groups (${inPlace.cut.join(', ') || 'allow-all only'}) but no cordon:incident tag: an isolation is in progress or its tag was removed; nothing changed`,
    };
  }
  const isolatedBy = { incidentId: inPlace.incidentId, evidence: evidencePrefix(inPlace.incidentId) };
  const partly = inPlace.notCut.length > 0 ? `; ENIs not cut by it: ${inPlace.notCut.join(', ')}` : '';
  return {
    reason: 'already-isolated',
    message:
      inPlace.incidentId === target.incidentId
        ? `instance ${id} is already isolated for incident ${target.incidentId}; nothing changed`
        : `instance ${id} is already isolated by incident ${inPlace.incidentId} (evidence ${isolatedBy.evidence}); nothing changed${partly}`,
    isolatedBy,
  };
};

export const isolationDecision = (
  target: Ec2Target,
  state: InstanceState,
  config: IsolationConfig,
  mode: Mode,
): Decision => {
  const id = target.instance.instanceId;
  if (mode === 'off') return { skip: { reason: 'mode-off', message: 'cordon mode is off: no action' } };
  const instance = state.instance;
  if (!instance) {
    return { skip: { reason: 'instance-not-found', message: `expected instance ${id} to exist, DescribeInstances found none` } };
  }
  if (instance.state === 'stopped') {
    return { skip: { reason: 'instance-stopped', message: `expected a running instance, ${id} is stopped` } };
  }
  if (instance.state === 'terminated' || instance.state === 'shutting-down') {
    return { skip: { reason: 'instance-terminated', message: `expected a running instance, ${id} is ${instance.state}` } };
  }
  if (target.action === 'release') return {};
  const finding = 'finding' in target ? target.finding : undefined;
  if (finding?.sample && mode === 'enforce') {
    return { skip: { reason: 'sample-finding', message: `finding ${finding.id} is a guardduty sample finding: never acted on in enforce mode` } };
  }
  // Only automatic GuardDuty findings are gated: a Security Hub custom action is an analyst's decision.
  if (
    target.kind === 'guardduty' &&
    config.minimumSeverity !== undefined &&
    finding?.severity !== undefined &&
    finding.severity < config.minimumSeverity
  ) {
    return {
      skip: {
        reason: 'below-minimum-severity',
        message: `expected severity >= ${config.minimumSeverity}, received ${finding.severity}`,
      },
    };
  }
  // Never overridable: the isolation role's IAM policy denies every mutating call on a resource
  // carrying the protected tag, so a forced attempt would only fail half-way.
  const { key, value } = config.protectedTag;
  if (instance.tags[key] === value) {
    const forced = target.kind === 'manual' && target.force;
    const message = `instance ${id} is tagged ${key}=${value}`;
    return {
      skip: {
        reason: 'protected',
        message: forced ? `${message} (force cannot override it: IAM denies Cordon any change to a protected resource; remove the tag to act)` : message,
      },
    };
  }
  const isolated = alreadyIsolated(target, state);
  if (isolated) return { skip: isolated };
  // A person released this instance (judged the isolation done, e.g. a false positive): an
  // automatic finding does not undo that judgement; it escalates with the link. A Security Hub
  // click or a manual request is a person's new decision and goes on.
  const released = instance.tags[RELEASED_TAG];
  if (released && target.kind === 'guardduty') {
    const releasedBy = { incidentId: released, evidence: evidencePrefix(released) };
    return {
      escalate: {
        reason: 'released-by-human',
        message: `instance ${id} was released by a person after incident ${released} (evidence ${releasedBy.evidence}); an automatic finding does not isolate it again: isolate it by hand if this finding changes that judgement`,
        releasedBy,
      },
    };
  }
  return {};
};
