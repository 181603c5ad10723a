import {
  GetAccessKeyLastUsedCommand,
  GetLoginProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListRoleTagsCommand,
  ListUserTagsCommand,
  type Tag,
} from '@aws-sdk/client-iam';
import { isTemporaryKey, type CredentialTarget } from '../findings/credentials';
import { errorMessage, TransientAwsError } from '../shared/errors';
import { parseRevocation, REVOKE_SESSIONS_POLICY_NAME } from './policies';
import type { ExistingRevocation, LoginProfileView, ObservedKey, ObservedState, RoleState, UserState } from './types';

/**
 * Observe: read-only IAM calls, all in ONE parallel round per target (two when the event names a
 * key but not its user: GetAccessKeyLastUsed first). Missing entities are facts for the plan;
 * throttling and 5xx throw TransientAwsError (retry); anything else (AccessDenied, ...) becomes an
 * unresolved state the plan escalates.
 */

export const isNoSuchEntity = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'NoSuchEntityException' || error.name === 'NoSuchEntity');

export const isTransient = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  const meta = (error as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown }).$metadata;
  return (
    /Throttl|TooManyRequests|RequestLimitExceeded|ServiceUnavailable|InternalFailure|ServiceFailure/i.test(error.name) ||
    (meta?.httpStatusCode !== undefined && meta.httpStatusCode >= 500)
  );
};

const tagsOf = (tags: readonly Tag[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).flatMap((t) => (t.Key === undefined ? [] : [[t.Key, t.Value ?? '']])));

const iso = (d: Date | undefined): string | undefined => (d ? d.toISOString() : undefined);

/** Follows IAM's Marker / IsTruncated pagination. */
export const allPages = async <T>(
  fetch: (marker: string | undefined) => Promise<{ items: readonly T[]; marker?: string | undefined; truncated?: boolean | undefined }>,
): Promise<T[]> => {
  const out: T[] = [];
  let marker: string | undefined;
  for (let page = 0; page < 1000; page += 1) {
    const r = await fetch(marker);
    out.push(...r.items);
    if (!r.truncated || !r.marker) break;
    marker = r.marker;
  }
  return out;
};

export const listKeys = (iam: IAMClient, userName: string): Promise<ObservedKey[]> =>
  allPages(async (Marker) => {
    const r = await iam.send(new ListAccessKeysCommand({ UserName: userName, Marker }));
    return {
      items: (r.AccessKeyMetadata ?? []).flatMap((k) =>
        k.AccessKeyId ? [{ accessKeyId: k.AccessKeyId, status: k.Status ?? 'Unknown', ...(k.CreateDate ? { createDate: iso(k.CreateDate) } : {}) }] : [],
      ),
      marker: r.Marker,
      truncated: r.IsTruncated,
    };
  });

export const listUserTags = async (iam: IAMClient, userName: string): Promise<Record<string, string>> =>
  tagsOf(
    await allPages(async (Marker) => {
      const r = await iam.send(new ListUserTagsCommand({ UserName: userName, Marker }));
      return { items: r.Tags ?? [], marker: r.Marker, truncated: r.IsTruncated };
    }),
  );

const listRoleTags = async (iam: IAMClient, roleName: string): Promise<Record<string, string>> =>
  tagsOf(
    await allPages(async (Marker) => {
      const r = await iam.send(new ListRoleTagsCommand({ RoleName: roleName, Marker }));
      return { items: r.Tags ?? [], marker: r.Marker, truncated: r.IsTruncated };
    }),
  );

const loginProfile = async (iam: IAMClient, userName: string): Promise<LoginProfileView | undefined> => {
  try {
    const r = await iam.send(new GetLoginProfileCommand({ UserName: userName }));
    const p = r.LoginProfile;
    return {
      ...(p?.CreateDate ? { createDate: p.CreateDate.toISOString() } : {}),
      ...(p?.PasswordResetRequired === undefined ? {} : { passwordResetRequired: p.PasswordResetRequired }),
    };
  } catch (error) {
    if (isNoSuchEntity(error)) return undefined;
    throw error;
  }
};

/** The owner of an access key, or why it is unknown. */
const keyOwner = async (iam: IAMClient, accessKeyId: string): Promise<{ owner?: string; notFound?: boolean }> => {
  try {
    const r = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }));
    return r.UserName ? { owner: r.UserName } : {};
  } catch (error) {
    if (isNoSuchEntity(error)) return { notFound: true };
    throw error;
  }
};

/** The principal's `cordon-revoke-sessions` policy, parsed; undefined when it has none. */
const existingRevocation = async (read: () => Promise<{ PolicyDocument?: string | undefined } | undefined>): Promise<ExistingRevocation | undefined> => {
  try {
    const r = await read();
    return r?.PolicyDocument ? parseRevocation(r.PolicyDocument) : undefined;
  } catch (error) {
    if (isNoSuchEntity(error)) return undefined;
    throw error;
  }
};

