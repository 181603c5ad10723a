import { GUARDDUTY_FINDING_DETAIL_TYPE, GUARDDUTY_SOURCE } from '../lambdas/findings/guardduty';

/**
 * Which responder a GuardDuty finding type reaches: `isolate` (EC2 instance containment),
 * `revoke` (credential revocation) or `none`, each with the reason. Pure data plus the functions
 * that read it; `lib/constructs/routing.ts` turns it into EventBridge rules and docs/routing.md
 * renders it.
 *
 * The table decides per finding TYPE. Per EVENT, the responder's parser still decides
 * (lambdas/findings/ec2.ts, credentials.ts): a routed finding without an instance id or access key
 * becomes an evidenced skip, a sample finding never acts in enforce mode.
 *
 * Rules are `exact` (one type) or `prefix` (a family, also future types in it). The most specific
 * rule wins: an exact rule, then the longest prefix. Exceptions under a responder's prefix may
 * only go to that same responder: EventBridge cannot say "prefix P but not type T" on one field,
 * so a responder prefix that contained a type decided otherwise would deliver that type anyway.
 * `routingTableProblems` checks this; a `none` prefix may contain responder exceptions freely.
 */

export type Responder = 'isolate' | 'revoke';
export type Decision = Responder | 'none';

export interface RoutingRule {
  readonly match: 'exact' | 'prefix';
  /** A finding type (`exact`) or the start of one (`prefix`), e.g. `Backdoor:EC2/`. */
  readonly value: string;
  readonly responder: Decision;
  readonly reason: string;
  /**
   * Delivered whatever the finding's severity: `minimumSeverity` does not gate this type (root
   * credential use is severity 2, yet must always reach the responder, which escalates it).
   */
  readonly anySeverity?: true;
}

export interface Route {
  readonly responder: Decision;
  readonly reason: string;
  /** The rule that decided; undefined when no rule covers the type (not in the catalogue). */
  readonly rule?: RoutingRule;
}

export const RESPONDERS: readonly Responder[] = ['isolate', 'revoke'];

const isolate = (value: string, reason: string, match: RoutingRule['match'] = 'prefix'): RoutingRule => ({
  match,
  value,
  responder: 'isolate',
  reason,
});
const revoke = (value: string, reason: string, match: RoutingRule['match'] = 'prefix'): RoutingRule => ({
  match,
  value,
  responder: 'revoke',
  reason,
});
const none = (value: string, reason: string, match: RoutingRule['match'] = 'prefix'): RoutingRule => ({
  match,
  value,
  responder: 'none',
  reason,
});

/** Marks a rule delivered at any severity (see RoutingRule.anySeverity). */
const atAnySeverity = (rule: RoutingRule): RoutingRule => ({ ...rule, anySeverity: true });

// Reasons shared by several rules.
const EC2_ACTOR = 'the EC2 instance itself talks to a malicious, abused or anomalous destination: it is the compromised party';
const INBOUND_VICTIM =
  'the parser skips, at any severity, a finding whose instance is the TARGET of an INBOUND connection or a port probe (a victim, not compromised)';
const RUNTIME =
  'Runtime Monitoring saw the process on an EC2 host (or in a container on one): the parser isolates the instance named in instanceDetails, and skips Fargate tasks, which have none';
const HOST_MALWARE =
  'Malware Protection for EC2 found the file on the EBS volume of an EC2 host: the parser isolates the instance named in instanceDetails';
const IAM_PRINCIPAL = 'the finding names an access key (resource type AccessKey) whose use looks malicious: revoke that key or role session';
const IAM_ANOMALY = 'GuardDuty anomaly detection on an access key (resource type AccessKey): revoke that key or role session; the severity gate keeps low-confidence anomalies out';
const EKS = 'Kubernetes audit-log finding about a cluster user or workload: no EC2 instance or IAM credential to act on; respond in the cluster (RBAC, network policy)';
const LAMBDA = 'a Lambda function: no EC2 instance to isolate, and its execution role is shared by every invocation; review, then revoke the role sessions manually if needed';
const RDS = 'a database login or probe: database users are not IAM credentials and there is no EC2 instance to isolate';
const S3_BUCKET =
  'resource type S3Bucket: no responder acts on buckets, and the credentials parser revokes AccessKey findings only; revoke the caller in accessKeyDetails manually (cordon revoke) after review';
