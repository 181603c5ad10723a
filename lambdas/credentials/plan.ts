import { isTemporaryKey, type CredentialTarget } from '../findings/credentials';
import { quarantineDocument, quarantinePolicyName, revokeSessionsDocument, revokeSessionsPolicyName } from './policies';
import type { CredentialsConfig, Escalation, EscalationCode, ObservedState, Plan, RoleState, Step, StepDraft, UserState } from './types';

/**
 * The revocation plan: a PURE function of the targets, what was observed, the config and the time
 * of processing. No AWS call, no clock read, no randomness: the interesting tests need no mocks.
 *
 * - IAM user key: UpdateAccessKey Inactive for THAT key only (never delete: it is evidence), plus
 *   an inline `aws:TokenIssueTime` deny on the user (GetSessionToken / GetFederationToken sessions
 *   survive key deactivation). A user-wide deny-all and deleting the console password stop the
 *   user's other, unleaked keys and sign-in too: only when config asks (`quarantineUser`) or the
 *   finding shows the user itself compromised.
 * - Assumed role: inline deny-all for sessions issued before `now` (not the finding's eventLastSeen:
 *   sessions minted between the last sighting and now are just as stolen).
 * - Root, federated, service-linked, Identity Center, Cordon's own, protected, allowlisted: escalate.
 */
export interface PlanContext {
  /** Time of processing: the session cut-off. */
  readonly now: Date;
  readonly incidentId: string;
  /** Manual `force`: act on protected-tag / allowlisted principals (evidenced as a note). */
  readonly force?: boolean;
}

type Draft = StepDraft;

interface TargetPlan {
  readonly steps: Draft[];
  readonly escalations: Escalation[];
  readonly notes: string[];
}

const SERVICE_LINKED_PATH = '/aws-service-role/';
const SSO_PREFIX = 'AWSReservedSSO_';
const SSO_PATH = '/aws-reserved/sso.amazonaws.com/';

const ARN = /^arn:[^:]+:(?:iam|sts)::(\d{12}):(user|role|assumed-role)\/(.+)$/;

/** Allowlist entries are plain names or ARNs (user, role or assumed-role; the path is not needed). */
export const isAllowlisted = (
  allowlist: readonly string[],
  principal: { readonly type: 'user' | 'role'; readonly account: string; readonly name: string; readonly arn?: string },
): string | undefined =>
  allowlist.find((entry) => {
    if (entry === principal.name || (principal.arn !== undefined && entry === principal.arn)) return true;
    const m = ARN.exec(entry);
    if (!m) return false;
    const [, account, kind, rest = ''] = m;
    if (account !== principal.account) return false;
    if (principal.type === 'user') return kind === 'user' && rest.split('/').pop() === principal.name;
    if (kind === 'role') return rest.split('/').pop() === principal.name;
    return kind === 'assumed-role' && rest.split('/')[0] === principal.name;
  });

const escalation = (target: CredentialTarget, code: EscalationCode, reason: string): Escalation => ({ code, target, reason });

/**
 * Cordon's own principals and the protected tag: never (the function's IAM policy also denies
 * revoking a principal that carries the tag). The allowlist: unless a manual request forces it.
 */
const protection = (
  target: CredentialTarget,
  principal: { type: 'user' | 'role'; account: string; name: string; arn?: string; tags: Readonly<Record<string, string>> },
  config: CredentialsConfig,
  ctx: PlanContext,
  out: TargetPlan,
): boolean => {
  const what = `${principal.type} ${principal.name}`;
  if (config.ownRolePrefix !== '' && principal.name.startsWith(config.ownRolePrefix)) {
    out.escalations.push(escalation(target, 'own-role', `${what} is one of Cordon's own principals (prefix ${config.ownRolePrefix}): Cordon never revokes itself`));
    return true;
  }
  const { key, value } = config.protectedTag;
  if (principal.tags[key] === value) {
    const why = `${what} carries the protected tag ${key}=${value}`;
    out.escalations.push(escalation(target, 'protected-tag', ctx.force ? `${why} (force cannot override it: IAM denies Cordon any change to a protected principal; remove the tag to act)` : why));
    return true;
  }
  const overridable: Escalation[] = [];
  const entry = isAllowlisted(config.allowlist, principal);
  if (entry !== undefined) {
    overridable.push(escalation(target, 'allowlisted', `${what} is allowlisted (${entry})`));
  }
  if (overridable.length === 0) return false;
  if (ctx.force) {
    out.notes.push(...overridable.map((e) => `force: acting despite: ${e.reason}`));
    return false;
  }
  out.escalations.push(...overridable);
  return true;
};

