import { authorizer, type Authorizer, type Verdict } from './evaluate';
import { confinedVerdict } from './confined';
import { isMemberRole, type RoleFacts } from './model';
import { KNOWN_FAILURES } from './known';
import { corpusContext, MUST_DENY, type MustDeny } from './must-deny';

/** Where the corpus is evaluated: the harness's security account, a member account, one region. */
export const CORPUS_HOME = { account: '111111111111', region: 'eu-west-1', partition: 'aws' } as const;
export const CORPUS_MEMBER = '222222222222';

export interface CorpusResult {
  readonly entry: MustDeny;
  readonly verdicts: readonly Verdict[];
  /** Principals AWS would let make the request. */
  readonly allowed: readonly string[];
  /** The principals KNOWN_FAILURES says are allowed today. */
  readonly known: readonly string[];
}

/** Every Cordon role of the deployment (home stacks and the member role in CORPUS_MEMBER). */
export const cordonRoles = (authz: Authorizer): RoleFacts[] => authz.deployment(CORPUS_MEMBER).roles.filter((r) => !isMemberRole(r.name) || r.account === CORPUS_MEMBER);

const result = (entry: MustDeny, verdicts: readonly Verdict[]): CorpusResult => ({
  entry,
  verdicts,
  allowed: verdicts.filter((v) => v.allowed).map((v) => v.principal),
  known: KNOWN_FAILURES[entry.id]?.principals ?? [],
});

/**
 * Evaluates every entry by every principal of its audience, each in its own account. Then a
 * document-of-choice entry allowed to a confined principal is decided by its confinement paths
 * (lib/authz/confined.ts), themselves entries of the corpus.
 */
export const evaluateCorpus = async (authz?: Authorizer): Promise<CorpusResult[]> => {
  const a = authz ?? (await authorizer(CORPUS_HOME));
  const facts = a.deployment(CORPUS_MEMBER);
  const roles = cordonRoles(a);
  const results: CorpusResult[] = [];
  for (const entry of MUST_DENY) {
    const principals = [...roles, ...(entry.audience === 'cordon+admin' ? [a.role('admin')] : [])].filter(
      (p) => !entry.except?.principals.includes(p.name),
    );
    const verdicts: Verdict[] = [];
    for (const p of principals) {
      verdicts.push(await a.evaluate(p, entry.request(corpusContext(facts, CORPUS_HOME, p.account))));
    }
    results.push(result(entry, verdicts));
  }
  const paths = new Map(results.map((r) => [r.entry.id, r.allowed]));
  return results.map((r) => (r.entry.documentOfChoice ? result(r.entry, r.verdicts.map((v) => confinedVerdict(v, paths))) : r));
};
