import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, PutRolePolicyCommand, PutUserPolicyCommand, type IAMClient } from '@aws-sdk/client-iam';

/**
 * Seeds the IAM side of a scenario: users with access keys (the leaked one and an uninvolved one
 * that must stay active), tags, an inline policy they already had, and roles. Returns what the
 * emulator assigned (key ids, user and role ids), which replace the scenario's ids in its event.
 */

const must = <T>(value: T | undefined | null, what: string): T => {
  if (value === undefined || value === null) throw new Error(`emulator seed: ${what} missing from the emulator's answer`);
  return value;
};

const READ_ONLY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: '*' }] });

export interface SeededUser {
  readonly userName: string;
  readonly userId: string;
  /** The key the finding names first, then the user's other keys. */
  readonly keyIds: readonly string[];
}

export const seedUser = async (iam: IAMClient, userName: string, keys: number, tags: Record<string, string> = {}): Promise<SeededUser> => {
  const user = await iam.send(new CreateUserCommand({ UserName: userName, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
  await iam.send(new PutUserPolicyCommand({ UserName: userName, PolicyName: 'read-artifacts', PolicyDocument: READ_ONLY }));
  const keyIds: string[] = [];
  for (let i = 0; i < keys; i += 1) {
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    keyIds.push(must(key.AccessKey?.AccessKeyId, `access key of ${userName}`));
  }
  return { userName, userId: must(user.User?.UserId, `user id of ${userName}`), keyIds };
};

export const seedRole = async (iam: IAMClient, roleName: string, trust: object): Promise<{ roleName: string; roleId: string; arn: string }> => {
  const role = await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify(trust) }));
  await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'read-artifacts', PolicyDocument: READ_ONLY }));
  return { roleName, roleId: must(role.Role?.RoleId, `role id of ${roleName}`), arn: must(role.Role?.Arn, `role arn of ${roleName}`) };
};
