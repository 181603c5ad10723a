import { evaluateCalls } from '../lib/authz/calls';
import { CORPUS_HOME, evaluateCorpus } from '../lib/authz/corpus';
import { authorizer } from '../lib/authz/evaluate';
import { REQUIRED_CONFIGURED, requiredCalls } from '../lib/authz/required';
import type { BenchRow } from './types';

/**
 * The authorization contract as two counts, evaluated with iam-simulate against the synthesized
 * templates: IAM requests of the declared required calls (lib/authz/required.ts) allowed, and
 * must-deny corpus evaluations (entry x principal, lib/authz/must-deny.ts) denied.
 */
export const benchAuthz = async (): Promise<BenchRow[]> => {
  const authz = await authorizer(CORPUS_HOME);
  const required = await evaluateCalls(authz, requiredCalls(authz), { configured: REQUIRED_CONFIGURED });
  const corpus = (await evaluateCorpus(authz)).flatMap((r) => r.verdicts);
  const r = required.filter((v) => v.allowed).length;
  const d = corpus.filter((v) => !v.allowed).length;
  process.stdout.write(`authorization: ${r}/${required.length} required calls allowed, ${d}/${corpus.length} must-deny requests denied\n`);
  return [
    { name: 'authorization: required IAM requests allowed', value: r, unit: `of ${required.length}`, goal: `>= ${required.length}` },
    { name: 'authorization: must-deny requests denied', value: d, unit: `of ${corpus.length}`, goal: `>= ${corpus.length}` },
  ];
};