const CDR =
  'Custom Detection Rule: one configuration API call matched a rule you enabled (resource type not stated); the actor may be an administrator, so it is escalated for review, never contained automatically';
const ATTACK_SEQUENCE =
  'attack sequence (resource type AttackSequence): a correlation over several resources, not one instance or key; each underlying signal is its own finding and routes on its own type';

/**
 * The routing table. Every type of the GuardDuty catalogue (active, retired and renamed) is
 * covered by a rule; `test/lib/routing.test.ts` holds it to that.
 */
export const ROUTING_TABLE: readonly RoutingRule[] = [
  // --- Attack sequences (Extended Threat Detection) -----------------------------------------
  none('AttackSequence:', ATTACK_SEQUENCE),

  // --- EC2 instances (VPC flow logs, DNS logs): the instance is the actor ------------------
  isolate('Backdoor:EC2/', 'the instance runs a backdoor: C&C traffic, denial-of-service source or spam bot (including the retired XORDDOS)'),
  isolate('Behavior:EC2/', 'the instance deviates from its baseline (unusual port or traffic volume); the severity gate decides (High for a log4j callback port)'),
  isolate('CryptoCurrency:EC2/', 'the instance mines or talks to cryptocurrency pools (including the retired BitcoinTool.A)'),
  isolate('DefenseEvasion:EC2/', 'the instance hides its DNS (unusual resolver, DNS over HTTPS or TLS): evasion from a compromised host'),
  isolate('Impact:EC2/', `${EC2_ACTOR} (port sweep, WinRM brute force, low-reputation domains); ${INBOUND_VICTIM}`),
  isolate('Trojan:EC2/', `${EC2_ACTOR} (black hole, DGA, drop point, phishing, DNS exfiltration)`),
  isolate('Recon:EC2/Portscan', 'the instance port-scans other hosts: it is the actor', 'exact'),
  none('Recon:EC2/PortProbe', 'reconnaissance AGAINST the instance (a malicious host probed an open port): a hardening issue, not a compromise; isolating the target would help the prober'),
  isolate('UnauthorizedAccess:EC2/MaliciousIPCaller', `${EC2_ACTOR} (an IP on a custom threat list)`),
  isolate('UnauthorizedAccess:EC2/MetadataDNSRebind', 'DNS rebinding against the instance metadata service can hand out the instance role: isolation also replaces the instance profile'),
  isolate('UnauthorizedAccess:EC2/RDPBruteForce', `RDP brute force FROM the instance (resource role ACTOR, outbound) is isolated; ${INBOUND_VICTIM}`),
  isolate('UnauthorizedAccess:EC2/SSHBruteForce', `SSH brute force FROM the instance (resource role ACTOR, outbound) is isolated; ${INBOUND_VICTIM}`),
  isolate('UnauthorizedAccess:EC2/TorClient', 'the instance connects to Tor guard or authority nodes'),
  isolate('UnauthorizedAccess:EC2/TorRelay', 'the instance acts as a Tor relay'),
  none('UnauthorizedAccess:EC2/TorIPCaller', 'retired (2020-10-01): inbound connections FROM a Tor exit node, the instance is the target, not a compromise', 'exact'),

  // --- EC2: Malware Protection for EC2 -------------------------------------------------------
  isolate('Execution:EC2/MaliciousFile', `${HOST_MALWARE} (malicious file)`, 'exact'),
  isolate('Execution:EC2/SuspiciousFile', `${HOST_MALWARE} (suspicious / dual-use file; severity by threat)`, 'exact'),
  none('Execution:EC2/MaliciousFile!', 'malware in an AMI, an EBS snapshot or an AWS Backup recovery point: no running instance to isolate; quarantine the image or snapshot'),
  isolate('Execution:Container/', `${HOST_MALWARE} (standalone container on the host)`),
  isolate('Execution:ECS/', `${HOST_MALWARE} (ECS on EC2 container instance); Fargate findings name no instance and are skipped`),
  isolate('Execution:Kubernetes/MaliciousFile', `${HOST_MALWARE} (EKS worker node)`, 'exact'),
  isolate('Execution:Kubernetes/SuspiciousFile', `${HOST_MALWARE} (EKS worker node)`, 'exact'),

  // --- Runtime Monitoring: a process on an EC2 host ----------------------------------------
  isolate('Backdoor:Runtime/', RUNTIME),
  isolate('CryptoCurrency:Runtime/', RUNTIME),
  isolate('DefenseEvasion:Runtime/', RUNTIME),
  isolate('Discovery:Runtime/', `${RUNTIME}; discovery commands are Low, so the severity gate keeps them out by default`),
  isolate('Execution:Runtime/', RUNTIME),
  isolate('Impact:Runtime/', RUNTIME),
  isolate('Persistence:Runtime/', RUNTIME),
  isolate('PrivilegeEscalation:Runtime/', RUNTIME),
  isolate('Trojan:Runtime/', RUNTIME),
  isolate('UnauthorizedAccess:Runtime/', RUNTIME),

  // --- IAM access keys and role sessions (CloudTrail management events) ---------------------
  revoke('UnauthorizedAccess:IAMUser/', `${IAM_PRINCIPAL}: malicious or Tor caller, console login from many places, instance or resource credentials used elsewhere (the InstanceCredentialExfiltration variants revoke the role sessions)`),
  revoke('CredentialAccess:IAMUser/', `${IAM_PRINCIPAL}: key flagged by threat intelligence or anomalous secret access`),
  revoke('DefenseEvasion:IAMUser/', `${IAM_PRINCIPAL}: logging disabled or anomalous evasion API by that principal`),
  revoke('Discovery:IAMUser/', IAM_ANOMALY),
  revoke('Exfiltration:IAMUser/', IAM_ANOMALY),
  revoke('Impact:IAMUser/AnomalousBehavior', IAM_ANOMALY),
  revoke('Impact:IAMUser/AnomalousModelInvocation', `${IAM_ANOMALY} (model invocations: stolen keys used for LLM hijacking)`),
  revoke('Impact:IAMUser/CostHarvesting', `${IAM_PRINCIPAL}: anomalous token volume, the signature of stolen keys resold for model access`),
  none('Impact:IAMUser/PromptInjection', 'the prompt comes from an end user of the application, sent with the application\u2019s own credentials: revoking them stops the application, not the attacker'),
  revoke('InitialAccess:IAMUser/', IAM_ANOMALY),
  revoke('PenTest:IAMUser/', `${IAM_PRINCIPAL}: API calls from a penetration-testing distribution; the principal of an authorized test belongs in allowlistedPrincipals`),
  revoke('Persistence:IAMUser/', `${IAM_ANOMALY} (including the permission types retired in 2021)`),
  revoke('PrivilegeEscalation:IAMUser/', `${IAM_ANOMALY} (including the retired AdministrativePermissions)`),
  revoke('Recon:IAMUser/', `${IAM_PRINCIPAL}: list/describe calls from a malicious or Tor caller (including the permission types retired in 2021)`),
  revoke('ResourceConsumption:IAMUser/', `${IAM_PRINCIPAL} (retired ComputeResources: instances launched with it)`),
  revoke('Behavior:IAMUser/', `${IAM_PRINCIPAL} (retired InstanceLaunchUnusual)`),
  revoke('Stealth:IAMUser/CloudTrailLoggingDisabled', `${IAM_PRINCIPAL}: CloudTrail stopped, attackers cover their tracks; Low by default, so the severity gate decides`, 'exact'),
  revoke('Stealth:IAMUser/LoggingConfigurationModified', `${IAM_PRINCIPAL} (retired 2021)`, 'exact'),
  revoke('Stealth:IAMUser/PasswordPolicyChange', `${IAM_PRINCIPAL}: password policy weakened; the severity (Low to High by change) decides`, 'exact'),
  none('Stealth:IAMUser/S3ServerAccessLoggingDisabled', 'renamed (2020-05-28) to Stealth:S3/ServerAccessLoggingDisabled: a bucket configuration change, routed like the new name', 'exact'),
  atAnySeverity(
    revoke('Policy:IAMUser/RootCredentialUsage', 'root credentials were used: always delivered (GuardDuty rates it Low, 2), the credentials parser keeps root findings (Policy: is skipped otherwise) and the responder escalates, evidenced, since root is never revoked automatically', 'exact'),
  ),
  atAnySeverity(
    revoke('Policy:IAMUser/ShortTermRootCredentialUsage', 'short-term root credentials were used: always delivered whatever the severity, escalated, evidenced, by the credential responder (root is never revoked automatically)', 'exact'),
  ),
  none('Policy:IAMUser/', 'a configuration change (e.g. the renamed S3BlockPublicAccessDisabled), not leaked credentials: the credentials parser skips Policy: findings'),

  // --- Not an EC2 instance or an IAM credential ---------------------------------------------
  none('Backdoor:Lambda/', LAMBDA),
  none('CryptoCurrency:Lambda/', LAMBDA),
  none('Trojan:Lambda/', LAMBDA),
  none('UnauthorizedAccess:Lambda/', LAMBDA),
  none('CredentialAccess:Kubernetes/', EKS),
  none('DefenseEvasion:Kubernetes/', EKS),
  none('Discovery:Kubernetes/', EKS),
  none('Execution:Kubernetes/', `${EKS} (malware on a node is listed above and isolates the node)`),
  none('Impact:Kubernetes/', EKS),
  none('Persistence:Kubernetes/', EKS),
  none('Policy:Kubernetes/', `${EKS}; a cluster configuration (exposed dashboard, anonymous or admin binding)`),
  none('PrivilegeEscalation:Kubernetes/', EKS),
  none('CredentialAccess:RDS/', RDS),
  none('Discovery:RDS/', RDS),

  // --- S3 (buckets and objects) -------------------------------------------------------------
  none('Discovery:S3/', S3_BUCKET),
  none('Exfiltration:S3/', S3_BUCKET),
  none('Impact:S3/', S3_BUCKET),
  none('PenTest:S3/', S3_BUCKET),
  none('UnauthorizedAccess:S3/', S3_BUCKET),
  none('Policy:S3/', 'a bucket or account S3 configuration change (block public access, public policy): no responder acts on buckets; the credentials parser skips Policy: findings'),
  none('Stealth:S3/', 'a bucket configuration change (server access logging disabled): no responder acts on buckets'),
  none('Object:S3/', 'Malware Protection for S3 found a malicious object: the object is the unit to quarantine, no responder acts on buckets or objects'),
  none('Execution:S3/', 'malware in an AWS Backup S3 recovery point: no running resource to contain'),

  // --- Custom Detection Rules (single configuration signals) --------------------------------
  none('CredentialAccess:EC2/', `${CDR} (EC2PasswordDataRetrieved)`),
  none('DefenseImpairment:', `${CDR} (logging, flow logs, organization policies, resolver query logs, RDS IAM auth, S3 keys)`),
  none('Exfiltration:EC2/', `${CDR} (AMI or EBS snapshot shared with another account)`),
  none('Exfiltration:RDS/', `${CDR} (RDS snapshot made public)`),
  none('Impact:SES/', `${CDR} (SES sending enabled)`),
  none('InitialAccess:IAM/', `${CDR} (console login without MFA)`),
  none('InitialAccess:RDS/', `${CDR} (RDS made publicly accessible)`),
  none('LateralMovement:EC2/', `${CDR} (SSH key pushed with EC2 Instance Connect)`),
  none('Persistence:EC2/', `${CDR} (user data modified, public SSH security group)`),
  none('Persistence:IAM/', `${CDR} (access key created, trust policy modified, login profile)`),
  none('Persistence:Lambda/', `${CDR} (function made public)`),
  none('Persistence:RolesAnywhere/', `${CDR} (trust anchor created)`),
  none('PrivilegeEscalation:IAM/', `${CDR} (administrator policy attached)`),
  none('ResourceDevelopment:SES/', `${CDR} (SES domain identity verified)`),
  none('Execution:SageMaker/', `${CDR} (SageMaker lifecycle configuration modified)`),
];

