import type { ExistingRevocation, PolicyDocument, Step } from './types';

/**
 * The policies Cordon puts on a principal, and nothing else:
 * - quarantine: ONE fixed AWS-managed deny (`AWSDenyAll`), attached (the function may attach only
 *   that ARN: an `iam:PolicyARN` condition in its role);
 * - session revocation: ONE inline policy per principal, always named `cordon-revoke-sessions`,
 *   overwritten in place with the latest cut-off (a later cut-off covers every earlier one; inline
 *   policies count against 2,048 characters per user and 10,240 per role). It is written by the
 *   session revoker state machine, whose definition holds the document; the function only names
 *   the principal, the instances and the cut-offs.
 */
export { REVOKE_SESSIONS_POLICY_NAME } from '../shared/names';

/** AWS-managed: `Deny * on *`. Attaching it can only take permissions away. */
export const quarantinePolicyArn = (partition: string): string => `arn:${partition}:iam::aws:policy/AWSDenyAll`;

/** What the session revoker writes: principal-wide and/or instance-scoped cut-offs. */
export interface SessionDenyState {
  /** Every session of the principal issued before it is denied. */
  readonly cutoff?: string;
  /** Sessions of the role issued to these instances before `instanceCutoff` are denied. */
  readonly instanceArns: readonly string[];
  readonly instanceCutoff?: string;
}

/**
 * The document, exactly as the state machine builds it (lib/constructs/session-revoker.ts holds
 * the same statements as literals; a test runs the synthesized definition and compares). Requests
 * signed with a long-term key carry no `aws:TokenIssueTime`, so on a user this cuts
 * GetSessionToken / GetFederationToken sessions, never the user's other, unleaked key.
 */
export const revokeSessionsDocument = (s: SessionDenyState): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [
    ...(s.cutoff === undefined
      ? []
      : [{ Sid: 'CordonRevokeOlderSessions', Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': s.cutoff } } }]),
    ...(s.instanceArns.length === 0 || s.instanceCutoff === undefined
      ? []
      : [
          {
            Sid: 'CordonRevokeInstanceSessions',
            Effect: 'Deny',
            Action: '*',
            Resource: '*',
            Condition: { StringEquals: { 'ec2:SourceInstanceARN': [...s.instanceArns] }, DateLessThan: { 'aws:TokenIssueTime': s.instanceCutoff } },
          },
        ]),
  ],
});

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * Reads an existing `cordon-revoke-sessions` document (GetUserPolicy / GetRolePolicy return it
 * URL-encoded). Anything that is not Cordon's shape yields what could be read, never throws.
 */
export const parseRevocation = (document: string): ExistingRevocation => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document.trimStart().startsWith('{') ? document : decodeURIComponent(document));
  } catch {
    return { instanceArns: [] };
  }
  const statements = isRecord(parsed) ? (Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement]) : [];
  let cutoff: string | undefined;
  let instanceCutoff: string | undefined;
  const instanceArns: string[] = [];
  for (const st of statements) {
    if (!isRecord(st) || st.Effect !== 'Deny' || !isRecord(st.Condition)) continue;
    const dates = isRecord(st.Condition.DateLessThan) ? strings(st.Condition.DateLessThan['aws:TokenIssueTime']) : [];
    const date = dates[0];
    if (date === undefined) continue;
    const equals = isRecord(st.Condition.StringEquals) ? strings(st.Condition.StringEquals['ec2:SourceInstanceARN']) : [];
    if (equals.length > 0) {
      instanceArns.push(...equals);
      instanceCutoff = latest(instanceCutoff, date);
    } else {
      cutoff = latest(cutoff, date);
    }
  }
  return { ...(cutoff ? { cutoff } : {}), instanceArns, ...(instanceCutoff ? { instanceCutoff } : {}) };
};

/** The later of two ISO 8601 instants (undefined-tolerant). A cut-off never moves backwards. */
export const latest = (a: string | undefined, b: string | undefined): string | undefined => {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
};

/** The union of what a principal carries and what one incident adds. */
export const mergeRevocation = (a: SessionDenyState, b: SessionDenyState): SessionDenyState => {
  const cutoff = latest(a.cutoff, b.cutoff);
  const instanceCutoff = latest(a.instanceCutoff, b.instanceCutoff);
  return {
    ...(cutoff ? { cutoff } : {}),
    instanceArns: [...new Set([...a.instanceArns, ...b.instanceArns])].sort(),
    ...(instanceCutoff ? { instanceCutoff } : {}),
  };
};

/** The IAM (or Step Functions) action a step performs, e.g. `iam:UpdateAccessKey`. */
export const actionOf = (step: Step): string => {
  switch (step.kind) {
    case 'deactivate-key':
    case 'activate-key':
      return 'iam:UpdateAccessKey';
    case 'revoke-sessions':
      return step.principalType === 'user' ? 'iam:PutUserPolicy' : 'iam:PutRolePolicy';
    case 'attach-quarantine':
      return 'iam:AttachUserPolicy';
    case 'detach-quarantine':
      return 'iam:DetachUserPolicy';
    case 'delete-login-profile':
      return 'iam:DeleteLoginProfile';
  }
};

/** Evidence target of a step. */
export const stepTarget = (step: Step): { type: string; id: string; account: string } => {
  switch (step.kind) {
    case 'deactivate-key':
    case 'activate-key':
      return { type: 'iam-access-key', id: step.accessKeyId, account: step.account };
    case 'revoke-sessions':
      return { type: step.principalType === 'user' ? 'iam-user' : 'iam-role', id: step.principalName, account: step.account };
    default:
      return { type: 'iam-user', id: step.userName, account: step.account };
  }
};