const userArn = (config: CredentialsConfig, account: string, s: UserState): string =>
  s.arn ?? `arn:${config.partition}:iam::${account}:user${s.path ?? '/'}${s.userName}`;

const roleArn = (config: CredentialsConfig, account: string, s: RoleState): string =>
  s.arn ?? `arn:${config.partition}:iam::${account}:role${s.path ?? '/'}${s.roleName}`;

const userWide = (account: string, s: UserState, ctx: PlanContext, out: TargetPlan, why: string) => {
  out.steps.push({
    kind: 'put-user-policy',
    account,
    purpose: 'quarantine',
    userName: s.userName,
    policyName: quarantinePolicyName(ctx.incidentId),
    document: quarantineDocument(),
  });
  if (s.loginProfile) {
    out.steps.push({ kind: 'delete-login-profile', account, userName: s.userName, loginProfile: s.loginProfile });
  } else {
    out.notes.push(`user ${s.userName} has no console password: no login profile to delete`);
  }
  out.notes.push(`user-wide quarantine of ${s.userName}: ${why}`);
};

const sessionDeny = (account: string, userName: string, ctx: PlanContext): Draft => ({
  kind: 'put-user-policy',
  account,
  purpose: 'revoke-sessions',
  userName,
  policyName: revokeSessionsPolicyName(ctx.incidentId),
  document: revokeSessionsDocument(ctx.now.toISOString()),
});

const planUser = (
  target: Extract<CredentialTarget, { kind: 'iam-user-key' | 'iam-user' }>,
  state: ObservedState,
  config: CredentialsConfig,
  ctx: PlanContext,
  out: TargetPlan,
): void => {
  if (state.kind !== 'user') {
    out.escalations.push(escalation(target, 'unresolved', state.kind === 'none' && state.reason ? state.reason : 'the user could not be resolved'));
    return;
  }
  const { account } = target;
  if (!state.exists) {
    out.escalations.push(escalation(target, 'not-found', `user ${state.userName} does not exist in account ${account}`));
    return;
  }
  if (protection(target, { type: 'user', account, name: state.userName, arn: userArn(config, account, state), tags: state.tags }, config, ctx, out)) return;

  const compromised = target.userCompromised;
  if (target.kind === 'iam-user-key') {
    const keyId = target.accessKeyId;
    if (state.keyOwner !== undefined && state.keyOwner !== state.userName) {
      out.escalations.push(
        escalation(target, 'key-owner-mismatch', `access key ${keyId} belongs to ${state.keyOwner}, not to ${state.userName} as the event says`),
      );
      return;
    }
    if (isTemporaryKey(keyId)) {
      out.escalations.push(
        escalation(
          target,
          'temporary-key',
          `${keyId} is a temporary (STS) key of user ${state.userName}: its sessions are cut by the TokenIssueTime deny, but the long-term key that issued it is not named: find it in CloudTrail (GetSessionToken / GetFederationToken by ${state.userName}) and revoke it`,
        ),
      );
    } else {
      const key = state.keys.find((k) => k.accessKeyId === keyId);
      if (!key) {
        out.escalations.push(escalation(target, 'key-owner-mismatch', `access key ${keyId} is not one of user ${state.userName}'s keys`));
        return;
      }
      if (key.status === 'Active') {
        out.steps.push({ kind: 'deactivate-key', account, userName: state.userName, accessKeyId: keyId });
      } else {
        out.notes.push(`access key ${keyId} of ${state.userName} is already ${key.status}`);
      }
    }
  }
  out.steps.push(sessionDeny(account, state.userName, ctx));
  if (compromised) {
    userWide(account, state, ctx, out, 'the finding shows the user itself compromised');
  } else if (config.quarantineUser) {
    userWide(account, state, ctx, out, 'configured (QUARANTINE_USER)');
  } else if (target.kind === 'iam-user') {
    out.escalations.push(
      escalation(
        target,
        'key-unknown',
        `the leaked key of user ${state.userName} is not named: sessions are cut, keys are untouched; revoke the key with {accessKeyId} or the user with {userName}`,
      ),
    );
  }
};

