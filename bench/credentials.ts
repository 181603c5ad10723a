/**
 * Credential responder figures:
 * - sequential AWS round trips from event to key inactive, with a fixed latency added to every AWS
 *   call and every evidence append (elapsed until UpdateAccessKey returns / latency), at home and
 *   cross-account (AssumeRole first);
 * - CPU per finding (p50 / p99) with zero-latency stubs (Cordon's own code: parse, plan, records;
 *   the SDK's serialisation is stubbed out with the client).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import type { STSClient } from '@aws-sdk/client-sts';
import { MemoryCredentialLedger } from '../lambdas/credentials/ledger';
import { respond, type RespondDeps } from '../lambdas/credentials/respond';
import type { SessionWriter } from '../lambdas/credentials/sessions';
import { fleetWorld } from '../test/support/iam-fleet';
import { defaultCredentialsConfig } from '../lambdas/credentials/types';
import type { EvidenceWriter, StoredRecord } from '../lambdas/evidence/types';
import { accountAccess } from '../lambdas/shared/assume';
import { commandName } from './command-name';
import { cpuRows } from './deployed';
import { allocatedPerCall, figures, JIT_WARM_UP, type CpuFigures } from './stats';
import type { BenchRow } from './types';

const HOME = '111122223333';
const MEMBER = '222233334444';
const KEY = 'AKIALEAKED0000000001';

const event = (account: string, findingId: string) => ({
  version: '0',
  id: `evt-${findingId}`,
  'detail-type': 'GuardDuty Finding',
  source: 'aws.guardduty',
  account,
  time: '2026-03-01T11:59:00Z',
  region: 'us-east-1',
  resources: [],
  detail: {
    schemaVersion: '2.0',
    accountId: account,
    region: 'us-east-1',
    id: findingId,
    type: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom',
    severity: 8,
    resource: { resourceType: 'AccessKey', accessKeyDetails: { accessKeyId: KEY, principalId: 'AIDAEXAMPLE', userName: 'alice', userType: 'IAMUser' } },
    service: { serviceName: 'guardduty', eventLastSeen: '2026-03-01T11:58:00Z', additionalInfo: {} },
  },
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Answer = (input: Record<string, unknown>) => unknown;

/**
 * Plain stubs answering by command name after `latencyMs` (a mocking library would add its own
 * CPU and keep every call for inspection: not Cordon's cost, and the GC would pay for the history).
 */
const stubAws = (latencyMs: number, onKeyInactive: () => void): { iam: IAMClient; sts: STSClient } => {
  const answers: Record<string, Answer> = {
    GetUserCommand: () => ({ User: { UserName: 'alice', Path: '/', Arn: `arn:aws:iam::${HOME}:user/alice`, UserId: 'AIDA', CreateDate: new Date(0) } }),
    ListUserTagsCommand: () => ({ Tags: [], IsTruncated: false }),
    ListAccessKeysCommand: () => ({
      AccessKeyMetadata: [
        { UserName: 'alice', AccessKeyId: KEY, Status: 'Active' },
        { UserName: 'alice', AccessKeyId: 'AKIAOTHER00000000002', Status: 'Active' },
      ],
      IsTruncated: false,
    }),
    GetLoginProfileCommand: () => {
      throw new NoSuchEntityException({ message: 'no login profile', $metadata: {} });
    },
    GetAccessKeyLastUsedCommand: () => ({ UserName: 'alice' }),
    GetUserPolicyCommand: () => {
      throw new NoSuchEntityException({ message: 'no session policy yet', $metadata: {} });
    },
    UpdateAccessKeyCommand: () => {
      onKeyInactive();
      return {};
    },
    PutUserPolicyCommand: () => ({}),
    AssumeRoleCommand: () => ({
      Credentials: { AccessKeyId: 'ASIAMEMBER', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date(Date.now() + 900_000) },
    }),
  };
  const client = {
    send: async (command: { schema?: unknown; input: Record<string, unknown> }) => {
      if (latencyMs > 0) await sleep(latencyMs);
      const name = commandName(command);
      const answer = answers[name];
      if (!answer) throw new Error(`bench stub: no answer for ${name}`);
      return { $metadata: { requestId: 'rid' }, ...(answer(command.input) as object) };
    },
  };
  return { iam: client as unknown as IAMClient, sts: client as unknown as STSClient };
};

const deps = (latencyMs: number, onKeyInactive: () => void = () => undefined): RespondDeps => {
  let seq = 0;
  const evidence: EvidenceWriter = {
    append: async (incidentId): Promise<StoredRecord> => {
      if (latencyMs > 0) await sleep(latencyMs);
      seq += 1;
      return { key: `records/${incidentId}/${String(seq).padStart(8, '0')}.json`, incidentId, seq, hash: '0'.repeat(64) };
    },
  };
  const { iam, sts } = stubAws(latencyMs, onKeyInactive);
  // The session revoker (one StartSyncExecution round trip, after the key is inactive).
  const sessions: SessionWriter = {
    write: async (request) => {
      if (latencyMs > 0) await sleep(latencyMs);
      return { policyName: 'cordon-revoke-sessions', document: JSON.stringify(request) };
    },
  };
  return {
    sessions,
    ledger: new MemoryCredentialLedger(),
    evidence,
    reader: { read: async () => [] },
    guardrails: {
      mode: async () => {
        if (latencyMs > 0) await sleep(latencyMs);
        return 'enforce';
      },
    },
    config: defaultCredentialsConfig,
    clock: () => new Date(),
    homeAccount: HOME,
    homeRegion: 'us-east-1',
    access: (incidentId) => accountAccess({ sts, homeAccount: HOME, memberRoleName: 'CordonMemberResponder' }, incidentId),
    // Home or member account: the same stub (the member client differs only in its credentials).
    iamFor: () => iam,
    actor: { arn: `arn:aws:lambda:us-east-1:${HOME}:function:bench` },
    logger: new Logger({ serviceName: 'bench', logLevel: 'SILENT' }),
  };
};

