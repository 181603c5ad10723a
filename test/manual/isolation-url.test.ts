import { ModifyNetworkInterfaceAttributeCommand } from '@aws-sdk/client-ec2';
import { EvidenceInputSchema } from '../../lambdas/evidence/schema';
import { unauthenticatedReason } from '../../lambdas/manual/entry';
import { busyWorld, ec2Mock, INSTANCE_ID, installWorld, ISOLATION_SG } from '../support/aws-world';
import { RecordingEvidenceWriter } from '../support/evidence';
import { DOCUMENTED_CALLER, urlEventWith } from './support';

import { authorizeAs } from '../support/authz';

authorizeAs('isolation');

/**
 * The isolation function as deployed behind its manual request URL (auth type AWS_IAM): the
 * request arrives as the documented payload format 2.0 event, the caller AWS authenticated goes
 * into every record next to the free-text requester, and a release or a forced isolation that
 * arrives by direct invocation is refused and evidenced without any EC2 call.
 */

const mockEvidence = new RecordingEvidenceWriter();
jest.mock('../../lambdas/evidence/from-env', () => ({ evidenceFromEnv: () => mockEvidence }));
jest.mock('../../lambdas/evidence/reader-from-env', () => ({ evidenceReaderFromEnv: () => mockEvidence }));
jest.mock('../../lambdas/guardrails/from-env', () => ({ guardrailsFromEnv: () => ({ mode: async () => 'enforce' }) }));

Object.assign(process.env, {
  AWS_REGION: 'eu-west-1',
  EVIDENCE_BUCKET: 'cordon-evidence',
  SIGNING_KEY_ID: 'alias/cordon',
  HEADS_TABLE: 'cordon-heads',
  MODE_PARAMETER: '/cordon/mode',
  PROTECTED_TAG: 'cordon:protected=true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
});

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { handler } = require('../../lambdas/handlers/isolate-instance') as typeof import('../../lambdas/handlers/isolate-instance');

const FUNCTION = 'arn:aws:lambda:eu-west-1:111111111111:function:cordon-isolate';

beforeEach(() => mockEvidence.records.splice(0));

describe('isolation through the manual request URL', () => {
  it('isolates and records the authenticated ARN next to the requester in every record', async () => {
    const { world } = installWorld(busyWorld());
    const request = { action: 'isolate', instanceId: INSTANCE_ID, reason: 'c2 beacon', requestedBy: 'alice (typed)' };
    const response = await handler(urlEventWith(request), { invokedFunctionArn: FUNCTION, awsRequestId: 'req-url-1' });
    expect(response).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/json' }, isBase64Encoded: false });
    const summary = JSON.parse(response.body) as { decision: string; evidenceKeys: string[] };
    expect(summary.decision).toBe('act');
    expect(ec2Mock).toHaveReceivedCommandWith(ModifyNetworkInterfaceAttributeCommand, { Groups: [ISOLATION_SG] });
    expect(world.enis.every((e) => e.groups[0] === ISOLATION_SG)).toBe(true);
    expect(mockEvidence.records.length).toBe(summary.evidenceKeys.length);
    for (const record of mockEvidence.records) {
      expect(record.actor).toEqual({ arn: FUNCTION, requestId: 'req-url-1', requestedBy: 'alice (typed)', caller: DOCUMENTED_CALLER });
      // The record format accepts the caller (the verifier reads it with the same schema).
      const input: Record<string, unknown> = { ...record };
      for (const added of ['incidentId', 'seq', 'key']) delete input[added];
      expect(EvidenceInputSchema.safeParse(input).success).toBe(true);
    }
  });

  it('refuses a release by direct invocation: evidenced, no EC2 call', async () => {
    const { calls } = installWorld(busyWorld());
    const request = { action: 'release', instanceId: INSTANCE_ID, reason: 'clean', requestedBy: 'mallory' };
    const summary = await handler(request, { invokedFunctionArn: FUNCTION, awsRequestId: 'req-direct-1' });
    expect(summary).toEqual({
      decision: 'skip',
      reason: unauthenticatedReason('release'),
      incidentId: expect.stringMatching(/^inc-[0-9a-f]{24}$/),
      steps: [],
      evidenceKeys: [mockEvidence.records[0]!.key],
    });
    expect(calls).toEqual([]);
    expect(mockEvidence.records).toHaveLength(1);
    expect(mockEvidence.records[0]).toMatchObject({
      kind: 'skip',
      action: 'skip:unauthenticated',
      actor: { arn: FUNCTION, requestId: 'req-direct-1', requestedBy: 'mallory', caller: { via: 'direct-invoke' } },
    });
  });

  it('releases through the URL what the URL isolated, each record naming its own caller', async () => {
    installWorld(busyWorld());
    const isolate = { action: 'isolate', instanceId: INSTANCE_ID, reason: 'c2 beacon', requestedBy: 'alice' };
    const isolated = JSON.parse((await handler(urlEventWith(isolate), { invokedFunctionArn: FUNCTION, awsRequestId: 'req-url-2' })).body) as { incidentId: string };
    const before = mockEvidence.records.length;
    const release = { action: 'release', instanceId: INSTANCE_ID, incidentId: isolated.incidentId, reason: 'clean', requestedBy: 'bob' };
    const response = await handler(urlEventWith(release), { invokedFunctionArn: FUNCTION, awsRequestId: 'req-url-3' });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ decision: 'act', incidentId: isolated.incidentId });
    const released = mockEvidence.records.slice(before);
    expect(released.length).toBeGreaterThan(1);
    expect(released.every((r) => r.incidentId === isolated.incidentId)).toBe(true);
    for (const r of released) expect(r.actor).toEqual({ arn: FUNCTION, requestId: 'req-url-3', requestedBy: 'bob', caller: DOCUMENTED_CALLER });
  });
});
