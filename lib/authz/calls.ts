import type { Authorizer, AuthzRequest, Verdict } from './evaluate';
import { isMemberRole, type RoleFacts } from './model';
import { requestsOf } from './requests';
import type { Where } from './where';

/**
 * Evaluates a log of AWS calls (what a test's mocked clients or the drill's fake world received)
 * against the synthesized policies: each call is mapped to the IAM requests AWS would authorize
 * (lib/authz/requests.ts) and each request decided by iam-simulate for the principal that sent it.
 */

/** One AWS call as sent, with the principal that signed it. */
export interface SentCall {
  /** Client: ec2, autoscaling, elbv2, elb, guardduty, iam, sts, s3, kms, dynamodb, ssm, sns, securityhub. */
  readonly service: string;
  /** Command name without `Command`, e.g. `CreateSecurityGroup`. */
  readonly command: string;
  readonly input: Record<string, unknown>;
  /** The response, when the call succeeded: the harness learns tags and relations from it. */
  readonly output?: unknown;
  readonly principal: RoleFacts;
  readonly region: string;
}

export interface CallVerdict extends Verdict {
  /** `ec2:CreateSecurityGroup`: the call this request belongs to. */
  readonly call: string;
  /** Position of the call in the log (0-based). */
  readonly index: number;
}

type Tags = Record<string, string>;
type Obj = Record<string, unknown>;

const tagsOfList = (list: unknown): Tags => {
  const out: Tags = {};
  for (const t of (list as { Key?: string; Value?: string }[] | undefined) ?? []) if (t.Key) out[t.Key] = t.Value ?? '';
  return out;
};
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** IAM resources are keyed by type and name (paths are not always known when tags are). */
const tagKey = (arn: string): string => {
  const iam = /^arn:[^:]+:iam::(\d*):(user|role)\/(?:.*\/)?([^/]+)$/.exec(arn);
  return iam ? `${iam[1]}:${iam[2]}/${iam[3]}` : arn;
};

class Knowledge {
  readonly tags = new Map<string, Tags>();
  readonly relations = new Map<string, string>();

  setTags(arn: string, tags: Tags, merge = false): void {
    const key = tagKey(arn);
    this.tags.set(key, merge ? { ...this.tags.get(key), ...tags } : tags);
  }

  /** What a successful read call tells about the world. */
  learn(call: SentCall, arnOf: (type: string, id: string) => string, iamArn: (type: string, name: string) => string): void {
    const o = (call.output ?? {}) as Obj;
    const key = `${call.service}:${call.command}`;
    if (key === 'ec2:DescribeInstances') {
      for (const r of arr(o.Reservations)) {
        for (const i of arr(r.Instances)) {
          const id = str(i.InstanceId);
          this.setTags(arnOf('instance', id), tagsOfList(i.Tags));
          const volumes = arr(i.BlockDeviceMappings).map((b) => str((b.Ebs as Obj | undefined)?.VolumeId)).filter(Boolean);
          if (volumes.length) this.relations.set(`volumes:${id}`, volumes.join(','));
        }
      }
    } else if (key === 'ec2:DescribeSecurityGroups') {
      for (const g of arr(o.SecurityGroups)) this.setTags(arnOf('security-group', str(g.GroupId)), tagsOfList(g.Tags));
    } else if (key === 'ec2:DescribeNetworkInterfaces') {
      for (const e of arr(o.NetworkInterfaces)) this.setTags(arnOf('network-interface', str(e.NetworkInterfaceId)), tagsOfList(e.TagSet));
    } else if (key === 'ec2:DescribeAddresses') {
      for (const a of arr(o.Addresses)) if (a.AssociationId) this.relations.set(`eip-association:${str(a.AssociationId)}`, str(a.AllocationId));
    } else if (key === 'ec2:DescribeIamInstanceProfileAssociations') {
      for (const a of arr(o.IamInstanceProfileAssociations)) this.relations.set(`profile-association:${str(a.AssociationId)}`, str(a.InstanceId));
    } else if (key === 'iam:GetUser' && o.User) {
      const u = o.User as Obj;
      this.relations.set(`user-arn:${str(u.UserName)}`, str(u.Arn));
      if (u.Tags) this.setTags(str(u.Arn), tagsOfList(u.Tags), true);
    } else if (key === 'iam:GetRole' && o.Role) {
      const r = o.Role as Obj;
      this.relations.set(`role-arn:${str(r.RoleName)}`, str(r.Arn));
      if (r.Tags) this.setTags(str(r.Arn), tagsOfList(r.Tags), true);
    } else if (key === 'iam:ListUserTags') {
      this.setTags(iamArn('user', str(call.input.UserName)), tagsOfList(o.Tags), true);
    } else if (key === 'iam:ListRoleTags') {
      this.setTags(iamArn('role', str(call.input.RoleName)), tagsOfList(o.Tags), true);
    } else if (key === 'iam:GetAccessKeyLastUsed' && o.UserName) {
      this.relations.set(`key-owner:${str(call.input.AccessKeyId)}`, str(o.UserName));
    }
  }

