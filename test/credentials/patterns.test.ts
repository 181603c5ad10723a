import 'aws-sdk-client-mock-jest';
import {
  DeleteAccessKeyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUsersCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { respond, type RespondResult } from '../../lambdas/credentials/respond';
import { fleetWorld } from '../support/iam-fleet';
import { givenUser, makeDeps, NOW, type IamMock } from './support';
import { authorizeAs } from '../support/authz';

authorizeAs('credentials');

const iam = mockClient(IAMClient);

const OLD = new Date('2025-06-01T00:00:00Z'); // 273 days before NOW
const NEW = new Date('2026-02-20T00:00:00Z'); // 9 days before NOW

const request = { action: 'revoke', pattern: { pathPrefix: '/ci/', olderThanDays: 90 }, reason: 'rotate stale CI keys after leak', requestedBy: 'alice@example.com', ticket: 'SEC-42' };

const givenCiUsers = (mock: IamMock, options: { bNewKeyCreated?: Date } = {}) => {
  mock.on(ListUsersCommand, { PathPrefix: '/ci/' }).resolves({
    Users: [
      { UserName: 'ci-a', Path: '/ci/', UserId: 'AIDAA', Arn: 'arn:aws:iam::742968239728:user/ci/ci-a', CreateDate: OLD },
      { UserName: 'ci-b', Path: '/ci/', UserId: 'AIDAB', Arn: 'arn:aws:iam::742968239728:user/ci/ci-b', CreateDate: OLD },
    ],
    IsTruncated: false,
  });
  givenUser(mock, {
    userName: 'ci-a',
    path: '/ci/',
    keys: [
      { id: 'AKIACIA0000000000OLD', created: OLD },
      { id: 'AKIACIA000000INACTIV', created: OLD, status: 'Inactive' },
    ],
  });
  givenUser(mock, { userName: 'ci-b', path: '/ci/', keys: [{ id: 'AKIACIB0000000000NEW', created: options.bNewKeyCreated ?? NEW }] });
};

const mutations = () =>
  iam.commandCalls(UpdateAccessKeyCommand).length + iam.commandCalls(PutUserPolicyCommand).length + iam.commandCalls(DeleteAccessKeyCommand).length;

beforeEach(() => iam.reset());

describe('credential patterns', () => {
  it('previews every matching ACTIVE key and the plan, acting on nothing', async () => {
    givenCiUsers(iam);
    const deps = makeDeps();
    const preview = await respond({ ...request, preview: true }, deps);
    expect(preview.decision).toBe('preview');
    expect(preview.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(preview.matches).toEqual([
      { userName: 'ci-a', accessKeyId: 'AKIACIA0000000000OLD', status: 'Active', createDate: OLD.toISOString(), path: '/ci/' },
    ]);
    expect(preview.steps.map((s) => [s.action, s.target.id, s.status])).toEqual([
      ['iam:UpdateAccessKey', 'AKIACIA0000000000OLD', 'planned'],
      ['iam:PutUserPolicy', 'ci-a', 'planned'],
    ]);
    expect(iam).toHaveReceivedCommandWith(ListUsersCommand, { PathPrefix: '/ci/' });
    expect(iam).toHaveReceivedCommandWith(ListAccessKeysCommand, { UserName: 'ci-b' });
    expect(mutations()).toBe(0);
    expect(deps.store.records.map((r) => [r.input.kind, r.input.action])).toEqual([['outcome', 'credentials:preview']]);
    expect(deps.store.records[0]?.input.detail).toMatchObject({ digest: preview.digest, ticket: 'SEC-42' });
  });

  it('acts on the confirmed set: only the matching key, nothing deleted', async () => {
    givenCiUsers(iam);
    const deps = makeDeps();
    const preview = await respond({ ...request, preview: true }, deps);
    const done = await respond({ ...request, confirm: preview.digest }, deps);
    expect(done.decision).toBe('act');
    expect(done.incidentId).toBe(preview.incidentId);
    expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 1);
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, { UserName: 'ci-a', AccessKeyId: 'AKIACIA0000000000OLD', Status: 'Inactive' });
    expect(iam).toHaveReceivedCommandWith(PutUserPolicyCommand, { UserName: 'ci-a', PolicyName: 'cordon-revoke-sessions' });
    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
    expect(deps.store.records.map((r) => r.input.kind)).toEqual(['outcome', 'intent', 'step', 'step', 'outcome']);
    expect(deps.store.ofKind('intent')[0]?.detail).toMatchObject({ digest: preview.digest, requestReason: request.reason });
    expect(deps.store.ofKind('intent')[0]?.actor.requestedBy).toBe('alice@example.com');
  });

  it('refuses a confirm when the matching set changed since the preview, evidencing the refusal', async () => {
    givenCiUsers(iam);
    const deps = makeDeps();
    const preview = await respond({ ...request, preview: true }, deps);
    iam.reset();
    givenCiUsers(iam, { bNewKeyCreated: OLD }); // ci-b's key is now old enough to match
    const refused: RespondResult = await respond({ ...request, confirm: preview.digest }, deps);
    expect(refused.decision).toBe('refused');
    expect(refused.reason).toBe(`the matching set changed since the preview (digest ${preview.digest ?? ''}, now ${refused.digest ?? ''}): preview again`);
    expect(refused.digest).not.toBe(preview.digest);
    expect(mutations()).toBe(0);
    expect(deps.store.records.map((r) => [r.input.kind, r.input.action])).toEqual([
      ['outcome', 'credentials:preview'],
      ['skip', 'refuse:digest-mismatch'],
    ]);
  });

  it('gives the same digest for the same set whatever the time of the preview', async () => {
    givenCiUsers(iam);
    const a = await respond({ ...request, preview: true }, makeDeps());
    const b = await respond({ ...request, preview: true }, makeDeps({ clock: () => new Date(NOW.getTime() + 3_600_000) }));
    expect(b.digest).toBe(a.digest);
  });

  it('refuses a pattern without preview or confirm', async () => {
    const deps = makeDeps();
    const result = await respond(request, deps);
    expect(result).toMatchObject({ decision: 'refused', reason: expect.stringContaining('preview:true') as unknown });
    expect(iam.calls()).toHaveLength(0);
    expect(deps.store.records.map((r) => r.input.action)).toEqual(['refuse:no-preview']);
  });

  it('matches by tag (ListUserTags) and by access key id (GetAccessKeyLastUsed)', async () => {
    givenCiUsers(iam);
    givenUser(iam, { userName: 'ci-b', path: '/ci/', tags: { team: 'build' }, keys: [{ id: 'AKIACIB0000000000NEW', created: NEW }] });
    const byTag = await respond({ ...request, pattern: { pathPrefix: '/ci/', tag: { key: 'team', value: 'build' } }, preview: true }, makeDeps());
    expect(byTag.matches?.map((m) => m.accessKeyId)).toEqual(['AKIACIB0000000000NEW']);
    const byKey = await respond({ ...request, pattern: { accessKeyId: 'AKIACIA0000000000OLD' }, preview: true }, makeDeps());
    expect(byKey.matches?.map((m) => [m.userName, m.accessKeyId])).toEqual([['ci-a', 'AKIACIA0000000000OLD']]);
  });

  it('quarantines the matching users only when the request says so, whatever QUARANTINE_USER says', async () => {
    givenCiUsers(iam);
    const deps = makeDeps({ configOverrides: { quarantineUser: true } });
    const without = await respond({ ...request, preview: true }, deps);
    expect(without.steps.map((s) => s.action)).toEqual(['iam:UpdateAccessKey', 'iam:PutUserPolicy']);
    const withQuarantine = await respond({ ...request, quarantineUser: true, preview: true }, deps);
    expect(withQuarantine.steps.map((s) => s.action)).toEqual(['iam:UpdateAccessKey', 'iam:PutUserPolicy', 'iam:AttachUserPolicy']);
  });

  it.each([10, 4])('revokes 300 users with at most %i IAM calls in flight (preview and confirm)', async (limit) => {
    iam.restore();
    const world = fleetWorld(300);
    try {
      const deps = { ...makeDeps(), sessions: world.sessions, patternConcurrency: limit };
      const fleet = { action: 'revoke', pattern: { pathPrefix: '/fleet/' }, reason: 'leaked CI keys', requestedBy: 'alice@example.com' };
      const preview = await respond({ ...fleet, preview: true }, deps);
      expect(preview.matches).toHaveLength(300);
      const done = await respond({ ...fleet, confirm: preview.digest }, deps);
      expect(done.steps.filter((s) => s.status === 'succeeded')).toHaveLength(600);
      expect(world.calls()).toBeGreaterThan(1800);
      expect(world.peak()).toBeLessThanOrEqual(limit);
      expect(world.peak()).toBe(limit);
      expect(deps.store.ofKind('intent')[0]?.detail).toMatchObject({ concurrency: limit });
    } finally {
      world.restore();
    }
  });

  it('escalates a protected user in the set instead of acting on it, and says so in the preview', async () => {
    givenCiUsers(iam);
    givenUser(iam, { userName: 'ci-a', path: '/ci/', tags: { 'cordon:protected': 'true' }, keys: [{ id: 'AKIACIA0000000000OLD', created: OLD }] });
    const deps = makeDeps();
    const preview = await respond({ ...request, preview: true }, deps);
    expect(preview.steps).toEqual([]);
    expect(deps.store.records[0]?.input.detail).toMatchObject({ escalations: [{ code: 'protected-tag' }] });
  });
});
