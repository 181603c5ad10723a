import { isTemporaryKey, type CredentialTarget } from '../findings/credentials';
import { quarantinePolicyArn } from './policies';
import type { CredentialsConfig, Escalation, EscalationCode, Hold, ObservedState, Plan, RoleState, Step, StepDraft, UserState } from './types';

/**
 * The revocation plan: a PURE function of the targets, what was observed and the config. No AWS
 * call, no clock read: the session cut-off is NOT decided here, it is taken after the keys are
 * inactive (execute.ts), so sessions minted while Cordon works are cut too.
 *
 * - IAM user key: UpdateAccessKey Inactive for THAT key only (never delete: it is evidence), plus
 *   the user's session deny (GetSessionToken / GetFederationToken sessions survive deactivation).
 *   A deleted key still gets the session deny: sessions minted from it outlive the key.
 *   Quarantine (attach AWSDenyAll + delete the console password) stops the user's other keys and
 *   sign-in too: only when config asks (`quarantineUser`) or the finding shows the user compromised.
 * - Instance credentials (a role session with an instance): deny only the sessions issued to THAT
 *   instance (`ec2:SourceInstanceARN`) before the cut-off; other holders of the role keep working.
 *   The role-wide cut is an explicit option (config, or a manual request naming only the role) and
 *   otherwise an escalation, with its collateral stated.
 * - Root, federated, service-linked, Identity Center, Cordon's own, protected, allowlisted: escalate.
 */
export interface PlanContext {
  readonly incidentId: string;
  /** Region of the event: instance ARNs are regional. */
  readonly region: string;
  /** Manual `force`: act on allowlisted principals (evidenced as a note). */
  readonly force?: boolean;
}

