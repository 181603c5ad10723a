import type { AuthzRequest } from './evaluate';
import type { DeploymentFacts } from './model';

/**
 * What a must-deny entry is made of (lib/authz/must-deny.ts lists them) and the deployment's
 * resources an entry names, read from the synthesized templates.
 */

/** What the corpus needs to name: the caller's account and the deployment's resources. */
export interface CorpusContext {
  readonly partition: string;
  readonly region: string;
  /** The account the request is evaluated in: the caller's own. */
  readonly account: string;
  readonly evidenceBucket: string;
  readonly signingKey: string;
  readonly dataKey: string;
  readonly modeParameter: string;
  /** A responder function with a manual request URL (lib/constructs/manual-url.ts). */
  readonly manualFunction: string;
  /** The session revoker state machine and its role (lib/constructs/session-revoker.ts). */
  readonly sessionRevoker: string;
  readonly sessionRevokerRole: string;
  /** The member session writer role in the member account the corpus evaluates. */
  readonly memberSessionWriter: string;
  /** The checkpoint function's role: an evidence writer (the signing key lets it sign). */
  readonly evidenceWriterRole: string;
}

/** Who must be refused: every Cordon role, and the security account's administrator. */
export type Audience = 'cordon' | 'cordon+admin';

export interface MustDeny {
  readonly id: string;
  /** What the request would let an attacker do, in a sentence. */
  readonly what: string;
  readonly audience: Audience;
  /** Principals the entry does not apply to, with the reason (e.g. the evidence writers sign). */
  readonly except?: { readonly principals: readonly string[]; readonly reason: string };
  /**
   * The harm is a document of the caller's choosing (an inline policy): a principal whose every
   * use runs a fixed definition (CONFINED, lib/authz/confined.ts) sends only that definition's.
   */
  readonly documentOfChoice?: true;
  readonly request: (c: CorpusContext) => AuthzRequest;
}

export const PROTECTED = { 'aws:ResourceTag/cordon:protected': 'true' };
export const ec2 = (c: CorpusContext, type: string, id: string) => `arn:${c.partition}:ec2:${c.region}:${c.account}:${type}/${id}`;
export const iamArn = (c: CorpusContext, type: string, name: string) => `arn:${c.partition}:iam::${c.account}:${type}/${name}`;
export const ADMIN_POLICY = (c: CorpusContext) => `arn:${c.partition}:iam::aws:policy/AdministratorAccess`;
export const EVIDENCE_WRITERS = {
  principals: ['isolation', 'credentials', 'checkpoint', 'tamper'],
  reason: 'the evidence writers (roles under /cordon/evidence-writer/) sign records and checkpoints; the tamper handler writes a signed record of each change to Cordon',
};
export const IN_A_YEAR = () => new Date(Date.now() + 365 * 86_400_000).toISOString();


/** The deployment's resources the corpus names (as the functions are configured with them), for `account`. */
export const corpusContext = (facts: DeploymentFacts, home: { partition: string; region: string }, account: string): CorpusContext => {
  const env = Object.assign({}, ...Object.values(facts.environments)) as Record<string, string>;
  const need = (name: string): string => {
    const v = env[name];
    if (!v) throw new Error(`authz corpus: no function of the deployment has ${name}`);
    return v;
  };
  const evidenceBucket = need('EVIDENCE_BUCKET');
  const role = (name: string): string => {
    const r = facts.roles.find((x) => x.name === name);
    if (!r) throw new Error(`authz corpus: the deployment has no ${name} role`);
    return r.arn;
  };
  return {
    sessionRevoker: need('SESSION_REVOKER_ARN'),
    sessionRevokerRole: role('session-revoker'),
    // In the member account the corpus deploys the member stack to, whoever asks.
    memberSessionWriter: role('member-session-writer'),
    evidenceWriterRole: role('checkpoint'),
    partition: home.partition,
    region: home.region,
    account,
    evidenceBucket,
    signingKey: need('SIGNING_KEY_ID'),
    dataKey: facts.encryptedBy[`arn:${home.partition}:s3:::${evidenceBucket}`] ?? '',
    modeParameter: need('MODE_PARAMETER'),
    manualFunction: manualFunctionOf(facts),
  };
};

/** The function whose resource policy grants lambda:InvokeFunctionUrl (a manual request URL). */
export const manualFunctionOf = (facts: DeploymentFacts): string => {
  const fn = Object.entries(facts.resourcePolicies).find(
    ([arn, policy]) => arn.includes(':function:') && JSON.stringify(policy.Statement).includes('"lambda:InvokeFunctionUrl"'),
  )?.[0];
  if (!fn) throw new Error('authz corpus: no function of the deployment grants lambda:InvokeFunctionUrl (manual.callerPrincipalArns is empty)');
  return fn;
};
