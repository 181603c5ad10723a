/**
 * The evidence contract every responder writes through. The implementation (hash chain, signing,
 * WORM store) lives beside this file; responders depend only on `EvidenceWriter`.
 */

export type EvidenceKind = 'intent' | 'step' | 'outcome' | 'skip' | 'error' | 'escalation' | 'redrive' | 'checkpoint';
export type Mode = 'enforce' | 'dry-run' | 'off';

/** What set the response off. */
export interface Trigger {
  /** `aws.guardduty`, `aws.securityhub`, `aws.health`, `manual`, `drill`. */
  readonly source: string;
  readonly findingId?: string;
  readonly findingType?: string;
  readonly severity?: number;
  /** EventBridge event id, or the Lambda request id of a manual invocation. */
  readonly eventId?: string;
}

/** The resource acted on (or skipped). */
export interface TargetRef {
  /** `ec2-instance`, `iam-access-key`, `iam-user`, `iam-role`, ... */
  readonly type: string;
  readonly id: string;
  readonly account?: string;
  readonly region?: string;
}

/** Who acted: the function (ARN + request id) or the invoking principal of a manual request. */
export interface Actor {
  readonly arn: string;
  readonly requestId?: string;
  readonly requestedBy?: string;
  readonly assumedRoleArn?: string;
}

/** What a responder hands to `append`; the store adds recordId, seq, prevHash, time, controls. */
export interface EvidenceInput {
  readonly kind: EvidenceKind;
  readonly mode: Mode;
  readonly trigger: Trigger;
  readonly target?: TargetRef;
  /** The step or decision, e.g. `ec2:ModifyNetworkInterfaceAttribute` or `skip:protected`. */
  readonly action: string;
  readonly reason?: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly awsRequestIds?: readonly string[];
  readonly actor: Actor;
  /** Free-form structured detail (plan steps, error text, ...). Must be JSON-serialisable. */
  readonly detail?: Record<string, unknown>;
}

export interface StoredRecord {
  /** Object key, `records/{incidentId}/{seq:08}.json`. */
  readonly key: string;
  readonly incidentId: string;
  readonly seq: number;
  /** Hex SHA-256 of the canonical payload. */
  readonly hash: string;
}

export interface EvidenceWriter {
  /** Takes what it keeps of `input` before its first await: callers may reuse the objects they pass. */
  append(incidentId: string, input: EvidenceInput): Promise<StoredRecord>;
}
