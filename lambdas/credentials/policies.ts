import type { PolicyDocument, Step } from './types';

/**
 * The inline policies Cordon attaches. Names carry the incident id, so two incidents on the same
 * principal never overwrite each other and a restore removes exactly what its incident added.
 */
export const REVOKE_SESSIONS_PREFIX = 'CordonRevokeSessions-';
export const QUARANTINE_PREFIX = 'CordonQuarantine-';

export const revokeSessionsPolicyName = (incidentId: string): string => `${REVOKE_SESSIONS_PREFIX}${incidentId}`;
export const quarantinePolicyName = (incidentId: string): string => `${QUARANTINE_PREFIX}${incidentId}`;

/**
 * Deny everything to sessions issued before `cutoff` (what the console's "Revoke active sessions"
 * attaches). Requests signed with a long-term key carry no `aws:TokenIssueTime`, so on a user this
 * cuts GetSessionToken / GetFederationToken sessions but never the user's other, unleaked key.
 */
export const revokeSessionsDocument = (cutoff: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'CordonRevokeOlderSessions',
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { DateLessThan: { 'aws:TokenIssueTime': cutoff } },
    },
  ],
});

/** Deny everything, whatever signed the request: stops every key, session and console use of the user. */
export const quarantineDocument = (): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Sid: 'CordonQuarantine', Effect: 'Deny', Action: '*', Resource: '*' }],
});

/** The IAM action a step performs, e.g. `iam:UpdateAccessKey`. */
export const actionOf = (step: Step): string => {
  switch (step.kind) {
    case 'deactivate-key':
    case 'activate-key':
      return 'iam:UpdateAccessKey';
    case 'put-user-policy':
      return 'iam:PutUserPolicy';
    case 'put-role-policy':
      return 'iam:PutRolePolicy';
    case 'delete-login-profile':
      return 'iam:DeleteLoginProfile';
    case 'delete-user-policy':
      return 'iam:DeleteUserPolicy';
    case 'delete-role-policy':
      return 'iam:DeleteRolePolicy';
  }
};

/** Evidence target of a step. */
export const stepTarget = (step: Step): { type: string; id: string; account: string } => {
  switch (step.kind) {
    case 'deactivate-key':
    case 'activate-key':
      return { type: 'iam-access-key', id: step.accessKeyId, account: step.account };
    case 'put-role-policy':
    case 'delete-role-policy':
      return { type: 'iam-role', id: step.roleName, account: step.account };
    default:
      return { type: 'iam-user', id: step.userName, account: step.account };
  }
};