const rethrowOr = (error: unknown, what: string): ObservedState => {
  if (isTransient(error)) throw new TransientAwsError(`cannot observe ${what}: ${errorMessage(error)}`, error);
  return { kind: 'none', reason: `cannot observe ${what}: ${errorMessage(error)}` };
};

export const observeUser = async (iam: IAMClient, userName: string, leakedKey?: string): Promise<ObservedState> => {
  try {
    const lookupOwner = leakedKey !== undefined && !isTemporaryKey(leakedKey);
    const [user, tags, keys, profile, owner, revocation] = await Promise.all([
      iam.send(new GetUserCommand({ UserName: userName })).then(
        (r) => r.User,
        (error: unknown) => {
          if (isNoSuchEntity(error)) return undefined;
          throw error;
        },
      ),
      listUserTags(iam, userName).catch((error: unknown) => (isNoSuchEntity(error) ? {} : Promise.reject(error))),
      listKeys(iam, userName).catch((error: unknown) => (isNoSuchEntity(error) ? [] : Promise.reject(error))),
      loginProfile(iam, userName),
      lookupOwner ? keyOwner(iam, leakedKey) : Promise.resolve(undefined),
      existingRevocation(() => iam.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: REVOKE_SESSIONS_POLICY_NAME }))),
    ]);
    const state: UserState = {
      kind: 'user',
      userName,
      exists: user !== undefined,
      ...(user?.Arn ? { arn: user.Arn } : {}),
      ...(user?.Path ? { path: user.Path } : {}),
      tags,
      keys,
      ...(profile ? { loginProfile: profile } : {}),
      ...(owner?.owner ? { keyOwner: owner.owner } : {}),
      ...(owner?.notFound ? { keyNotFound: true } : {}),
      ...(revocation ? { revocation } : {}),
    };
    return state;
  } catch (error) {
    return rethrowOr(error, `user ${userName}`);
  }
};

export const observeRole = async (iam: IAMClient, roleName: string): Promise<ObservedState> => {
  try {
    const [role, tags, revocation] = await Promise.all([
      iam.send(new GetRoleCommand({ RoleName: roleName })).then(
        (r) => r.Role,
        (error: unknown) => {
          if (isNoSuchEntity(error)) return undefined;
          throw error;
        },
      ),
      listRoleTags(iam, roleName).catch((error: unknown) => (isNoSuchEntity(error) ? {} : Promise.reject(error))),
      existingRevocation(() => iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: REVOKE_SESSIONS_POLICY_NAME }))),
    ]);
    const state: RoleState = {
      kind: 'role',
      roleName,
      exists: role !== undefined,
      ...(role?.Arn ? { arn: role.Arn } : {}),
      ...(role?.Path ? { path: role.Path } : {}),
      tags,
      ...(revocation ? { revocation } : {}),
    };
    return state;
  } catch (error) {
    return rethrowOr(error, `role ${roleName}`);
  }
};

/** Everything the plan needs about one target. */
export const observe = async (iam: IAMClient, target: CredentialTarget): Promise<ObservedState> => {
  switch (target.kind) {
    case 'iam-user-key': {
      if (target.userName) return observeUser(iam, target.userName, target.accessKeyId);
      if (isTemporaryKey(target.accessKeyId)) {
        return { kind: 'none', reason: `temporary key ${target.accessKeyId} names no user: IAM cannot tell whose session it is` };
      }
      let owner: { owner?: string; notFound?: boolean };
      try {
        owner = await keyOwner(iam, target.accessKeyId);
      } catch (error) {
        return rethrowOr(error, `the owner of access key ${target.accessKeyId}`);
      }
      if (owner.notFound) {
        return {
          kind: 'none',
          reason: `key already deleted: access key ${target.accessKeyId} does not exist in account ${target.account} and the event names no user, so the sessions it minted cannot be attributed: find its owner (GetSessionToken / GetFederationToken calls of this key in CloudTrail) and revoke {userName}`,
        };
      }
      if (!owner.owner) return { kind: 'none', reason: `access key ${target.accessKeyId} has no owning user (root or service key?)` };
      const state = await observeUser(iam, owner.owner);
      return state.kind === 'user' ? { ...state, keyOwner: owner.owner } : state;
    }
    case 'iam-user':
      return observeUser(iam, target.userName);
    case 'role-session':
      return target.roleName ? observeRole(iam, target.roleName) : { kind: 'none', reason: 'no role name' };
    default:
      return { kind: 'none' };
  }
};

/** The plan's view of the event target, resolved: the user name found by GetAccessKeyLastUsed, if any. */
export const resolvedTarget = (target: CredentialTarget, state: ObservedState): CredentialTarget =>
  target.kind === 'iam-user-key' && !target.userName && state.kind === 'user' ? { ...target, userName: state.userName } : target;
