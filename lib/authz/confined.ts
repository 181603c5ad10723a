import type { Verdict } from './evaluate';

/**
 * Principals that IAM lets write a policy document of any content, but that only ever run a fixed
 * definition: IAM has no condition on an inline policy's document (iam:PutRolePolicy's resource is
 * the role), so the session revoker's role and the member session writer are allowed
 * `iam:Put*Policy` on the principals they may revoke. The document they write is fixed by the
 * state machine's definition (lib/constructs/session-revoker.ts), as long as no one can run
 * anything else with them. Each way to do that is a must-deny entry of its own, evaluated like
 * every other (the guard SCP in force); a confined principal's "document of its choosing" request
 * is refused exactly when all of them are refused to everyone.
 */
export interface Confinement {
  readonly principal: string;
  /** Must-deny entries that, all refused, leave only the definition's document to this principal. */
  readonly by: readonly string[];
  /** Why the document is not the caller's to choose. */
  readonly reason: string;
}

const REVOKER_PATHS = [
  'assume-session-revoker-role',
  'retrust-session-revoker-role',
  'pass-session-revoker-role',
  'change-session-revoker-definition',
  'delete-session-revoker',
] as const;

export const CONFINED: readonly Confinement[] = [
  {
    principal: 'session-revoker',
    by: REVOKER_PATHS,
    reason: 'only the session revoker state machine runs with this role (trusted by Step Functions for its ARN only), and its definition fixes the document',
  },
  {
    principal: 'member-session-writer',
    by: ['assume-member-session-writer', ...REVOKER_PATHS],
    reason: 'only the session revoker’s role may assume it, in the state machine’s task, which writes the document its definition fixes',
  },
];

/**
 * The verdict of a confined principal on a document-of-choice request that IAM allows: refused
 * when every confinement path is refused (`paths`: entry id -> principals allowed it), else allowed
 * with the open paths named. Any other verdict is returned as it is.
 */
export const confinedVerdict = (v: Verdict, paths: ReadonlyMap<string, readonly string[]>): Verdict => {
  const confinement = CONFINED.find((c) => c.principal === v.principal);
  if (!v.allowed || !confinement) return v;
  const open = confinement.by.flatMap((id) => {
    const allowed = paths.get(id);
    if (!allowed) return [`${id} not evaluated`];
    return allowed.length > 0 ? [`${id} allowed to ${allowed.join(', ')}`] : [];
  });
  return open.length > 0
    ? { ...v, explanation: `${v.explanation}; the definition does not confine it: ${open.join('; ')}` }
    : {
        ...v,
        allowed: false,
        explanation: `refused as a document of its choosing: IAM ${v.explanation}, but ${confinement.reason}, and every way to run another is refused (${confinement.by.join(', ')})`,
      };
};
