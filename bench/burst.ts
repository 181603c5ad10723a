/**
 * Organization-scale burst: 1,000 GuardDuty findings in one minute across 100 member accounts
 * (two thirds EC2, one third leaked IAM keys) plus 100 EventBridge redeliveries, through the real
 * handlers (lambdas/handlers/isolate-instance.ts and revoke-credentials.ts, their module-scope
 * clients and guardrails), each function at its reserved concurrency (5 copies, the
 * ResponderFunction default) with Lambda's two async retries (after 1 and 2 s instead of minutes).
 *
 * AWS: every SDK client's `send` answers after a modelled latency (LATENCY_MS: typical in-region
 * figures, a model, not a measurement). DynamoDB is real: dynalite, so the breaker, idempotency and
 * the evidence chain heads run their conditional writes for real. KMS Sign returns a real P-256
 * signature (over the digest, not verifiable: the bench never verifies); S3 PutObject honours
 * IfNoneMatch.
 *
 * Reports: lost findings, duplicated containments, the containment at which the breaker opened
 * (BREAKER_MAX_CONTAINMENTS + 1 expected), peak in-flight calls and peak calls per second per AWS
 * API against its documented default quota, KMS Sign per second, and the cost per automated
 * response from the counted calls, the measured durations and the configured memory (PRICES).
 *
 * The storm (issue 17): every escalation by the open breaker parked (counted in the parked index),
 * the SNS messages sent (one per containment plus the storm digest, not one per finding), then the
 * clock moved to the next breaker window where two heartbeats of each responder re-drive parked
 * findings under the breaker (BREAKER_MAX contained, the rest still parked) and publish the digest.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SNSClient } from '@aws-sdk/client-sns';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { BREAKER_PREFIX } from '../lambdas/guardrails/breaker';
import { ACCOUNTS, accountOf, answer, finding, type Handler, type Traffic, type World } from './burst-world';
import { FUNCTION_MEMORY_MB } from '../lib/function-runtime';
import { costOf, PRICES, QUOTAS } from './burst-prices';
import { afterTheWindow, startDynalite, type Storm } from './burst-storm';
import type { BenchRow } from './types';

const FINDINGS = 1000;
const REDELIVERIES = 100;
const WINDOW_MS = 60_000;
const CONCURRENCY = 5;
const MEMORY_MB = FUNCTION_MEMORY_MB;
const BREAKER_MAX = 10;
export const BREAKER_WINDOW_MINUTES = 60;
export const HOME = '111111111111';

/** Modelled latency per call (ms): service default, or `Service:Operation`. */
const LATENCY_MS: Record<string, number> = {
  SSM: 15, DynamoDB: 8, KMS: 20, 'S3:PutObject': 40, S3: 20, STS: 50, IAM: 80, 'IAM:UpdateAccessKey': 150, 'IAM:PutUserPolicy': 150,
  EC2: 120, 'EC2:CreateSnapshots': 250, 'EC2:ModifyNetworkInterfaceAttribute': 180, 'EC2:ModifyInstanceAttribute': 180,
  AutoScaling: 80, ElasticLoadBalancing: 60, ElasticLoadBalancingV2: 60, SNS: 25, SecurityHub: 60, GuardDuty: 60,
  // The session revoker state machine (express, synchronous): its own IAM write inside.
  'SFN:StartSyncExecution': 250,
};

const CLIENTS: [string, { prototype: object }][] = [
  ['EC2', EC2Client], ['AutoScaling', AutoScalingClient], ['ElasticLoadBalancing', ElasticLoadBalancingClient],
  ['ElasticLoadBalancingV2', ElasticLoadBalancingV2Client], ['STS', STSClient], ['IAM', IAMClient], ['KMS', KMSClient],
  ['S3', S3Client], ['SSM', SSMClient], ['SNS', SNSClient], ['SecurityHub', SecurityHubClient], ['GuardDuty', GuardDutyClient],
  ['SFN', SFNClient], ['DynamoDB', DynamoDBClient],
];

type Command = { constructor: { name: string }; input: Record<string, unknown> };
type Send = (this: unknown, command: Command) => Promise<unknown>;

