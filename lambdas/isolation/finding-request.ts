import { GetFindingsCommand } from '@aws-sdk/client-guardduty';
import { ec2TargetFromGuardDutyFinding, type Ec2Skip, type ManualFindingRequest, type ManualIsolateTarget } from '../findings/ec2';
import { fromSdkFinding } from '../findings/guardduty';
import { incidentIdFor } from '../findings/incident';
import { errorMessage, TransientAwsError } from '../shared/errors';
import { isTransient, type RespondDeps } from './access';

/**
 * A manual request naming a GuardDuty finding: GetFindings (SDK result is PascalCase), then the
 * automatic path's parser; the request keeps its requester, reason and `force`.
 */
export const resolveFindingRequest = async (
  request: ManualFindingRequest,
  deps: RespondDeps,
): Promise<{ target: ManualIsolateTarget } | { skip: Ec2Skip }> => {
  const region = request.region ?? deps.homeRegion;
  if (!deps.guardDutyFor) throw new Error('respond: a manual request names a finding but no guardDutyFor is wired');
  let out;
  try {
    out = await deps.guardDutyFor(region).send(new GetFindingsCommand({ DetectorId: request.detectorId, FindingIds: [request.findingId] }));
  } catch (error) {
    if (isTransient(error)) throw new TransientAwsError(`GetFindings ${request.findingId} failed: ${errorMessage(error)}`, error);
    throw error;
  }
  const incidentKey = `finding:${request.detectorId}/${request.findingId}`;
  const raw = out.Findings?.find((f) => f.Id === request.findingId) ?? out.Findings?.[0];
  const parsed = raw ? fromSdkFinding(raw) : undefined;
  if (!parsed?.success) {
    return {
      skip: {
        reason: 'finding-not-found',
        message: raw
          ? `expected GetFindings to return a guardduty finding, received an invalid one for ${request.findingId}`
          : `expected finding ${request.findingId} in detector ${request.detectorId} (${region}), GetFindings returned none`,
        trigger: request.trigger,
        incidentId: incidentIdFor('manual', incidentKey),
      },
    };
  }
  const result = ec2TargetFromGuardDutyFinding(parsed.data, {
    envelope: { region },
    trigger: { source: 'manual', ...(request.trigger.eventId ? { eventId: request.trigger.eventId } : {}) },
  });
  if ('skip' in result) return result;
  const t = result.target;
  return {
    target: {
      kind: 'manual',
      action: 'isolate',
      instance: t.instance,
      incidentId: t.incidentId,
      trigger: t.trigger,
      reason: request.reason,
      requestedBy: request.requestedBy,
      ...(request.ticket ? { ticket: request.ticket } : {}),
      force: request.force,
      finding: t.finding,
    },
  };
};