const NOT_IN_TABLE = 'not in the routing table (a type newer than the catalogue, or a test type such as Canary:): no automatic response';

const covers = (rule: RoutingRule, type: string): boolean =>
  rule.match === 'exact' ? type === rule.value : type.startsWith(rule.value);

/** More specific first: exact rules, then longer prefixes. */
const specificity = (rule: RoutingRule): number => (rule.match === 'exact' ? Number.MAX_SAFE_INTEGER : rule.value.length);

/** The rule that decides `type` in `table`: an exact rule, else the longest covering prefix. */
export const ruleFor = (type: string, table: readonly RoutingRule[] = ROUTING_TABLE): RoutingRule | undefined =>
  table.filter((rule) => covers(rule, type)).sort((a, b) => specificity(b) - specificity(a))[0];

/** Which responder a GuardDuty finding type reaches, and why. Pure. */
export const routeFindingType = (type: string, table: readonly RoutingRule[] = ROUTING_TABLE): Route => {
  const rule = ruleFor(type, table);
  return rule ? { responder: rule.responder, reason: rule.reason, rule } : { responder: 'none', reason: NOT_IN_TABLE };
};

/**
 * What would make the generated EventBridge patterns disagree with `routeFindingType`: duplicate
 * rules, and responder prefixes that contain a more specific rule deciding otherwise.
 */