/** Routes every client's `send` through the latency model; DynamoDB goes on to dynalite. Returns the undo. */
const intercept = (world: World, traffic: Traffic): (() => void) => {
  const undo: (() => void)[] = [];
  for (const [service, client] of CLIENTS) {
    const proto = client.prototype as { send: Send };
    const original = Object.getOwnPropertyDescriptor(proto, 'send');
    const inherited = proto.send;
    proto.send = async function (this: unknown, command: Command) {
      const operation = command.constructor.name.replace(/Command$/, '');
      const api = `${service}:${operation}`;
      traffic.calls.set(api, (traffic.calls.get(api) ?? 0) + 1);
      const now = traffic.inflight.get(api) ?? 0;
      traffic.inflight.set(api, now + 1);
      traffic.peak.set(api, Math.max(traffic.peak.get(api) ?? 0, now + 1));
      // EC2 quotas are per account: count EC2 calls per member account.
      const rateKey = service === 'EC2' ? `${api}@${accountOf(command.input)}` : api;
      const second = Math.floor((performance.now() - traffic.start) / 1000);
      const seconds = traffic.perSecond.get(rateKey) ?? new Map<number, number>();
      seconds.set(second, (seconds.get(second) ?? 0) + 1);
      traffic.perSecond.set(rateKey, seconds);
      if (/^DynamoDB:(PutItem|UpdateItem|DeleteItem)$/.test(api)) {
        traffic.dynamoWriteBytes.push(JSON.stringify([command.input.Key, command.input.Item, command.input.ExpressionAttributeValues]).length);
      }
      try {
        await new Promise((resolve) => setTimeout(resolve, LATENCY_MS[api] ?? LATENCY_MS[service] ?? 50));
        if (service === 'DynamoDB') return await dynamo(inherited, this, command, world);
        return { $metadata: { httpStatusCode: 200, requestId: `req-${traffic.calls.get(api)}` }, ...(answer(world, api, command.input) as object) };
      } finally {
        traffic.inflight.set(api, (traffic.inflight.get(api) ?? 1) - 1);
      }
    };
    undo.push(() => (original ? Object.defineProperty(proto, 'send', original) : delete (proto as Partial<typeof proto>).send));
  }
  return () => undo.forEach((u) => u());
};

/** Real DynamoDB (dynalite); notes the breaker's admissions in completion order. */
const dynamo = async (send: Send, client: unknown, command: Command, world: World): Promise<unknown> => {
  const key = (command.input.Key as { pk?: { S?: string } } | undefined)?.pk?.S ?? '';
  if (!key.startsWith(BREAKER_PREFIX)) return send.call(client, command);
  try {
    const out = await send.call(client, command);
    world.breakerAdmitted = (world.breakerAdmitted ?? 0) + 1;
    return out;
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') world.breakerOpenedAt ??= (world.breakerAdmitted ?? 0) + 1;
    throw error;
  }
};

interface Outcome {
  readonly findingId: string;
  readonly handler: 'isolate' | 'revoke';
  decision?: string;
  reason?: string;
  attempts: number;
  readonly durations: number[];
}

