import { ACCESS_KEY_ID } from '../../lambdas/findings/credentials';
import { INSTANCE_ID } from '../../lambdas/findings/ec2';

/**
 * The shapes of every id a `cordon` command accepts, checked before any AWS call so a typo is a
 * usage error (exit 2) naming the flag, what was expected and what was received — never a request
 * that fails (or, worse, succeeds) somewhere else. The responders' parsers check the same shapes
 * again on their side (lambdas/findings/ec2.ts, credentials.ts).
 */

export class CliInputError extends Error {
  override readonly name = 'CliInputError';
}

interface IdShape {
  readonly pattern: RegExp;
  /** Completes "expected <flag> to be ...". */
  readonly expected: string;
}

const ARN_PARTITION = 'arn:aws(?:-[a-z]+)*';

export const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

export const ID_SHAPES = {
  instanceId: { pattern: INSTANCE_ID, expected: 'an EC2 instance id such as i-0123456789abcdef0' },
  accessKeyId: { pattern: ACCESS_KEY_ID, expected: 'an access key id such as AKIAIOSFODNN7EXAMPLE (AKIA... or ASIA..., upper case)' },
  account: { pattern: /^\d{12}$/, expected: 'a 12-digit AWS account id' },
  region: { pattern: REGION, expected: 'an AWS region such as eu-west-1' },
  incidentId: { pattern: /^inc-[0-9a-f]{24}$/, expected: 'an incident id such as inc-0123456789abcdef01234567 (inc- and 24 hex digits)' },
  userName: { pattern: /^[\w+=,.@-]{1,64}$/, expected: 'an IAM user name (1-64 letters, digits or +=,.@_-)' },
  roleName: { pattern: /^[\w+=,.@-]{1,64}$/, expected: 'an IAM role name (1-64 letters, digits or +=,.@_-), not an ARN' },
  pathPrefix: { pattern: /^\/(?:[\x21-\x7e]*\/)?$/, expected: 'an IAM path that starts and ends with /, such as /contractors/' },
  digest: { pattern: /^[0-9a-f]{64}$/, expected: 'the 64-hex digest the preview printed' },
  stackName: { pattern: /^[A-Za-z][A-Za-z0-9-]{0,127}$/, expected: 'a CloudFormation stack name such as CordonResponse' },
  guardDutyId: { pattern: /^[A-Za-z0-9_-]{1,300}$/, expected: 'a GuardDuty id (letters, digits, - and _)' },
  functionName: {
    pattern: new RegExp(`^(?:${ARN_PARTITION}:lambda:[a-z0-9-]+:\\d{12}:function:)?[A-Za-z0-9_-]{1,64}(?::(?:\\$LATEST|[A-Za-z0-9_-]{1,128}))?$`),
    expected: 'a Lambda function name or ARN, such as CordonResponse-IsolateInstance1A2B3C or arn:aws:lambda:eu-west-1:123456789012:function:NAME',
  },
} as const satisfies Record<string, IdShape>;

export type IdKind = keyof typeof ID_SHAPES;

/** Returns `value` when it has the shape of `kind`; throws CliInputError naming `flag` otherwise. */
export const checkId = (kind: IdKind, flag: string, value: string): string => {
  const shape: IdShape = ID_SHAPES[kind];
  if (!shape.pattern.test(value)) throw new CliInputError(`expected ${flag} to be ${shape.expected}, received ${JSON.stringify(value)}`);
  return value;
};

/** `checkId` for an optional flag. */
export const checkOptionalId = (kind: IdKind, flag: string, value: string | undefined): string | undefined =>
  value === undefined ? undefined : checkId(kind, flag, value);

/** The region inside a Lambda function ARN, if `name` is one. */
export const regionOfFunctionArn = (name: string): string | undefined => /^arn:[^:]+:lambda:([^:]+):/.exec(name)?.[1];
