import { createHash } from 'node:crypto';
import { GetAccessKeyLastUsedCommand, GetUserCommand, type IAMClient, ListUsersCommand } from '@aws-sdk/client-iam';
import canonicalize from 'canonicalize';
import { targetRefOf, type IamUserKeyTarget, type KeyPattern } from '../findings/credentials';
import { allPages, isNoSuchEntity, listKeys, listUserTags } from './observe';
import type { Plan, Step } from './types';

/**
 * Manual revocation by pattern: every ACTIVE key matching ALL the fields given. Always previewed
 * first: the preview returns a digest of the matching set and its plan; acting requires
 * `confirm: <digest>`, and the set is recomputed so a change since the preview is refused.
 */

export interface KeyMatch {
  readonly userName: string;
  readonly accessKeyId: string;
  readonly status: string;
  readonly createDate?: string;
  readonly path?: string;
}

interface UserRef {
  readonly name: string;
  readonly path?: string;
}

const DAY_MS = 86_400_000;

/** Runs `fn` over `items` with at most `limit` in flight (IAM throttles large fan-outs). */
const mapLimit = async <T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> => {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next;
      next += 1;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
};

const candidateUsers = async (iam: IAMClient, pattern: KeyPattern): Promise<UserRef[]> => {
  let name = pattern.userName;
  if (name === undefined && pattern.accessKeyId !== undefined) {
    try {
      const r = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: pattern.accessKeyId }));
      name = r.UserName;
    } catch (error) {
      if (isNoSuchEntity(error)) return [];
      throw error;
    }
    if (name === undefined) return [];
  }
  if (name !== undefined) {
    if (pattern.pathPrefix === undefined) return [{ name }];
    try {
      const r = await iam.send(new GetUserCommand({ UserName: name }));
      return r.User?.Path?.startsWith(pattern.pathPrefix) ? [{ name, path: r.User.Path }] : [];
    } catch (error) {
      if (isNoSuchEntity(error)) return [];
      throw error;
    }
  }
  return allPages(async (Marker) => {
    const r = await iam.send(new ListUsersCommand({ ...(pattern.pathPrefix ? { PathPrefix: pattern.pathPrefix } : {}), Marker }));
    return {
      items: (r.Users ?? []).flatMap((u) => (u.UserName ? [{ name: u.UserName, ...(u.Path ? { path: u.Path } : {}) }] : [])),
      marker: r.Marker,
      truncated: r.IsTruncated,
    };
  });
};

/** Every ACTIVE key matching the pattern, sorted by user then key. Read-only. */
export const findMatches = async (iam: IAMClient, pattern: KeyPattern, now: Date): Promise<KeyMatch[]> => {
  const users = await candidateUsers(iam, pattern);
  const perUser = await mapLimit(users, 8, async (user) => {
    try {
      const [keys, tags] = await Promise.all([
        listKeys(iam, user.name),
        pattern.tag ? listUserTags(iam, user.name) : Promise.resolve(undefined),
      ]);
      if (pattern.tag && tags?.[pattern.tag.key] !== pattern.tag.value) return [];
      return keys
        .filter((k) => k.status === 'Active')
        .filter((k) => pattern.accessKeyId === undefined || k.accessKeyId === pattern.accessKeyId)
        .filter((k) => {
          if (pattern.olderThanDays === undefined) return true;
          if (k.createDate === undefined) return false;
          return Date.parse(k.createDate) <= now.getTime() - pattern.olderThanDays * DAY_MS;
        })
        .map((k) => ({
          userName: user.name,
          accessKeyId: k.accessKeyId,
          status: k.status,
          ...(k.createDate ? { createDate: k.createDate } : {}),
          ...(user.path ? { path: user.path } : {}),
        }));
    } catch (error) {
      if (isNoSuchEntity(error)) return []; // deleted while listing
      throw error;
    }
  });
  return perUser.flat().sort((a, b) => a.userName.localeCompare(b.userName) || a.accessKeyId.localeCompare(b.accessKeyId));
};

export const matchTargets = (account: string, matches: readonly KeyMatch[]): IamUserKeyTarget[] =>
  matches.map((m) => ({ kind: 'iam-user-key', account, accessKeyId: m.accessKeyId, userName: m.userName, userCompromised: false }));

/** A step without what changes between preview and confirm (its id and the cut-off time). */
const stepShape = (s: Step): Record<string, unknown> => {
  const shape: Record<string, unknown> = { ...s };
  delete shape.id;
  delete shape.document;
  return shape;
};

const byJson = (a: unknown, b: unknown): number => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0);

/**
 * sha256 (hex) of the RFC 8785 canonical JSON of the sorted (userName, accessKeyId, status) list
 * plus the plan (steps without ids or times, escalations by code and target).
 */
export const patternDigest = (matches: readonly KeyMatch[], plan: Plan): string => {
  const body = {
    matches: matches.map((m) => ({ userName: m.userName, accessKeyId: m.accessKeyId, status: m.status })).sort(byJson),
    plan: {
      steps: plan.steps.map(stepShape).sort(byJson),
      escalations: plan.escalations.map((e) => ({ code: e.code, target: targetRefOf(e.target) })).sort(byJson),
    },
  };
  return createHash('sha256')
    .update(canonicalize(body) ?? '')
    .digest('hex');
};