export async function benchBurst(): Promise<BenchRow[]> {
  const saved = { ...process.env };
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const { endpoint, ddb, stop } = await startDynalite(['burst-guardrails', 'burst-heads']);
  // The clock the guardrails read (breaker window, storm digest, parking), moved forward after the
  // burst to the next breaker window; installed before the handlers capture it.
  const realNow = Date.now;
  let offsetMs = 0;
  Date.now = () => realNow() + offsetMs;
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_DEV: 'false',
    EVIDENCE_BUCKET: 'burst-evidence', SIGNING_KEY_ID: `arn:aws:kms:us-east-1:${HOME}:key/00000000-0000-0000-0000-000000000000`,
    HEADS_TABLE: 'burst-heads', RETENTION_DAYS: '2555', MODE_PARAMETER: '/cordon/mode', GUARDRAILS_TABLE: 'burst-guardrails',
    BREAKER_MAX_CONTAINMENTS: String(BREAKER_MAX), BREAKER_WINDOW_MINUTES: String(BREAKER_WINDOW_MINUTES), MEMBER_ROLE_NAME: 'CordonMemberResponder',
    NOTIFY_TOPIC_ARN: `arn:aws:sns:us-east-1:${HOME}:cordon`, PROTECTED_TAG: 'cordon:protected=true',
    SESSION_REVOKER_ARN: `arn:aws:states:us-east-1:${HOME}:stateMachine:cordon-revoke-sessions`,
  });
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const world: World = {
    publicKeyDer: publicKey.export({ type: 'spki', format: 'der' }),
    sign: (digest) => sign('sha256', digest, { key: privateKey, dsaEncoding: 'der' }),
    objects: new Map(),
    containments: new Map(),
    groups: new Map(),
  };
  const traffic: Traffic = { calls: new Map(), inflight: new Map(), peak: new Map(), perSecond: new Map(), dynamoWriteBytes: [], start: performance.now() };
  const undo = intercept(world, traffic);
  try {
    const handlers: Record<'isolate' | 'revoke', Handler> = {
      isolate: ((await import('../lambdas/handlers/isolate-instance')) as { handler: Handler }).handler,
      revoke: ((await import('../lambdas/handlers/revoke-credentials')) as { handler: Handler }).handler,
    };
    // Arrivals: FINDINGS spread evenly over the window, every tenth redelivered 2 s later.
    const arrivals: { at: number; n: number }[] = [];
    for (let n = 0; n < FINDINGS; n++) {
      const at = (n * WINDOW_MS) / FINDINGS;
      arrivals.push({ at, n });
      if (n % (FINDINGS / REDELIVERIES) === 0) arrivals.push({ at: at + 2000, n });
    }
    arrivals.sort((a, b) => a.at - b.at);
    const outcomes = new Map<number, Outcome>();
    const queues = { isolate: [] as number[], revoke: [] as number[] };
    const wake = { isolate: [] as (() => void)[], revoke: [] as (() => void)[] };
    let arrived = 0;
    traffic.perSecond.clear();
    const t0 = performance.now();
    (traffic as { start: number }).start = t0;
    const feeder = (async () => {
      for (const a of arrivals) {
        const wait = t0 + a.at - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const h = finding(a.n).handler;
        queues[h].push(a.n);
        arrived += 1;
        wake[h].shift()?.();
      }
    })();
    const worker = async (h: 'isolate' | 'revoke', copy: number): Promise<void> => {
      for (;;) {
        const n = queues[h].shift();
        if (n === undefined) {
          if (arrived === arrivals.length) return;
          await new Promise<void>((r) => wake[h].push(r));
          continue;
        }
        const f = finding(n);
        const o = outcomes.get(n) ?? { findingId: String(f.event.id), handler: h, attempts: 0, durations: [] };
        outcomes.set(n, o);
        // Lambda async invocation: up to 3 attempts of one delivery.
        for (let attempt = 0; attempt < 3; attempt++) {
          o.attempts += 1;
          const started = performance.now();
          try {
            const result = await handlers[h](f.event, {
              invokedFunctionArn: `arn:aws:lambda:us-east-1:${HOME}:function:cordon-${h}`,
              awsRequestId: `${h}-${copy}-${n}-${o.attempts}`,
              getRemainingTimeInMillis: () => 120_000 - (performance.now() - started),
            });
            o.durations.push(performance.now() - started);
            if (o.decision === undefined || o.decision === 'skip') {
              o.decision = result.decision;
              if (result.reason !== undefined) o.reason = result.reason;
            }
            break;
          } catch {
            // e.g. the same finding still in progress in another copy: Lambda retries after about
            // 1 and 2 minutes; here after 1 and 2 seconds.
            o.durations.push(performance.now() - started);
            await new Promise((r) => setTimeout(r, 1000 * (attempt + 1)));
          }
        }
      }
    };
    const workers = (['isolate', 'revoke'] as const).flatMap((h) => Array.from({ length: CONCURRENCY }, (_, i) => worker(h, i)));
    await feeder;
    for (const h of ['isolate', 'revoke'] as const) wake[h].splice(0).forEach((w) => w());
    await Promise.all(workers);
    const elapsedS = (performance.now() - t0) / 1000;
    const storm = await afterTheWindow({ handlers, traffic, world, ddb, windowMinutes: BREAKER_WINDOW_MINUTES, home: HOME, setClock: (at) => (offsetMs = at - realNow()) });
    return report({ outcomes, traffic, world, elapsedS, storm });
  } finally {
    Date.now = realNow;
    undo();
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    await stop();
  }
}

