import type { CredentialTarget } from '../../lambdas/findings/credentials';
import { plan } from '../../lambdas/credentials/plan';
import { defaultCredentialsConfig, type CredentialsConfig, type ObservedState, type RoleState, type UserState } from '../../lambdas/credentials/types';

const ctx = { incidentId: 'inc-000000000000000000000001', region: 'us-east-1' };
const ACCOUNT = '111122223333';
const config: CredentialsConfig = defaultCredentialsConfig;

const user = (overrides: Partial<UserState> = {}): UserState => ({
  kind: 'user',
  userName: 'alice',
  exists: true,
  path: '/',
  tags: {},
  keys: [
    { accessKeyId: 'AKIALEAKED0000000001', status: 'Active' },
    { accessKeyId: 'AKIAOTHER00000000002', status: 'Active' },
  ],
  loginProfile: { createDate: '2024-06-01T00:00:00.000Z', passwordResetRequired: false },
  keyOwner: 'alice',
  ...overrides,
});
const role = (overrides: Partial<RoleState> = {}): RoleState => ({ kind: 'role', roleName: 'WebServerRole', exists: true, path: '/', tags: {}, ...overrides });

const leakedKey: CredentialTarget = { kind: 'iam-user-key', account: ACCOUNT, accessKeyId: 'AKIALEAKED0000000001', userName: 'alice', userCompromised: false };
const session: CredentialTarget = { kind: 'role-session', account: ACCOUNT, roleName: 'WebServerRole', principalId: 'AROAX:i-0abc1234def567890', instanceId: 'i-0abc1234def567890' };

const one = (target: CredentialTarget, state: ObservedState, c: CredentialsConfig = config, force = false) => plan([target], [state], c, { ...ctx, force });

const userSessions = {
  kind: 'revoke-sessions',
  account: ACCOUNT,
  principalType: 'user',
  principalName: 'alice',
  scope: 'principal',
  collateral: 'temporary sessions (GetSessionToken, GetFederationToken) of user alice issued before the cut-off, whichever key minted them; long-term keys are not affected',
};

