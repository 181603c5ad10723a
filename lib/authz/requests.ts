import type { AuthzRequest } from './evaluate';
import { EC2_REQUESTS } from './requests-ec2';
import { tagContext, type Mapper, type Where } from './where';

/**
 * The IAM authorizations of every SDK command Cordon's functions send (`grep -rn 'Command(' lambdas/`),
 * keyed `service:Command` (service = the client: ec2, autoscaling, elbv2, elb, guardduty, iam, sts,
 * s3, kms, dynamodb, ssm, sns, securityhub). A command missing here fails the harness by name: an
 * unmapped call is never silently allowed.
 *
 * Implicit authorizations are included where AWS performs them for the caller: SSE-KMS objects
 * (`kms:GenerateDataKey` / `kms:Decrypt` with `kms:ViaService` s3), encrypted topics. DynamoDB tables
 * with a customer managed key are not: DynamoDB uses the key through the grant it holds, not the
 * caller's permissions.
 */

type In = Record<string, unknown>;
const s = (v: unknown): string => (typeof v === 'string' ? v : '');

const iamArn = (w: Where, type: 'user' | 'role', name: string): string =>
  w.observed(`${type}-arn:${name}`) ?? `arn:${w.partition}:iam::${w.account}:${type}/${name}`;

/** An IAM user or role request, with the principal's tags as `iam:ResourceTag/*` and `aws:ResourceTag/*`. */
const onPrincipal = (w: Where, action: string, type: 'user' | 'role', name: string): AuthzRequest => {
  const resource = iamArn(w, type, name);
  return { action, resource, context: tagContext(w.tagsOf(resource), ['aws', 'iam']) };
};

const user = (action: string): Mapper => (i, w) => [onPrincipal(w, action, 'user', s(i.UserName))];
const role = (action: string): Mapper => (i, w) => [onPrincipal(w, action, 'role', s(i.RoleName))];

const bucketArn = (w: Where, bucket: string) => `arn:${w.partition}:s3:::${w.deployed(bucket, 'EVIDENCE_BUCKET')}`;
const objectArn = (w: Where, i: In) => `${bucketArn(w, s(i.Bucket))}/${s(i.Key)}`;

/** What S3 asks KMS for on the caller's behalf when the bucket is SSE-KMS. */
const viaS3 = (w: Where, bucket: string, action: 'kms:GenerateDataKey' | 'kms:Decrypt'): AuthzRequest[] => {
  const key = w.keyOf(bucket);
  return key
    ? [
        {
          action,
          resource: key,
          context: { 'kms:ViaService': `s3.${w.region}.amazonaws.com`, 'kms:CallerAccount': w.account, 'kms:EncryptionContext:aws:s3:arn': bucket },
        },
      ]
    : [];
};

const DAY_MS = 86_400_000;

/** The Object Lock condition keys of a PutObject / PutObjectRetention request. */
const objectLock = (mode: unknown, until: unknown): Record<string, string> => {
  if (!mode && !until) return {};
  const date = until instanceof Date ? until : until ? new Date(String(until)) : undefined;
  return {
    ...(mode ? { 's3:object-lock-mode': String(mode) } : {}),
    ...(date
      ? {
          's3:object-lock-retain-until-date': date.toISOString(),
          's3:object-lock-remaining-retention-days': String(Math.max(0, Math.floor((date.getTime() - Date.now()) / DAY_MS))),
        }
      : {}),
  };
};

const keyArn = (w: Where, keyId: string): string => {
  const id = w.deployed(keyId, 'SIGNING_KEY_ID');
  return id.startsWith('arn:') ? id : `arn:${w.partition}:kms:${w.region}:${w.account}:key/${id}`;
};
const tableArn = (w: Where, name: string): string => {
  const t = w.deployed(name);
  return t.startsWith('arn:') ? t : `arn:${w.partition}:dynamodb:${w.region}:${w.account}:table/${t}`;
};
const table = (action: string): Mapper => (i, w) => [{ action, resource: tableArn(w, s(i.TableName)) }];

/** Attach/DetachUserPolicy: authorized on the user, with the managed policy as `iam:PolicyARN`. */
const userPolicyArn = (action: string): Mapper => (i, w) => {
  const request = onPrincipal(w, action, 'user', s(i.UserName));
  return [{ ...request, context: { ...request.context, 'iam:PolicyARN': s(i.PolicyArn) } }];
};

