import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { NO_CREDENTIALS } from '../../lib/cli/invoke';
import { run } from './support';
import { notCordonCalls } from '../support/authz';

notCordonCalls('the CLI invokes the functions as the operator, with the operator’s own credentials and policies');

const lambda = mockClient(LambdaClient);

const answer = (body: unknown, extra: Record<string, unknown> = {}) => ({
  StatusCode: 200,
  ExecutedVersion: '$LATEST',
  // The SDK returns a Uint8ArrayBlobAdapter; a Uint8Array is what the CLI reads from it.
  Payload: new TextEncoder().encode(JSON.stringify(body)) as never,
  ...extra,
});

/** The JSON payload of the only InvokeCommand sent. */
const sentPayload = (): unknown => {
  const calls = lambda.commandCalls(InvokeCommand);
  expect(calls).toHaveLength(1);
  const bytes = calls[0]?.args[0].input.Payload as Uint8Array;
  return JSON.parse(Buffer.from(bytes).toString('utf8'));
};

const isolation = {
  decision: 'act',
  incidentId: 'inc-0123456789abcdef01234567',
  instanceId: 'i-0123456789abcdef0',
  steps: [
    { id: 'detach-asg', action: 'autoscaling:DetachInstances', status: 'succeeded' },
    { id: 'eni-isolate:eni-0aaa', action: 'ec2:ModifyNetworkInterfaceAttribute', status: 'succeeded' },
  ],
  evidenceKeys: ['records/inc-0123456789abcdef01234567/00000000.json', 'records/inc-0123456789abcdef01234567/00000001.json'],
};

beforeEach(() => {
  lambda.reset();
  delete process.env.CORDON_REQUESTED_BY;
});