export const routingTableProblems = (table: readonly RoutingRule[] = ROUTING_TABLE): string[] => {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const rule of table) {
    const key = `${rule.match}:${rule.value}`;
    if (seen.has(key)) problems.push(`${rule.match} rule ${rule.value} appears twice`);
    seen.add(key);
    if (rule.value.length === 0) problems.push(`${rule.match} rule with an empty value`);
    if (rule.reason.trim().length === 0) problems.push(`${rule.match} rule ${rule.value} has no reason`);
    if (rule.responder === 'none' || rule.match === 'exact') continue;
    for (const inner of table) {
      if (inner === rule || inner.responder === rule.responder) continue;
      if (inner.value.startsWith(rule.value) && specificity(inner) > specificity(rule)) {
        problems.push(
          `${rule.responder} prefix ${rule.value} contains ${inner.match} rule ${inner.value} (${inner.responder}): EventBridge would still deliver it to ${rule.responder}; split the prefix`,
        );
      }
    }
  }
  return problems;
};

/** One element of an EventBridge value list: an exact string or `{prefix}`. */
export type TypeMatcher = string | { readonly prefix: string };

/**
 * The `detail.type` matchers that reach `responder`, in table order: the severity-gated rules, or
 * with `anySeverity` the rules delivered at any severity.
 */
