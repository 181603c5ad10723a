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

/**
 * How a manual request reached the function. Through the function URL (auth type AWS_IAM) the
 * caller is the principal AWS authenticated from the SigV4 signature (the URL's request context);
 * a direct invocation (automation, the EventBridge path) carries no authenticated caller.
 */
export type ManualCaller =
  | {
      readonly via: 'function-url';
      /** The authenticated principal, e.g. `arn:aws:sts::111122223333:assumed-role/Responder/alice`. */
      readonly arn: string;
      readonly accountId: string;
      /** IAM's unique id of the caller (`AROA...:session` for a role session). */
      readonly callerId?: string;
      readonly principalOrgId?: string;
      readonly sourceIp?: string;
      readonly userAgent?: string;
      /** The function URL's own request id. */
      readonly urlRequestId?: string;
    }
  | { readonly via: 'direct-invoke' };

/** Who acted: the function (ARN + request id) or the invoking principal of a manual request. */
export interface Actor {
  readonly arn: string;
  readonly requestId?: string;
  /** Free text the requester typed (`--requested-by`): what they say, not what AWS authenticated. */
  readonly requestedBy?: string;
  readonly assumedRoleArn?: string;
  /** Manual requests only: how the request arrived and, through the URL, who AWS authenticated. */
  readonly caller?: ManualCaller;
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
