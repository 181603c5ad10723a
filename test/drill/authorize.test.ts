import { parseConfig } from '../../lib/config';
import { authorizationConfig, authorizeDrillCalls } from '../../lib/drill/authorize';
import { runDrill } from '../../lib/drill/run';
import type { WorldCall } from '../../lib/drill/world';

/** The drill's authorization check (lib/drill/authorize.ts): every fake-world call, as its sender. */

const HOME = { account: '111111111111', region: 'us-east-1' };
const config = parseConfig({});
const call = (c: Omit<WorldCall, 'mutating'>): WorldCall => ({ mutating: false, ...c });

describe('drill authorization', () => {
  it('refuses a call the synthesized policy does not allow, naming call, principal and the missing allow', async () => {
    const r = await authorizeDrillCalls(
      [
        call({
          service: 'ec2',
          command: 'CreateTags',
          input: { Resources: ['i-0aaa'], Tags: [{ Key: 'Owner', Value: 'mallory' }] },
          sender: { principal: 'isolation', ...HOME },
        }),
      ],
      { config, ...HOME },
    );
    expect(r.denied).toEqual([
      expect.stringMatching(
        /^call #0 ec2:CreateTags by isolation \(arn:aws:iam::111111111111:role\/cordon\/evidence-writer\/CordonResponse-IsolateInstanceRole[0-9A-F]+\): ec2:CreateTags on arn:aws:ec2:us-east-1:111111111111:instance\/i-0aaa would be refused: no identity policy statement of isolation allows it$/,
      ),
    ]);
    expect(r).toMatchObject({ evaluated: 1, assumedMembers: [], assumedRegions: [] });
  });

  it('evaluates a member account’s calls as its member role, the AssumeRole as the function, and says what it assumed', async () => {
    const r = await authorizeDrillCalls(
      [
        call({
          service: 'sts',
          command: 'AssumeRole',
          input: { RoleArn: 'arn:aws:iam::210987654321:role/CordonMemberIsolation', RoleSessionName: 'cordon-inc-1', Tags: [{ Key: 'cordon:incident', Value: 'inc-1' }] },
          sender: { principal: 'isolation', ...HOME },
        }),
        call({ service: 'ec2', command: 'DescribeInstances', input: {}, sender: { principal: 'member-isolation', account: '210987654321', region: 'eu-west-1' } }),
      ],
      { config, ...HOME },
    );
    expect(r).toEqual({ denied: [], evaluated: 3, assumedMembers: ['210987654321'], assumedRegions: ['eu-west-1'] });
    // No member access in the config: an organization is assumed; a config with one is evaluated as is.
    expect(authorizationConfig(config).organizationId).toBe('o-cordondrill0');
    const org = parseConfig({ organizationId: 'o-abcdefghij', memberOrganizationalUnits: ['ou-abcd-12345678'] });
    expect(authorizationConfig(org)).toBe(org);
  });

  it('passes the shipped scenarios: every call authorized, reported in the drill', async () => {
    const report = await runDrill();
    expect(report.denied).toBe(0);
    expect(report.authorization.evaluated).toBeGreaterThan(20);
    expect(report.events.every((e) => e.denied.length === 0)).toBe(true);
    expect(report.passed).toBe(true);
  });
});
