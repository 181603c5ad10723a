import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forbiddenMessage } from '../../lib/cli/manual-url';
import { signableRequest, signer } from '../../lib/cli/sigv4';
import { run } from './support';

/**
 * `cordon isolate | release | revoke | restore` through the manual request URL, against a local
 * HTTP server that stands for the function URL (and CloudFormation's query API for the stack
 * output): it checks the SigV4 headers are there, recomputes the signature with the same signer
 * from the credentials the CLI used, and checks the body is the manual request.
 */

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session-token-example' };

interface Received {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** The Authorization the same signer computes for what arrived. */
  readonly expectedAuthorization: string;
}

let server: Server;
let base: string;
let received: Received[] = [];
let reply: (r: Received) => { status: number; body: string } = () => ({ status: 500, body: '' });

/** Recomputes the signature of a received request: the signed headers as received, its date, its body. */
const expectedAuthorization = async (req: IncomingMessage, body: string, service: string): Promise<string> => {
  const auth = String(req.headers.authorization ?? '');
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? [];
  const headers: Record<string, string> = {};
  for (const h of signedHeaders) if (h !== 'host') headers[h] = String(req.headers[h] ?? '');
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const date = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const request = signableRequest({ url: `${base}${req.url ?? '/'}`, method: 'POST', headers, body });
  const signed = await signer({ service, region: 'eu-west-1', credentials: CREDENTIALS }).sign(request, { signingDate: date });
  return String(signed.headers.authorization);
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const service = req.url?.startsWith('/cfn') ? 'cloudformation' : 'lambda';
      void expectedAuthorization(req, body, service).then((expected) => {
        const r: Received = { path: req.url ?? '', headers: req.headers, body, expectedAuthorization: expected };
        received.push(r);
        const { status, body: out } = reply(r);
        res.writeHead(status, { 'content-type': 'application/json' }).end(out);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'CORDON_ISOLATE_URL', 'CORDON_REVOKE_URL', 'AWS_ENDPOINT_URL_CLOUDFORMATION', 'AWS_PROFILE'];
const saved: Record<string, string | undefined> = {};
beforeEach(() => {
  received = [];
  for (const k of ENV_KEYS) saved[k] = process.env[k];
  for (const k of ENV_KEYS) delete process.env[k];
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
    AWS_REGION: 'eu-west-1',
  });
});
afterEach(() => {
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

const ANSWER = { decision: 'act', incidentId: 'inc-0123456789abcdef01234567', steps: [], evidenceKeys: ['records/inc-0123456789abcdef01234567/00000000.json'] };

const describeStacks = (outputs: Record<string, string>): string =>
  `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>` +
  `<StackName>CordonResponse</StackName><Outputs>${Object.entries(outputs)
    .map(([k, v]) => `<member><Description>Cordon</Description><OutputKey>${k}</OutputKey><OutputValue>${v.replace(/&/g, '&amp;')}</OutputValue></member>`)
    .join('')}</Outputs><StackStatus>UPDATE_COMPLETE</StackStatus></member></Stacks></DescribeStacksResult></DescribeStacksResponse>`;

describe('manual requests through the function URL, signed with SigV4', () => {
  it('signs the request for lambda with the default chain credentials and sends the manual request as the body', async () => {
    process.env.CORDON_ISOLATE_URL = `${base}/isolate/`;
    reply = () => ({ status: 200, body: JSON.stringify(ANSWER) });
    const r = await run('isolate', 'i-0123456789abcdef0', '--reason', 'c2 beacon', '--requested-by', 'alice');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(received).toHaveLength(1);
    const [req] = received;
    expect(req!.path).toBe('/isolate/');
    expect(JSON.parse(req!.body)).toEqual({ action: 'isolate', instanceId: 'i-0123456789abcdef0', reason: 'c2 beacon', requestedBy: 'alice' });
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(req!.headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
    expect(req!.headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(req!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request, SignedHeaders=[a-z0-9;-]*content-type;host;[a-z0-9;-]*, Signature=[0-9a-f]{64}$/);
    // The signature verifies: the same signer over what arrived gives the same Authorization.
    expect(req!.headers.authorization).toBe(req!.expectedAuthorization);
    expect(r.stdout).toContain(`${base}/isolate/\ndecision  ACT\nincident  inc-0123456789abcdef01234567`);
  });

  it('a changed body no longer verifies (the check above can fail)', async () => {
    process.env.CORDON_REVOKE_URL = `${base}/revoke/`;
    reply = () => ({ status: 200, body: JSON.stringify(ANSWER) });
    await run('restore', 'inc-0123456789abcdef01234567', '--reason', 'false positive', '--requested-by', 'alice');
    const [req] = received;
    const request = signableRequest({ url: `${base}/revoke/`, method: 'POST', headers: { 'content-type': 'application/json' }, body: req!.body.replace('alice', 'mallory') });
    const amz = String(req!.headers['x-amz-date']);
    const date = new Date(`${amz.slice(0, 4)}-${amz.slice(4, 6)}-${amz.slice(6, 8)}T${amz.slice(9, 11)}:${amz.slice(11, 13)}:${amz.slice(13, 15)}Z`);
    const forged = await signer({ service: 'lambda', region: 'eu-west-1', credentials: CREDENTIALS }).sign(request, { signingDate: date });
    expect(forged.headers.authorization).not.toBe(req!.headers.authorization);
    expect(req!.headers.authorization).toBe(req!.expectedAuthorization);
  });

  it('finds the URL in the stack output, reading it with a signed DescribeStacks', async () => {
    process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = `${base}/cfn/`;
    reply = (r) =>
      r.path.startsWith('/cfn')
        ? { status: 200, body: describeStacks({ IsolateInstanceManualUrl: `${base}/isolate/?from=stack&x=1`, RevokeCredentialsManualUrl: `${base}/revoke/` }) }
        : { status: 200, body: JSON.stringify(ANSWER) };
    const r = await run('release', 'i-0123456789abcdef0', '--reason', 'clean', '--requested-by', 'alice', '--stack', 'CordonResponse');
    expect(r.code).toBe(0);
    expect(received.map((x) => x.path)).toEqual(['/cfn/', '/isolate/?from=stack&x=1']);
    const [cfn, url] = received;
    expect(new URLSearchParams(cfn!.body).toString()).toBe('Action=DescribeStacks&StackName=CordonResponse&Version=2010-05-15');
    expect(cfn!.headers.authorization).toMatch(/\/eu-west-1\/cloudformation\/aws4_request/);
    expect(cfn!.headers.authorization).toBe(cfn!.expectedAuthorization);
    expect(url!.headers.authorization).toBe(url!.expectedAuthorization);
    expect(JSON.parse(url!.body)).toEqual({ action: 'release', instanceId: 'i-0123456789abcdef0', reason: 'clean', requestedBy: 'alice' });
  });

  it('exits 2 with a clear message when the caller is not allowed (403)', async () => {
    process.env.CORDON_REVOKE_URL = `${base}/revoke/`;
    reply = () => ({ status: 403, body: JSON.stringify({ Message: 'Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html' }) });
    const r = await run('revoke', '--path-prefix', '/ci/', '--preview', '--reason', 'leak', '--requested-by', 'alice');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`cordon: ${forbiddenMessage(`${base}/revoke/`)}\n`);
    expect(forbiddenMessage('https://u.lambda-url.eu-west-1.on.aws/')).toBe(
      'not authorized to call the manual request url https://u.lambda-url.eu-west-1.on.aws/ (403 Forbidden): your principal needs lambda:InvokeFunctionUrl and lambda:InvokeFunction (through the url) on the function: ask for your role to be listed in cordon.manual.callerPrincipalArns',
    );
    expect(r.stdout).toBe('');
  });

  it('exits 2 naming the stack and the output when the stack has no manual request URL', async () => {
    process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = `${base}/cfn/`;
    reply = () => ({ status: 200, body: describeStacks({ AlarmTopicArn: 'arn:aws:sns:eu-west-1:111111111111:t' }) });
    const r = await run('restore', 'inc-0123456789abcdef01234567', '--reason', 'r', '--requested-by', 'a');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'cordon: no manual request url: stack CordonResponse in eu-west-1 has no output RevokeCredentialsManualUrl (a Cordon version without manual request urls?): deploy the current version, or pass --url\n',
    );
    expect(received.map((x) => x.path)).toEqual(['/cfn/']);
  });

  it('exits 2 naming the stack when it does not exist', async () => {
    process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = `${base}/cfn/`;
    reply = () => ({
      status: 400,
      body: '<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id Cordon does not exist</Message></Error></ErrorResponse>',
    });
    const r = await run('isolate', 'i-0123456789abcdef0', '--reason', 'r', '--requested-by', 'a', '--stack', 'Cordon');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('cordon: no stack Cordon in eu-west-1: deploy Cordon there, or name it with --stack, or pass --url\n');
  });

  it('exits 1 and prints the reason when the function refuses the request', async () => {
    process.env.CORDON_ISOLATE_URL = `${base}/isolate/`;
    const refusal = { decision: 'skip', reason: 'expected a json manual request body, received an empty body', incidentId: 'inc-aaaaaaaaaaaaaaaaaaaaaaaa', steps: [], evidenceKeys: ['records/inc-aaaaaaaaaaaaaaaaaaaaaaaa/00000000.json'] };
    reply = () => ({ status: 400, body: JSON.stringify(refusal) });
    const r = await run('isolate', 'i-0123456789abcdef0', '--reason', 'r', '--requested-by', 'a');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`cordon: the manual request was refused (HTTP 400): ${refusal.reason}\n`);
    expect(r.stdout).toContain('evidence  records/inc-aaaaaaaaaaaaaaaaaaaaaaaa/00000000.json');
  });

  it('rejects a non-https url and a malformed stack name before any call', async () => {
    const plain = await run('isolate', 'i-0123456789abcdef0', '--reason', 'r', '--requested-by', 'a', '--url', 'http://example.com/');
    expect(plain.code).toBe(2);
    expect(plain.stderr).toBe('cordon: expected --url to be an https url, received "http://example.com/"\n');
    const stack = await run('isolate', 'i-0123456789abcdef0', '--reason', 'r', '--requested-by', 'a', '--stack', 'Cordon Response');
    expect(stack.code).toBe(2);
    expect(stack.stderr).toBe('cordon: expected --stack to be a CloudFormation stack name such as CordonResponse, received "Cordon Response"\n');
    expect(received).toEqual([]);
  });
});
