import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';

/** Where a target lives, and the credentials to act there (undefined = the function's own). */
export interface AccountAccess {
  readonly account: string;
  readonly region: string;
  readonly credentials?: AwsCredentialIdentity;
  /** The member role assumed, for evidence; undefined when acting with the function's own role. */
  readonly assumedRoleArn?: string;
}

export interface AssumeOptions {
  readonly sts: STSClient;
  /** The function's own account: no role is assumed for targets there. */
  readonly homeAccount: string;
  /** This responder's member role name (`cordon.memberRoleNames`), e.g. `CordonMemberIsolation`. Required for other accounts. */
  readonly memberRoleName?: string;
  readonly partition?: string;
}

/** A target account other than ours, with no member role configured or assumable. */
export class AccountAccessError extends Error {
  override readonly name = 'AccountAccessError';
}

/**
 * Resolves credentials per account+region, cached for the life of one invocation (create one per
 * event). Session name names the incident; the session is tagged with it; duration is the minimum.
 */
export const accountAccess = (options: AssumeOptions, incidentId: string) => {
  const cache = new Map<string, Promise<AccountAccess>>();
  const resolve = async (account: string, region: string): Promise<AccountAccess> => {
    if (account === options.homeAccount) return { account, region };
    if (!options.memberRoleName) {
      throw new AccountAccessError(
        `target account ${account} is not this account (${options.homeAccount}) and no member responder role is configured`,
      );
    }
    const roleArn = `arn:${options.partition ?? 'aws'}:iam::${account}:role/${options.memberRoleName}`;
    try {
      const out = await options.sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: `cordon-${incidentId}`.slice(0, 64),
          DurationSeconds: 900,
          Tags: [{ Key: 'cordon:incident', Value: incidentId }],
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) {
        throw new Error('AssumeRole returned no credentials');
      }
      return {
        account,
        region,
        assumedRoleArn: roleArn,
        credentials: {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          sessionToken: c.SessionToken,
          expiration: c.Expiration,
        },
      };
    } catch (error) {
      const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new AccountAccessError(`cannot assume ${roleArn} in account ${account}: ${text}`);
    }
  };
  return (account: string, region: string): Promise<AccountAccess> => {
    const key = `${account}/${region}`;
    let hit = cache.get(key);
    if (!hit) {
      hit = resolve(account, region);
      cache.set(key, hit);
    }
    return hit;
  };
};