export const findingTypeMatchers = (responder: Responder, table: readonly RoutingRule[] = ROUTING_TABLE, anySeverity = false): TypeMatcher[] =>
  table
    .filter((rule) => rule.responder === responder && (rule.anySeverity === true) === anySeverity)
    .map((rule) => (rule.match === 'exact' ? rule.value : { prefix: rule.value }));

/** The EventBridge content filter of GuardDuty findings: source, detail-type, type and (gated) severity. */
export interface GuardDutyEventPattern {
  readonly source: readonly string[];
  readonly 'detail-type': readonly string[];
  readonly detail: {
    readonly type: readonly TypeMatcher[];
    readonly severity?: readonly [{ readonly numeric: readonly ['>=', number] }];
  };
}

/** EventBridge quota: an event pattern is at most 2048 characters. */
export const MAX_EVENT_PATTERN_LENGTH = 2048;

const guardDutyPattern = (matchers: readonly TypeMatcher[], minimumSeverity: number | undefined): GuardDutyEventPattern => ({
  source: [GUARDDUTY_SOURCE],
  'detail-type': [GUARDDUTY_FINDING_DETAIL_TYPE],
  detail: { type: matchers, ...(minimumSeverity === undefined ? {} : { severity: [{ numeric: ['>=', minimumSeverity] }] as const }) },
});