  /** What a successful write changes that later calls are authorized on. */
  apply(call: SentCall, arnOf: (type: string, id: string) => string): void {
    const o = (call.output ?? {}) as Obj;
    const key = `${call.service}:${call.command}`;
    if (key === 'ec2:CreateSecurityGroup' && o.GroupId) {
      const specs = arr(call.input.TagSpecifications).filter((s) => !s.ResourceType || s.ResourceType === 'security-group');
      this.setTags(arnOf('security-group', str(o.GroupId)), tagsOfList(specs.flatMap((s) => arr(s.Tags))));
    } else if (key === 'ec2:CreateTags') {
      for (const id of (call.input.Resources as string[] | undefined) ?? []) {
        if (id.startsWith('i-')) this.setTags(arnOf('instance', id), tagsOfList(call.input.Tags), true);
        if (id.startsWith('sg-')) this.setTags(arnOf('security-group', id), tagsOfList(call.input.Tags), true);
      }
    } else if (key === 'ec2:ReplaceIamInstanceProfileAssociation') {
      const next = str((o.IamInstanceProfileAssociation as Obj | undefined)?.AssociationId);
      const instance = this.relations.get(`profile-association:${str(call.input.AssociationId)}`);
      if (next && instance) this.relations.set(`profile-association:${next}`, instance);
    }
  }
}

export interface EvaluateCallsOptions {
  /**
   * The environment the functions ran with (a test's `process.env`): a name configured there
   * (EVIDENCE_BUCKET=cordon-evidence) stands for the deployed resource the synthesized function
   * gets in the same variable. @default process.env
   */
  readonly configured?: Readonly<Record<string, string | undefined>>;
  /**
   * Which calls (by index) to decide; the others only teach the harness what they answered (a
   * caller that already decided the same call elsewhere). @default every call
   */
  readonly decide?: (index: number) => boolean;
}

const withoutMemberRole = (environment: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(environment).filter(([k]) => k !== 'MEMBER_ROLE_NAME'));

/** Every IAM request of every call, decided. Throws on a call the harness cannot map. */
export const evaluateCalls = async (authz: Authorizer, calls: readonly SentCall[], options: EvaluateCallsOptions = {}): Promise<CallVerdict[]> => {
  const knowledge = new Knowledge();
  const configured = options.configured ?? process.env;
  const { partition } = authz.options;
  const whereOf = (call: SentCall): Where => {
    const account = call.principal.account;
    const deployment = authz.deployment(isMemberRole(call.principal.name) ? account : undefined);
    // A function names Cordon's resources by its environment; another principal (the auditor)
    // names the same ones as any function does.
    // (MEMBER_ROLE_NAME differs per function: only a function's own says which member role it assumes.)
    const environment = deployment.environments[call.principal.arn] ?? withoutMemberRole(Object.assign({}, ...Object.values(deployment.environments)) as Record<string, string>);
    const quarantine = authz.options.config.isolation;
    return {
      partition,
      account,
      region: call.service === 'iam' ? 'us-east-1' : call.region,
      tagsOf: (arn) => knowledge.tags.get(tagKey(arn)) ?? deployment.tags[arn],
      observed: (key) => knowledge.relations.get(key),
      roleOfProfile: (profile) =>
        profile === quarantine?.quarantineProfileArn && quarantine.quarantineRoleArn
          ? quarantine.quarantineRoleArn
          : profile.replace(':instance-profile/', ':role/'),
      keyOf: (arn) => deployment.encryptedBy[arn],
      deployed: (value, variable) => {
        const name = Object.keys(environment).find((k) => configured[k] !== undefined && configured[k] === value) ?? variable;
        return (name && environment[name]) ?? value;
      },
    };
  };
  const arnOf = (call: SentCall) => (type: string, id: string) =>
    type === 'snapshot' ? `arn:${partition}:ec2:${call.region}::snapshot/${id}` : `arn:${partition}:ec2:${call.region}:${call.principal.account}:${type}/${id}`;
  const iamArnOf = (call: SentCall) => (type: string, name: string) => `arn:${partition}:iam::${call.principal.account}:${type}/${name}`;

  // Reads first: a function acts on what it observed, whichever of its parallel reads came first.
  for (const call of calls) if (call.output !== undefined) knowledge.learn(call, arnOf(call), iamArnOf(call));
  const verdicts: CallVerdict[] = [];
  for (const [index, call] of calls.entries()) {
    const where = whereOf(call);
    const requests = options.decide?.(index) === false ? [] : requestsOf(call.service, call.command, call.input, where);
    for (const request of requests.map((r) => rehome(r, call.principal.account, where.region))) {
      const context = { 'aws:RequestedRegion': where.region, ...request.context };
      verdicts.push({ ...(await authz.evaluate(call.principal, { ...request, context })), call: `${call.service}:${call.command}`, index });
    }
    if (call.output !== undefined) knowledge.apply(call, arnOf(call));
  }
  return verdicts;
};

/**
 * A Cordon principal acts in its own account (the member role in its member account) and a client
 * only reaches resources of its own region, except sts:AssumeRole into a member: a resource ARN
 * naming another account or region (a test's own home account id, an ARN from a fixture) is taken
 * as the caller's own.
 */
const rehome = (request: AuthzRequest, account: string, region: string): AuthzRequest => {
  if (request.action.startsWith('sts:')) return request;
  const parts = request.resource.split(':');
  if (parts.length < 6) return request;
  if (parts[3] !== '') parts[3] = region;
  if (parts[4] !== '' && parts[4] !== 'aws') parts[4] = account;
  return { ...request, resource: parts.join(':') };
};

/** The refusals of a log, worded for a failing test or drill. */
export const describeDenials = (verdicts: readonly CallVerdict[]): string[] =>
  verdicts
    .filter((v) => !v.allowed)
    .map((v) => `call #${v.index} ${v.call} by ${v.principal} (${v.principalArn}): ${v.action} on ${v.resource} would be refused: ${v.explanation}`);
