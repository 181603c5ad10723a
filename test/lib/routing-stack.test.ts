import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { CfnRule } from 'aws-cdk-lib/aws-events';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { parseCredentialEvent } from '../../lambdas/findings/credentials';
import { parseEc2Event } from '../../lambdas/findings/ec2';
import type { CordonConfigInput } from '../../lib/config';
import type { ResponseStack } from '../../lib/response-stack';
import { MAX_EVENT_PATTERN_LENGTH, type Decision, type Responder } from '../../lib/routing';
import { matchesEventPattern } from '../../lib/event-pattern';
import { deliveryRules } from '../../lib/delivery';
import { response } from './app';

const REAL = join(__dirname, '../fixtures/real');
const fixtureNames = readdirSync(REAL)
  .filter((name) => name.endsWith('.json'))
  .sort();
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(REAL, name), 'utf8')) as Record<string, unknown>;

/** Where the custom action ARNs resolve in these tests. */
const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const actionArn = (id: string): string => `arn:aws:securityhub:${REGION}:${ACCOUNT}:action/custom/${id}`;

interface SynthesizedRule {
  readonly logicalId: string;
  /** The pattern with the custom action ARNs resolved as `actionArn` does. */
  readonly pattern: Record<string, unknown>;
  readonly responders: readonly Responder[];
  readonly targets: readonly Record<string, unknown>[];
}

const logicalId = (stack: Stack, resource: CfnFunction | CfnQueue): string => stack.getLogicalId(resource);

/** Every EventBridge rule with an event pattern that targets a responder (other rules, e.g.
 * notifications, are not routing). */
const routingRules = (stack: ResponseStack, template: Template): SynthesizedRule[] => {
  const responderOf = new Map<string, Responder>([
    [logicalId(stack, stack.isolateInstance.node.defaultChild as CfnFunction), 'isolate'],
    [logicalId(stack, stack.revokeCredentials.node.defaultChild as CfnFunction), 'revoke'],
  ]);
  const actionTargets = template.findResources('AWS::SecurityHub::ActionTarget') as Record<string, { Properties: { Id: string } }>;
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (typeof value !== 'object' || value === null) return value;
    const getAtt = (value as Record<string, unknown>)['Fn::GetAtt'];
    if (Array.isArray(getAtt)) {
      const [id, attribute] = getAtt as [string, string];
      const action = actionTargets[id];
      if (!action || attribute !== 'ActionTargetArn') throw new Error(`unexpected intrinsic in an event pattern: ${JSON.stringify(value)}`);
      return actionArn(action.Properties.Id);
    }
    if (Object.keys(value).some((key) => key.startsWith('Fn::') || key === 'Ref')) {
      throw new Error(`unexpected intrinsic in an event pattern: ${JSON.stringify(value)}`);
    }
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, resolve(inner)]));
  };
  const rules = template.findResources('AWS::Events::Rule') as Record<
    string,
    { Properties: { EventPattern?: Record<string, unknown>; Targets: Record<string, unknown>[] } }
  >;
  const responderTargetedBy = (target: Record<string, unknown>): Responder | undefined =>
    responderOf.get((target.Arn as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0] ?? '');
  return Object.entries(rules)
    .filter(([, rule]) => rule.Properties.EventPattern !== undefined && rule.Properties.Targets.some(responderTargetedBy))
    .map(([id, rule]) => ({
      logicalId: id,
      pattern: resolve(rule.Properties.EventPattern) as Record<string, unknown>,
      targets: rule.Properties.Targets,
      responders: rule.Properties.Targets.map(responderTargetedBy).filter((r): r is Responder => r !== undefined),
    }));
};

/** Which responders the synthesized rules deliver `event` to (sorted, without duplicates). */
const reach = (rules: readonly SynthesizedRule[], event: unknown): Decision[] => {
  const reached = new Set(rules.filter((rule) => matchesEventPattern(rule.pattern, event)).flatMap((rule) => rule.responders));
  return [...reached].sort();
};
const only = (reached: readonly Decision[]): Decision => {
  if (reached.length > 1) throw new Error(`one event reached several responders: ${reached.join(', ')}`);
  return reached[0] ?? 'none';
};

const synth = (input: CordonConfigInput) => {
  const { stack, template } = response(input);
  return { stack, template, rules: routingRules(stack, template) };
};

/**
 * Every real event, and where it goes: at minimum severity 4, and at the default 7. The GuardDuty
 * envelopes in the corpus are all severity 5 (Medium), so the default routes none of them.
 */