const planRole = (
  target: Extract<CredentialTarget, { kind: 'role-session' }>,
  state: ObservedState,
  config: CredentialsConfig,
  ctx: PlanContext,
  out: TargetPlan,
): void => {
  const name = target.roleName;
  if (!name) {
    out.escalations.push(escalation(target, 'unresolved', `assumed-role session ${target.principalId ?? '(no principal id)'} names no role`));
    return;
  }
  if (name.startsWith(SSO_PREFIX) || (state.kind === 'role' && state.path?.startsWith(SSO_PATH))) {
    out.escalations.push(
      escalation(target, 'identity-center-role', `role ${name} is managed by IAM Identity Center: revoke the user's session and permission set in Identity Center`),
    );
    return;
  }
  if (state.kind !== 'role') {
    out.escalations.push(escalation(target, 'unresolved', state.kind === 'none' && state.reason ? state.reason : `role ${name} could not be observed`));
    return;
  }
  if (!state.exists) {
    out.escalations.push(escalation(target, 'not-found', `role ${name} does not exist in account ${target.account}`));
    return;
  }
  if (state.path?.startsWith(SERVICE_LINKED_PATH)) {
    out.escalations.push(escalation(target, 'service-linked-role', `role ${name} is service-linked (path ${state.path}): its policies cannot be changed`));
    return;
  }
  const account = target.account;
  if (protection(target, { type: 'role', account, name, arn: roleArn(config, account, state), tags: state.tags }, config, ctx, out)) return;
  out.steps.push({
    kind: 'put-role-policy',
    account,
    purpose: 'revoke-sessions',
    roleName: name,
    policyName: revokeSessionsPolicyName(ctx.incidentId),
    document: revokeSessionsDocument(ctx.now.toISOString()),
  });
  out.notes.push(
    `every session of role ${name} issued before ${ctx.now.toISOString()} is cut, legitimate holders included${
      target.instanceId ? ` (instance ${target.instanceId} gets fresh credentials from its profile)` : ''
    }; new sessions are unaffected`,
  );
};

const planTarget = (target: CredentialTarget, state: ObservedState, config: CredentialsConfig, ctx: PlanContext): TargetPlan => {
  const out: TargetPlan = { steps: [], escalations: [], notes: [] };
  switch (target.kind) {
    case 'iam-user-key':
    case 'iam-user':
      planUser(target, state, config, ctx, out);
      break;
    case 'role-session':
      planRole(target, state, config, ctx, out);
      break;
    case 'root':
      out.escalations.push(escalation(target, 'root', `root credentials of account ${target.account} cannot be revoked automatically: rotate root keys and password, check MFA`));
      break;
    case 'federated':
      out.escalations.push(
        escalation(
          target,
          'federated',
          `federated user ${target.principalId ?? target.userName ?? ''} has no IAM resource to act on: revoke at the identity provider, or revoke the sessions of the IAM user that called GetFederationToken`,
        ),
      );
      break;
    case 'unknown-principal':
      out.escalations.push(escalation(target, 'unknown-principal', `user type ${target.userType} cannot be revoked automatically`));
      break;
  }
  return out;
};

const stepKey = (s: Draft): string => JSON.stringify([s.kind, s.account, 'userName' in s ? s.userName : '', 'roleName' in s ? s.roleName : '', 'accessKeyId' in s ? s.accessKeyId : '', 'policyName' in s ? s.policyName : '']);

export const plan = (
  targets: readonly CredentialTarget[],
  states: readonly ObservedState[],
  config: CredentialsConfig,
  ctx: PlanContext,
): Plan => {
  const drafts: Draft[] = [];
  const seen = new Set<string>();
  const escalations: Escalation[] = [];
  const notes: string[] = [];
  targets.forEach((target, i) => {
    const out = planTarget(target, states[i] ?? { kind: 'none', reason: 'not observed' }, config, ctx);
    for (const s of out.steps) {
      const key = stepKey(s);
      if (seen.has(key)) continue; // two keys of one user: one session deny, one quarantine
      seen.add(key);
      drafts.push(s);
    }
    escalations.push(...out.escalations);
    notes.push(...out.notes);
  });
  const steps = drafts.map((d, i) => ({ ...d, id: `s${i + 1}` }) as Step);
  const decision = steps.length > 0 ? 'act' : escalations.length > 0 ? 'escalate' : 'skip';
  return { decision, steps, escalations, notes: [...new Set(notes)], cutoff: ctx.now.toISOString() };
};
