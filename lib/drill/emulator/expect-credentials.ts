import { check, equals, type Check, type Rule } from './diff';
import type { State } from './state';

/**
 * What an enforced revocation must leave in the emulator: the leaked key Inactive (not deleted),
 * the principal's other keys, console password and attached policies untouched, and exactly one
 * new inline policy on the principal that only denies, cutting sessions issued before the
 * response (`DateLessThan aws:TokenIssueTime`, the cut-off taken during this drill). For a role
 * session, when the deny names the instance (`ec2:SourceInstanceARN`), it must name the
 * instance the stolen credentials came from.
 */

/** The cut-off may lie after the response by IAM's propagation margin (taken after deactivation). */
const PROPAGATION_MARGIN_MS = 5 * 60_000;

const record = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

const statements = (doc: unknown): Record<string, unknown>[] => {
  const s = record(doc).Statement;
  return (Array.isArray(s) ? s : [s]).map(record);
};

/** Every condition value under `key` (any operator), flattened. */
const conditionValues = (statement: Record<string, unknown>, key: string): string[] =>
  Object.values(record(statement.Condition)).flatMap((byKey) => {
    const v = record(byKey)[key];
    return v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
  });

export interface DenyFacts {
  readonly cutoffs: string[];
  readonly sourceInstances: string[];
}

/** Checks a revocation document: deny-only, with a session cut-off inside [from, to]. */
export const denyChecks = (label: string, doc: unknown, from: Date, to: Date): { checks: Check[]; facts: DenyFacts } => {
  const st = statements(doc);
  const cutoffs = st.flatMap((s) => record(record(s.Condition).DateLessThan)['aws:TokenIssueTime']).filter((v): v is string => typeof v === 'string');
  const sourceInstances = st.flatMap((s) => conditionValues(s, 'ec2:SourceInstanceARN'));
  const inWindow = cutoffs.length > 0 && cutoffs.every((c) => Date.parse(c) >= from.getTime() - 1000 && Date.parse(c) <= to.getTime() + PROPAGATION_MARGIN_MS);
  return {
    checks: [
      check(`${label}: every statement denies (a revocation can grant nothing)`, st.length > 0 && st.every((s) => s.Effect === 'Deny'), doc),
      check(`${label}: denies every action on every resource`, st.every((s) => [s.Action].flat().includes('*') && [s.Resource].flat().includes('*')), doc),
      check(`${label}: cuts sessions issued before the response (aws:TokenIssueTime from this run, up to 5 minutes after it)`, inWindow, { cutoffs, from, to }),
    ],
    facts: { cutoffs, sourceInstances },
  };
};

const newPaths = (before: State, after: State, prefix: string): string[] => [...after.keys()].filter((p) => p.startsWith(prefix) && !before.has(p));

export interface CredentialExpectation {
  readonly checks: Check[];
  readonly rules: Rule[];
  readonly policy?: string;
  readonly facts?: DenyFacts;
}

/** A leaked IAM user key: that key Inactive, the others as they were, one session deny on the user. */
export const expectUserKey = (
  user: { userName: string; keyIds: readonly string[] },
  window: { from: Date; to: Date },
  before: State,
  after: State,
): CredentialExpectation => {
  const [leaked, ...others] = user.keyIds;
  const u = `user/${user.userName}`;
  const added = newPaths(before, after, `${u}/inline/`);
  const deny = added[0] ? denyChecks(`deny on ${user.userName}`, after.get(added[0]), window.from, window.to) : undefined;
  const checks: Check[] = [
    equals(`key ${leaked ?? '?'} Inactive (kept as evidence)`, after.get(`${u}/key/${leaked ?? ''}`), 'Inactive'),
    ...others.map((k) => equals(`other key ${k} still Active`, after.get(`${u}/key/${k}`), 'Active')),
    check(`exactly one revocation policy added to ${user.userName}`, added.length === 1, added),
    ...(deny?.checks ?? []),
  ];
  const rules: Rule[] = [(c) => (c.path === `${u}/key/${leaked ?? ''}` ? 'deactivated' : undefined), (c) => (added.includes(c.path) ? 'revocation deny' : undefined)];
  return { checks, rules, ...(added[0] ? { policy: added[0] } : {}), ...(deny ? { facts: deny.facts } : {}) };
};

/** Stolen instance credentials: one session deny on the role; when it names the instance, that one. */
export const expectRoleSessions = (
  roleName: string,
  instanceArn: string,
  window: { from: Date; to: Date },
  before: State,
  after: State,
): CredentialExpectation => {
  const added = newPaths(before, after, `role/${roleName}/inline/`);
  const deny = added[0] ? denyChecks(`deny on ${roleName}`, after.get(added[0]), window.from, window.to) : undefined;
  const named = deny?.facts.sourceInstances ?? [];
  const checks: Check[] = [
    check(`exactly one revocation policy added to role ${roleName}`, added.length === 1, added),
    ...(deny?.checks ?? []),
    check(`the deny names no instance but ${instanceArn}`, named.every((a) => a === instanceArn), named),
  ];
  return {
    checks,
    rules: [(c) => (added.includes(c.path) ? 'revocation deny' : undefined)],
    ...(added[0] ? { policy: added[0] } : {}),
    ...(deny ? { facts: deny.facts } : {}),
  };
};