interface TargetPlan {
  readonly steps: StepDraft[];
  readonly escalations: Escalation[];
  readonly notes: string[];
  readonly holds: Hold[];
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

/** Cordon's own principal: an exact ARN match, never a name prefix. */
export const ownPrincipal = (config: CredentialsConfig, account: string, type: 'user' | 'role', arn: string): boolean =>
  config.ownPrincipalArns.includes(arn) ||
  (type === 'role' && config.ownMemberRoleNames.some((name) => arn === `arn:${config.partition}:iam::${account}:role/${name}`));

const escalation = (target: CredentialTarget, code: EscalationCode, reason: string): Escalation => ({ code, target, reason });

/**
 * Cordon's own principals and the protected tag: never (the IAM policies deny both too). The
 * allowlist: unless a manual request forces it.
 */
const protection = (
  target: CredentialTarget,
  principal: { type: 'user' | 'role'; account: string; name: string; arn: string; tags: Readonly<Record<string, string>> },
  config: CredentialsConfig,
  ctx: PlanContext,
  out: TargetPlan,
): boolean => {
  const what = `${principal.type} ${principal.name}`;
  if (ownPrincipal(config, principal.account, principal.type, principal.arn)) {
    out.escalations.push(escalation(target, 'own-role', `${what} (${principal.arn}) is one of Cordon's own principals: Cordon never revokes itself`));
    return true;
  }
  const { key, value } = config.protectedTag;
  if (principal.tags[key] === value) {
    const why = `${what} carries the protected tag ${key}=${value}`;
    out.escalations.push(escalation(target, 'protected-tag', ctx.force ? `${why} (force cannot override it: IAM denies Cordon any change to a protected principal; remove the tag to act)` : why));
    return true;
  }
  const entry = isAllowlisted(config.allowlist, principal);
  if (entry === undefined) return false;
  const reason = `${what} is allowlisted (${entry})`;
  if (ctx.force) {
    out.notes.push(`force: acting despite: ${reason}`);
    return false;
  }
  out.escalations.push(escalation(target, 'allowlisted', reason));
  return true;
};

const userArn = (config: CredentialsConfig, account: string, s: UserState): string =>
  s.arn ?? `arn:${config.partition}:iam::${account}:user${s.path ?? '/'}${s.userName}`;

const roleArn = (config: CredentialsConfig, account: string, s: RoleState): string =>
  s.arn ?? `arn:${config.partition}:iam::${account}:role${s.path ?? '/'}${s.roleName}`;

const quarantine = (account: string, s: UserState, config: CredentialsConfig, out: TargetPlan, why: string) => {
  out.steps.push({ kind: 'attach-quarantine', account, userName: s.userName, policyArn: quarantinePolicyArn(config.partition) });
  out.holds.push({ account, kind: 'quarantine', userName: s.userName });
  if (s.loginProfile) {
    out.steps.push({ kind: 'delete-login-profile', account, userName: s.userName, loginProfile: s.loginProfile });
  } else {
    out.notes.push(`user ${s.userName} has no console password: no login profile to delete`);
  }
  out.notes.push(`user-wide quarantine of ${s.userName}: ${why}`);
};

const userSessions = (account: string, s: UserState): StepDraft => ({
  kind: 'revoke-sessions',
  account,
  principalType: 'user',
  principalName: s.userName,
  scope: 'principal',
  collateral: `temporary sessions (GetSessionToken, GetFederationToken) of user ${s.userName} issued before the cut-off, whichever key minted them; long-term keys are not affected`,
  ...(s.revocation ? { existing: s.revocation } : {}),
});

/** The leaked key: deactivate it, note it already inactive, or find it deleted. False = stop (escalated). */
const planKey = (target: Extract<CredentialTarget, { kind: 'iam-user-key' }>, state: UserState, out: TargetPlan): boolean => {
  const { account, accessKeyId: keyId } = target;
  if (state.keyOwner !== undefined && state.keyOwner !== state.userName) {
    out.escalations.push(escalation(target, 'key-owner-mismatch', `access key ${keyId} belongs to ${state.keyOwner}, not to ${state.userName} as the event says`));
    return false;
  }
  if (isTemporaryKey(keyId)) {
    out.escalations.push(
      escalation(
        target,
        'temporary-key',
        `${keyId} is a temporary (STS) key of user ${state.userName}: its sessions are cut by the TokenIssueTime deny, but the long-term key that issued it is not named: find it in CloudTrail (GetSessionToken / GetFederationToken by ${state.userName}) and revoke it`,
      ),
    );
    return true;
  }
  const key = state.keys.find((k) => k.accessKeyId === keyId);
  if (!key) {
    // Deleted (GetAccessKeyLastUsed finds no such key, or names this very user): the sessions it
    // minted outlive it, so they are still cut.
    out.escalations.push(
      escalation(target, 'key-deleted', `key already deleted: access key ${keyId} is no longer one of user ${state.userName}'s keys; the user's sessions are still cut`),
    );
    return true;
  }
  out.holds.push({ account, kind: 'key', userName: state.userName, accessKeyId: keyId });
  if (key.status === 'Active') {
    out.steps.push({ kind: 'deactivate-key', account, userName: state.userName, accessKeyId: keyId });
  } else {
    out.notes.push(`access key ${keyId} of ${state.userName} is already ${key.status}`);
  }
  return true;
};

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
  if (target.kind === 'iam-user-key' && !planKey(target, state, out)) return;
  out.steps.push(userSessions(account, state));
  if (target.userCompromised) {
    quarantine(account, state, config, out, 'the finding shows the user itself compromised');
  } else if (config.quarantineUser) {
    quarantine(account, state, config, out, 'configured (QUARANTINE_USER)');
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

const roleWideCollateral = (name: string): string =>
  `EVERY session of role ${name} issued before the cut-off is denied, legitimate holders included: instances keep failing until EC2 rotates their credentials (its own schedule, hours), services until they assume the role again`;

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
  const existing = state.revocation ? { existing: state.revocation } : {};
  const roleWide = (why: string): void => {
    out.steps.push({ kind: 'revoke-sessions', account, principalType: 'role', principalName: name, scope: 'principal', collateral: roleWideCollateral(name), ...existing });
    out.notes.push(`role-wide session cut of ${name}: ${why}`);
  };
  if (target.scope === 'role') {
    roleWide('requested explicitly');
    return;
  }
  if (target.instanceId) {
    const instanceArn = `arn:${config.partition}:ec2:${ctx.region}:${account}:instance/${target.instanceId}`;
    if (config.roleWideSessions) {
      roleWide('configured (ROLE_WIDE_SESSIONS)');
      return;
    }
    out.steps.push({
      kind: 'revoke-sessions',
      account,
      principalType: 'role',
      principalName: name,
      scope: 'instance',
      instanceArn,
      collateral: `only sessions of role ${name} issued to instance ${target.instanceId} before the cut-off; other holders of the role keep working. The instance gets new credentials when EC2 rotates them, so an attacker with code execution there is stopped only by isolating it`,
      ...existing,
    });
    out.escalations.push(
      escalation(
        target,
        'role-wide-available',
        `sessions of role ${name} issued to instance ${target.instanceId} are cut; if the stolen credentials were copied elsewhere under another instance ARN, cut the whole role with {action:'revoke', roleName:'${name}', scope:'role'}: ${roleWideCollateral(name)}`,
      ),
    );
    return;
  }
  if (config.roleWideSessions) {
    roleWide('configured (ROLE_WIDE_SESSIONS)');
    return;
  }
  out.escalations.push(
    escalation(
      target,
      'role-wide-needed',
      `the stolen session of role ${name} names no instance, so only a role-wide cut stops it: {action:'revoke', roleName:'${name}', scope:'role'}; ${roleWideCollateral(name)}`,
    ),
  );
};

const planTarget = (target: CredentialTarget, state: ObservedState, config: CredentialsConfig, ctx: PlanContext): TargetPlan => {
  const out: TargetPlan = { steps: [], escalations: [], notes: [], holds: [] };
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
    case 'unactionable':
      out.escalations.push(escalation(target, target.code, target.reason));
      break;
  }
  return out;
};

const stepKey = (s: StepDraft): string =>
  JSON.stringify([s.kind, s.account, 'userName' in s ? s.userName : '', 'principalName' in s ? `${s.principalType}/${s.principalName}/${s.instanceArn ?? ''}` : '', 'accessKeyId' in s ? s.accessKeyId : '']);

export const plan = (targets: readonly CredentialTarget[], states: readonly ObservedState[], config: CredentialsConfig, ctx: PlanContext): Plan => {
  const drafts: StepDraft[] = [];
  const seen = new Set<string>();
  const escalations: Escalation[] = [];
  const notes: string[] = [];
  const holds = new Map<string, Hold>();
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
    for (const h of out.holds) holds.set(JSON.stringify(h), h);
  });
  const steps = drafts.map((d, i) => ({ ...d, id: `s${i + 1}` }) as Step);
  const decision = steps.length > 0 ? 'act' : escalations.length > 0 ? 'escalate' : 'skip';
  return { decision, steps, escalations, notes: [...new Set(notes)], holds: [...holds.values()] };
};
