import type { AuthzRequest } from './evaluate';

/**
 * Where a call goes and what is known about the resources it names: the harness learns tags and
 * relations (association -> instance, association -> Elastic IP, instance -> volumes) from the
 * responses the call log saw, exactly as the function itself learned them.
 */
export interface Where {
  readonly partition: string;
  readonly account: string;
  readonly region: string;
  /** Tags of a resource ARN as last observed (or as deployed), undefined when never seen. */
  tagsOf(arn: string): Readonly<Record<string, string>> | undefined;
  /** A relation observed in a response, e.g. `profile-association:<id>` -> instance id. */
  observed(key: string): string | undefined;
  /** The role an instance profile carries (iam:PassRole is authorized on it). */
  roleOfProfile(profileArn: string): string;
  /** ARN of the KMS key that encrypts a deployed bucket, topic or table. */
  keyOf(resourceArn: string): string | undefined;
  /**
   * The deployed resource a name given to the function stands for: the value the synthesized
   * function has in the environment variable the test set to `value`, else in `variable` (the
   * only variable the function takes that resource from), else `value` itself.
   */
  deployed(value: string, variable?: string): string;
}

/** IAM requests for one call's input. */
export type Mapper = (input: Record<string, unknown>, where: Where) => AuthzRequest[];

/** `aws:ResourceTag/<k>` (and `<service>:ResourceTag/<k>`) for each known tag of a resource. */
export const tagContext = (tags: Readonly<Record<string, string>> | undefined, prefixes: readonly string[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags ?? {})) for (const p of prefixes) out[`${p}:ResourceTag/${k}`] = v;
  return out;
};
