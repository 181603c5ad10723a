import type { Verdict } from './evaluate';

/**
 * The two lists issue 11 (least privilege) shrinks to nothing: must-deny requests allowed today,
 * and required calls refused today.
 */

/**
 * Entries allowed today, by entry id, with the principals that may make them and why. The corpus
 * test asserts this is exactly the set allowed: remove a line when issue 11 closes it.
 */
export const KNOWN_FAILURES: Readonly<Record<string, { readonly principals: readonly string[]; readonly reason: string }>> = {
  'inline-policy-on-admin-role': {
    principals: ['session-revoker', 'member-session-writer'],
    reason: 'the session revoker state machine role (and, in member accounts, the role its task assumes) may iam:PutRolePolicy on role/*; safe only because its definition fixes the document (lib/constructs/session-revoker.ts), which IAM cannot express',
  },
  'inline-policy-on-org-access-role': {
    principals: ['session-revoker', 'member-session-writer'],
    reason: 'the session revoker role (and its member-account writer role) may iam:PutRolePolicy on role/* (document fixed by the state machine definition, not by IAM)',
  },
  'inline-policy-on-user': {
    principals: ['session-revoker', 'member-session-writer'],
    reason: 'the session revoker role (and its member-account writer role) may iam:PutUserPolicy on user/* (document fixed by the state machine definition, not by IAM)',
  },
  'shorten-evidence-retention': {
    principals: ['isolation', 'credentials', 'tamper'],
    reason: 'evidence writers are exempt from DenyRetentionChangesButWritersAndAuditor with no s3:object-lock-remaining-retention-days floor (S3 itself refuses to shorten COMPLIANCE; IAM does not)',
  },
  'replace-vault-policy': {
    principals: ['admin'],
    reason: 'nothing denies s3:PutBucketPolicy on the vault to an administrator',
  },
  'sign-with-vault-key': {
    principals: ['tamper'],
    reason: 'the tamper handler writes signed escalation records: it is an evidence writer the corpus does not list as one yet',
  },
};

/**
 * Calls Cordon needs that AWS would refuse today and that are not plain bugs: fixing them is a
 * least-privilege design decision (issue 11). The hook of the handler tests tolerates exactly these;
 * any other refusal fails the test that made the call.
 */
export interface KnownDenial {
  readonly id: string;
  readonly principals: readonly string[];
  readonly action: string;
  /** Matches the resource ARN of the refused request. */
  readonly resource: RegExp;
  readonly reason: string;
}

export const KNOWN_DENIALS: readonly KnownDenial[] = [
  {
    id: 'release-restores-original-profile',
    principals: ['isolation', 'member-isolation'],
    action: 'iam:PassRole',
    resource: /:role\/(?!cordon-quarantine$)/,
    reason:
      'release re-associates the instance’s original profile (AssociateIamInstanceProfile / ReplaceIamInstanceProfileAssociation): ' +
      'AWS authorizes iam:PassRole on the role inside it, and the isolation policy may pass only the quarantine role. ' +
      'Allowing PassRole on any role would let the role hand any role to any instance; issue 11 decides (e.g. pass only roles ' +
      'recorded in the isolation evidence via a dedicated release principal).',
  },
];

/** The known denial a refused request is, if any. */
export const knownDenial = (v: Verdict): KnownDenial | undefined =>
  v.allowed ? undefined : KNOWN_DENIALS.find((k) => k.action === v.action && k.principals.includes(v.principal) && k.resource.test(v.resource));