/** Elapsed ms from event to key inactive, with `latencyMs` per AWS call and evidence append. */
const timeToInactive = async (account: string, latencyMs: number, id: string): Promise<number> => {
  let inactiveAt = 0;
  const d = deps(latencyMs, () => {
    inactiveAt = performance.now();
  });
  const start = performance.now();
  const result = await respond(event(account, id), d);
  if (result.decision !== 'act' || inactiveAt === 0) throw new Error(`bench run did not deactivate the key: ${result.decision} ${result.reason ?? ''}`);
  return inactiveAt - start;
};

/**
 * Sequential round trips until the key is inactive: (elapsed with latency - elapsed without) /
 * latency, median of `runs` (subtracting the zero-latency time removes Cordon's and the stubs' own
 * CPU time, which is reported separately).
 */
const roundTrips = async (account: string, latencyMs: number, runs: number): Promise<number> => {
  for (let i = 0; i < 20; i += 1) await timeToInactive(account, 0, `bench-warm-${account}-${i}`);
  const values: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const base = await timeToInactive(account, 0, `bench-rt0-${account}-${i}`);
    const slow = await timeToInactive(account, latencyMs, `bench-rt-${account}-${i}`);
    values.push((slow - base) / latencyMs);
  }
  values.sort((a, b) => a - b);
  // Round trips are discrete; what is left after subtracting the zero-latency run is timer jitter.
  return Math.round(values[Math.floor(values.length / 2)] ?? 0);
};

/** One finding through the responder; the loop measures only findings that revoked (a broken stub would make them cheap). */
const revokeOnce = async (d: RespondDeps, findingId: string): Promise<void> => {
  const result = await respond(event(HOME, findingId), d);
  if (result.decision !== 'act' || result.steps.some((s) => s.status !== 'succeeded')) {
    throw new Error(`bench: expected a clean revocation, got ${result.decision}: ${result.reason ?? ''}`);
  }
};

/** CPU (user + system, every thread of the process) per finding, zero-latency stubs, after `warmUp` findings. */
export const credentialsCpu = async (n: number, warmUp = JIT_WARM_UP): Promise<CpuFigures> => {
  const d = deps(0);
  for (let i = 0; i < warmUp; i += 1) await revokeOnce(d, `warm-${i}`);
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const before = process.cpuUsage();
    const start = performance.now();
    await revokeOnce(d, `cpu-${i}`);
    wall.push(performance.now() - start);
    const used = process.cpuUsage(before);
    cpu.push((used.user + used.system) / 1000);
  }
  let i = 0;
  return figures(cpu, wall, await allocatedPerCall(() => revokeOnce(d, `alloc-${(i += 1)}`)));
};

/**
 * Pattern revocation of `users` users (one active key each), preview then confirm, with a 2 ms
 * latency on every IAM call and session write: the most calls in flight at once, counted by the
 * stubs themselves (test/support/iam-fleet.ts), not by the limiter under test.
 */
const patternPeak = async (users: number, concurrency: number): Promise<{ peak: number; calls: number }> => {
  const world = fleetWorld(users, { latencyMs: 2, account: HOME });
  try {
    const iam = new IAMClient({ region: 'us-east-1' });
    const d = { ...deps(0), iamFor: () => iam, sessions: world.sessions, patternConcurrency: concurrency };
    const request = { action: 'revoke', pattern: { pathPrefix: '/fleet/' }, reason: 'bench', requestedBy: 'bench@example.com' };
    const preview = await respond({ ...request, preview: true }, d);
    const done = await respond({ ...request, confirm: preview.digest }, d);
    if (done.decision !== 'act' || done.steps.length !== 2 * users) throw new Error(`bench pattern did not act on ${users} users: ${done.decision} ${done.reason ?? ''}`);
    return { peak: world.peak(), calls: world.calls() };
  } finally {
    world.restore();
  }
};

export async function benchCredentials(): Promise<BenchRow[]> {
  const latency = 50;
  const home = await roundTrips(HOME, latency, 7);
  const member = await roundTrips(MEMBER, latency, 7);
  const pattern = await patternPeak(300, 10);
  return [
    { name: `credentials: pattern revocation of 300 users, peak IAM calls + session writes in flight (limit 10, ${pattern.calls} calls)`, value: pattern.peak, unit: 'calls', goal: '<= 10' },
    { name: `credentials: round trips event -> key inactive (home, ${latency} ms stubs)`, value: home, unit: 'trips', goal: '<= 4' },
    { name: `credentials: round trips event -> key inactive (member account, ${latency} ms stubs)`, value: member, unit: 'trips', goal: '<= 4' },
    ...(await cpuRows('credentials', 'credentials:')),
  ];
}

if (require.main === module) {
  benchCredentials().then(
    (rows) => {
      for (const r of rows) process.stdout.write(`${r.name}: ${r.value} ${r.unit}${r.goal ? ` (goal ${r.goal})` : ''}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
