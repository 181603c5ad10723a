import type { Verdict } from './evaluate';

/**
 * The two lists issue 11 (least privilege) shrinks to nothing: must-deny requests allowed today,
 * and required calls refused today.
 */

/**
 * Entries allowed today, by entry id, with the principals that may make them and why. The corpus
 * test asserts this is exactly the set allowed: a new hole fails it, and so does a closed one still
 * listed. Empty: the last four (the session writers' inline policies and the session revoker's
 * definition, 7 evaluations) were closed by the guard SCP (lib/guard-policy.ts) and the
 * confinement the corpus derives from it (lib/authz/confined.ts).
 */
export const KNOWN_FAILURES: Readonly<Record<string, { readonly principals: readonly string[]; readonly reason: string }>> = {};

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

/**
 * Empty: the last one (release re-associating the original instance profile, which AWS authorizes
 * as iam:PassRole on the application's role) is gone: release no longer sends that call and lists
 * the profile with its command instead.
 */
export const KNOWN_DENIALS: readonly KnownDenial[] = [];

/** The known denial a refused request is, if any. */
export const knownDenial = (v: Verdict): KnownDenial | undefined =>
  v.allowed ? undefined : KNOWN_DENIALS.find((k) => k.action === v.action && k.principals.includes(v.principal) && k.resource.test(v.resource));
