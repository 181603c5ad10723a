import type { SimulationOrgPolicies } from '@cloud-copilot/iam-simulate';
import type { ScpFacts } from './model';

export type { ScpFacts } from './model';

/**
 * The service control policies in force for a principal, in the shape iam-simulate evaluates:
 * one level per node of the organization from the root down to the account, each needing an
 * Allow (AWS attaches FullAWSAccess to every node by default) and none a matching Deny.
 */

/** The AWS-managed SCP every root, OU and account has unless removed. */
export const FULL_AWS_ACCESS = { name: 'FullAWSAccess', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } };

const isAccount = (id: string): boolean => /^\d{12}$/.test(id);

/**
 * The levels that apply to a principal of `account`. An account id target applies to that account;
 * an OU or root target applies to the security account (`home`): the configuration attaches the
 * guard to "the security account or its OU", and the harness knows no other account's OU. Without
 * an SCP attached above `account`, none is evaluated (an account outside any guard).
 */
export const scpLevels = (scps: readonly ScpFacts[], account: string, home: string): SimulationOrgPolicies[] => {
  const above = (target: string) => (isAccount(target) ? target === account : account === home);
  const attached = (target: string) => scps.filter((p) => p.targetIds.includes(target)).map(({ name, policy }) => ({ name, policy }));
  const targets = [...new Set(scps.flatMap((p) => p.targetIds))].filter(above);
  if (targets.length === 0) return [];
  const root = targets.find((t) => t.startsWith('r-'));
  const ous = targets.filter((t) => t.startsWith('ou-'));
  return [
    { orgIdentifier: root ?? 'r-root', policies: [FULL_AWS_ACCESS, ...(root ? attached(root) : [])] },
    ...ous.map((ou) => ({ orgIdentifier: ou, policies: [FULL_AWS_ACCESS, ...attached(ou)] })),
    { orgIdentifier: account, policies: [FULL_AWS_ACCESS, ...attached(account)] },
  ];
};
