import { z } from 'zod';
import { EvidenceIntegrityError, type EvidenceReader, type EvidenceRecordView as StoredRecordView } from '../evidence/reader';
import type { IsolationRecord } from './plan';

export { EvidenceIntegrityError, type EvidenceReader } from '../evidence/reader';

/** The verified records of an incident, or the verification failure that forbids acting on them. */
export const readVerified = async (reader: EvidenceReader, incidentId: string): Promise<readonly StoredRecordView[] | EvidenceIntegrityError> => {
  try {
    return await reader.read(incidentId);
  } catch (error) {
    if (error instanceof EvidenceIntegrityError) return error;
    throw error;
  }
};

/**
 * Release reads what the isolation changed from its evidence, not from memory: the step records
 * hold, for each step, the step itself (with the ENI's original groups, the original instance
 * profile, the Auto Scaling group name) and whether it succeeded.
 *
 * `EvidenceReader` (lambdas/evidence/reader.ts) is the one thing release needs from the store.
 * Which incident: the release request's `incidentId`, else the instance's `cordon:incident` tag,
 * which isolation sets.
 */

/** The fields of a stored record's payload that release reads. */
export type EvidenceRecordView = Pick<StoredRecordView, 'seq' | 'kind' | 'action' | 'detail'>;

/** The `detail` a step record carries (written by respond.ts `stepRecord`). */
const stepDetailSchema = z.looseObject({
  status: z.enum(['succeeded', 'failed', 'not-run']),
  step: z.looseObject({
    kind: z.string(),
    eniId: z.string().optional(),
    before: z.unknown().optional(),
    autoScalingGroupName: z.string().optional(),
  }),
});

/**
 * What the isolation of `incidentId` changed, from its step records; undefined when the incident
 * holds no successful isolation step. Several isolations in one incident: the earliest state wins
 * (a later run saw the isolation groups as "original").
 */
export const isolationFromRecords = (
  incidentId: string,
  records: readonly EvidenceRecordView[],
): IsolationRecord | undefined => {
  const enis = new Map<string, readonly string[]>();
  let profileArn: string | undefined;
  let autoScalingGroupName: string | undefined;
  let any = false;
  for (const record of [...records].sort((a, b) => a.seq - b.seq)) {
    if (record.kind !== 'step') continue;
    const parsed = stepDetailSchema.safeParse(record.detail);
    if (!parsed.success || parsed.data.status !== 'succeeded') continue;
    const step = parsed.data.step;
    const before = step.before;
    if (step.kind === 'eni-isolate' && step.eniId && Array.isArray(before) && before.every((g) => typeof g === 'string')) {
      any = true;
      if (!enis.has(step.eniId)) enis.set(step.eniId, before as string[]);
    } else if ((step.kind === 'replace-profile' || step.kind === 'disassociate-profile') && typeof before === 'string') {
      any = true;
      profileArn ??= before;
    } else if (step.kind === 'detach-asg' && step.autoScalingGroupName) {
      any = true;
      autoScalingGroupName ??= step.autoScalingGroupName;
    }
  }
  if (!any) return undefined;
  return {
    incidentId,
    enis: [...enis].map(([eniId, groupIds]) => ({ eniId, groupIds })),
    ...(profileArn ? { profileArn } : {}),
    ...(autoScalingGroupName ? { autoScalingGroupName } : {}),
  };
};
