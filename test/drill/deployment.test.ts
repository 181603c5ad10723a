import { parseConfig, type CordonConfigInput } from '../../lib/config';
import { deploymentOf, routeInput } from '../../lib/drill/deployment';
import { normalize, type DrillInput } from '../../lib/drill/inputs';

const deployment = (input: CordonConfigInput) => deploymentOf(parseConfig(input), 'test', { account: '111111111111', region: 'us-east-1' });

const input = (item: unknown): DrillInput => ({ name: 'x.json', file: 'x.json', ...normalize(item) });

const finding = (type: string, severity: number, region = 'eu-west-1') => ({
  version: '0',
  id: 'e1',
  source: 'aws.guardduty',
  'detail-type': 'GuardDuty Finding',
  account: '210987654321',
  region,
  resources: [],
  detail: { id: 'f1', type, severity, region, accountId: '210987654321', arn: `arn:aws:guardduty:${region}:210987654321:detector/d/finding/f1` },
});

describe('the deployment the drill imitates', () => {
  it('configures the functions as the response stack does: severity, protected tag, allowlist, quarantine', () => {
    const d = deployment({
      minimumSeverity: 5,
      protectedTag: { key: 'owner:frozen', value: 'yes' },
      allowlistedPrincipals: ['arn:aws:iam::210987654321:role/BreakGlass'],
      credentials: { quarantineUser: true },
    });
    expect(d.isolation).toEqual({ protectedTag: { key: 'owner:frozen', value: 'yes' }, minimumSeverity: 5 });
    expect(d.credentials).toMatchObject({
      protectedTag: { key: 'owner:frozen', value: 'yes' },
      allowlist: ['arn:aws:iam::210987654321:role/BreakGlass'],
      quarantineUser: true,
    });
  });

  it('delivers by the rules of the config, and names the rule that drops an event', () => {
    expect(routeInput(input(finding('Backdoor:EC2/Spambot', 5)), deployment({ minimumSeverity: 4 }))).toEqual({ responders: ['isolation'], rules: ['GuardDutyIsolate1'] });
    expect(routeInput(input(finding('Backdoor:EC2/Spambot', 5)), deployment({}))).toEqual({
      dropped: 'rule GuardDutyIsolate1 takes Backdoor:EC2/Spambot only at severity >= 7 (cordon.minimumSeverity); this finding is 5',
    });
    expect(routeInput(input(finding('Policy:IAMUser/RootCredentialUsage', 2)), deployment({}))).toEqual({
      responders: ['credentials'],
      rules: ['GuardDutyRevokeAnySeverity'],
    });
  });

  it('drops an event from a region that is neither home nor forwarded', () => {
    const d = deployment({ homeRegion: 'eu-west-1', regions: ['eu-central-1'] });
    expect(routeInput(input(finding('Backdoor:EC2/Spambot', 8, 'eu-central-1')), d)).toEqual({ responders: ['isolation'], rules: ['GuardDutyIsolate1'] });
    expect(routeInput(input(finding('Backdoor:EC2/Spambot', 8, 'ap-south-1')), d)).toEqual({
      dropped: 'region ap-south-1 is neither the home region eu-west-1 nor forwarded (cordon.regions)',
    });
  });

  it('sends a manual request straight to its function', () => {
    expect(routeInput(input({ action: 'restore', incidentId: 'inc-aaaaaaaaaaaaaaaaaaaaaaaa' }), deployment({}))).toEqual({
      responders: ['credentials'],
      rules: ['manual request to the credentials function'],
    });
    expect(routeInput(input({ action: 'delete-everything' }), deployment({}))).toEqual({
      dropped: 'manual action "delete-everything" is not one a function accepts (isolate, release, revoke, restore)',
    });
  });

  it('wraps a GuardDuty API finding (PascalCase) as the event EventBridge delivers', () => {
    const api = { Id: 'f1', Arn: 'arn:aws:guardduty:eu-west-1:210987654321:detector/d/finding/f1', Type: 'Backdoor:EC2/Spambot', Severity: 8, AccountId: '210987654321', Region: 'eu-west-1', UpdatedAt: '2025-01-01T00:00:00Z' };
    const made = normalize(api);
    expect(made).toMatchObject({ kind: 'event', label: 'Backdoor:EC2/Spambot' });
    expect(made.event).toMatchObject({
      source: 'aws.guardduty',
      'detail-type': 'GuardDuty Finding',
      account: '210987654321',
      region: 'eu-west-1',
      detail: { id: 'f1', type: 'Backdoor:EC2/Spambot', severity: 8, accountId: '210987654321' },
    });
    expect(normalize({ eventName: 'CreateAccessKey' })).toMatchObject({ kind: 'unrecognised', label: '(unrecognised)' });
  });
});
