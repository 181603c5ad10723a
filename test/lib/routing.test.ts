import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCredentialEvent } from '../../lambdas/findings/credentials';
import { parseEc2Event } from '../../lambdas/findings/ec2';
import {
  anySeverityPattern,
  findingTypeMatchers,
  guardDutyPatterns,
  MAX_EVENT_PATTERN_LENGTH,
  RESPONDERS,
  renderRoutingTable,
  routeFindingType,
  ROUTING_TABLE,
  routingTableProblems,
  type Decision,
  type RoutingRule,
} from '../../lib/routing';
import { matchesEventPattern } from '../../lib/event-pattern';

interface CatalogueRow {
  readonly type: string;
  readonly resourceTypes: readonly string[];
  readonly status: 'active' | 'retired' | 'renamed';
  readonly notes: string;
}

const CATALOGUE = join(__dirname, '../fixtures/guardduty-finding-types.tsv');

const loadCatalogue = (): CatalogueRow[] => {
  const [header, ...lines] = readFileSync(CATALOGUE, 'utf8').split('\n').filter((line) => line.trim().length > 0);
  if (header !== 'type\tresource_type\tdefault_severity\tdata_source\tstatus\tnotes') throw new Error(`unexpected catalogue header: ${header ?? ''}`);
  return lines.map((line) => {
    const [type = '', resourceType = '', , , status = '', notes = ''] = line.split('\t');
    if (status !== 'active' && status !== 'retired' && status !== 'renamed') throw new Error(`unknown status ${status} for ${type}`);
    return { type, resourceTypes: resourceType.split('|'), status, notes };
  });
};

const catalogue = loadCatalogue();

/** A GuardDuty Finding event as EventBridge delivers it. */
const findingEvent = (type: string, severity: number | string, detail: Record<string, unknown> = {}) => ({
  version: '0',
  id: 'event-1',
  'detail-type': 'GuardDuty Finding',
  source: 'aws.guardduty',
  account: '111122223333',
  time: '2026-01-01T00:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail: { schemaVersion: '2.0', accountId: '111122223333', region: 'eu-west-1', id: 'finding-1', type, severity, ...detail },
});

/** Which responders the generated GuardDuty patterns deliver an event to. */
const reached = (event: unknown, minimumSeverity = 7): Decision[] =>
  RESPONDERS.filter((responder) =>
    [...guardDutyPatterns(responder, minimumSeverity), ...[anySeverityPattern(responder)].filter((p) => p !== undefined)].some((pattern) =>
      matchesEventPattern(pattern, event),
    ),
  );