/** The one pattern of the types `responder` receives at any severity, or undefined when none. */
export const anySeverityPattern = (responder: Responder, table: readonly RoutingRule[] = ROUTING_TABLE): GuardDutyEventPattern | undefined => {
  const matchers = findingTypeMatchers(responder, table, true);
  return matchers.length === 0 ? undefined : guardDutyPattern(matchers, undefined);
};

/**
 * The EventBridge patterns that deliver to `responder` exactly the GuardDuty finding types the table
 * routes to it, at or above `minimumSeverity`, split so that no pattern exceeds `maxLength`
 * characters (as JSON). Throws when the table is inconsistent (see `routingTableProblems`).
 */
export const guardDutyPatterns = (
  responder: Responder,
  minimumSeverity: number,
  { table = ROUTING_TABLE, maxLength = MAX_EVENT_PATTERN_LENGTH }: { table?: readonly RoutingRule[]; maxLength?: number } = {},
): GuardDutyEventPattern[] => {
  const problems = routingTableProblems(table);
  if (problems.length > 0) throw new Error(`the routing table is inconsistent: ${problems.join('; ')}`);
  const patterns: GuardDutyEventPattern[] = [];
  let chunk: TypeMatcher[] = [];
  for (const matcher of findingTypeMatchers(responder, table)) {
    const candidate = [...chunk, matcher];
    if (JSON.stringify(guardDutyPattern(candidate, minimumSeverity)).length <= maxLength) {
      chunk = candidate;
      continue;
    }
    if (chunk.length === 0) {
      throw new Error(`the matcher ${JSON.stringify(matcher)} alone makes an event pattern longer than ${maxLength} characters`);
    }
    patterns.push(guardDutyPattern(chunk, minimumSeverity));
    chunk = [matcher];
    if (JSON.stringify(guardDutyPattern(chunk, minimumSeverity)).length > maxLength) {
      throw new Error(`the matcher ${JSON.stringify(matcher)} alone makes an event pattern longer than ${maxLength} characters`);
    }
  }
  if (chunk.length > 0) patterns.push(guardDutyPattern(chunk, minimumSeverity));
  return patterns;
};

const escapeCell = (text: string): string => text.replace(/\|/g, '\\|');

/** The table as Markdown (docs/routing.md embeds it; a test keeps the two in step). */
export const renderRoutingTable = (table: readonly RoutingRule[] = ROUTING_TABLE): string => {
  const header = ['| Finding type | Match | Responder | Reason |', '| --- | --- | --- | --- |'];
  const rows = [...table]
    .sort((a, b) => a.value.localeCompare(b.value, 'en') || a.match.localeCompare(b.match, 'en'))
    .map((rule) => `| \`${escapeCell(rule.value)}${rule.match === 'prefix' ? '*' : ''}\` | ${rule.match} | ${rule.responder}${rule.anySeverity ? ' (any severity)' : ''} | ${escapeCell(rule.reason)} |`);
  return [...header, ...rows].join('\n');
};
