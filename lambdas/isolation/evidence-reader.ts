import * as z from 'zod';
import { EvidenceIntegrityError, type EvidenceReader, type EvidenceRecordView as StoredRecordView } from '../evidence/reader';
import type { IsolationRecord } from './release';
import type { ObservedAddress, ObservedDevice, ObservedTargetGroup } from './types';

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
 * which isolation sets. An isolation that continued an earlier one (state.ts) names it in its
 * intent record (`detail.previousIsolation`); release reads that one too, and the earliest
 * original of each thing wins.
 */

/** The fields of a stored record's payload that release reads. */
export type EvidenceRecordView = Pick<StoredRecordView, 'seq' | 'kind' | 'action' | 'detail'> & Partial<Pick<StoredRecordView, 'target'>>;

/** The `detail` a step record carries (written by respond.ts). */
const stepDetailSchema = z.looseObject({
  status: z.enum(['succeeded', 'failed', 'not-run']),
  step: z.looseObject({
    kind: z.string(),
    eniId: z.string().optional(),
    before: z.unknown().optional(),
    autoScalingGroupName: z.string().optional(),
    protectedFromScaleIn: z.boolean().optional(),
    targetGroupArn: z.string().optional(),
    targets: z.array(z.looseObject({ id: z.string(), port: z.number().optional(), availabilityZone: z.string().optional() })).optional(),
    loadBalancerName: z.string().optional(),
    address: z.looseObject({ associationId: z.string() }).optional(),
    devices: z.array(z.looseObject({ deviceName: z.string(), deleteOnTermination: z.boolean() })).optional(),
  }),
});

const PROTECTIONS: Record<string, string> = {
  'protect-termination': 'disableApiTermination',
  'protect-stop': 'disableApiStop',
  'shutdown-behaviour-stop': 'shutdownBehaviourStop',
};

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((g) => typeof g === 'string');

/**
 * What the isolation(s) in `records` changed; undefined when they hold no successful isolation
 * step. Records of several incidents: pass the earliest incident's first. Within and across
 * incidents the earliest original wins (a later run saw Cordon's groups as "original").
 */
export const isolationFromRecords = (
  incidentId: string,
  records: readonly EvidenceRecordView[],
  incidents: readonly string[] = [incidentId],
): IsolationRecord | undefined => {
  const enis = new Map<string, readonly string[]>();
  let profileArn: string | undefined;
  let asg: { name: string; protectedFromScaleIn?: boolean } | undefined;
  const targetGroups = new Map<string, ObservedTargetGroup['targets']>();
  const classic = new Set<string>();
  const addresses = new Map<string, ObservedAddress>();
  const protections = new Set<string>();
  const devices = new Map<string, ObservedDevice>();
  for (const record of records) {
    if (record.kind !== 'step') continue;
    const parsed = stepDetailSchema.safeParse(record.detail);
    if (!parsed.success || parsed.data.status !== 'succeeded') continue;
    const step = parsed.data.step;
    const before = step.before;
    if (step.kind === 'eni-isolate' && step.eniId && strings(before)) {
      if (!enis.has(step.eniId)) enis.set(step.eniId, before);
    } else if ((step.kind === 'replace-profile' || step.kind === 'disassociate-profile') && typeof before === 'string') {
      profileArn ??= before;
    } else if (step.kind === 'detach-asg' && step.autoScalingGroupName) {
      asg ??= { name: step.autoScalingGroupName, ...(step.protectedFromScaleIn !== undefined ? { protectedFromScaleIn: step.protectedFromScaleIn } : {}) };
    } else if (step.kind === 'deregister-target-group' && step.targetGroupArn && step.targets) {
      if (!targetGroups.has(step.targetGroupArn)) targetGroups.set(step.targetGroupArn, step.targets);
    } else if (step.kind === 'deregister-classic-elb' && step.loadBalancerName) {
      classic.add(step.loadBalancerName);
    } else if (step.kind === 'disassociate-address' && step.address) {
      const a = step.address as unknown as ObservedAddress;
      if (!addresses.has(a.associationId)) addresses.set(a.associationId, a);
    } else if (PROTECTIONS[step.kind]) {
      protections.add(PROTECTIONS[step.kind]!);
    } else if (step.kind === 'keep-volumes' && step.devices) {
      for (const d of step.devices) if (d.deleteOnTermination && !devices.has(d.deviceName)) devices.set(d.deviceName, d as ObservedDevice);
    }
  }
  const changed = enis.size + targetGroups.size + classic.size + addresses.size + protections.size > 0 || profileArn || asg;
  if (!changed) return undefined;
  return {
    incidentId,
    incidents,
    enis: [...enis].map(([eniId, groupIds]) => ({ eniId, groupIds })),
    ...(profileArn ? { profileArn } : {}),
    ...(asg ? { autoScalingGroupName: asg.name } : {}),
    ...(asg?.protectedFromScaleIn !== undefined ? { protectedFromScaleIn: asg.protectedFromScaleIn } : {}),
    targetGroups: [...targetGroups].map(([arn, targets]) => ({ arn, targets })),
    classicLoadBalancers: [...classic],
    addresses: [...addresses.values()],
    protections: [...protections],
    deleteOnTermination: [...devices.values()],
  };
};

/** Incidents followed from the tagged one through `previousIsolation` links, at most. */
const MAX_LINKS = 5;

/**
 * Reads the isolation of `incidentId` on `instanceId`, following the links to the isolations it
 * continued. Records about another instance are ignored: a tag pointed at a foreign incident
 * cannot make release restore that incident's groups here.
 */
export const readIsolation = async (
  reader: EvidenceReader,
  incidentId: string,
  instanceId: string,
): Promise<IsolationRecord | undefined> => {
  const chain: (readonly EvidenceRecordView[])[] = [];
  const incidents: string[] = [];
  let next: string | undefined = incidentId;
  while (next && !incidents.includes(next) && incidents.length < MAX_LINKS) {
    incidents.push(next);
    const records: EvidenceRecordView[] = (await reader.read(next)).filter((r) => r.target?.id === instanceId);
    chain.unshift(records);
    const link = records.find((r) => r.kind === 'intent' && typeof r.detail?.previousIsolation === 'string')?.detail?.previousIsolation;
    next = typeof link === 'string' ? link : undefined;
  }
  return isolationFromRecords(incidentId, chain.flat(), incidents);
};