describe('cordon isolate', () => {
  it('invokes the function synchronously with the manual isolate payload', async () => {
    lambda.on(InvokeCommand).resolves(answer(isolation));
    const r = await run(
      'isolate', 'i-0123456789abcdef0',
      '--reason', 'GuardDuty C&C finding confirmed', '--requested-by', 'alice@example.com', '--ticket', 'SEC-142',
      '--account', '210987654321', '--instance-region', 'eu-west-1', '--function', 'cordon-isolate-instance',
    );
    expect(r.code).toBe(0);
    expect(lambda).toHaveReceivedCommandWith(InvokeCommand, { FunctionName: 'cordon-isolate-instance', InvocationType: 'RequestResponse' });
    expect(sentPayload()).toEqual({
      action: 'isolate',
      instanceId: 'i-0123456789abcdef0',
      account: '210987654321',
      region: 'eu-west-1',
      reason: 'GuardDuty C&C finding confirmed',
      requestedBy: 'alice@example.com',
      ticket: 'SEC-142',
    });
    expect(r.stdout).toContain('decision  ACT');
    expect(r.stdout).toContain('incident  inc-0123456789abcdef01234567  (i-0123456789abcdef0)');
    expect(r.stdout).toContain('succeeded autoscaling:DetachInstances  detach-asg');
    expect(r.stdout).toContain('evidence  records/inc-0123456789abcdef01234567/00000001.json');
  });

  it('invokes the function named by --function directly and sends force only when asked', async () => {
    process.env.CORDON_REQUESTED_BY = 'bob';
    lambda.on(InvokeCommand).resolves(answer({ ...isolation, decision: 'dry-run', steps: [] }));
    const r = await run('isolate', 'i-0123456789abcdef0', '--reason', 'protected host, confirmed', '--force', '--function', 'arn:aws:lambda:eu-west-1:111111111111:function:cordon-isolate');
    expect(r.code).toBe(0);
    expect(lambda).toHaveReceivedCommandWith(InvokeCommand, { FunctionName: 'arn:aws:lambda:eu-west-1:111111111111:function:cordon-isolate' });
    expect(sentPayload()).toEqual({
      action: 'isolate',
      instanceId: 'i-0123456789abcdef0',
      reason: 'protected host, confirmed',
      requestedBy: 'bob',
      force: true,
    });
  });

  it('names a GuardDuty finding instead of an instance', async () => {
    lambda.on(InvokeCommand).resolves(answer(isolation));
    await run('isolate', '--finding-id', '84c9a1e3f5b7d9c1e3a5b7d9f1c3e5a7', '--detector-id', '6ec5b4a2e9a8d1f3c0b7e2d4a6f81c3e', '--reason', 'r', '--requested-by', 'a', '--function', 'f');
    expect(sentPayload()).toEqual({
      action: 'isolate',
      findingId: '84c9a1e3f5b7d9c1e3a5b7d9f1c3e5a7',
      detectorId: '6ec5b4a2e9a8d1f3c0b7e2d4a6f81c3e',
      reason: 'r',
      requestedBy: 'a',
    });
  });

  it('exits 1 and prints the error when the function fails', async () => {
    lambda.on(InvokeCommand).resolves(
      answer({ errorType: 'TransientAwsError', errorMessage: 'observing i-0123456789abcdef0 failed: Throttling' }, { FunctionError: 'Unhandled' }),
    );
    const r = await run('isolate', 'i-0123456789abcdef0', '--reason', 'r', '--requested-by', 'a', '--function', 'f');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cordon: f failed (Unhandled): TransientAwsError: observing i-0123456789abcdef0 failed: Throttling');
    expect(r.stdout).toBe('');
  });

  it('exits 2 with a clear message when there are no AWS credentials', async () => {
    lambda.on(InvokeCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const r = await run('isolate', 'i-0123456789abcdef0', '--reason', 'r', '--requested-by', 'a', '--function', 'f');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(NO_CREDENTIALS);
    expect(NO_CREDENTIALS).toBe('no AWS credentials found: set AWS_PROFILE or run aws sso login');
  });

  it('rejects a call without a requester, before invoking anything', async () => {
    const noRequester = await run('isolate', 'i-0123456789abcdef0', '--reason', 'r', '--function', 'f');
    expect(noRequester.code).toBe(2);
    expect(noRequester.stderr).toContain('expected --requested-by WHO');
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });
});

describe('cordon release', () => {
  it('sends the release payload with the isolation incident', async () => {
    lambda.on(InvokeCommand).resolves(answer({ ...isolation, steps: [] }));
    const r = await run(
      'release', 'i-0123456789abcdef0', '--incident-id', 'inc-0123456789abcdef01234567', '--reattach-asg',
      '--reason', 'forensics done', '--requested-by', 'alice', '--function', 'cordon-isolate-instance',
    );
    expect(r.code).toBe(0);
    expect(sentPayload()).toEqual({
      action: 'release',
      instanceId: 'i-0123456789abcdef0',
      incidentId: 'inc-0123456789abcdef01234567',
      reattachAsg: true,
      reason: 'forensics done',
      requestedBy: 'alice',
    });
  });
});

describe('cordon revoke', () => {
  it('revokes one access key by direct invocation of --function', async () => {
    lambda.on(InvokeCommand).resolves(
      answer({
        decision: 'act',
        reason: '2 of 2 steps succeeded',
        incidentId: 'inc-aaaaaaaaaaaaaaaaaaaaaaaa',
        steps: [{ id: 's1', action: 'iam:UpdateAccessKey', target: { type: 'iam-access-key', id: 'AKIATB3XV4NKQ7DRILL5' }, status: 'succeeded', requestId: 'r1' }],
        evidenceKeys: ['records/inc-aaaaaaaaaaaaaaaaaaaaaaaa/00000000.json'],
      }),
    );
    const r = await run('revoke', '--access-key-id', 'AKIATB3XV4NKQ7DRILL5', '--user-name', 'ci-deploy', '--reason', 'key in a public gist', '--requested-by', 'alice', '--function', 'cordon-revoke-credentials');
    expect(r.code).toBe(0);
    expect(lambda).toHaveReceivedCommandWith(InvokeCommand, { FunctionName: 'cordon-revoke-credentials', InvocationType: 'RequestResponse' });
    expect(sentPayload()).toEqual({
      action: 'revoke',
      accessKeyId: 'AKIATB3XV4NKQ7DRILL5',
      userName: 'ci-deploy',
      reason: 'key in a public gist',
      requestedBy: 'alice',
    });
    expect(r.stdout).toContain('step  succeeded iam:UpdateAccessKey iam-access-key/AKIATB3XV4NKQ7DRILL5  s1');
  });

  it('previews a pattern and prints the digest to confirm with', async () => {
    const digest = 'ab'.repeat(32);
    lambda.on(InvokeCommand).resolves(answer({ decision: 'preview', incidentId: 'inc-bbbbbbbbbbbbbbbbbbbbbbbb', steps: [], evidenceKeys: [], digest, matches: [{ userName: 'contractor-1', accessKeyId: 'AKIAEXAMPLE000000001' }] }));
    const r = await run('revoke', '--path-prefix', '/contractors/', '--tag', 'team=vendor', '--older-than-days', '90', '--preview', '--reason', 'vendor offboarding', '--requested-by', 'alice', '--function', 'f');
    expect(r.code).toBe(0);
    expect(sentPayload()).toEqual({
      action: 'revoke',
      pattern: { pathPrefix: '/contractors/', tag: { key: 'team', value: 'vendor' }, olderThanDays: 90 },
      preview: true,
      reason: 'vendor offboarding',
      requestedBy: 'alice',
    });
    expect(r.stdout).toContain(`--confirm ${digest}`);
  });

  it('confirms a previewed pattern', async () => {
    const digest = 'cd'.repeat(32);
    lambda.on(InvokeCommand).resolves(answer({ decision: 'act', incidentId: 'inc-bbbbbbbbbbbbbbbbbbbbbbbb', steps: [], evidenceKeys: [] }));
    await run('revoke', '--path-prefix', '/contractors/', '--confirm', digest, '--reason', 'vendor offboarding', '--requested-by', 'alice', '--function', 'f');
    expect(sentPayload()).toEqual({ action: 'revoke', pattern: { pathPrefix: '/contractors/' }, confirm: digest, reason: 'vendor offboarding', requestedBy: 'alice' });
  });

  it('rejects a revoke that names nothing', async () => {
    const r = await run('revoke', '--reason', 'r', '--requested-by', 'a', '--function', 'f');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('expected --access-key-id, --user-name or --role-name');
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });
});

describe('cordon restore', () => {
  it('sends the restore payload', async () => {
    lambda.on(InvokeCommand).resolves(answer({ decision: 'act', incidentId: 'inc-aaaaaaaaaaaaaaaaaaaaaaaa', steps: [], evidenceKeys: [] }));
    const r = await run('restore', 'inc-aaaaaaaaaaaaaaaaaaaaaaaa', '--reason', 'false positive', '--requested-by', 'alice', '--ticket', 'SEC-9', '--function', 'f', '--json');
    expect(r.code).toBe(0);
    expect(sentPayload()).toEqual({ action: 'restore', incidentId: 'inc-aaaaaaaaaaaaaaaaaaaaaaaa', reason: 'false positive', requestedBy: 'alice', ticket: 'SEC-9' });
    expect(JSON.parse(r.stdout)).toMatchObject({ decision: 'act' });
  });
});

describe('cordon invoke', () => {
  it('sends a raw payload as is', async () => {
    lambda.on(InvokeCommand).resolves(answer({ decision: 'skip', reason: 'not-an-ec2-finding', incidentId: 'inc-cccccccccccccccccccccccc', steps: [], evidenceKeys: [] }));
    const r = await run('invoke', '--function', 'f', '--payload', '{"source":"aws.guardduty","detail-type":"GuardDuty Finding","detail":{}}');
    expect(r.code).toBe(0);
    expect(sentPayload()).toEqual({ source: 'aws.guardduty', 'detail-type': 'GuardDuty Finding', detail: {} });
    expect(r.stdout).toContain('decision  SKIP — not-an-ec2-finding');
  });
});

describe('ids and regions, checked before any AWS call', () => {
  const base = ['--reason', 'r', '--requested-by', 'a', '--function', 'f'];
  it.each([
    [['isolate', 'i-123', ...base], 'expected the instance id to be an EC2 instance id such as i-0123456789abcdef0, received "i-123"'],
    [['isolate', 'I-0123456789ABCDEF0', ...base], 'expected the instance id to be an EC2 instance id such as i-0123456789abcdef0, received "I-0123456789ABCDEF0"'],
    [['isolate', 'i-0123456789abcdef0', '--account', '2109876543', ...base], 'expected --account to be a 12-digit AWS account id, received "2109876543"'],
    [['isolate', 'i-0123456789abcdef0', '--instance-region', 'Ireland', ...base], 'expected --instance-region to be an AWS region such as eu-west-1, received "Ireland"'],
    [['isolate', 'i-0123456789abcdef0', '--region', 'eu-west', ...base], 'expected --region to be an AWS region such as eu-west-1, received "eu-west"'],
    [['isolate', '--finding-id', 'a b', '--detector-id', 'd', ...base], 'expected --finding-id to be a GuardDuty id (letters, digits, - and _), received "a b"'],
    [['release', 'i-0123456789abcdef0', '--incident-id', 'inc-123', ...base], 'expected --incident-id to be an incident id such as inc-0123456789abcdef01234567 (inc- and 24 hex digits), received "inc-123"'],
    [['revoke', '--access-key-id', 'akiatb3xv4nkq7drill5', ...base], 'expected --access-key-id to be an access key id such as AKIAIOSFODNN7EXAMPLE (AKIA... or ASIA..., upper case), received "akiatb3xv4nkq7drill5"'],
    [['revoke', '--role-name', 'arn:aws:iam::210987654321:role/batch', ...base], 'expected --role-name to be an IAM role name (1-64 letters, digits or +=,.@_-), not an ARN, received "arn:aws:iam::210987654321:role/batch"'],
    [['revoke', '--user-name', 'ci deploy', ...base], 'expected --user-name to be an IAM user name (1-64 letters, digits or +=,.@_-), received "ci deploy"'],
    [['revoke', '--path-prefix', 'contractors', '--preview', ...base], 'expected --path-prefix to be an IAM path that starts and ends with /, such as /contractors/, received "contractors"'],
    [['revoke', '--path-prefix', '/c/', '--confirm', 'abc', ...base], 'expected --confirm to be the 64-hex digest the preview printed, received "abc"'],
    [['restore', 'inc-XYZ', ...base], 'expected the incident id to be an incident id such as inc-0123456789abcdef01234567 (inc- and 24 hex digits), received "inc-XYZ"'],
    [['isolate', 'i-0123456789abcdef0', '--reason', 'r', '--requested-by', 'a', '--function', 'arn:aws:lambda:eu-west-1:1:function:x'], 'expected --function to be a Lambda function name or ARN, such as CordonResponse-IsolateInstance1A2B3C or arn:aws:lambda:eu-west-1:123456789012:function:NAME, received "arn:aws:lambda:eu-west-1:1:function:x"'],
    [['invoke', '--function', 'my function', '--payload', '{}'], 'expected --function to be a Lambda function name or ARN, such as CordonResponse-IsolateInstance1A2B3C or arn:aws:lambda:eu-west-1:123456789012:function:NAME, received "my function"'],
  ])('rejects %j with one clear line and exit 2, invoking nothing', async (argv, message) => {
    const r = await run(...argv);
    expect(r.stderr).toBe(`cordon: ${message}\n`);
    expect(r.code).toBe(2);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('sends the call to --region: the region of the function, as the aws CLI means it', async () => {
    lambda.on(InvokeCommand).resolves(answer(isolation));
    await run('isolate', 'i-0123456789abcdef0', ...base, '--region', 'ap-southeast-2', '--instance-region', 'eu-west-1');
    const client = lambda.commandCalls(InvokeCommand)[0]?.thisValue as LambdaClient;
    expect(await client.config.region()).toBe('ap-southeast-2');
    expect(sentPayload()).toMatchObject({ region: 'eu-west-1' });
  });

  it('takes the region of a function ARN when --region is not given', async () => {
    lambda.on(InvokeCommand).resolves(answer(isolation));
    await run('isolate', 'i-0123456789abcdef0', '--reason', 'r', '--requested-by', 'a', '--function', 'arn:aws:lambda:eu-central-1:111111111111:function:cordon-isolate');
    const client = lambda.commandCalls(InvokeCommand)[0]?.thisValue as LambdaClient;
    expect(await client.config.region()).toBe('eu-central-1');
  });

  it('rejects a function ARN in another region than --region', async () => {
    const r = await run('restore', 'inc-aaaaaaaaaaaaaaaaaaaaaaaa', '--reason', 'r', '--requested-by', 'a', '--region', 'us-east-1', '--function', 'arn:aws:lambda:eu-central-1:111111111111:function:cordon-revoke');
    expect(r.stderr).toBe('cordon: --function is a function in eu-central-1 but --region is us-east-1: drop --region or name the function in us-east-1\n');
    expect(r.code).toBe(2);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });
});