const OTHER_REQUESTS: Readonly<Record<string, Mapper>> = {
  'sts:AssumeRole': (i, w) => {
    const tags = (i.Tags as { Key?: string; Value?: string }[] | undefined) ?? [];
    // The member role as the deployment names it (MEMBER_ROLE_NAME of the sending function).
    const resource = s(i.RoleArn).replace(/:role\/(.+)$/, (_, name: string) => `:role/${w.deployed(name, 'MEMBER_ROLE_NAME')}`);
    const requested: Record<string, string | string[]> = { 'aws:TagKeys': tags.map((t) => t.Key ?? '') };
    for (const t of tags) requested[`aws:RequestTag/${t.Key ?? ''}`] = t.Value ?? '';
    return [
      { action: 'sts:AssumeRole', resource, context: {} },
      ...(tags.length > 0 ? [{ action: 'sts:TagSession', resource, context: requested }] : []),
    ];
  },
  'iam:GetUser': user('iam:GetUser'),
  'iam:ListUserTags': user('iam:ListUserTags'),
  'iam:ListAccessKeys': user('iam:ListAccessKeys'),
  'iam:GetLoginProfile': user('iam:GetLoginProfile'),
  'iam:UpdateAccessKey': user('iam:UpdateAccessKey'),
  'iam:PutUserPolicy': user('iam:PutUserPolicy'),
  'iam:DeleteUserPolicy': user('iam:DeleteUserPolicy'),
  'iam:DeleteLoginProfile': user('iam:DeleteLoginProfile'),
  'iam:GetUserPolicy': user('iam:GetUserPolicy'),
  'iam:AttachUserPolicy': userPolicyArn('iam:AttachUserPolicy'),
  'iam:DetachUserPolicy': userPolicyArn('iam:DetachUserPolicy'),
  'iam:GetRole': role('iam:GetRole'),
  'iam:GetRolePolicy': role('iam:GetRolePolicy'),
  'iam:ListRoleTags': role('iam:ListRoleTags'),
  'iam:PutRolePolicy': role('iam:PutRolePolicy'),
  'iam:DeleteRolePolicy': role('iam:DeleteRolePolicy'),
  // The key's owner is what the call returns; the harness reads it from the response.
  'iam:GetAccessKeyLastUsed': (i, w) => [
    onPrincipal(w, 'iam:GetAccessKeyLastUsed', 'user', w.observed(`key-owner:${s(i.AccessKeyId)}`) ?? `owner-of-${s(i.AccessKeyId)}`),
  ],
  'iam:ListUsers': () => [{ action: 'iam:ListUsers', resource: '*' }],
  'iam:GetInstanceProfile': (i, w) => [{ action: 'iam:GetInstanceProfile', resource: `arn:${w.partition}:iam::${w.account}:instance-profile/${s(i.InstanceProfileName)}` }],
  // Isolation asks the credential function (by the name it was given) to revoke instance sessions.
  'lambda:Invoke': (i, w) => {
    const name = w.deployed(s(i.FunctionName), 'CREDENTIALS_FUNCTION_NAME');
    return [{ action: 'lambda:InvokeFunction', resource: name.startsWith('arn:') ? name : `arn:${w.partition}:lambda:${w.region}:${w.account}:function:${name}` }];
  },
  's3:PutObject': (i, w) => {
    const lock = objectLock(i.ObjectLockMode, i.ObjectLockRetainUntilDate);
    const ifNoneMatch: Record<string, string> = i.IfNoneMatch ? { 's3:if-none-match': s(i.IfNoneMatch) } : {};
    return [
      { action: 's3:PutObject', resource: objectArn(w, i), context: { ...lock, ...ifNoneMatch } },
      // Object Lock fields on a put are authorized as s3:PutObjectRetention too.
      ...(Object.keys(lock).length > 0 ? [{ action: 's3:PutObjectRetention', resource: objectArn(w, i), context: lock }] : []),
      ...viaS3(w, bucketArn(w, s(i.Bucket)), 'kms:GenerateDataKey'),
    ];
  },
  's3:GetObject': (i, w) => [
    { action: i.VersionId ? 's3:GetObjectVersion' : 's3:GetObject', resource: objectArn(w, i) },
    ...viaS3(w, bucketArn(w, s(i.Bucket)), 'kms:Decrypt'),
  ],
  // HEAD is authorized as s3:GetObject; no body, so no KMS call.
  's3:HeadObject': (i, w) => [{ action: 's3:GetObject', resource: objectArn(w, i) }],
  's3:GetObjectRetention': (i, w) => [{ action: 's3:GetObjectRetention', resource: objectArn(w, i) }],
  's3:PutObjectRetention': (i, w) => [
    { action: 's3:PutObjectRetention', resource: objectArn(w, i), context: objectLock((i.Retention as In | undefined)?.Mode, (i.Retention as In | undefined)?.RetainUntilDate) },
  ],
  's3:DeleteObject': (i, w) => [{ action: i.VersionId ? 's3:DeleteObjectVersion' : 's3:DeleteObject', resource: objectArn(w, i) }],
  's3:ListObjectVersions': (i, w) => [{ action: 's3:ListBucketVersions', resource: bucketArn(w, s(i.Bucket)), context: { 's3:prefix': s(i.Prefix) } }],
  's3:ListObjectsV2': (i, w) => [{ action: 's3:ListBucket', resource: bucketArn(w, s(i.Bucket)), context: { 's3:prefix': s(i.Prefix) } }],
  'kms:Sign': (i, w) => [{ action: 'kms:Sign', resource: keyArn(w, s(i.KeyId)), context: { 'kms:SigningAlgorithm': s(i.SigningAlgorithm), 'kms:MessageType': s(i.MessageType) } }],
  'kms:GetPublicKey': (i, w) => [{ action: 'kms:GetPublicKey', resource: keyArn(w, s(i.KeyId)) }],
  'kms:DisableKey': (i, w) => [{ action: 'kms:DisableKey', resource: keyArn(w, s(i.KeyId)) }],
  'kms:ScheduleKeyDeletion': (i, w) => [{ action: 'kms:ScheduleKeyDeletion', resource: keyArn(w, s(i.KeyId)) }],
  'dynamodb:GetItem': table('dynamodb:GetItem'),
  'dynamodb:PutItem': table('dynamodb:PutItem'),
  'dynamodb:UpdateItem': table('dynamodb:UpdateItem'),
  'dynamodb:DeleteItem': table('dynamodb:DeleteItem'),
  'dynamodb:Scan': table('dynamodb:Scan'),
  // A query of an index is authorized on the index (`table/<name>/index/<index>`).
  'dynamodb:Query': (i, w) => [{ action: 'dynamodb:Query', resource: `${tableArn(w, s(i.TableName))}${i.IndexName ? `/index/${s(i.IndexName)}` : ''}` }],
  // The function names the state machine; the caller names a principal and cut-offs, never a document.
  'sfn:StartSyncExecution': (i, w) => [{ action: 'states:StartSyncExecution', resource: w.deployed(s(i.stateMachineArn), 'SESSION_REVOKER_ARN') }],
  'ssm:GetParameter': (i, w) => {
    const name = w.deployed(s(i.Name), 'MODE_PARAMETER');
    return [{ action: 'ssm:GetParameter', resource: `arn:${w.partition}:ssm:${w.region}:${w.account}:parameter${name.startsWith('/') ? '' : '/'}${name}` }];
  },
  'ssm:PutParameter': (i, w) => {
    const name = w.deployed(s(i.Name), 'MODE_PARAMETER');
    return [{ action: 'ssm:PutParameter', resource: `arn:${w.partition}:ssm:${w.region}:${w.account}:parameter${name.startsWith('/') ? '' : '/'}${name}` }];
  },
  'sns:Publish': (i, w) => {
    const topic = w.deployed(s(i.TopicArn), 'NOTIFY_TOPIC_ARN');
    const key = w.keyOf(topic);
    return [
      { action: 'sns:Publish', resource: topic },
      // Publishing to an encrypted topic needs the key, as the publisher.
      ...(key ? ['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({ action, resource: key, context: {} })) : []),
    ];
  },
  'securityhub:BatchUpdateFindings': (_i, w) => [{ action: 'securityhub:BatchUpdateFindings', resource: `arn:${w.partition}:securityhub:${w.region}:${w.account}:hub/default` }],
  // The CLI's signed POST to a manual request URL (lib/cli/manual-url.ts): since October 2025 a
  // function URL needs both, InvokeFunction only through the URL.
  'lambda:InvokeFunctionUrl': (i, w) => {
    const name = w.deployed(s(i.FunctionName));
    const fn = name.startsWith('arn:') ? name : `arn:${w.partition}:lambda:${w.region}:${w.account}:function:${name}`;
    const requests: AuthzRequest[] = [
      { action: 'lambda:InvokeFunctionUrl', resource: fn, context: { 'lambda:FunctionUrlAuthType': s(i.AuthType) || 'AWS_IAM' } },
      { action: 'lambda:InvokeFunction', resource: fn, context: { 'lambda:InvokedViaFunctionUrl': 'true' } },
    ];
    return requests;
  },
  // No resource-level permission for either (Service Authorization Reference): authorized on `*`.
  'guardduty:UpdateOrganizationConfiguration': () => [{ action: 'guardduty:UpdateOrganizationConfiguration', resource: '*' }],
  'guardduty:DescribeOrganizationConfiguration': () => [{ action: 'guardduty:DescribeOrganizationConfiguration', resource: '*' }],
};

export const REQUESTS: Readonly<Record<string, Mapper>> = { ...EC2_REQUESTS, ...OTHER_REQUESTS };

/** IAM service prefix of a client, for calls that need no resource (Describe*, List* without one). */
const IAM_PREFIX: Readonly<Record<string, string>> = { elbv2: 'elasticloadbalancing', elb: 'elasticloadbalancing', sfn: 'states' };

/** Read calls authorized on `*` (AWS offers no resource-level permission for them). */
const WILDCARD_READS = /^(ec2:Describe|autoscaling:Describe|elbv2:Describe|elb:Describe)/;

/** The IAM requests of one call, or an error naming the unmapped command. */
export const requestsOf = (service: string, command: string, input: Record<string, unknown>, where: Where): AuthzRequest[] => {
  const key = `${service}:${command}`;
  const mapper = REQUESTS[key];
  if (mapper) return mapper(input, where);
  if (WILDCARD_READS.test(key)) return [{ action: `${IAM_PREFIX[service] ?? service}:${command}`, resource: '*' }];
  throw new Error(`authz: no IAM mapping for ${key}: add it to lib/authz/requests.ts`);
};