describe('routing table', () => {
  it('reads the whole catalogue: 229 active types plus the retired and renamed ones', () => {
    expect(catalogue.filter((row) => row.status === 'active')).toHaveLength(229);
    expect(catalogue.filter((row) => row.status !== 'active').length).toBeGreaterThan(0);
    expect(new Set(catalogue.map((row) => row.type)).size).toBe(catalogue.length);
  });

  it.each(catalogue.map((row) => [row.type, row.status] as const))('decides %s (%s) with an explicit rule and a reason', (type) => {
    const route = routeFindingType(type);
    expect(route.rule).toBeDefined();
    expect(['isolate', 'revoke', 'none']).toContain(route.responder);
    expect(route.reason.length).toBeGreaterThan(20);
  });

  it('has no inconsistent rule (duplicates, or a responder prefix that contains another decision)', () => {
    expect(routingTableProblems()).toEqual([]);
  });

  it('has no rule that no catalogue type uses (dead rules hide typos)', () => {
    const used = new Set(catalogue.map((row) => routeFindingType(row.type).rule));
    expect(ROUTING_TABLE.filter((rule) => !used.has(rule)).map((rule) => rule.value)).toEqual([]);
  });

  it('skips a type no rule covers, with the reason', () => {
    const route = routeFindingType('Canary:EC2/Stateless.IntegTest');
    expect(route).toEqual({ responder: 'none', reason: expect.stringMatching(/not in the routing table/) });
    expect(reached(findingEvent('Canary:EC2/Stateless.IntegTest', 9))).toEqual([]);
  });

  describe('decisions', () => {
    it.each([
      ['Backdoor:EC2/C&CActivity.B!DNS', 'isolate'],
      ['CryptoCurrency:EC2/BitcoinTool.B', 'isolate'],
      ['Recon:EC2/Portscan', 'isolate'],
      ['Recon:EC2/PortProbeUnprotectedPort', 'none'],
      ['Recon:EC2/PortProbeEMRUnprotectedPort', 'none'],
      ['UnauthorizedAccess:EC2/TorIPCaller', 'none'],
      ['Execution:EC2/MaliciousFile', 'isolate'],
      ['Execution:EC2/MaliciousFile!Snapshot', 'none'],
      ['PrivilegeEscalation:Runtime/DockerSocketAccessed', 'isolate'],
      ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration', 'revoke'],
      ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', 'revoke'],
      ['Recon:IAMUser/NetworkPermissions', 'revoke'],
      ['Policy:IAMUser/RootCredentialUsage', 'revoke'],
      ['Policy:IAMUser/S3BlockPublicAccessDisabled', 'none'],
      ['Stealth:IAMUser/S3ServerAccessLoggingDisabled', 'none'],
      ['Impact:IAMUser/PromptInjection.Direct', 'none'],
      ['Discovery:S3/MaliciousIPCaller.Custom', 'none'],
      ['Policy:Kubernetes/AdminAccessToDefaultServiceAccount', 'none'],
      ['Backdoor:Lambda/C&CActivity.B', 'none'],
      ['CredentialAccess:RDS/MaliciousIPCaller.SuccessfulLogin', 'none'],
      ['AttackSequence:EC2/CompromisedInstanceGroup', 'none'],
      ['PrivilegeEscalation:IAM/AccountManipulation', 'none'],
    ] as const)('routes %s to %s', (type, responder) => {
      expect(routeFindingType(type).responder).toBe(responder);
    });

    it('routes renamed types like their new names', () => {
      const renamed = catalogue.filter((row) => row.status === 'renamed');
      expect(renamed.length).toBeGreaterThan(0);
      for (const row of renamed) {
        const to = /renamed \S+ to (?:the )?(\S+)/.exec(row.notes)?.[1];
        expect(to).toBeDefined();
        // InstanceCredentialExfiltration was renamed to "the .OutsideAWS variant".
        const newName = to?.startsWith('.') ? `${row.type}${to}` : (to ?? '');
        expect(`${row.type} -> ${routeFindingType(row.type).responder}`).toBe(`${row.type} -> ${routeFindingType(newName).responder}`);
      }
    });
  });

  describe('agreement with the parsers', () => {
    const resourceOf = (row: CatalogueRow, fallback: string): string[] =>
      row.resourceTypes.filter((type) => type !== 'not stated' && !type.startsWith('multiple')).length > 0 ? [...row.resourceTypes] : [fallback];

    const isolated = catalogue.filter((row) => routeFindingType(row.type).responder === 'isolate');
    it.each(isolated.flatMap((row) => resourceOf(row, 'Instance').map((resourceType) => [row.type, resourceType] as const)))(
      'the isolation parser finds the instance of %s on resource type %s',
      (type, resourceType) => {
        const event = findingEvent(type, 8, { resource: { resourceType, instanceDetails: { instanceId: 'i-0123456789abcdef0' } } });
        const result = parseEc2Event(event);
        expect(result.skips).toEqual([]);
        expect(result.targets.map((t) => t.instance.instanceId)).toEqual(['i-0123456789abcdef0']);
      },
    );

    const revoked = catalogue.filter((row) => routeFindingType(row.type).responder === 'revoke');
    it.each(revoked.flatMap((row) => resourceOf(row, 'AccessKey').map((resourceType) => [row.type, resourceType] as const)))(
      'the credentials parser finds the principal of %s on resource type %s',
      (type, resourceType) => {
        // Root-usage findings are about the root user by definition.
        const userType = type.includes('RootCredentialUsage') ? 'Root' : 'IAMUser';
        const event = findingEvent(type, 8, {
          resource: { resourceType, accessKeyDetails: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', userName: 'alice', principalId: 'AIDAEXAMPLE', userType } },
        });
        const request = parseCredentialEvent(event, { homeAccount: '111122223333', homeRegion: 'eu-west-1' });
        expect(request.kind === 'revoke' ? request.targets.map((t) => t.kind) : request).toEqual([userType === 'Root' ? 'root' : 'iam-user-key']);
      },
    );
  });
});

describe('generated GuardDuty patterns', () => {
  it.each(catalogue.map((row) => [row.type] as const))('deliver %s exactly as routeFindingType decides', (type) => {
    const expected = routeFindingType(type).responder;
    expect(reached(findingEvent(type, 8))).toEqual(expected === 'none' ? [] : [expected]);
  });

  it('deliver nothing below the minimum severity, and honour a lowered one', () => {
    expect(reached(findingEvent('Backdoor:EC2/Spambot', 6.9))).toEqual([]);
    expect(reached(findingEvent('Backdoor:EC2/Spambot', 7))).toEqual(['isolate']);
    expect(reached(findingEvent('Backdoor:EC2/Spambot', 5), 4)).toEqual(['isolate']);
    expect(reached(findingEvent('UnauthorizedAccess:IAMUser/TorIPCaller', 5), 4)).toEqual(['revoke']);
  });

  it.each(['Policy:IAMUser/RootCredentialUsage', 'Policy:IAMUser/ShortTermRootCredentialUsage'])(
    'deliver %s to the credential responder at any severity (GuardDuty rates it 2)',
    (type) => {
      expect(reached(findingEvent(type, 2))).toEqual(['revoke']);
      expect(reached(findingEvent(type, 0), 10)).toEqual(['revoke']);
      expect(anySeverityPattern('revoke')?.detail).toEqual({ type: ['Policy:IAMUser/RootCredentialUsage', 'Policy:IAMUser/ShortTermRootCredentialUsage'] });
      expect(anySeverityPattern('isolate')).toBeUndefined();
    },
  );

  it('skip a severity given as a string: EventBridge compares numbers only, and GuardDuty sends numbers', () => {
    expect(reached(findingEvent('Backdoor:EC2/Spambot', '8.0'))).toEqual([]);
  });

  it.each(['GuardDuty Malware Protection Object Scan Result', 'AWS API Call via CloudTrail'])('skip detail-type %s', (detailType) => {
    for (const row of catalogue) {
      expect(reached({ ...findingEvent(row.type, 10), 'detail-type': detailType })).toEqual([]);
    }
  });

  it('use exact values and prefixes only', () => {
    const shapes = RESPONDERS.flatMap((responder) => findingTypeMatchers(responder)).map((m) => (typeof m === 'string' ? 'exact' : Object.keys(m).join('+')));
    expect([...new Set(shapes)].sort()).toEqual(['exact', 'prefix']);
  });

  it('split a long prefix list into patterns under the size limit, losing nothing', () => {
    for (const responder of RESPONDERS) {
      expect(guardDutyPatterns(responder, 7).every((p) => JSON.stringify(p).length <= MAX_EVENT_PATTERN_LENGTH)).toBe(true);
      const small = guardDutyPatterns(responder, 7, { maxLength: 400 });
      expect(small.length).toBeGreaterThan(1);
      expect(small.every((p) => JSON.stringify(p).length <= 400)).toBe(true);
      expect(small.flatMap((p) => p.detail.type)).toEqual(findingTypeMatchers(responder));
      for (const row of catalogue) {
        const route = routeFindingType(row.type);
        const expected = route.responder === responder && route.rule?.anySeverity !== true;
        expect([row.type, small.some((p) => matchesEventPattern(p, findingEvent(row.type, 8)))]).toEqual([row.type, expected]);
      }
    }
  });

  it('rejects a table whose responder prefix contains another decision', () => {
    const table: RoutingRule[] = [
      { match: 'prefix', value: 'Recon:EC2/', responder: 'isolate', reason: 'too broad' },
      { match: 'prefix', value: 'Recon:EC2/PortProbe', responder: 'none', reason: 'the instance is the target' },
    ];
    expect(routingTableProblems(table)).toEqual([expect.stringMatching(/isolate prefix Recon:EC2\/ contains prefix rule Recon:EC2\/PortProbe \(none\)/)]);
    expect(() => guardDutyPatterns('isolate', 7, { table })).toThrow(/routing table is inconsistent/);
  });

  it('rejects a matcher too long for any pattern', () => {
    const table: RoutingRule[] = [{ match: 'exact', value: 'X'.repeat(300), responder: 'revoke', reason: 'too long' }];
    expect(() => guardDutyPatterns('revoke', 7, { table, maxLength: 200 })).toThrow(/alone makes an event pattern longer than 200/);
  });
});

describe('docs/routing.md', () => {
  it('shows the current table (regenerate it with renderRoutingTable when this fails)', () => {
    const doc = readFileSync(join(__dirname, '../../docs/routing.md'), 'utf8');
    const block = /<!-- routing-table:start -->\n([\s\S]*?)\n<!-- routing-table:end -->/.exec(doc)?.[1];
    expect(block).toBe(renderRoutingTable());
  });
});
