import type * as z from 'zod';
import type { Trigger } from '../evidence/types';
import { issues } from './common';

/**
 * What the EC2 parsers (ec2.ts and its ec2-*.ts sources) produce for the isolation responder: one
 * `Ec2Target` union, the skips with their stable reason codes, and manual requests that name a
 * GuardDuty finding still to be fetched.
 */

/** Why an event yields no target. Stable codes: evidence and dashboards group by them. */
export type Ec2SkipReason =
  | 'unrecognised-event'
  | 'unsupported-source'
  | 'unsupported-detail-type'
  | 'invalid-finding'
  | 'not-an-ec2-finding'
  | 'no-ec2-instance'
  | 'invalid-instance-id'
  | 'invalid-manual-request'
  /** A manual request named a GuardDuty finding that GetFindings did not return. */
  | 'finding-not-found'
  /** The instance is the TARGET of inbound activity (brute force, port probe): a victim. */
  | 'victim-of-inbound';

export interface Ec2Skip {
  readonly reason: Ec2SkipReason;
  readonly message: string;
  readonly trigger: Trigger;
  /** The incident the skip is evidenced in (deterministic from the event). */
  readonly incidentId: string;
  readonly instanceId?: string;
}

/** Where the instance lives. Account/region undefined = the function's own. */
export interface InstanceRef {
  readonly instanceId: string;
  readonly account?: string;
  readonly region?: string;
}

export interface FindingInfo {
  readonly id: string;
  readonly type: string;
  readonly severity?: number;
  readonly sample: boolean;
  readonly detectorId?: string;
  readonly title?: string;
}

interface TargetBase {
  readonly instance: InstanceRef;
  readonly incidentId: string;
  readonly trigger: Trigger;
}

export interface GuardDutyEc2Target extends TargetBase {
  readonly kind: 'guardduty';
  readonly action: 'isolate';
  readonly finding: FindingInfo;
  /** `Instance`, or the runtime resource (`Container`, `EKSCluster`, ...) whose host instance it is. */
  readonly resourceType: string;
}

export interface SecurityHubEc2Target extends TargetBase {
  readonly kind: 'securityhub';
  readonly action: 'isolate';
  readonly finding: FindingInfo;
  readonly customAction?: string;
}

interface ManualBase extends TargetBase {
  readonly kind: 'manual';
  readonly reason: string;
  readonly requestedBy: string;
  readonly ticket?: string;
}

export interface ManualIsolateTarget extends ManualBase {
  readonly action: 'isolate';
  /** Overrides the protected tag; evidenced with requester and reason. */
  readonly force: boolean;
  /** Set when the request named a GuardDuty finding that was resolved to this instance. */
  readonly finding?: FindingInfo;
}

export interface ManualReleaseTarget extends ManualBase {
  readonly action: 'release';
  /** Put the instance back in its Auto Scaling group (raises its desired capacity). */
  readonly reattachAsg: boolean;
  /** The isolation incident to undo; else read from the instance's `cordon:incident` tag. */
  readonly isolationIncidentId?: string;
}

export type Ec2Target = GuardDutyEc2Target | SecurityHubEc2Target | ManualIsolateTarget | ManualReleaseTarget;

/** A manual request that names a GuardDuty finding: resolved with GetFindings, then handled like
 * the automatic path (`ec2TargetsFromGuardDutyFinding`). */
export interface ManualFindingRequest {
  readonly kind: 'manual-finding';
  readonly findingId: string;
  readonly detectorId: string;
  /** Region of the detector (the GuardDuty administrator's, usually); undefined = the function's. */
  readonly region?: string;
  readonly reason: string;
  readonly requestedBy: string;
  readonly ticket?: string;
  readonly force: boolean;
  readonly trigger: Trigger;
}

export interface Ec2ParseResult {
  readonly targets: readonly Ec2Target[];
  readonly skips: readonly Ec2Skip[];
  readonly findingRequests: readonly ManualFindingRequest[];
}

/** Invocation context of a manual request (the Lambda request id). */
export interface ParseContext {
  readonly requestId?: string;
}

export const skipOnly = (skip: Ec2Skip): Ec2ParseResult => ({ targets: [], skips: [skip], findingRequests: [] });

/** What an event is keyed by when it has no id of its own (incident ids of its skips). */
export const eventKey = (event: unknown, id: string | undefined): string => id ?? JSON.stringify(event ?? null).slice(0, 4096);

/** The first three issues of a schema's complaint. */
export const firstIssues = (error: z.ZodError): string => issues(error, 3);
