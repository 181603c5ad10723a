import type { Synthesized } from './synth';
import { exportsOf, resolveIn, type CfnTemplate, type Env, type Json, type ResolveScope } from './resolve';

/**
 * The authorization facts of a deployment, read from its resolved templates: each role with its
 * identity policies (inline, AWS::IAM::Policy, customer managed) and trust policy, and the resource
 * policies that apply to requests (bucket policies, key policies, topic and queue policies).
 */

/** The member roles (one per responder, and the session writer) live in member accounts. */
export const isMemberRole = (name: string): boolean => name.startsWith('member-');

export type PolicyDocument = { readonly Version?: string; readonly Statement: readonly Json[] } & Record<string, Json>;

/** An SCP of the deployment (lib/guard-stack.ts) and what it is attached to. */
export interface ScpFacts {
  readonly name: string;
  readonly targetIds: readonly string[];
  readonly policy: PolicyDocument;
}

export interface RoleFacts {
  /** `isolation`, `credentials`, `checkpoint`, `auditor`, `session-revoker`, `tamper`, `member-isolation`, `member-credentials`, `member-session-writer`, or `{stack}/{logicalId}`. */
  readonly name: string;
  readonly arn: string;
  readonly account: string;
  readonly policies: readonly { readonly name: string; readonly policy: PolicyDocument }[];
  readonly trust: PolicyDocument;
  readonly tags: Readonly<Record<string, string>>;
  /** AWS-managed policy ARNs whose documents the harness does not know (evaluating fails on them). */
  readonly unknownManaged: readonly string[];
}

export interface DeploymentFacts {
  readonly roles: readonly RoleFacts[];
  /** Resource ARN (bucket, key, topic, queue, role) -> its resource policy. */
  readonly resourcePolicies: Readonly<Record<string, PolicyDocument>>;
  /** Resource ARN (bucket, table, topic, queue) -> ARN of the KMS key that encrypts it. */
  readonly encryptedBy: Readonly<Record<string, string>>;
  /** Resource ARN -> its tags as deployed (roles, keys, buckets...). */
  readonly tags: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Bucket ARN -> the account that owns it (the vault: the security account; the anchor: the log-archive account). */
  readonly bucketAccounts: Readonly<Record<string, string>>;
  /** SSM parameter name -> ARN. */
  readonly parameters: Readonly<Record<string, string>>;
  /** Role ARN -> environment of the Lambda function that runs with it (names of what it calls). */
  readonly environments: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** The service control policies the deployment creates (the guard, lib/guard-stack.ts). */
  readonly serviceControlPolicies: readonly ScpFacts[];
}

/** Friendly names of Cordon's own principals, by stack and logical id prefix. */
const NAMED: readonly { readonly name: string; readonly member: boolean; readonly prefix: string }[] = [
  { name: 'isolation', member: false, prefix: 'IsolateInstanceRole' },
  { name: 'credentials', member: false, prefix: 'RevokeCredentialsRole' },
  { name: 'checkpoint', member: false, prefix: 'CheckpointRole' },
  { name: 'auditor', member: false, prefix: 'AuditorRole' },
  { name: 'session-revoker', member: false, prefix: 'SessionRevokerRole' },
  { name: 'tamper', member: false, prefix: 'TamperHandlerRole' },
  { name: 'member-isolation', member: true, prefix: 'IsolationRole' },
  { name: 'member-credentials', member: true, prefix: 'CredentialsRole' },
  { name: 'member-session-writer', member: true, prefix: 'SessionWriterRole' },
];

/** Documents of the AWS-managed policies the harness evaluates (AWS publishes them). */
export const AWS_MANAGED: Readonly<Record<string, PolicyDocument>> = {
  AdministratorAccess: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
};

const asTags = (v: Json | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) for (const t of v as { Key?: string; Value?: string }[]) if (t.Key) out[t.Key] = String(t.Value ?? '');
  return out;
};

const list = (v: Json | undefined): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const arnOfKey = (env: Env, key: Json | undefined): string | undefined => {
  if (typeof key !== 'string') return undefined;
  return key.startsWith('arn:') ? key : `arn:${env.partition}:kms:${env.region}:${env.account}:key/${key}`;
};

/**
 * Resolves every stack of `synth` (home stacks in `home`, the member stack in `memberAccount`) and
 * reads its authorization facts. The member stack's parameters are the home responder role ARNs.
 */
