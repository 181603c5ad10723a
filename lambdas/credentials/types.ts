import type { CredentialTarget } from '../findings/credentials';

/** What the credential responder is configured with (handler env, validated with zod). */
export interface CredentialsConfig {
  /** Users and roles with this tag are never revoked automatically. @default cordon:protected=true */
  readonly protectedTag: { readonly key: string; readonly value: string };
  /** Principal ARNs or plain user/role names never revoked automatically (break-glass). */
  readonly allowlist: readonly string[];
  /** Cordon's own roles start with this; they are never revoked by Cordon. @default Cordon */
  readonly ownRolePrefix: string;
  /** Also quarantine the user (deny-all + delete console password) on every leaked key. @default false */
  readonly quarantineUser: boolean;
  /** @default aws */
  readonly partition: string;
}

export const defaultCredentialsConfig: CredentialsConfig = {
  protectedTag: { key: 'cordon:protected', value: 'true' },
  allowlist: [],
  ownRolePrefix: 'Cordon',
  quarantineUser: false,
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

/** An IAM user as observed in one parallel round (GetUser, ListUserTags, ListAccessKeys, GetLoginProfile). */
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
}

/** An IAM role as observed (GetRole, ListRoleTags). */
export interface RoleState {
  readonly kind: 'role';
  readonly roleName: string;
  readonly exists: boolean;
  readonly arn?: string;
  readonly path?: string;
  readonly tags: Readonly<Record<string, string>>;
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

/** The mutating IAM calls Cordon makes. Plans are data (STYLE.md #8). */
export type Step =
  | (StepBase & { readonly kind: 'deactivate-key'; readonly userName: string; readonly accessKeyId: string })
  | (StepBase & {
      readonly kind: 'put-user-policy';
      readonly purpose: 'revoke-sessions' | 'quarantine';
      readonly userName: string;
      readonly policyName: string;
      readonly document: PolicyDocument;
    })
  | (StepBase & {
      readonly kind: 'put-role-policy';
      readonly purpose: 'revoke-sessions';
      readonly roleName: string;
      readonly policyName: string;
      readonly document: PolicyDocument;
    })
  | (StepBase & { readonly kind: 'delete-login-profile'; readonly userName: string; readonly loginProfile: LoginProfileView })
  // Restore (undo) steps.
  | (StepBase & { readonly kind: 'activate-key'; readonly userName: string; readonly accessKeyId: string })
  | (StepBase & { readonly kind: 'delete-user-policy'; readonly userName: string; readonly policyName: string })
  | (StepBase & { readonly kind: 'delete-role-policy'; readonly roleName: string; readonly policyName: string });

export type StepKind = Step['kind'];

/** A step before plan order gives it an id. */
export type StepDraft = Step extends infer S ? (S extends Step ? Omit<S, 'id'> : never) : never;

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
  | 'unresolved'
  | 'temporary-key'
  | 'key-unknown'
  | 'not-restorable';

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
  /** The session cut-off used, ISO 8601: the time of processing. */
  readonly cutoff: string;
}
