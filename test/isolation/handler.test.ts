import { ModifyNetworkInterfaceAttributeCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { EvidenceInput } from '../../lambdas/evidence/types';
import { busyWorld, ec2Mock, INSTANCE_ID, installWorld, ISOLATION_SG } from '../support/aws-world';
import { RecordingEvidenceWriter } from '../support/evidence';
import { authorizeAs } from '../support/authz';

authorizeAs('isolation');

const mockEvidence = new RecordingEvidenceWriter();
jest.mock('../../lambdas/evidence/from-env', () => ({ evidenceFromEnv: () => mockEvidence }));
jest.mock('../../lambdas/guardrails/from-env', () => ({ guardrailsFromEnv: () => ({ mode: async () => 'enforce' }) }));

const ENV = {
  AWS_REGION: 'eu-west-1',
  EVIDENCE_BUCKET: 'cordon-evidence',
  SIGNING_KEY_ID: 'alias/cordon',
  HEADS_TABLE: 'cordon-heads',
  MODE_PARAMETER: '/cordon/mode',
  PROTECTED_TAG: 'cordon:protected=true',
};
Object.assign(process.env, ENV);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { handler, configFromEnv } = require('../../lambdas/handlers/isolate-instance') as typeof import('../../lambdas/handlers/isolate-instance');

const context = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:cordon-isolate', awsRequestId: 'req-9' };

describe('isolate-instance handler', () => {
  it('isolates from a manual request and returns the JSON summary', async () => {
    const { world } = installWorld(busyWorld());
    const summary = await handler(
      { action: 'isolate', instanceId: INSTANCE_ID, reason: 'miner', requestedBy: 'alice' },
      context,
    );
    expect(summary).toMatchObject({ decision: 'act', incidentId: expect.stringMatching(/^inc-/) });
    expect(summary.steps.length).toBeGreaterThan(10);
    expect(summary.evidenceKeys).toHaveLength(summary.steps.length + 2);
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
    expect(ec2Mock).toHaveReceivedCommandWith(ModifyNetworkInterfaceAttributeCommand, { Groups: [ISOLATION_SG] });
    expect(world.enis.every((e) => e.groups[0] === ISOLATION_SG)).toBe(true);
    // Throttling is retried with client-side rate limiting (adaptive mode), as for every responder call.
    const client = ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)[0]?.thisValue as EC2Client;
    expect(await client.config.retryStrategy()).toMatchObject({ mode: 'adaptive' });
    expect(await client.config.maxAttempts()).toBe(6);
    const intent = mockEvidence.records.find((r: EvidenceInput) => r.kind === 'intent');
    // A direct invocation is evidenced as such: no caller AWS authenticated.
    expect(intent?.actor).toEqual({ arn: context.invokedFunctionArn, requestId: 'req-9', requestedBy: 'alice', caller: { via: 'direct-invoke' } });
  });

  it('skips an unrelated event without calling AWS', async () => {
    const { calls } = installWorld(busyWorld());
    const summary = await handler({ source: 'aws.s3', 'detail-type': 'Object Created', detail: {} }, context);
    expect(summary).toMatchObject({ decision: 'skip', reason: 'unsupported-source', steps: [] });
    expect(calls).toEqual([]);
  });

  it('rejects an environment with missing or malformed variables, naming them', () => {
    expect(() => configFromEnv({ ...ENV, EVIDENCE_BUCKET: undefined, QUARANTINE_PROFILE_ARN: 'web' })).toThrow(
      /EVIDENCE_BUCKET.*QUARANTINE_PROFILE_ARN: QUARANTINE_PROFILE_ARN must be an instance profile arn/,
    );
    expect(configFromEnv({ ...ENV, PROTECTED_TAG: 'tier=gold', MINIMUM_SEVERITY: '7' }).config).toEqual({
      protectedTag: { key: 'tier', value: 'gold' },
      minimumSeverity: 7,
    });
  });
});
