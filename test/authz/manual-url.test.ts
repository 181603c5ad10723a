import { CORPUS_HOME } from '../../lib/authz/corpus';
import { authorizer, AUTHZ_RESPONDER, type Authorizer } from '../../lib/authz/evaluate';
import type { RoleFacts } from '../../lib/authz/model';
import { manualFunctionOf } from '../../lib/authz/must-deny';
import { requestsOf } from '../../lib/authz/requests';
import type { Where } from '../../lib/authz/where';

/**
 * Who may call a manual request URL, decided by iam-simulate against the synthesized resource
 * policy of the function (AWS::Lambda::Permission statements, lib/constructs/manual-url.ts): the
 * listed responder with no IAM policy of its own is allowed both authorizations a function URL
 * needs; a principal of the account that is not listed (and has no grant of its own) is refused,
 * and so is a direct invocation by the listed responder.
 */

const role = (name: string, policies: RoleFacts['policies'] = []): RoleFacts => ({
  name,
  arn: `arn:aws:iam::${CORPUS_HOME.account}:role/${name}`,
  account: CORPUS_HOME.account,
  policies,
  trust: { Version: '2012-10-17', Statement: [] },
  tags: {},
  unknownManaged: [],
});

const RESPONDER: RoleFacts = { ...role('IncidentResponder'), arn: AUTHZ_RESPONDER };
/** A developer of the account: may read functions, nothing that invokes them. */
const DEVELOPER = role('Developer', [
  { name: 'ReadFunctions', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['lambda:GetFunction', 'lambda:ListFunctions'], Resource: '*' }] } },
]);

let authz: Authorizer;
let fn: string;
let where: Where;

beforeAll(async () => {
  authz = await authorizer(CORPUS_HOME);
  fn = manualFunctionOf(authz.deployment());
  where = {
    ...CORPUS_HOME,
    tagsOf: () => undefined,
    observed: () => undefined,
    roleOfProfile: (p) => p,
    keyOf: () => undefined,
    deployed: (v) => v,
  };
});

const urlRequests = () => requestsOf('lambda', 'InvokeFunctionUrl', { FunctionName: fn }, where);

describe('manual request URL authorization', () => {
  it('maps a call of the URL to InvokeFunctionUrl (AWS_IAM) and InvokeFunction through the URL', () => {
    expect(fn).toMatch(/^arn:aws:lambda:eu-west-1:111111111111:function:CordonResponse-(IsolateInstance|RevokeCredentials)/);
    expect(urlRequests()).toEqual([
      { action: 'lambda:InvokeFunctionUrl', resource: fn, context: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
      { action: 'lambda:InvokeFunction', resource: fn, context: { 'lambda:InvokedViaFunctionUrl': 'true' } },
    ]);
  });

  it('allows the listed responder both, by the function’s resource policy alone', async () => {
    for (const request of urlRequests()) {
      const v = await authz.evaluate(RESPONDER, request);
      expect(v.explanation).toMatch(/^allowed by the resource policy statement \w+ManualManualCaller[0-9a-f]{12}(Url|Invoke)[0-9A-F]{8}$/);
      expect(v.allowed).toBe(true);
    }
  });

  it('denies InvokeFunctionUrl to a principal that is not listed', async () => {
    const v = await authz.evaluate(DEVELOPER, urlRequests()[0]!);
    expect(v.allowed).toBe(false);
    expect(v.explanation).toContain('does not allow Developer');
  });

  it('denies the listed responder a direct invocation (no authenticated caller) and a URL without AWS_IAM auth', async () => {
    const direct = await authz.evaluate(RESPONDER, { action: 'lambda:InvokeFunction', resource: fn, context: { 'lambda:InvokedViaFunctionUrl': 'false' } });
    expect(direct.allowed).toBe(false);
    const noAuth = await authz.evaluate(RESPONDER, { action: 'lambda:InvokeFunctionUrl', resource: fn, context: { 'lambda:FunctionUrlAuthType': 'NONE' } });
    expect(noAuth.allowed).toBe(false);
  });

  it('lets an administrator call it on their own IAM policy: recorded as themselves, never as a responder', async () => {
    const v = await authz.evaluate(authz.role('admin'), urlRequests()[0]!);
    expect(v.allowed).toBe(true);
    expect(v.explanation).toMatch(/^allowed by identity policy arn:aws:iam::aws:policy\/AdministratorAccess/);
  });
});
