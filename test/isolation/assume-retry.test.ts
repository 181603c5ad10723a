import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { STSClient } from '@aws-sdk/client-sts';
import { respond } from '../../lambdas/isolation/respond';
import { RETRY } from '../../lambdas/shared/retry';
import { stsMock } from '../support/aws-world';
import { authorizeAs, credentialsOf } from '../support/authz';
import { guardDutyEvent, MEMBER, setup } from './support';


authorizeAs('isolation');
/**
 * A throttled AssumeRole is retried by the SDK (the responders' RETRY settings), over real HTTP
 * against a local STS stand-in, before it can become an `account-access` escalation; one that
 * keeps failing escalates `account-access`, which is re-driven, not remembered (park.ts).
 */

const THROTTLED = `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`;
/** What the stand-in hands out: credentials the authorization hook knows as the member isolation role. */
const member = credentialsOf('member-isolation', MEMBER);
const assumed = (expiry: string) =>
  `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>${member.accessKeyId}</AccessKeyId><SecretAccessKey>${member.secretAccessKey}</SecretAccessKey><SessionToken>${member.sessionToken}</SessionToken><Expiration>${expiry}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA:cordon</AssumedRoleId><Arn>arn:aws:sts::${MEMBER}:assumed-role/CordonMemberResponder/cordon</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></AssumeRoleResponse>`;

let server: Server;
let endpoint: string;
/** How the stand-in answers the n-th request (0-based). */
let answer: (n: number) => 'throttle' | 'ok' = () => 'ok';
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const n = requests.push(body) - 1;
      if (answer(n) === 'throttle') {
        res.writeHead(400, { 'content-type': 'text/xml' }).end(THROTTLED);
      } else {
        res.writeHead(200, { 'content-type': 'text/xml' }).end(assumed(new Date(Date.now() + 900_000).toISOString()));
      }
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => new Promise<void>((done) => server.close(() => done())));
beforeEach(() => {
  requests.length = 0;
});

/** The shared world, with STS over HTTP instead of the world's STS mock (installed by setup). */
const setupOverHttp = () => {
  const s = setup();
  stsMock.restore();
  return s;
};

const sts = (maxAttempts: number = RETRY.maxAttempts) =>
  new STSClient({ region: 'eu-west-1', endpoint, credentials: { accessKeyId: 'AKIAHOME', secretAccessKey: 'home' }, ...RETRY, maxAttempts });

describe('AssumeRole under throttling', () => {
  it('retries a throttled AssumeRole and isolates in the member account', async () => {
    answer = (n) => (n === 0 ? 'throttle' : 'ok');
    const s = setupOverHttp();
    const summary = await respond(guardDutyEvent({ account: MEMBER }), { ...s.deps, sts: sts() });
    expect(summary.decision).toBe('act');
    expect(requests).toHaveLength(2);
    expect(requests.every((b) => b.includes('Action=AssumeRole') && b.includes(`RoleArn=arn%3Aaws%3Aiam%3A%3A${MEMBER}%3Arole%2FCordonMemberResponder`))).toBe(true);
    expect(s.evidence.records.some((r) => r.action === 'escalate:account-access')).toBe(false);
  });

  it('escalates account-access, acting on nothing, when AssumeRole stays throttled through every attempt', async () => {
    answer = () => 'throttle';
    const s = setupOverHttp();
    const summary = await respond(guardDutyEvent({ account: MEMBER }), { ...s.deps, sts: sts(2) });
    expect(summary).toMatchObject({ decision: 'escalate', reason: 'account-access' });
    expect(requests).toHaveLength(2);
    expect(s.mutating()).toEqual([]);
    const escalation = s.evidence.records.find((r) => r.action === 'escalate:account-access');
    expect(escalation?.reason).toBe(`AccountAccessError: cannot assume arn:aws:iam::${MEMBER}:role/CordonMemberResponder in account ${MEMBER}: Throttling: Rate exceeded`);
  });
});