const EXPECTED: Readonly<Record<string, readonly [atFour: Decision, atDefault: Decision]>> = {
  'cloudtrail-api-call-guardduty-createsamplefindings-1.json': ['none', 'none'], // aws.guardduty, but a CloudTrail API call
  'cloudtrail-api-call-iam-deleterolepermissionsboundary-1.json': ['none', 'none'],
  'cloudtrail-api-call-s3-createbucket-root-1.json': ['none', 'none'],
  'cloudtrail-console-signin-root-1.json': ['none', 'none'],
  'cloudtrail-record-bare-iam-createaccesskey-1.json': ['none', 'none'], // no envelope
  'cloudtrail-record-bare-putuserpolicy-compromisedkeyquarantine-1.json': ['none', 'none'], // no envelope
  'guardduty-api-getfindings-pascalcase-iam-recon-userpermissions-1.json': ['none', 'none'], // API response
  'guardduty-bare-attacksequence-iam-compromisedcredentials-1.json': ['none', 'none'], // bare finding
  'guardduty-bare-ec2-canary-stateless-integtest-1.json': ['none', 'none'],
  'guardduty-bare-ec2-recon-portprobeunprotectedport-1.json': ['none', 'none'],
  'guardduty-bare-ec2-sshbruteforce-1.json': ['none', 'none'],
  'guardduty-bare-ec2-trojan-blackholetraffic-dns-1.json': ['none', 'none'],
  'guardduty-bare-ec2-trojan-dgadomainrequest-b-1.json': ['none', 'none'],
  'guardduty-bare-ec2-unauthorizedaccess-torrelay-1.json': ['none', 'none'],
  'guardduty-bare-eks-policy-admintodefaultsa-1.json': ['none', 'none'],
  'guardduty-bare-iam-exfiltration-anomalousbehavior-1.json': ['none', 'none'],
  'guardduty-bare-iam-maliciousipcaller-1.json': ['none', 'none'],
  'guardduty-bare-iam-privilegeescalation-adminpermissions-1.json': ['none', 'none'],
  'guardduty-bare-iam-recon-maliciousipcaller-custom-1.json': ['none', 'none'],
  'guardduty-bare-runtime-container-dockersocketaccessed-1.json': ['none', 'none'],
  'guardduty-bare-s3-discovery-maliciousipcaller-custom-1.json': ['none', 'none'],
  'guardduty-bare-s3-pentest-parrotlinux-1.json': ['none', 'none'],
  'guardduty-ec2-backdoor-cc-activity-b-dns-1.json': ['isolate', 'none'], // severity 5
  'guardduty-ec2-backdoor-spambot-1.json': ['isolate', 'none'], // severity 5, sample
  'guardduty-iam-recon-networkpermissions-1.json': ['revoke', 'none'], // retired type, severity 5, sample
  'guardduty-iam-tor-ip-caller-1.json': ['revoke', 'none'], // severity 5, sample
  'guardduty-malware-protection-s3-scan-result-1.json': ['none', 'none'], // aws.guardduty, not a finding
  'guardduty-partial-envelope-ec2-sshbruteforce-1.json': ['none', 'none'], // only region + detail
  'health-credentials-exposed-1.json': ['revoke', 'revoke'],
  'health-credentials-exposed-2.json': ['revoke', 'revoke'],
  'health-other-ec2-retirement-scheduled-1.json': ['none', 'none'],
  'securityhub-api-getfindings-guardduty-ec2-bitcointool-2018-1.json': ['none', 'none'],
  'securityhub-asff-bare-guardduty-ec2-sshbruteforce-1.json': ['none', 'none'],
  'securityhub-asff-bare-guardduty-ec2-toripcaller-2018-1.json': ['none', 'none'],
  'securityhub-asff-bare-guardduty-iam-maliciousipcaller-2018-1.json': ['none', 'none'],
  'securityhub-custom-action-afsbp-ec2-7-1.json': ['none', 'none'], // another product's custom action
  'securityhub-custom-action-afsbp-ec2-8-instance-1.json': ['none', 'none'],
  'securityhub-custom-action-afsbp-multi-1.json': ['none', 'none'],
  'securityhub-custom-action-guardduty-iam-consolelogin-1.json': ['none', 'none'],
  'securityhub-imported-afsbp-ec2-7-1.json': ['none', 'none'], // imported findings are never routed
  'securityhub-preview-finding-notification-guardduty-2018-1.json': ['none', 'none'],
};

/** Fixtures a responder receives but rightly skips, and the reason it gives. */
/** Real events a responder parses to nothing, with the reason it gives (none today: an exposure
 * naming no parsable key is escalated, not skipped). */
const DOCUMENTED_SKIPS: Readonly<Record<string, RegExp>> = {};

const CTX = { homeAccount: ACCOUNT, homeRegion: REGION };

