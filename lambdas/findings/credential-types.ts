import type { TargetRef, Trigger } from '../evidence/types';

/**
 * What the credential parsers (credentials.ts and its credential-*.ts sources, health.ts) produce
 * for the credential responder (lambdas/credentials): the targets a request names, the requests,
 * and the helpers every source uses to build them.
 */

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------

/** A long-term (AKIA) or temporary (ASIA) access key of an IAM user. */
export interface IamUserKeyTarget {
  readonly kind: 'iam-user-key';
  readonly account: string;
  readonly accessKeyId: string;
  /** Unknown for some Health events and manual requests: resolved with GetAccessKeyLastUsed. */
  readonly userName?: string;
  readonly principalId?: string;
  /** The finding shows the user itself compromised (console sign-in), not only one key. */
  readonly userCompromised: boolean;
}

/** An IAM user whose leaked key is unknown (Security Hub `AWS::IAM::AccessKey:null`, manual `userName`). */
export interface IamUserTarget {
  readonly kind: 'iam-user';
  readonly account: string;
  readonly userName: string;
  readonly principalId?: string;
  readonly userCompromised: boolean;
}

/** Sessions of an assumed role (stolen instance credentials, ...). */
export interface RoleSessionTarget {
  readonly kind: 'role-session';
  readonly account: string;
  /** GuardDuty puts the role name in `userName` for AssumedRole; absent -> escalate. */
  readonly roleName?: string;
  /** `AROA...:session-name`. */
  readonly principalId?: string;
  readonly sessionName?: string;
  readonly accessKeyId?: string;
  /** The EC2 instance the session belongs to (instance role, e.g. InstanceCredentialExfiltration). */
  readonly instanceId?: string;
  /** `role`: a manual request asks explicitly for the role-wide cut (every holder of the role). */
  readonly scope?: 'role';
}

export interface RootTarget {
  readonly kind: 'root';
  readonly account: string;
  readonly accessKeyId?: string;
}

/** GetFederationToken / SAML / web-identity federated users: no IAM resource to act on. */
export interface FederatedTarget {
  readonly kind: 'federated';
  readonly account: string;
  readonly principalId?: string;
  readonly userName?: string;
  readonly accessKeyId?: string;
}

/** A user type Cordon does not know how to revoke (AWSService, AWSAccount, ...): escalated. */
export interface UnknownPrincipalTarget {
  readonly kind: 'unknown-principal';
  readonly account: string;
  readonly userType: string;
  readonly principalId?: string;
  readonly userName?: string;
  readonly accessKeyId?: string;
}

/**
 * An event that must reach a human although nothing in it can be revoked automatically: an
 * exposure naming no parsable key, an account console compromise, AWS's own quarantine.
 */
export interface UnactionableTarget {
  readonly kind: 'unactionable';
  readonly account: string;
  readonly code: 'key-unparsable' | 'console-compromise' | 'aws-quarantine';
  /** What the event names (user, key, account), for the evidence target. */
  readonly subject: string;
  readonly reason: string;
}

export type CredentialTarget =
  | IamUserKeyTarget
  | IamUserTarget
  | RoleSessionTarget
  | RootTarget
  | FederatedTarget
  | UnknownPrincipalTarget
  | UnactionableTarget;

/** Manual pattern: every field given must match (AND). */
export interface KeyPattern {
  readonly accessKeyId?: string;
  readonly userName?: string;
  readonly pathPrefix?: string;
  readonly tag?: { readonly key: string; readonly value: string };
  readonly olderThanDays?: number;
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

export interface RequestBase {
  readonly trigger: Trigger;
  readonly incidentId: string;
  /** Region of the event; IAM itself is global. */
  readonly region: string;
}

export interface RevokeRequest extends RequestBase {
  readonly kind: 'revoke';
  readonly targets: readonly CredentialTarget[];
  /** GuardDuty sample finding or placeholder ids: never acts in enforce mode. */
  readonly sample: boolean;
  /** Recorded as evidence only: the session cut-off is the time of processing, never this. */
  readonly eventLastSeen?: string;
  readonly requestedBy?: string;
  readonly reason?: string;
  readonly ticket?: string;
  /** Manual only: act on protected-tag / allowlisted principals (never root, SLR, SSO, own roles). */
  readonly force: boolean;
}

export interface PatternRequest extends RequestBase {
  readonly kind: 'pattern';
  readonly account: string;
  readonly pattern: KeyPattern;
  readonly preview: boolean;
  readonly confirm?: string;
  /** Quarantine every matching user too (AWSDenyAll + console password): only when the request says so. */
  readonly quarantineUser: boolean;
  readonly requestedBy: string;
  readonly reason: string;
  readonly ticket?: string;
}

export interface RestoreRequest extends RequestBase {
  readonly kind: 'restore';
  readonly requestedBy: string;
  readonly reason: string;
  readonly ticket?: string;
}

export interface SkipRequest extends RequestBase {
  readonly kind: 'skip';
  readonly reason: string;
  readonly target?: TargetRef;
}

export type CredentialRequest = RevokeRequest | PatternRequest | RestoreRequest | SkipRequest;

/** What the parser needs to know about where it runs. */
export interface ParseContext {
  /** Account of the responder: the default for manual requests. */
  readonly homeAccount: string;
  readonly homeRegion: string;
  /** Lambda request id: the event id of a manual invocation. */
  readonly requestId?: string;
}

/** A long-term key starts AKIA, a temporary (STS) one ASIA. */
export const isTemporaryKey = (accessKeyId: string): boolean => accessKeyId.startsWith('ASIA');

/** GuardDuty finding types that show the user itself compromised (console password), not one key. */
export const USER_COMPROMISE_TYPES = /(^|\/)UnauthorizedAccess:IAMUser[/-]ConsoleLogin/;
export const isUserCompromise = (findingType: string | undefined): boolean =>
  findingType !== undefined && USER_COMPROMISE_TYPES.test(findingType);

export const skipRequest = (base: RequestBase, reason: string, target?: TargetRef): SkipRequest => ({
  kind: 'skip',
  ...base,
  reason,
  ...(target ? { target } : {}),
});

/** The evidence target of a credential target. */
export const targetRefOf = (t: CredentialTarget): TargetRef => {
  switch (t.kind) {
    case 'iam-user-key':
      return { type: 'iam-access-key', id: t.accessKeyId, account: t.account };
    case 'iam-user':
      return { type: 'iam-user', id: t.userName, account: t.account };
    case 'role-session':
      return { type: 'iam-role', id: t.roleName ?? t.principalId ?? '(unknown role)', account: t.account };
    case 'root':
      return { type: 'iam-root', id: t.account, account: t.account };
    case 'federated':
      return { type: 'iam-federated-user', id: t.principalId ?? t.userName ?? '(unknown)', account: t.account };
    case 'unknown-principal':
      return { type: `iam-${t.userType}`, id: t.principalId ?? t.userName ?? t.accessKeyId ?? '(unknown)', account: t.account };
    case 'unactionable':
      return { type: 'iam', id: t.subject, account: t.account };
  }
};
