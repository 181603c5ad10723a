import type { AuthzRequest } from './evaluate';
import type { DeploymentFacts } from './model';

/**
 * The must-deny corpus: requests a Cordon role, and (where it concerns the vault or Cordon itself)
 * an ordinary administrator of the security account, must never be allowed. Each is evaluated with
 * iam-simulate against the synthesized policies (identity policies of the principal, the resource
 * policy that applies) by every principal it names.
 *
 * Today some are allowed: they are listed in KNOWN_FAILURES (lib/authz/known.ts) with the reason, reported by the
 * corpus test and the bench, and the test fails when the list is not exact (a known failure that
 * became denied must leave the list). Issue 11 (least privilege) shrinks it to nothing.
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
  readonly request: (c: CorpusContext) => AuthzRequest;
}

const PROTECTED = { 'aws:ResourceTag/cordon:protected': 'true' };
const ec2 = (c: CorpusContext, type: string, id: string) => `arn:${c.partition}:ec2:${c.region}:${c.account}:${type}/${id}`;
const iamArn = (c: CorpusContext, type: string, name: string) => `arn:${c.partition}:iam::${c.account}:${type}/${name}`;
const ADMIN_POLICY = (c: CorpusContext) => `arn:${c.partition}:iam::aws:policy/AdministratorAccess`;
const EVIDENCE_WRITERS = {
  principals: ['isolation', 'credentials', 'checkpoint', 'tamper'],
  reason: 'the evidence writers (roles under /cordon/evidence-writer/) sign records and checkpoints; the tamper handler writes a signed record of each change to Cordon',
};
const IN_A_YEAR = () => new Date(Date.now() + 365 * 86_400_000).toISOString();

export const MUST_DENY: readonly MustDeny[] = [
  {
    id: 'inline-policy-on-admin-role',
    what: 'write an inline policy (any document) on an arbitrary role: administrator access',
    audience: 'cordon',
    request: (c) => ({ action: 'iam:PutRolePolicy', resource: iamArn(c, 'role', 'Admin') }),
  },
  {
    id: 'inline-policy-on-org-access-role',
    what: 'write an inline policy on OrganizationAccountAccessRole',
    audience: 'cordon',
    request: (c) => ({ action: 'iam:PutRolePolicy', resource: iamArn(c, 'role', 'OrganizationAccountAccessRole') }),
  },
  {
    id: 'inline-policy-on-user',
    what: 'write an inline policy (any document) on an arbitrary user',
    audience: 'cordon',
    request: (c) => ({ action: 'iam:PutUserPolicy', resource: iamArn(c, 'user', 'alice') }),
  },
  {
    id: 'attach-admin-to-role',
    what: 'attach AdministratorAccess to an arbitrary role',
    audience: 'cordon',
    request: (c) => ({ action: 'iam:AttachRolePolicy', resource: iamArn(c, 'role', 'Admin'), context: { 'iam:PolicyARN': ADMIN_POLICY(c) } }),
  },
  {
    id: 'attach-admin-to-org-access-role',
    what: 'attach AdministratorAccess to OrganizationAccountAccessRole',
    audience: 'cordon',
    request: (c) => ({
      action: 'iam:AttachRolePolicy',
      resource: iamArn(c, 'role', 'OrganizationAccountAccessRole'),
      context: { 'iam:PolicyARN': ADMIN_POLICY(c) },
    }),
  },
  {
    id: 'attach-admin-to-user',
    what: 'attach AdministratorAccess to an arbitrary user',
    audience: 'cordon',
    request: (c) => ({ action: 'iam:AttachUserPolicy', resource: iamArn(c, 'user', 'alice'), context: { 'iam:PolicyARN': ADMIN_POLICY(c) } }),
  },
  {
    id: 'isolation-tag-on-existing-group',
    what: 'add Cordon’s isolation tag to an existing security group (then open it to the world as a Cordon group)',
    audience: 'cordon',
    request: (c) => ({
      action: 'ec2:CreateTags',
      resource: ec2(c, 'security-group', 'sg-0application0000'),
      context: { 'aws:TagKeys': ['cordon:isolation'], 'aws:RequestTag/cordon:isolation': 'isolation' },
    }),
  },
  {
    id: 'change-user-data',
    what: 'change the userData of an instance (code that runs as root at next boot)',
    audience: 'cordon',
    request: (c) => ({ action: 'ec2:ModifyInstanceAttribute', resource: ec2(c, 'instance', 'i-0application00000'), context: { 'ec2:Attribute': 'userData' } }),
  },
  {
    id: 'protected-instance-attribute',
    what: 'modify an attribute of an instance carrying the protected tag',
    audience: 'cordon',
    request: (c) => ({
      action: 'ec2:ModifyInstanceAttribute',
      resource: ec2(c, 'instance', 'i-0protected000000'),
      context: { ...PROTECTED, 'ec2:ResourceTag/cordon:protected': 'true', 'ec2:Attribute': 'disableApiTermination' },
    }),
  },
  {
    id: 'protected-instance-network',
    what: 'swap the security groups of an ENI of an instance carrying the protected tag',
    audience: 'cordon',
    request: (c) => ({
      action: 'ec2:ModifyNetworkInterfaceAttribute',
      resource: ec2(c, 'instance', 'i-0protected000000'),
      context: { ...PROTECTED, 'ec2:ResourceTag/cordon:protected': 'true' },
    }),
  },
  {
    id: 'protected-instance-snapshot',
    what: 'snapshot the volumes of an instance carrying the protected tag',
    audience: 'cordon',
    request: (c) => ({
      action: 'ec2:CreateSnapshots',
      resource: ec2(c, 'instance', 'i-0protected000000'),
      context: { ...PROTECTED, 'ec2:ResourceTag/cordon:protected': 'true' },
    }),
  },
  {
    id: 'protected-user-key',
    what: 'deactivate a key of a user carrying the protected tag',
    audience: 'cordon',
    request: (c) => ({ action: 'iam:UpdateAccessKey', resource: iamArn(c, 'user', 'breakglass'), context: { ...PROTECTED, 'iam:ResourceTag/cordon:protected': 'true' } }),
  },
  {
    id: 'protected-user-policy-delete',
    what: 'delete an inline policy of a user carrying the protected tag',
    audience: 'cordon',
    request: (c) => ({ action: 'iam:DeleteUserPolicy', resource: iamArn(c, 'user', 'breakglass'), context: { ...PROTECTED, 'iam:ResourceTag/cordon:protected': 'true' } }),
  },
  {
    id: 'protected-role-policy',
    what: 'write an inline policy on a role carrying the protected tag',
    audience: 'cordon',
    request: (c) => ({ action: 'iam:PutRolePolicy', resource: iamArn(c, 'role', 'BreakGlass'), context: { ...PROTECTED, 'iam:ResourceTag/cordon:protected': 'true' } }),
  },
  {
    id: 'protected-role-policy-delete',
    what: 'delete an inline policy of a role carrying the protected tag',
    audience: 'cordon',
    request: (c) => ({ action: 'iam:DeleteRolePolicy', resource: iamArn(c, 'role', 'BreakGlass'), context: { ...PROTECTED, 'iam:ResourceTag/cordon:protected': 'true' } }),
  },
  {
    id: 'delete-evidence',
    what: 'delete an evidence record',
    audience: 'cordon+admin',
    request: (c) => ({ action: 's3:DeleteObject', resource: `arn:${c.partition}:s3:::${c.evidenceBucket}/records/inc-0/00000000.json` }),
  },
  {
    id: 'delete-evidence-version',
    what: 'delete a version of an evidence record',
    audience: 'cordon+admin',
    request: (c) => ({ action: 's3:DeleteObjectVersion', resource: `arn:${c.partition}:s3:::${c.evidenceBucket}/records/inc-0/00000000.json` }),
  },
  {
    id: 'overwrite-evidence',
    what: 'overwrite an evidence record (a put without If-None-Match makes a new current version)',
    audience: 'cordon+admin',
    request: (c) => ({
      action: 's3:PutObject',
      resource: `arn:${c.partition}:s3:::${c.evidenceBucket}/records/inc-0/00000000.json`,
      context: { 's3:object-lock-mode': 'COMPLIANCE', 's3:object-lock-retain-until-date': IN_A_YEAR(), 's3:object-lock-remaining-retention-days': '365' },
    }),
  },
  {
    id: 'weak-evidence-object',
    what: 'write an evidence record without Object Lock (deletable once written)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 's3:PutObject', resource: `arn:${c.partition}:s3:::${c.evidenceBucket}/records/inc-0/00000009.json`, context: { 's3:if-none-match': '*' } }),
  },
  {
    id: 'shorten-evidence-retention',
    what: 'shorten the retention of an evidence record (to one day)',
    audience: 'cordon+admin',
    request: (c) => ({
      action: 's3:PutObjectRetention',
      resource: `arn:${c.partition}:s3:::${c.evidenceBucket}/records/inc-0/00000000.json`,
      context: { 's3:object-lock-mode': 'COMPLIANCE', 's3:object-lock-remaining-retention-days': '1' },
    }),
  },
  {
    id: 'bypass-governance',
    what: 'bypass Object Lock governance on an evidence record',
    audience: 'cordon+admin',
    request: (c) => ({ action: 's3:BypassGovernanceRetention', resource: `arn:${c.partition}:s3:::${c.evidenceBucket}/records/inc-0/00000000.json` }),
  },
  {
    id: 'expire-evidence',
    what: 'put a lifecycle rule that expires the evidence',
    audience: 'cordon+admin',
    request: (c) => ({ action: 's3:PutLifecycleConfiguration', resource: `arn:${c.partition}:s3:::${c.evidenceBucket}` }),
  },
  {
    id: 'replace-vault-policy',
    what: 'replace the vault’s bucket policy (and with it every deny above)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 's3:PutBucketPolicy', resource: `arn:${c.partition}:s3:::${c.evidenceBucket}` }),
  },
  {
    id: 'delete-vault-policy',
    what: 'delete the vault’s bucket policy (every deny above with it)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 's3:DeleteBucketPolicy', resource: `arn:${c.partition}:s3:::${c.evidenceBucket}` }),
  },
  {
    id: 'weaken-vault-lock',
    what: 'change the vault’s Object Lock configuration (default mode and retention)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 's3:PutBucketObjectLockConfiguration', resource: `arn:${c.partition}:s3:::${c.evidenceBucket}` }),
  },
  {
    id: 'governance-evidence-object',
    what: 'lock an evidence record in GOVERNANCE mode (removable by whoever may bypass governance)',
    audience: 'cordon+admin',
    request: (c) => ({
      action: 's3:PutObjectRetention',
      resource: `arn:${c.partition}:s3:::${c.evidenceBucket}/records/inc-0/00000000.json`,
      context: { 's3:object-lock-mode': 'GOVERNANCE', 's3:object-lock-remaining-retention-days': '3650' },
    }),
  },
  {
    id: 'sign-with-vault-key',
    what: 'sign a forged record with the evidence signing key',
    audience: 'cordon+admin',
    except: EVIDENCE_WRITERS,
    request: (c) => ({ action: 'kms:Sign', resource: c.signingKey, context: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': 'DIGEST' } }),
  },
  {
    id: 'disable-signing-key',
    what: 'disable the signing key (no record can be signed, new evidence stops)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'kms:DisableKey', resource: c.signingKey }),
  },
  {
    id: 'delete-signing-key',
    what: 'schedule deletion of the signing key',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'kms:ScheduleKeyDeletion', resource: c.signingKey }),
  },
  {
    id: 'disable-data-key',
    what: 'disable the vault’s data key (the evidence becomes unreadable)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'kms:DisableKey', resource: c.dataKey }),
  },
  {
    id: 'delete-data-key',
    what: 'schedule deletion of the vault’s data key (the evidence becomes unreadable for good)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'kms:ScheduleKeyDeletion', resource: c.dataKey }),
  },
  {
    id: 'replace-signing-key-policy',
    what: 'replace the signing key’s key policy',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'kms:PutKeyPolicy', resource: c.signingKey }),
  },
  // The session revoker's confinement. Its role and the member session writer may Put*Policy with
  // any document as far as IAM goes (the inline-policy entries above); what fixes the document is
  // that only this state machine's definition ever runs with them. These entries check each way
  // around that: assuming either role directly, running another definition with the role, and
  // changing this one's definition.
  {
    id: 'assume-session-revoker-role',
    what: 'assume the session revoker state machine’s role (its Put*Policy with a document of one’s choosing)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'sts:AssumeRole', resource: c.sessionRevokerRole }),
  },
  {
    id: 'assume-member-session-writer',
    what: 'assume the member session writer role (Put*Policy in a member account with a document of one’s choosing)',
    audience: 'cordon+admin',
    except: { principals: ['session-revoker'], reason: 'the state machine’s task assumes it, with the document its definition fixes' },
    request: (c) => ({ action: 'sts:AssumeRole', resource: c.memberSessionWriter }),
  },
  {
    id: 'pass-session-revoker-role',
    what: 'pass the session revoker role to a state machine of one’s own (another definition, any document)',
    audience: 'cordon',
    request: (c) => ({ action: 'iam:PassRole', resource: c.sessionRevokerRole, context: { 'iam:PassedToService': 'states.amazonaws.com' } }),
  },
  {
    id: 'change-session-revoker-definition',
    what: 'change the session revoker’s definition (then its roles write any document, in every member account)',
    audience: 'cordon+admin',
    request: (c) => ({ action: 'states:UpdateStateMachine', resource: c.sessionRevoker }),
  },
  {
    id: 'invoke-manual-url-as-non-responder',
    what: 'invoke a manual-request URL as a non-responder (force, release, restore or a pattern revocation as an authenticated caller)',
    audience: 'cordon',
    request: (c) => ({ action: 'lambda:InvokeFunctionUrl', resource: c.manualFunction, context: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } }),
  },
  {
    id: 'flip-kill-switch',
    what: 'change the kill-switch parameter (to off, or to enforce) from a Cordon role',
    audience: 'cordon',
    request: (c) => ({ action: 'ssm:PutParameter', resource: `arn:${c.partition}:ssm:${c.region}:${c.account}:parameter${c.modeParameter}` }),
  },
];

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
