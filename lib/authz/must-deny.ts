import type { MustDeny } from './corpus-context';
import { CORDON_ENTRIES } from './must-deny-cordon';
import { GRANT_ENTRIES } from './must-deny-grants';
import { VAULT_ENTRIES } from './must-deny-vault';

/**
 * The must-deny corpus: requests a Cordon role, and (where it concerns the vault or Cordon itself)
 * an ordinary administrator of the security account, must never be allowed. Each is evaluated with
 * iam-simulate against the synthesized policies (identity policies of the principal, the resource
 * policy that applies, the guard SCP in force in the security account: lib/guard-policy.ts) by
 * every principal it names (lib/authz/corpus.ts).
 *
 * A request allowed is listed in KNOWN_FAILURES (lib/authz/known.ts) with the reason, reported by
 * the corpus test and the bench; the test fails when that list is not exact.
 */
export const MUST_DENY: readonly MustDeny[] = [...GRANT_ENTRIES, ...VAULT_ENTRIES, ...CORDON_ENTRIES];

export { corpusContext, manualFunctionOf, type Audience, type CorpusContext, type MustDeny } from './corpus-context';
