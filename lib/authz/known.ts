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
  // The session writers. IAM has no condition on an inline policy's document, so the state
  // machine's role and the member session writer may Put*Policy with any document as far as IAM
  // goes. The design (lib/constructs/session-revoker.ts) makes the document the definition's: the
  // role is trusted only by Step Functions for this state machine (aws:SourceArn), the member writer
  // only by that role; the corpus checks every way around it (assume-session-revoker-role,
  // assume-member-session-writer, pass-session-revoker-role: denied to every Cordon role and to the
  // security account's administrator) except one, change-session-revoker-definition, which an
  // administrator of the security account can do. So these stay reported, not hidden.
  'inline-policy-on-admin-role': {
    principals: ['session-revoker', 'member-session-writer'],
    reason:
      'the state machine role and the member session writer may iam:PutRolePolicy on role/* (IAM cannot restrict a document); only this state machine runs with them and its definition fixes the document, but an administrator of the security account can change the definition (change-session-revoker-definition)',
  },
  'inline-policy-on-org-access-role': {
    principals: ['session-revoker', 'member-session-writer'],
    reason:
      'as inline-policy-on-admin-role: confined to the fixed definition against every Cordon role and every other principal, not against an administrator of the security account who rewrites the definition',
  },
  'inline-policy-on-user': {
    principals: ['session-revoker', 'member-session-writer'],
    reason: 'as inline-policy-on-admin-role, with iam:PutUserPolicy on user/*',
  },
  'change-session-revoker-definition': {
    principals: ['admin'],
    reason:
      'Step Functions has no resource-based policy, so nothing in the security account can deny states:UpdateStateMachine to its administrators; only a service control policy from the management account could (deny it on this ARN except to the break-glass principal). An administrator who rewrites the definition can write any policy in every member account through the member session writer: Cordon makes the security account’s administrators administrators of its member accounts. No tamper rule watches UpdateStateMachine yet (lib/tamper.ts): the change would not alarm',
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