describe('credential plan: IAM user key', () => {
  it('deactivates THAT key only and cuts the user\'s sessions; the other key and the console are untouched; no document, no time', () => {
    const p = one(leakedKey, user());
    expect(p.decision).toBe('act');
    expect(p.steps).toEqual([
      { id: 's1', kind: 'deactivate-key', account: ACCOUNT, userName: 'alice', accessKeyId: 'AKIALEAKED0000000001' },
      { id: 's2', ...userSessions },
    ]);
    expect(p.holds).toEqual([{ account: ACCOUNT, kind: 'key', userName: 'alice', accessKeyId: 'AKIALEAKED0000000001' }]);
    expect(JSON.stringify(p)).not.toContain('AKIAOTHER00000000002');
    expect(JSON.stringify(p)).not.toContain('TokenIssueTime');
    expect(p.steps.some((s) => s.kind === 'delete-login-profile' || s.kind === 'attach-quarantine')).toBe(false);
  });

  it('carries the session policy the user already has, so the new one never moves a cut-off backwards', () => {
    const existing = { cutoff: '2026-02-01T00:00:00.000Z', instanceArns: [] };
    expect(one(leakedKey, user({ revocation: existing })).steps[1]).toMatchObject({ kind: 'revoke-sessions', existing });
  });

  it('quarantines the user with the fixed AWSDenyAll and deletes the console password when configured', () => {
    const p = one(leakedKey, user(), { ...config, quarantineUser: true });
    expect(p.steps.map((s) => s.kind)).toEqual(['deactivate-key', 'revoke-sessions', 'attach-quarantine', 'delete-login-profile']);
    expect(p.steps.find((s) => s.kind === 'attach-quarantine')).toEqual({ id: 's3', kind: 'attach-quarantine', account: ACCOUNT, userName: 'alice', policyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' });
    expect(p.steps.find((s) => s.kind === 'delete-login-profile')).toMatchObject({ loginProfile: { createDate: '2024-06-01T00:00:00.000Z' } });
    expect(p.holds).toContainEqual({ account: ACCOUNT, kind: 'quarantine', userName: 'alice' });
  });

  it('quarantines the user when the finding shows the user itself compromised, and notes a missing console password', () => {
    const p = one({ ...leakedKey, userCompromised: true }, user({ loginProfile: undefined }));
    expect(p.steps.map((s) => s.kind)).toEqual(['deactivate-key', 'revoke-sessions', 'attach-quarantine']);
    expect(p.notes).toContain('user alice has no console password: no login profile to delete');
  });

  it('does not deactivate an already inactive key but still cuts sessions and holds the key', () => {
    const p = one(leakedKey, user({ keys: [{ accessKeyId: 'AKIALEAKED0000000001', status: 'Inactive' }] }));
    expect(p.steps.map((s) => s.kind)).toEqual(['revoke-sessions']);
    expect(p.notes).toContain('access key AKIALEAKED0000000001 of alice is already Inactive');
    expect(p.holds).toEqual([{ account: ACCOUNT, kind: 'key', userName: 'alice', accessKeyId: 'AKIALEAKED0000000001' }]);
  });

  it('still cuts the sessions of a user whose leaked key is already deleted, evidenced "key already deleted"', () => {
    const p = one(leakedKey, user({ keys: [{ accessKeyId: 'AKIAOTHER00000000002', status: 'Active' }], keyOwner: undefined, keyNotFound: true }));
    expect(p.decision).toBe('act');
    expect(p.steps).toEqual([{ id: 's1', ...userSessions }]);
    expect(p.escalations.map((e) => [e.code, e.reason])).toEqual([
      ['key-deleted', "key already deleted: access key AKIALEAKED0000000001 is no longer one of user alice's keys; the user's sessions are still cut"],
    ]);
    expect(p.holds).toEqual([]);
  });

  it('cuts the sessions of a temporary (ASIA) key and escalates for the long-term key that issued it', () => {
    const p = one({ ...leakedKey, accessKeyId: 'ASIATEMP000000000001' }, user());
    expect(p.steps.map((s) => s.kind)).toEqual(['revoke-sessions']);
    expect(p.escalations.map((e) => e.code)).toEqual(['temporary-key']);
  });

  it('escalates a key owned by another user', () => {
    expect(one(leakedKey, user({ keyOwner: 'mallory' })).escalations[0]?.reason).toMatch(/belongs to mallory/);
  });

  it('escalates a user that does not exist or could not be observed', () => {
    expect(one(leakedKey, user({ exists: false })).escalations[0]?.code).toBe('not-found');
    expect(one(leakedKey, { kind: 'none', reason: 'cannot observe user alice: AccessDenied' })).toMatchObject({ decision: 'escalate', escalations: [{ code: 'unresolved' }] });
  });

  it('plans one session deny for two leaked keys of one user', () => {
    const second: CredentialTarget = { ...leakedKey, accessKeyId: 'AKIAOTHER00000000002' };
    const p = plan([leakedKey, second], [user(), user()], config, ctx);
    expect(p.steps.map((s) => s.kind)).toEqual(['deactivate-key', 'revoke-sessions', 'deactivate-key']);
    expect(p.steps.map((s) => s.id)).toEqual(['s1', 's2', 's3']);
  });

  it('on a user whose key is unknown, cuts sessions and escalates unless the user is compromised', () => {
    const target: CredentialTarget = { kind: 'iam-user', account: ACCOUNT, userName: 'alice', userCompromised: false };
    const p = one(target, user());
    expect(p.steps.map((s) => s.kind)).toEqual(['revoke-sessions']);
    expect(p.escalations[0]?.code).toBe('key-unknown');
    const q = one({ ...target, userCompromised: true }, user());
    expect(q.steps.map((s) => s.kind)).toEqual(['revoke-sessions', 'attach-quarantine', 'delete-login-profile']);
    expect(q.escalations).toEqual([]);
  });
});

describe('credential plan: role sessions', () => {
  it('cuts only the sessions issued to the instance, and offers the role-wide cut as an escalation with its collateral', () => {
    const p = one(session, role());
    expect(p.steps).toEqual([
      {
        id: 's1',
        kind: 'revoke-sessions',
        account: ACCOUNT,
        principalType: 'role',
        principalName: 'WebServerRole',
        scope: 'instance',
        instanceArn: `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0abc1234def567890`,
        collateral:
          'only sessions of role WebServerRole issued to instance i-0abc1234def567890 before the cut-off; other holders of the role keep working. The instance gets new credentials when EC2 rotates them, so an attacker with code execution there is stopped only by isolating it',
      },
    ]);
    expect(p.escalations.map((e) => e.code)).toEqual(['role-wide-available']);
    expect(p.escalations[0]?.reason).toContain("{action:'revoke', roleName:'WebServerRole', scope:'role'}");
    expect(p.escalations[0]?.reason).toContain('EVERY session of role WebServerRole issued before the cut-off is denied, legitimate holders included');
  });

  it('cuts the whole role when configured, or when a request asks for it explicitly, stating the collateral', () => {
    for (const p of [one(session, role(), { ...config, roleWideSessions: true }), one({ ...session, instanceId: undefined, scope: 'role' }, role())]) {
      expect(p.steps).toEqual([expect.objectContaining({ kind: 'revoke-sessions', principalType: 'role', principalName: 'WebServerRole', scope: 'principal' })]);
      expect(p.steps[0]).not.toHaveProperty('instanceArn');
      expect((p.steps[0] as { collateral: string }).collateral).toMatch(/^EVERY session of role WebServerRole .* until EC2 rotates their credentials \(its own schedule, hours\)/);
    }
  });

  it('escalates a stolen role session that names no instance instead of cutting every holder', () => {
    const p = one({ ...session, instanceId: undefined }, role());
    expect(p.decision).toBe('escalate');
    expect(p.escalations.map((e) => e.code)).toEqual(['role-wide-needed']);
  });
});

describe('credential plan: escalations (no step)', () => {
  it.each<[string, CredentialTarget, ObservedState, CredentialsConfig, string]>([
    ['root', { kind: 'root', account: ACCOUNT }, { kind: 'none' }, config, 'root'],
    ['federated users', { kind: 'federated', account: ACCOUNT, principalId: `${ACCOUNT}:bob` }, { kind: 'none' }, config, 'federated'],
    ['unknown user types', { kind: 'unknown-principal', account: ACCOUNT, userType: 'AWSService' }, { kind: 'none' }, config, 'unknown-principal'],
    ['service-linked roles', { ...session, roleName: 'AWSServiceRoleForSupport' }, role({ roleName: 'AWSServiceRoleForSupport', path: '/aws-service-role/support.amazonaws.com/' }), config, 'service-linked-role'],
    ['Identity Center roles', { ...session, roleName: 'AWSReservedSSO_Admin_0123456789abcdef' }, role({ roleName: 'AWSReservedSSO_Admin_0123456789abcdef', path: '/aws-reserved/sso.amazonaws.com/' }), config, 'identity-center-role'],
    ["Cordon's own roles by exact ARN", session, role(), { ...config, ownPrincipalArns: [`arn:aws:iam::${ACCOUNT}:role/WebServerRole`] }, 'own-role'],
    ["Cordon's member roles by exact name in the target account", { ...session, roleName: 'CordonMemberCredentials' }, role({ roleName: 'CordonMemberCredentials' }), { ...config, ownMemberRoleNames: ['CordonMemberCredentials'] }, 'own-role'],
    ['protected roles', session, role({ tags: { 'cordon:protected': 'true' } }), config, 'protected-tag'],
    ['protected users', leakedKey, user({ tags: { 'cordon:protected': 'true' } }), config, 'protected-tag'],
    ['allowlisted users by ARN', leakedKey, user(), { ...config, allowlist: [`arn:aws:iam::${ACCOUNT}:user/alice`] }, 'allowlisted'],
    ['allowlisted roles by name', session, role(), { ...config, allowlist: ['WebServerRole'] }, 'allowlisted'],
    ['allowlisted roles by assumed-role ARN', session, role(), { ...config, allowlist: [`arn:aws:sts::${ACCOUNT}:assumed-role/WebServerRole/break-glass`] }, 'allowlisted'],
    ['a custom protected tag', leakedKey, user({ tags: { team: 'security' } }), { ...config, protectedTag: { key: 'team', value: 'security' } }, 'protected-tag'],
  ])('escalates %s', (_what, target, state, c, code) => {
    const p = one(target, state, c);
    expect(p.decision).toBe('escalate');
    expect(p.steps).toEqual([]);
    expect(p.escalations.map((e) => e.code)).toEqual([code]);
  });

  it('does not treat an allowlist ARN of another account as a match', () => {
    expect(one(leakedKey, user(), { ...config, allowlist: ['arn:aws:iam::999999999999:user/alice'] }).decision).toBe('act');
  });

  it('acts on an allowlisted principal with force, noting the override, but never on a protected one or its own roles', () => {
    const allowlisted = one(leakedKey, user(), { ...config, allowlist: ['alice'] }, true);
    expect(allowlisted.decision).toBe('act');
    expect(allowlisted.notes[0]).toMatch(/^force: acting despite: user alice is allowlisted/);
    const protectedUser = one(leakedKey, user({ tags: { 'cordon:protected': 'true' } }), config, true);
    expect(protectedUser.decision).toBe('escalate');
    expect(protectedUser.escalations.map((e) => [e.code, e.reason])).toEqual([
      [
        'protected-tag',
        'user alice carries the protected tag cordon:protected=true (force cannot override it: IAM denies Cordon any change to a protected principal; remove the tag to act)',
      ],
    ]);
    expect(one(session, role(), { ...config, ownPrincipalArns: [`arn:aws:iam::${ACCOUNT}:role/WebServerRole`] }, true).decision).toBe('escalate');
  });

  it('revokes a principal whose name merely starts like Cordon\'s (CordonBackdoor): own principals are exact ARNs', () => {
    const own = { ...config, ownPrincipalArns: [`arn:aws:iam::${ACCOUNT}:role/CordonRevokeCredentialsRole`], ownMemberRoleNames: ['CordonMemberCredentials'] };
    const backdoor = one({ ...leakedKey, userName: 'CordonBackdoor' }, user({ userName: 'CordonBackdoor', keyOwner: 'CordonBackdoor' }), own);
    expect(backdoor.decision).toBe('act');
    expect(backdoor.steps.map((s) => s.kind)).toEqual(['deactivate-key', 'revoke-sessions']);
    expect(one({ ...session, roleName: 'CordonMemberCredentialsX' }, role({ roleName: 'CordonMemberCredentialsX' }), own).decision).toBe('act');
  });

  it('is pure: the same inputs give the same plan', () => {
    expect(one(leakedKey, user())).toEqual(one(leakedKey, user()));
  });
});
