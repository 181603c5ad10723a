import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { MemoryEvidenceStore } from '../../lambdas/evidence/store';
import type { EvidenceInput, Mode } from '../../lambdas/evidence/types';
import type { Guardrails } from '../../lambdas/guardrails/types';
import { fixedGuardrails } from '../../lambdas/guardrails/types';
import type { RespondDeps } from '../../lambdas/isolation/respond';
import { defaultIsolationConfig, type ClientsFor, type IsolationConfig } from '../../lambdas/isolation/types';
import { busyWorld, INSTANCE_ID, installWorld, type Call, type World } from '../support/aws-world';
import { RecordingEvidenceWriter } from '../support/evidence';
import { copyOf, fixture } from '../support/fixtures';

/** The isolation responder against the fake region of test/support/aws-world.ts: one setup for
 * every isolation test file (respond, fail-closed, state, capture). */

export const HOME = '111111111111';
export const MEMBER = '222222222222';
export const REGION = 'eu-west-1';
export const gdMock = mockClient(GuardDutyClient);

export const clientsFor: ClientsFor = (access) => {
  const options = { region: access.region, ...(access.credentials ? { credentials: access.credentials } : {}) };
  return {
    ec2: new EC2Client(options),
    autoScaling: new AutoScalingClient(options),
    elbv2: new ElasticLoadBalancingV2Client(options),
    elb: new ElasticLoadBalancingClient(options),
  };
};

export interface Setup {
  world?: World;
  mode?: Mode;
  guardrails?: Guardrails;
  config?: Partial<IsolationConfig>;
  fail?: (call: Call) => Error | undefined;
  failEvidence?: (input: EvidenceInput) => boolean;
}

/** Retries without waiting, captures waited for 50 ms at most and timed out at 200 ms: tests stay fast. */
export const FAST = { sleep: async () => undefined, softWaitMs: 50, captureTimeoutMs: 200 };

export const setup = (s: Setup = {}) => {
  const order: string[] = [];
  const harness = installWorld(s.world ?? busyWorld(), { order, ...(s.fail ? { fail: s.fail } : {}) });
  gdMock.reset();
  const evidence = new RecordingEvidenceWriter({ order, ...(s.failEvidence ? { fail: s.failEvidence } : {}) });
  const artifacts = new MemoryEvidenceStore();
  const deps: RespondDeps = {
    evidence,
    guardrails: s.guardrails ?? fixedGuardrails(s.mode ?? 'enforce'),
    clientsFor,
    sts: new STSClient({ region: REGION }),
    homeAccount: HOME,
    homeRegion: REGION,
    memberRoleName: 'CordonMemberResponder',
    config: { ...defaultIsolationConfig, ...s.config },
    actor: { arn: `arn:aws:lambda:${REGION}:${HOME}:function:cordon-isolate`, requestId: 'req-lambda-1' },
    reader: evidence,
    guardDutyFor: (region) => new GuardDutyClient({ region }),
    artifacts,
    execute: FAST,
  };
  return { ...harness, evidence, artifacts, deps };
};

/** A real GuardDuty Finding event (the 2021 Spambot capture) pointed at our fake instance. */
export const guardDutyEvent = (options: { account?: string; sample?: boolean | string; region?: string; findingId?: string } = {}) => {
  const event = copyOf(fixture('guardduty-ec2-backdoor-spambot-1.json')) as {
    detail: {
      accountId: string;
      region: string;
      arn: string;
      resource: { instanceDetails: { instanceId: string } };
      service: { additionalInfo: Record<string, unknown> };
    };
  };
  event.detail.accountId = options.account ?? HOME;
  event.detail.region = options.region ?? REGION;
  event.detail.arn = '';
  event.detail.resource.instanceDetails.instanceId = INSTANCE_ID;
  event.detail.service.additionalInfo.sample = options.sample ?? false;
  if (options.findingId) (event.detail as unknown as { id: string }).id = options.findingId;
  return event;
};
export const findingId = '7ebc050b71c556086b524045c9067feb';

export const manual = (extra: Record<string, unknown> = {}) => ({
  action: 'isolate',
  instanceId: INSTANCE_ID,
  reason: 'suspected miner',
  requestedBy: 'alice@example.com',
  ticket: 'IR-42',
  ...extra,
});

export const firstMutating = (order: string[]) =>
  order.findIndex((o) => o.includes(':') && !o.startsWith('evidence') && !/:(Describe|Get|AssumeRole)/.test(o));

export const releaseRequest = (extra: Record<string, unknown> = {}) => ({
  action: 'release',
  instanceId: INSTANCE_ID,
  reason: 'false positive',
  requestedBy: 'alice@example.com',
  ...extra,
});
