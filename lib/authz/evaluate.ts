import { getDenialReasons, getGrantReasons, runSimulation, type RequestDenial, type RequestGrant } from '@cloud-copilot/iam-simulate';
import type { CordonConfigInput } from '../config';
import { AWS_MANAGED, deploymentFacts, isMemberRole, type DeploymentFacts, type PolicyDocument, type RoleFacts } from './model';
import { scpLevels } from './scp';
import { synthesized } from './synth';

/**
 * Decides AWS requests against Cordon's synthesized policies with `@cloud-copilot/iam-simulate`
 * (identity policies of the calling role, the resource policy that applies, the request context).
 * Nothing here decides: the simulator does; this module only assembles its input and words its answer.
 */

/** One IAM authorization AWS performs for an API call (a call may need several). */
export interface AuthzRequest {
  readonly action: string;
  /** ARN of the resource, `*` for actions without resource-level permissions. */
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

export interface Verdict {
  readonly allowed: boolean;
  readonly principal: string;
  readonly principalArn: string;
  readonly action: string;
  readonly resource: string;
  /** `allowed by ...`, `denied by ...` or `no statement allows ...`; names policy and statement. */
  readonly explanation: string;
}

/** A deployment to evaluate in: the home (security) account and region and the config synthesized. */
export interface AuthorizerOptions {
  readonly account: string;
  readonly region: string;
  readonly partition?: string;
  readonly config?: CordonConfigInput;
}

/**
 * The config the harness synthesizes by default: the repository's defaults plus an organization
 * with a member OU (so the member role and the AssumeRole path exist), a quarantine profile
 * (the one the isolation tests use, in account 111111111111), an anchor in account 444455556666
 * and the guard SCP on the security account.
 */
export const AUTHZ_ORG_ID = 'o-cordon0authz';
/** The organization's management account, where the harness's guard SCP is created. */
export const AUTHZ_MANAGEMENT_ACCOUNT = '999988887777';
/** The one responder the harness lists in `manual.callerPrincipalArns`. */
export const AUTHZ_RESPONDER = 'arn:aws:iam::111111111111:role/IncidentResponder';
export const AUTHZ_CONFIG: CordonConfigInput = {
  organizationId: AUTHZ_ORG_ID,
  memberOrganizationalUnits: ['ou-cord-0authz00'],
  isolation: {
    quarantineProfileArn: 'arn:aws:iam::111111111111:instance-profile/cordon-quarantine',
    quarantineRoleArn: 'arn:aws:iam::111111111111:role/cordon-quarantine',
  },
  // The checkpoint copies go to an anchor in a log-archive account (lib/anchor-stack.ts).
  anchor: { account: '444455556666', securityAccount: '111111111111' },
  // The responders who may call the manual request URLs (lib/constructs/manual-url.ts).
  manual: { callerPrincipalArns: [AUTHZ_RESPONDER] },
  // The guard SCP (lib/guard-stack.ts), created in the management account and attached to the
  // security account: every request of a security-account principal is evaluated with it in force.
  organization: { guard: { account: AUTHZ_MANAGEMENT_ACCOUNT, targetIds: ['111111111111'] } },
};

/** An ordinary administrator of an account: a role with AdministratorAccess, nothing else. */
export const administrator = (account: string, roleName = 'Admin'): RoleFacts => ({
  name: roleName === 'Admin' ? 'admin' : roleName,
  arn: `arn:aws:iam::${account}:role/${roleName}`,
  account,
  policies: [{ name: 'arn:aws:iam::aws:policy/AdministratorAccess', policy: AWS_MANAGED.AdministratorAccess! }],
  trust: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' }] },
  tags: {},
  unknownManaged: [],
});

const s3Bucket = (arn: string): string | undefined => /^(arn:[^:]+:s3:::[^/]+)/.exec(arn)?.[1];

const describeGrant = (g: RequestGrant): string =>
  `${g.policyType === 'resource' ? 'the resource policy' : `${g.policyType} policy ${'policyIdentifier' in g ? g.policyIdentifier : ''}`} statement ${g.statementId ?? `#${g.statementIndex}`}`;

const describeDenial = (d: RequestDenial, who: string, resource: string): string => {
  if (d.denialType === 'Explicit') {
    const where = d.policyType === 'resource' ? `the resource policy of ${resource}` : `${d.policyType} policy ${d.policyIdentifier ?? ''}`;
    return `denied by ${where} statement ${d.statementId ?? `#${d.statementIndex}`}`;
  }
  return d.policyType === 'resource'
    ? `the resource policy of ${resource} does not allow ${who}`
    : `no ${d.policyType} policy statement of ${who} allows it`;
};

export class Authorizer {
  private readonly facts = new Map<string, DeploymentFacts>();
  private readonly decisions = new Map<string, Promise<Verdict>>();

  private constructor(
    readonly options: Required<Omit<AuthorizerOptions, 'config'>> & { readonly config: CordonConfigInput },
    private readonly synth: Awaited<ReturnType<typeof synthesized>>,
  ) {}

  /** Synthesizes (or reads from the cache) the templates of `options.config`. */
  static async create(options: AuthorizerOptions): Promise<Authorizer> {
    const config = options.config ?? AUTHZ_CONFIG;
    const full = { partition: 'aws', ...options, config };
    return new Authorizer(full, await synthesized(config));
  }

  get organizationId(): string | undefined {
    return this.options.config.organizationId;
  }

  /** The deployment's facts with the member stack deployed in `memberAccount`. */
  deployment(memberAccount = '222222222222'): DeploymentFacts {
    let hit = this.facts.get(memberAccount);
    if (!hit) {
      const { account, region, partition } = this.options;
      hit = deploymentFacts(this.synth, { account, region, partition }, memberAccount);
      this.facts.set(memberAccount, hit);
    }
    return hit;
  }