const report = (r: { outcomes: Map<number, Outcome>; traffic: Traffic; world: World; elapsedS: number; storm: Storm }): BenchRow[] => {
  const outcomes = [...r.outcomes.values()];
  const lost = FINDINGS - outcomes.filter((o) => o.decision !== undefined).length;
  const acts = outcomes.filter((o) => o.decision === 'act').length;
  const duplicated = [...r.world.containments.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0);
  const admissions = r.world.breakerOpenedAt ?? Number.NaN;
  const byBreaker = outcomes.filter((o) => o.decision === 'escalate' && /^breaker-open|breaker open/.test(o.reason ?? '')).length;
  const durationsMs = outcomes.flatMap((o) => o.durations);
  const cost = costOf({ calls: r.traffic.calls, durationsMs, memoryMb: MEMORY_MB, dynamoWriteBytes: r.traffic.dynamoWriteBytes });
  /** Peak calls started in one second, per account for EC2 (its quotas are per account). */
  const peakPerSecond = (api: string) =>
    Math.max(0, ...[...r.traffic.perSecond].filter(([key]) => key === api || key.startsWith(`${api}@`)).flatMap(([, seconds]) => [...seconds.values()]));
  const rows: BenchRow[] = [
    { name: `burst: ${FINDINGS} findings + ${REDELIVERIES} redeliveries in ${WINDOW_MS / 1000} s, ${ACCOUNTS} accounts: wall time to drain`, value: r.elapsedS, unit: 's' },
    { name: 'burst: findings lost', value: lost, unit: 'findings', goal: '<= 0' },
    { name: 'burst: duplicated containments (a target contained twice)', value: duplicated, unit: 'targets', goal: '<= 0' },
    { name: `burst: containments acted (breaker ${BREAKER_MAX} per window)`, value: acts, unit: 'findings', goal: `<= ${BREAKER_MAX}` },
    { name: 'burst: breaker opened at automatic containment #', value: admissions, unit: '#', goal: `= ${BREAKER_MAX + 1}` },
    { name: 'burst: escalated by the open breaker', value: byBreaker, unit: 'findings' },
    { name: 'burst: escalated by the open breaker and not parked for re-drive', value: byBreaker - r.storm.parkedAtDrain, unit: 'findings', goal: '<= 0' },
    { name: `burst: notifications sent during the burst (one per containment, storm digests; goal: ${BREAKER_MAX} + a handful)`, value: r.storm.notificationsInBurst, unit: 'messages', goal: `<= ${BREAKER_MAX + 5}` },
    { name: 'burst: next breaker window: parked findings re-driven and contained by the heartbeat', value: r.storm.redrivenContained, unit: 'targets', goal: `= ${BREAKER_MAX}` },
    { name: `burst: next breaker window: still parked (re-driven ${BREAKER_MAX} per window)`, value: r.storm.parkedAfterWindow, unit: 'findings', goal: `= ${r.storm.parkedAtDrain - BREAKER_MAX}` },
    { name: 'burst: next breaker window: notifications sent (re-driven containments, final digest)', value: r.storm.notificationsInWindow, unit: 'messages', goal: `<= ${BREAKER_MAX + 5}` },
  ];
  for (const [api, quota] of Object.entries(QUOTAS)) {
    rows.push({ name: `burst: ${api} peak in flight (quota ${quota.perSecond}/s: ${quota.scope})`, value: r.traffic.peak.get(api) ?? 0, unit: 'calls' });
    rows.push({ name: `burst: ${api} peak calls in one second${api.startsWith('EC2:') ? ' in one account' : ''}`, value: peakPerSecond(api), unit: 'calls/s', goal: `<= ${quota.perSecond}` });
  }
  rows.push(
    { name: 'burst: KMS Sign per second, peak', value: peakPerSecond('KMS:Sign'), unit: 'calls/s' },
    { name: 'burst: KMS Sign per second, mean over the drain', value: (r.traffic.calls.get('KMS:Sign') ?? 0) / r.elapsedS, unit: 'calls/s' },
    { name: `burst: cost of the burst (${PRICES.date} list prices, us-east-1)`, value: cost.total, unit: '$' },
    { name: 'burst: cost per automated response (per finding handled)', value: cost.total / FINDINGS, unit: '$', goal: '<= 0.001' },
  );
  return rows;
};

if (require.main === module) {
  benchBurst().then(
    (rows) => {
      for (const row of rows) process.stdout.write(`${row.name}: ${row.value} ${row.unit}${row.goal ? ` (goal ${row.goal})` : ''}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
