import type { CredentialTarget } from '../findings/credentials';
import { PROTECTED_TAG } from '../shared/names';

/** What the credential responder is configured with (handler env, validated with zod). */
export interface CredentialsConfig {
  /** Users and roles with this tag are never revoked automatically. @default cordon:protected=true */
  readonly protectedTag: { readonly key: string; readonly value: string };
  /** Principal ARNs or plain user/role names never revoked automatically (break-glass). */
  readonly allowlist: readonly string[];
  /**
   * Cordon's own principals in the home account, by EXACT ARN (function roles, the session
   * revoker's role): never revoked. Never a name prefix: a user called `CordonBackdoor` is revoked.
   */
  readonly ownPrincipalArns: readonly string[];
  /** Roles Cordon deploys in every member account (root path), by exact name: protected as
   * `arn:{partition}:iam::{account}:role/{name}` of the target account, never by prefix. */
  readonly ownMemberRoleNames: readonly string[];
  /** Also quarantine the user (attach the deny-all policy + delete console password) on every leaked key. @default false */
  readonly quarantineUser: boolean;
  /**
   * Stolen role sessions of an unknown instance, or automatic findings on instance credentials:
   * cut EVERY session of the role (all holders, for hours: EC2 rotates instance credentials on its
   * own schedule) instead of escalating. @default false
   */
  readonly roleWideSessions: boolean;
  /** Added to the time the keys were inactive to make the session cut-off (IAM is eventually consistent). @default 30 */
  readonly cutoffMarginSeconds: number;
  /** GuardDuty findings below this severity are skipped (root, exposure and quarantine events never). */
  readonly minimumSeverity?: number;
  /** @default aws */
  readonly partition: string;
}

export const defaultCredentialsConfig: CredentialsConfig = {
  protectedTag: PROTECTED_TAG,
  allowlist: [],
  ownPrincipalArns: [],
  ownMemberRoleNames: [],
  quarantineUser: false,
  roleWideSessions: false,
  cutoffMarginSeconds: 30,
  partition: 'aws',
};

export interface ObservedKey {
  readonly accessKeyId: string;
  readonly status: 'Active' | 'Inactive' | 'Expired' | string;
  readonly createDate?: string;
}

export interface LoginProfileView {
  readonly createDate?: string;
  readonly passwordResetRequired?: boolean;
}

/** The session-revocation policy a principal already carries (`cordon-revoke-sessions`), parsed. */
export interface ExistingRevocation {
  /** Principal-wide cut-off. */
  readonly cutoff?: string;
  /** Instance-scoped: the instances whose role sessions are cut, and their (common) cut-off. */
  readonly instanceArns: readonly string[];
  readonly instanceCutoff?: string;
}

/** An IAM user as observed in one parallel round (GetUser, ListUserTags, ListAccessKeys, GetLoginProfile, GetUserPolicy). */
export interface UserState {
  readonly kind: 'user';
  readonly userName: string;
  readonly exists: boolean;
  readonly arn?: string;
  readonly path?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly keys: readonly ObservedKey[];
  /** Undefined: the user has no console password. */
  readonly loginProfile?: LoginProfileView;
  /** Owner of the leaked key per GetAccessKeyLastUsed (undefined when not looked up or unknown). */
  readonly keyOwner?: string;
  /** The leaked key does not exist in the account (GetAccessKeyLastUsed said so). */
  readonly keyNotFound?: boolean;
  readonly revocation?: ExistingRevocation;
}

/** An IAM role as observed (GetRole, ListRoleTags, GetRolePolicy). */
export interface RoleState {
  readonly kind: 'role';
  readonly roleName: string;
  readonly exists: boolean;
  readonly arn?: string;
  readonly path?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly revocation?: ExistingRevocation;
}

/** No IAM state applies (root, federated, unknown principal) or the target could not be resolved. */
export interface NoState {
  readonly kind: 'none';
  readonly reason?: string;
}

export type ObservedState = UserState | RoleState | NoState;

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly Record<string, unknown>[];
}

interface StepBase {
  /** `s1`, `s2`, ... in plan order. */
  readonly id: string;
  readonly account: string;
}

/**
 * The mutating calls Cordon makes. Plans are data (STYLE.md #8). No step carries a policy
 * document: quarantine attaches one fixed managed policy, and the session deny is written by the
 * session revoker state machine, whose definition holds the document (lib/constructs/session-revoker.ts).
 */
export type Step =
  | (StepBase & { readonly kind: 'deactivate-key'; readonly userName: string; readonly accessKeyId: string })
  | (StepBase & {
      readonly kind: 'revoke-sessions';
      readonly principalType: 'user' | 'role';
      readonly principalName: string;
      /** `principal`: every session of the principal issued before the cut-off; `instance`: only
       * the sessions of the role issued to `instanceArn` (ec2:SourceInstanceARN). */
      readonly scope: 'principal' | 'instance';
      readonly instanceArn?: string;
      /** Who else loses sessions, in words, for the evidence. */
      readonly collateral: string;
      /** What the principal already carried: the new policy never moves a cut-off backwards. */
      readonly existing?: ExistingRevocation;
    })
  | (StepBase & { readonly kind: 'attach-quarantine'; readonly userName: string; readonly policyArn: string })
  | (StepBase & { readonly kind: 'delete-login-profile'; readonly userName: string; readonly loginProfile: LoginProfileView })
  // Restore (undo) steps. A session deny is never removed.
  | (StepBase & { readonly kind: 'activate-key'; readonly userName: string; readonly accessKeyId: string })
  | (StepBase & { readonly kind: 'detach-quarantine'; readonly userName: string; readonly policyArn: string });

export type StepKind = Step['kind'];

/** A step before plan order gives it an id. */
export type StepDraft = Step extends infer S ? (S extends Step ? Omit<S, 'id'> : never) : never;

/**
 * What an incident depends on staying in place: a key it deactivated (or found inactive) and a
 * user it quarantined. A restore of another incident never undoes what this one still holds.
 */
export interface Hold {
  readonly account: string;
  readonly kind: 'key' | 'quarantine';
  readonly userName: string;
  readonly accessKeyId?: string;
}

export type EscalationCode =
  | 'root'
  | 'federated'
  | 'unknown-principal'
  | 'service-linked-role'
  | 'identity-center-role'
  | 'own-role'
  | 'protected-tag'
  | 'allowlisted'
  | 'not-found'
  | 'key-owner-mismatch'
  | 'key-deleted'
  | 'unresolved'
  | 'temporary-key'
  | 'key-unknown'
  | 'role-wide-available'
  | 'role-wide-needed'
  | 'aws-quarantine'
  | 'console-compromise'
  | 'not-restorable'
  | 'key-held'
  | 'key-unparsable';

export interface Escalation {
  readonly code: EscalationCode;
  readonly target: CredentialTarget;
  readonly reason: string;
}

export interface Plan {
  /** `act`: at least one step. `escalate`: nothing to do automatically and a human must look. `skip`: nothing to do. */
  readonly decision: 'act' | 'escalate' | 'skip';
  readonly steps: readonly Step[];
  readonly escalations: readonly Escalation[];
  /** Facts worth recording that change nothing (key already inactive, overrides, ...). */
  readonly notes: readonly string[];
  /** Keys and quarantines this incident depends on (recorded after containment). */
  readonly holds: readonly Hold[];
}