  /** A role by friendly name (`isolation`, `member-isolation`, `admin`...), a member role in `account`. */
  role(name: string, account?: string): RoleFacts {
    if (name === 'admin') return administrator(account ?? this.options.account);
    const roles = this.deployment(account).roles;
    // `Stack/LogicalIdPrefix` names a role of another construct without its hash suffix.
    const found = roles.find((r) => r.name === name) ?? roles.find((r) => name.includes('/') && r.name.startsWith(name));
    if (!found) throw new Error(`authz: no principal named ${name} in the synthesized templates`);
    return found;
  }

  /** The resource policy AWS applies to a request on `resource`, if any. */
  resourcePolicy(resource: string, memberAccount?: string): PolicyDocument | undefined {
    const { resourcePolicies } = this.deployment(memberAccount);
    return resourcePolicies[resource] ?? resourcePolicies[s3Bucket(resource) ?? ''];
  }

  /**
   * Decides one request. Decisions are remembered per principal and request (the simulator is a
   * pure function of the policies and the request; only `aws:CurrentTime` varies, and no Cordon
   * policy conditions on it): a test suite repeats the same calls many times.
   */
  evaluate(caller: RoleFacts, request: AuthzRequest): Promise<Verdict> {
    const key = JSON.stringify([caller.name, caller.arn, request.action, request.resource, Object.entries(request.context ?? {}).sort(([a], [b]) => a.localeCompare(b))]);
    let hit = this.decisions.get(key);
    if (!hit) {
      hit = this.decide(caller, request);
      this.decisions.set(key, hit);
    }
    return hit;
  }

  private async decide(caller: RoleFacts, request: AuthzRequest): Promise<Verdict> {
    if (caller.unknownManaged.length > 0) {
      throw new Error(`authz: ${caller.name} has AWS-managed policies the harness does not know: ${caller.unknownManaged.join(', ')}`);
    }
    const [, , service = '', region = '', arnAccount = ''] = request.resource.split(':');
    // The member stack of the account the request is about: the caller's, or the role it assumes.
    const memberAccount = isMemberRole(caller.name) ? caller.account : arnAccount && arnAccount !== this.options.account ? arnAccount : undefined;
    const s3 = service === 's3';
    // An S3 ARN names no account: a deployed bucket is its stack's account's, any other the caller's.
    const resourceAccount = arnAccount || (s3 ? this.deployment(memberAccount).bucketAccounts[s3Bucket(request.resource) ?? ''] : undefined) || caller.account;
    const org = this.organizationId;
    const context: Record<string, string | string[]> = {
      'aws:PrincipalArn': caller.arn,
      'aws:PrincipalAccount': caller.account,
      'aws:SecureTransport': 'true',
      'aws:RequestedRegion': region || this.options.region,
      'aws:CurrentTime': new Date().toISOString(),
      'aws:ResourceAccount': resourceAccount,
      ...(org ? { 'aws:PrincipalOrgID': org, 'aws:ResourceOrgID': org } : {}),
    };
    for (const [k, v] of Object.entries(request.context ?? {})) context[k] = typeof v === 'string' ? v : [...v];
    const resourcePolicy = this.resourcePolicy(request.resource, memberAccount);
    const result = await runSimulation(
      {
        request: {
          principal: caller.arn,
          action: request.action,
          resource: { resource: request.resource, accountId: resourceAccount },
          contextVariables: context,
        },
        identityPolicies: caller.policies.map((p) => ({ name: p.name, policy: p.policy })),
        // The SCPs attached above the caller's account (the guard on the security account).
        serviceControlPolicies: scpLevels(this.deployment(memberAccount).serviceControlPolicies, caller.account, this.options.account),
        resourceControlPolicies: [],
        ...(resourcePolicy ? { resourcePolicy } : {}),
      },
      {},
    );
    const base = { principal: caller.name, principalArn: caller.arn, action: request.action, resource: request.resource };
    if (result.resultType === 'error') {
      return { ...base, allowed: false, explanation: `the simulator rejected the request: ${result.errors.message} ${JSON.stringify(result.errors)}` };
    }
    const analysis = result.resultType === 'single' ? result.result.analysis : result.results[0]?.analysis;
    const allowed = result.overallResult === 'Allowed';
    if (!analysis) return { ...base, allowed, explanation: `simulator: ${result.overallResult} (no statement matched the resource)` };
    const explanation = allowed
      ? // The SCPs' FullAWSAccess allows at every level: the identity or resource policy is what decides.
        `allowed by ${getGrantReasons(analysis).filter((g) => g.policyType !== 'scp').map(describeGrant).join(' and ')}`
      : getDenialReasons(analysis)
          .map((d) => describeDenial(d, caller.name, request.resource))
          .join('; ');
    return { ...base, allowed, explanation: explanation || `simulator: ${result.overallResult}` };
  }
}

const cache = new Map<string, Promise<Authorizer>>();

/** One Authorizer per home account, region and config, per process. */
export const authorizer = (options: AuthorizerOptions): Promise<Authorizer> => {
  const key = JSON.stringify(options);
  let hit = cache.get(key);
  if (!hit) {
    hit = Authorizer.create(options);
    cache.set(key, hit);
  }
  return hit;
};

/** One line per verdict, e.g. for a failing test: `isolation ec2:CreateTags on arn:... : denied by ...`. */
export const formatVerdict = (v: Verdict): string => `${v.principal} (${v.principalArn}) ${v.action} on ${v.resource}: ${v.explanation}`;