export const deploymentFacts = (synth: Synthesized, home: Env, memberAccount: string): DeploymentFacts => {
  const roles: RoleFacts[] = [];
  const resourcePolicies: Record<string, PolicyDocument> = {};
  const encryptedBy: Record<string, string> = {};
  const tags: Record<string, Record<string, string>> = {};
  const parameters: Record<string, string> = {};
  const environments: Record<string, Record<string, string>> = {};
  const bucketAccounts: Record<string, string> = {};
  const exports: Record<string, Json> = {};
  const homeRoles: Record<string, string> = {};
  const serviceControlPolicies: ScpFacts[] = [];

  // Home stacks first (the member stack takes their role ARNs), in dependency order for exports.
  const order = [...synth.stacks].sort((a, b) => Number(a.member) - Number(b.member) || rank(a.stackName) - rank(b.stackName));
  for (const stack of order) {
    const env: Env = stack.member ? { ...home, account: memberAccount } : stack.account ? { ...home, account: stack.account } : home;
    const scope: ResolveScope = {
      ...env,
      stackName: stack.stackName,
      template: stack.template,
      exports,
      parameters: stack.member
        ? {
            IsolationResponderRoleArn: homeRoles.isolation ?? '',
            CredentialResponderRoleArn: homeRoles.credentials ?? '',
            SessionRevokerRoleArn: homeRoles['session-revoker'] ?? '',
          }
        : ({} as Record<string, string>),
    };
    const resolved = resolveIn(scope, (stack.template.Resources ?? {}) as unknown as Json) as Record<string, { Type: string; Properties?: Record<string, Json> }>;
    const ref = (id: string) => resolveIn(scope, { Ref: id });
    const att = (id: string, a: string) => resolveIn(scope, { 'Fn::GetAtt': [id, a] });
    Object.assign(exports, exportsOf(scope));

    const managed = new Map<string, PolicyDocument>();
    for (const [id, r] of Object.entries(resolved)) {
      if (r.Type === 'AWS::IAM::ManagedPolicy') managed.set(String(ref(id)), r.Properties?.PolicyDocument as PolicyDocument);
    }
    for (const [id, r] of Object.entries(resolved)) {
      const p = r.Properties ?? {};
      switch (r.Type) {
        case 'AWS::IAM::Role': {
          const roleName = String(ref(id));
          const arn = String(att(id, 'Arn'));
          const named = NAMED.find((n) => n.member === stack.member && id.startsWith(n.prefix));
          const name = named?.name ?? `${stack.stackName}/${id}`;
          // The member stack takes the home responder roles and the state machine's role (the
          // member session writer trusts it: lib/constructs/session-revoker.ts) as parameters.
          if (named && !stack.member) homeRoles[named.name] = arn;
          const policies: RoleFacts['policies'][number][] = [];
          const unknownManaged: string[] = [];
          for (const inline of list(p.Policies) as { PolicyName: string; PolicyDocument: PolicyDocument }[]) {
            policies.push({ name: inline.PolicyName, policy: inline.PolicyDocument });
          }
          for (const m of list(p.ManagedPolicyArns).map(String)) {
            const own = managed.get(m);
            const awsName = /^arn:[^:]+:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(m)?.[1];
            if (own) policies.push({ name: m, policy: own });
            else if (awsName && AWS_MANAGED[awsName]) policies.push({ name: m, policy: AWS_MANAGED[awsName] });
            else unknownManaged.push(m);
          }
          for (const [pid, other] of Object.entries(resolved)) {
            const attached = list(other.Properties?.Roles).map(String).includes(roleName);
            if (!attached) continue;
            if (other.Type === 'AWS::IAM::Policy') policies.push({ name: String(other.Properties?.PolicyName ?? pid), policy: other.Properties?.PolicyDocument as PolicyDocument });
            if (other.Type === 'AWS::IAM::ManagedPolicy') policies.push({ name: String(ref(pid)), policy: other.Properties?.PolicyDocument as PolicyDocument });
          }
          const roleTags = asTags(p.Tags);
          tags[arn] = roleTags;
          const trust = p.AssumeRolePolicyDocument as PolicyDocument;
          resourcePolicies[arn] = trust;
          roles.push({ name, arn, account: env.account, policies, trust, tags: roleTags, unknownManaged });
          break;
        }
        case 'AWS::S3::BucketPolicy':
          resourcePolicies[`arn:${env.partition}:s3:::${String(p.Bucket)}`] = p.PolicyDocument as PolicyDocument;
          break;
        case 'AWS::S3::Bucket': {
          const arn = String(att(id, 'Arn'));
          tags[arn] = asTags(p.Tags);
          bucketAccounts[arn] = env.account;
          const rules = (p.BucketEncryption as { ServerSideEncryptionConfiguration?: { ServerSideEncryptionByDefault?: { KMSMasterKeyID?: Json } }[] } | undefined)
            ?.ServerSideEncryptionConfiguration;
          const key = arnOfKey(env, rules?.[0]?.ServerSideEncryptionByDefault?.KMSMasterKeyID);
          if (key) encryptedBy[arn] = key;
          break;
        }
        case 'AWS::KMS::Key': {
          const arn = String(att(id, 'Arn'));
          resourcePolicies[arn] = p.KeyPolicy as PolicyDocument;
          tags[arn] = asTags(p.Tags);
          break;
        }
        case 'AWS::DynamoDB::Table': {
          const key = arnOfKey(env, (p.SSESpecification as { KMSMasterKeyId?: Json } | undefined)?.KMSMasterKeyId);
          if (key) encryptedBy[String(att(id, 'Arn'))] = key;
          break;
        }
        case 'AWS::SNS::Topic': {
          const key = arnOfKey(env, p.KmsMasterKeyId);
          if (key) encryptedBy[String(ref(id))] = key;
          break;
        }
        case 'AWS::SQS::Queue': {
          const key = arnOfKey(env, p.KmsMasterKeyId);
          if (key) encryptedBy[String(att(id, 'Arn'))] = key;
          break;
        }
        case 'AWS::SNS::TopicPolicy':
          for (const t of list(p.Topics)) resourcePolicies[String(t)] = p.PolicyDocument as PolicyDocument;
          break;
        case 'AWS::SQS::QueuePolicy':
          for (const q of list(p.Queues)) {
            const [, , host = '', acct = '', name = ''] = String(q).split('/');
            const region = host.split('.')[1] ?? env.region;
            resourcePolicies[`arn:${env.partition}:sqs:${region}:${acct}:${name}`] = p.PolicyDocument as PolicyDocument;
          }
          break;
        case 'AWS::Lambda::Permission': {
          // A function's resource policy is the union of its permissions (AddPermission statements).
          const fn = String(p.FunctionName);
          const policy = (resourcePolicies[fn] ??= { Version: '2012-10-17', Statement: [] });
          (policy.Statement as Json[]).push(lambdaPermissionStatement(id, p, env));
          break;
        }
        case 'AWS::SSM::Parameter': {
          const name = String(ref(id));
          parameters[name] = `arn:${env.partition}:ssm:${env.region}:${env.account}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
          break;
        }
        case 'AWS::Lambda::Function': {
          const vars = (p.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {};
          environments[String(p.Role)] = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, String(v)]));
          break;
        }
        case 'AWS::Organizations::Policy':
          if (p.Type === 'SERVICE_CONTROL_POLICY') {
            serviceControlPolicies.push({ name: String(p.Name), targetIds: list(p.TargetIds).map(String), policy: p.Content as PolicyDocument });
          }
          break;
        default:
      }
    }
  }
  return { roles, resourcePolicies, encryptedBy, tags, bucketAccounts, parameters, environments, serviceControlPolicies };
};

/** The statement Lambda writes for an AWS::Lambda::Permission (the conditions its properties add). */
const lambdaPermissionStatement = (sid: string, p: Record<string, Json>, env: Env): Json => {
  const principal = String(p.Principal);
  const who: Json = principal.startsWith('arn:') ? { AWS: principal } : /^\d{12}$/.test(principal) ? { AWS: `arn:${env.partition}:iam::${principal}:root` } : principal === '*' ? '*' : { Service: principal };
  const condition: Record<string, Record<string, Json>> = {};
  const add = (operator: string, key: string, value: Json | undefined) => {
    if (value !== undefined) condition[operator] = { ...condition[operator], [key]: value };
  };
  add('StringEquals', 'lambda:FunctionUrlAuthType', p.FunctionUrlAuthType);
  add('Bool', 'lambda:InvokedViaFunctionUrl', p.InvokedViaFunctionUrl === undefined ? undefined : String(p.InvokedViaFunctionUrl));
  add('ArnLike', 'aws:SourceArn', p.SourceArn);
  add('StringEquals', 'aws:SourceAccount', p.SourceAccount);
  add('StringEquals', 'aws:PrincipalOrgID', p.PrincipalOrgID);
  return { Sid: sid, Effect: 'Allow', Principal: who, Action: p.Action ?? 'lambda:InvokeFunction', Resource: String(p.FunctionName), ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}) };
};

/** Stacks that export come before the stacks that import (evidence before response). */
const rank = (stackName: string): number => ['CordonEvidence', 'CordonDetection', 'CordonResponse'].indexOf(stackName) >>> 0;

export type { CfnTemplate };