/** What the responder's parser makes of an event: a target (and whether it is a sample), or the skip reason. */
const parsedBy = (responder: Responder, event: unknown): { target: boolean; sample?: boolean; skip?: string } => {
  if (responder === 'isolate') {
    const result = parseEc2Event(event);
    const [first] = result.targets;
    if (first) return { target: true, sample: 'finding' in first && first.finding !== undefined && first.finding.sample };
    return { target: false, skip: result.skips.map((s) => s.message).join('; ') };
  }
  const request = parseCredentialEvent(event, CTX);
  if (request.kind === 'revoke') return { target: request.targets.length > 0, sample: request.sample };
  return { target: false, skip: request.kind === 'skip' ? request.reason : request.kind };
};

describe('routing rules of the response stack', () => {
  let atFour: ReturnType<typeof synth>;
  let atDefault: ReturnType<typeof synth>;
  beforeAll(() => {
    atFour = synth({ minimumSeverity: 4 });
    atDefault = synth({});
  });

  describe('real events (every file in test/fixtures/real)', () => {
    it('has an expectation for every fixture, and a fixture for every expectation', () => {
      expect(Object.keys(EXPECTED).sort()).toEqual(fixtureNames);
    });

    it.each(fixtureNames)('%s reaches the expected responder', (name) => {
      const event = fixture(name);
      const [four, seven] = EXPECTED[name] ?? ['unlisted', 'unlisted'];
      expect({ atFour: only(reach(atFour.rules, event)), atDefault: only(reach(atDefault.rules, event)) }).toEqual({ atFour: four, atDefault: seven });
    });

    it.each(fixtureNames.filter((name) => EXPECTED[name]?.[0] !== 'none'))('%s parses to a target in its responder, or a documented skip', (name) => {
      const responder = EXPECTED[name]?.[0] as Responder;
      const parsed = parsedBy(responder, fixture(name));
      const documented = DOCUMENTED_SKIPS[name];
      const outcome = parsed.target ? 'target' : documented?.test(parsed.skip ?? '') ? 'documented skip' : `undocumented skip: ${parsed.skip ?? ''}`;
      expect(outcome).toBe(documented ? 'documented skip' : 'target');
    });

    it('routes the sample findings it routes as samples (they never act in enforce mode)', () => {
      const samples = ['guardduty-ec2-backdoor-spambot-1.json', 'guardduty-iam-recon-networkpermissions-1.json', 'guardduty-iam-tor-ip-caller-1.json'];
      for (const name of samples) {
        const responder = EXPECTED[name]?.[0] as Responder;
        expect([name, parsedBy(responder, fixture(name)).sample]).toEqual([name, true]);
      }
    });

    it.each([
      ['securityhub-custom-action-afsbp-ec2-8-instance-1.json', 'isolate', 'CordonIsolate'],
      ['securityhub-custom-action-guardduty-iam-consolelogin-1.json', 'revoke', 'CordonRevoke'],
    ] as const)('%s, sent through Cordon\u2019s own custom action, reaches %s and parses to a target', (name, responder, actionId) => {
      const event = { ...fixture(name), resources: [actionArn(actionId)] };
      expect(reach(atDefault.rules, event)).toEqual([responder]);
      expect(parsedBy(responder, event).target).toBe(true);
      const other = actionId === 'CordonIsolate' ? 'CordonRevoke' : 'CordonIsolate';
      expect(reach(atDefault.rules, { ...event, resources: [actionArn(other)] })).toEqual([responder === 'isolate' ? 'revoke' : 'isolate']);
    });
  });

  it('routes the same GuardDuty finding once, however Security Hub re-emits it', () => {
    const imported = fixture('securityhub-imported-afsbp-ec2-7-1.json');
    expect(reach(atFour.rules, imported)).toEqual([]);
    const spambot = fixture('guardduty-ec2-backdoor-spambot-1.json');
    expect(reach(atFour.rules, { ...imported, detail: spambot.detail })).toEqual([]);
  });

  it.each(['GuardDuty Malware Protection Object Scan Result', 'AWS API Call via CloudTrail', 'GuardDuty Runtime Protection Health'])(
    'no rule matches aws.guardduty detail-type %s, whatever the detail',
    (detailType) => {
      for (const name of ['guardduty-ec2-backdoor-spambot-1.json', 'guardduty-iam-tor-ip-caller-1.json', 'guardduty-malware-protection-s3-scan-result-1.json']) {
        const event = fixture(name);
        const detail = { ...(event.detail as Record<string, unknown>), severity: 10 };
        expect(reach(atFour.rules, { ...event, 'detail-type': detailType, detail })).toEqual([]);
      }
    },
  );

  it('creates the GuardDuty rules from the routing table, at the configured severity, within the pattern size limit', () => {
    for (const { rules, severity } of [
      { rules: atFour.rules, severity: 4 },
      { rules: atDefault.rules, severity: 7 },
    ]) {
      const guardDuty = rules.filter((rule) => (rule.pattern.source as string[]).includes('aws.guardduty'));
      expect(guardDuty.map((rule) => rule.responders).flat().sort()).toEqual(['isolate', 'revoke', 'revoke']);
      const hasSeverity = (rule: SynthesizedRule): boolean => 'severity' in (rule.pattern.detail as object);
      for (const rule of guardDuty.filter(hasSeverity)) {
        expect(rule.pattern).toMatchObject({ 'detail-type': ['GuardDuty Finding'], detail: { severity: [{ numeric: ['>=', severity] }] } });
      }
      const [always, ...more] = guardDuty.filter((rule) => !hasSeverity(rule));
      expect(more).toEqual([]);
      expect(always?.responders).toEqual(['revoke']);
      // Root credential use (always severity 2) is the one type delivered at any severity.
      expect(always?.pattern).toEqual({
        source: ['aws.guardduty'],
        'detail-type': ['GuardDuty Finding'],
        detail: { type: ['Policy:IAMUser/RootCredentialUsage', 'Policy:IAMUser/ShortTermRootCredentialUsage'] },
      });
      for (const rule of rules) expect(JSON.stringify(rule.pattern).length).toBeLessThanOrEqual(MAX_EVENT_PATTERN_LENGTH);
    }
  });

  it('creates exactly the rules the drill delivers events through (lib/delivery.ts), pattern for pattern', () => {
    for (const [{ stack, rules }, minimumSeverity] of [
      [atFour, 4],
      [atDefault, 7],
    ] as const) {
      const byId = (id: string) => rules.find((rule) => rule.logicalId.startsWith(stack.getLogicalId(stack.node.findChild('Routing').node.findChild(id).node.defaultChild as CfnRule)));
      const drill = deliveryRules({ minimumSeverity }, actionArn);
      expect(drill.length).toBe(rules.length);
      for (const rule of drill) {
        expect([rule.id, byId(rule.id)?.pattern, byId(rule.id)?.responders]).toEqual([rule.id, rule.pattern, [rule.responder]]);
      }
    }
  });

  it('routes AWS Health credential exposures, and only those, to the credential responder', () => {
    const [health, ...more] = atDefault.rules.filter((rule) => (rule.pattern.source as string[]).includes('aws.health'));
    expect(more).toEqual([]);
    expect(health?.responders).toEqual(['revoke']);
    expect(health?.pattern).toEqual({
      source: ['aws.health'],
      'detail-type': ['AWS Health Event'],
      detail: {
        eventTypeCode: [
          'AWS_RISK_CREDENTIALS_EXPOSED',
          'AWS_RISK_CREDENTIALS_COMPROMISED',
          'AWS_RISK_CREDENTIALS_COMPROMISE_SUSPECTED',
          'AWS_RISK_CREDENTIALS_EXPOSURE_SUSPECTED',
          'AWS_RISK_IAM_QUARANTINE',
          'AWS_RISK_ACCOUNT_CONSOLE_COMPROMISE',
        ],
      },
    });
  });

  it('creates the two Security Hub custom actions, each routed to its responder only', () => {
    const { template, rules } = atDefault;
    template.resourceCountIs('AWS::SecurityHub::ActionTarget', 2);
    template.hasResourceProperties('AWS::SecurityHub::ActionTarget', {
      Id: 'CordonIsolate',
      Name: 'Cordon: isolate',
      Description: Match.stringLikeRegexp('isolate every EC2 instance'),
    });
    template.hasResourceProperties('AWS::SecurityHub::ActionTarget', {
      Id: 'CordonRevoke',
      Name: 'Cordon: revoke',
      Description: Match.stringLikeRegexp('revoke every IAM access key'),
    });
    const securityHub = rules.filter((rule) => (rule.pattern.source as string[]).includes('aws.securityhub'));
    expect(securityHub.map((rule) => [rule.pattern, rule.responders])).toEqual(
      expect.arrayContaining([
        [{ source: ['aws.securityhub'], 'detail-type': ['Security Hub Findings - Custom Action'], resources: [actionArn('CordonIsolate')] }, ['isolate']],
        [{ source: ['aws.securityhub'], 'detail-type': ['Security Hub Findings - Custom Action'], resources: [actionArn('CordonRevoke')] }, ['revoke']],
      ]),
    );
    expect(securityHub).toHaveLength(2);
  });

  it('retries each routed event 4 times within an hour, then dead-letters it to the event DLQ', () => {
    const { stack, rules } = atDefault;
    const dlq = logicalId(stack, stack.eventDlq.node.defaultChild as CfnQueue);
    expect(rules.length).toBeGreaterThanOrEqual(5);
    for (const rule of rules) {
      expect(rule.targets).toHaveLength(1);
      expect(rule.targets[0]).toMatchObject({
        RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } },
      });
    }
  });
});
