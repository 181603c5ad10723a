import type { ManualReleaseTarget } from '../findings/ec2';
import { settle, type Settled } from '../pipeline/recorder';
import type { Responder, Stop } from '../pipeline/types';
import { ec2Responder, reach, regionOf, type Reached, type RespondDeps, type ResponseSummary } from './access';
import { isolationDecision } from './decision';
import { EvidenceIntegrityError, readIsolation } from './evidence-reader';
import { executeWithEvidence, outcomeOf, summaryOfState, type Executed } from './records';
import { notRestored, planRelease, type IsolationRecord } from './release';
import type { AccountAccess } from '../shared/assume';
import { INCIDENT_TAG, type InstanceState, type Step } from './types';

/**
 * The release responder on the pipeline: find the isolating incident (request, else the instance's
 * tag), read what it changed from its evidence (and from the isolations it continued), restore,
 * untag, and say what was not restored with the command for each. Evidenced in the isolation's own
 * incident, so one chain tells the whole story. A release is a person's decision: the breaker does
 * not count it.
 */

/** The instance, and the isolation's evidence (read only when the release can go on). */
interface ReleaseObserved extends Reached {
  readonly isolation?: Settled<IsolationRecord | undefined>;
}

interface ReleasePlan {
  readonly steps: readonly Step[];
  readonly access: AccountAccess;
  readonly state: InstanceState;
  readonly isolation: IsolationRecord;
}

/** The incident that isolated the instance: named by the request, else its tag. */
const isolationIncidentOf = (target: ManualReleaseTarget, state: InstanceState | undefined): string | undefined =>
  target.isolationIncidentId ?? state?.instance?.tags[INCIDENT_TAG];

/** Reads the isolation's evidence (in parallel with the kill switch) when nothing stops the release first. */
const observeRelease = async (target: ManualReleaseTarget, deps: RespondDeps): Promise<ReleaseObserved> => {
  const reached = await reach(target, deps);
  const state = reached.state?.ok ? reached.state.value : undefined;
  const incident = isolationIncidentOf(target, state);
  if (!state || !incident || !deps.reader || isolationDecision(target, state, deps.config, 'enforce').skip) return reached;
  return { ...reached, isolation: await settle(readIsolation(deps.reader, incident, target.instance.instanceId)) };
};

const notRestoredOf = (target: ManualReleaseTarget, deps: RespondDeps, plan: ReleasePlan, executed?: Executed) =>
  notRestored(target.instance.instanceId, regionOf(target, deps), plan.isolation, target.reattachAsg, executed?.results, plan.state.profileAssociation);

export const releaseResponder = (deps: RespondDeps): Responder<ManualReleaseTarget, ReleaseObserved, ReleasePlan, Executed, ResponseSummary> =>
  ec2Responder<ManualReleaseTarget, ReleaseObserved, ReleasePlan, Executed>(deps, {
    observe: (target) => observeRelease(target, deps),
    plan: (target, observed, mode, { state, access }) => {
      const instanceId = target.instance.instanceId;
      const incident = isolationIncidentOf(target, state);
      const inIncident = incident ? { incidentId: incident } : {};
      const skip = (reason: string, message: string): Stop<never> => ({
        decision: 'skip',
        reason,
        records: [{ kind: 'skip', action: `skip:${reason}`, reason: message, before: summaryOfState(state) }],
        ...inIncident,
      });
      const decision = isolationDecision(target, state, deps.config, mode);
      if (decision.skip) return skip(decision.skip.reason, decision.skip.message);
      if (!incident) return skip('no-isolation-evidence', `expected an incidentId or a ${INCIDENT_TAG} tag on ${instanceId}, found neither`);
      if (!deps.reader) return { decision: 'skip', records: [], retry: new Error('respond: release needs an evidence reader'), ...inIncident };
      const read = observed.isolation;
      if (read && !read.ok) {
        // A record that fails verification must not steer a release: refuse, say why, escalate.
        if (!(read.error instanceof EvidenceIntegrityError)) return { decision: 'escalate', records: [], retry: read.error, ...inIncident };
        return {
          decision: 'escalate',
          reason: 'evidence-unverified',
          records: [{ kind: 'escalation', action: 'escalate:evidence-unverified', reason: `refusing to release ${instanceId}: ${read.error.message}`, detail: { key: read.error.key, code: read.error.code } }],
          ...inIncident,
        };
      }
      const isolation = read?.value;
      if (!isolation) return skip('no-isolation-evidence', `expected successful isolation steps on ${instanceId} in incident ${incident}, found none`);
      return { go: { steps: planRelease(target, state, isolation), access, state, isolation }, incidentId: incident };
    },
    execute: async ({ plan, mode }, rec) =>
      plan.steps.length === 0 ? { results: [], incidentId: rec.incidentId, lost: [] } : executeWithEvidence(plan.steps, deps.clientsFor(plan.access), mode, deps, rec),
    intent: ({ target, plan, mode }) => ({
      kind: 'intent',
      action: 'release-instance',
      reason: mode === 'dry-run' ? `dry-run: ${target.reason}` : target.reason,
      before: summaryOfState(plan.state),
      detail: {
        dryRun: mode === 'dry-run',
        plan: plan.steps,
        isolation: plan.isolation,
        reattachAsg: target.reattachAsg,
        ...(target.ticket ? { ticket: target.ticket } : {}),
        notRestored: notRestoredOf(target, deps, plan),
      },
    }),
    outcome: ({ target, plan }, executed) => {
      if (plan.steps.length === 0) {
        return {
          decision: 'act',
          reason: 'nothing-to-restore',
          outcome: { kind: 'outcome', action: 'release-instance', reason: 'nothing to restore: already as before isolation', detail: { notRestored: notRestoredOf(target, deps, plan) } },
        };
      }
      return {
        ...outcomeOf(executed, { action: 'release-instance', detail: { notRestored: notRestoredOf(target, deps, plan, executed) } }),
        decision: 'act',
        ...(executed.results.some((r) => r.status !== 'succeeded') ? { reason: 'some-steps-failed' } : {}),
      };
    },
  });
