import type { ManualCaller, Mode } from '../../lambdas/evidence/types';
import { credentialsPrivileged, isolationPrivileged, manualEntry, unauthenticatedReason, type ManualEntryDeps } from '../../lambdas/manual/entry';
import { urlRequestOf } from '../../lambdas/manual/url';
import { RecordingEvidenceWriter } from '../support/evidence';
import { DOCUMENTED_CALLER, documentedUrlEvent, urlEventWith } from './support';

const CONTEXT = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:cordon-revoke', awsRequestId: 'req-1' };
const RESTORE = { action: 'restore', incidentId: 'inc-0123456789abcdef01234567', reason: 'false positive', requestedBy: 'alice' };

interface Ran {
  readonly event: unknown;
  readonly caller: ManualCaller | undefined;
}

const setup = (privileged = credentialsPrivileged, mode: () => Promise<Mode> = async () => 'enforce') => {
  const evidence = new RecordingEvidenceWriter();
  const ran: Ran[] = [];
  const warnings: unknown[] = [];
  const deps: ManualEntryDeps<{ decision: string }> = {
    privileged,
    evidence,
    mode,
    context: CONTEXT,
    logger: { warn: (message, extra) => warnings.push({ message, ...extra }) },
    run: async (event, caller) => {
      ran.push({ event, caller });
      return { decision: 'act' };
    },
  };
  return { evidence, ran, warnings, deps };
};

describe('the function URL request (payload format 2.0, AWS_IAM)', () => {
  it('reads the caller AWS authenticated from the documented request context', () => {
    expect(urlRequestOf(urlEventWith(RESTORE) as never)).toEqual({ ok: true, payload: RESTORE, caller: DOCUMENTED_CALLER });
  });

  it('decodes a base64 body', () => {
    expect(urlRequestOf(urlEventWith(RESTORE, true) as never)).toMatchObject({ ok: true, payload: RESTORE });
  });

  it('rejects the documented body, which is not JSON, with 400', () => {
    expect(urlRequestOf(documentedUrlEvent() as never)).toEqual({
      ok: false,
      status: 400,
      message: 'expected a json manual request body, received invalid json (Unexpected token \'H\', "Hello from client!" is not valid JSON)',
      caller: DOCUMENTED_CALLER,
    });
  });

  it('rejects a request without requestContext.authorizer.iam (a URL without AWS_IAM auth) with 401', () => {
    const event = urlEventWith(RESTORE) as unknown as { requestContext: Record<string, unknown> };
    event.requestContext = { ...event.requestContext, authorizer: null };
    expect(urlRequestOf(event as never)).toEqual({
      ok: false,
      status: 401,
      message: 'rejects a function url request without an iam-authenticated caller (requestContext.authorizer.iam): the url must use auth type AWS_IAM',
    });
  });

  it('rejects an EventBridge event posted to the URL: it takes manual requests only', () => {
    expect(urlRequestOf(urlEventWith({ source: 'aws.guardduty', 'detail-type': 'GuardDuty Finding', detail: {} }) as never)).toMatchObject({
      ok: false,
      status: 400,
      message: 'the manual request url takes manual requests only ({action, ...} without source or detail), received an object with keys source, detail-type, detail',
    });
  });
});

describe('manual entry', () => {
  it('runs a URL request with its authenticated caller and answers 200 with the result', async () => {
    const { deps, ran, evidence } = setup();
    const answer = await manualEntry(urlEventWith(RESTORE), deps);
    expect(ran).toEqual([{ event: RESTORE, caller: DOCUMENTED_CALLER }]);
    expect(answer).toEqual({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ decision: 'act' }), isBase64Encoded: false });
    expect(evidence.records).toEqual([]);
  });

  it.each([
    ['restore', credentialsPrivileged, RESTORE],
    ['pattern revocation', credentialsPrivileged, { action: 'revoke', pattern: { pathPrefix: '/ci/' }, preview: true, reason: 'leak', requestedBy: 'alice' }],
    ['force', credentialsPrivileged, { action: 'revoke', userName: 'breakglass', force: true, reason: 'leak', requestedBy: 'alice' }],
    ['release', isolationPrivileged, { action: 'release', instanceId: 'i-0123456789abcdef0', reason: 'clean', requestedBy: 'bob' }],
    ['force', isolationPrivileged, { action: 'isolate', instanceId: 'i-0123456789abcdef0', force: true, reason: 'c2', requestedBy: 'bob' }],
  ])('refuses %s by direct invocation, evidenced, and runs nothing', async (what, privileged, request) => {
    const { deps, ran, evidence, warnings } = setup(privileged);
    const answer = await manualEntry(request, deps);
    const reason = unauthenticatedReason(what);
    expect(reason).toBe(
      `rejects ${what} without an authenticated caller: a direct invocation carries no caller AWS authenticated; send it through the manual request url (auth type AWS_IAM), which \`cordon\` signs with SigV4`,
    );
    expect(ran).toEqual([]);
    // A refused request that names its incident (restore) is kept in that incident's chain.
    const named = (request as { incidentId?: string }).incidentId;
    const anyIncident: unknown = expect.stringMatching(/^inc-[0-9a-f]{24}$/);
    const incidentId = named ?? anyIncident;
    expect(evidence.records).toEqual([
      {
        incidentId,
        seq: 0,
        key: expect.stringMatching(/^records\/inc-[0-9a-f]{24}\/00000000\.json$/),
        kind: 'skip',
        mode: 'enforce',
        trigger: { source: 'manual', eventId: 'req-1' },
        action: 'skip:unauthenticated',
        reason,
        actor: { arn: CONTEXT.invokedFunctionArn, requestId: 'req-1', requestedBy: request.requestedBy, caller: { via: 'direct-invoke' } },
        detail: { request },
      },
    ]);
    expect(answer).toEqual({ decision: 'skip', reason, incidentId: evidence.records[0]!.incidentId, steps: [], evidenceKeys: [evidence.records[0]!.key] });
    expect(warnings).toHaveLength(1);
  });

  it('runs an unprivileged direct request, evidenced as a direct invocation', async () => {
    const { deps, ran, evidence } = setup(isolationPrivileged);
    const request = { action: 'isolate', instanceId: 'i-0123456789abcdef0', reason: 'c2', requestedBy: 'automation' };
    await expect(manualEntry(request, deps)).resolves.toEqual({ decision: 'act' });
    expect(ran).toEqual([{ event: request, caller: { via: 'direct-invoke' } }]);
    expect(evidence.records).toEqual([]);
  });

  it('runs an automatic event (EventBridge) without a caller', async () => {
    const { deps, ran } = setup(isolationPrivileged);
    const event = { source: 'aws.guardduty', 'detail-type': 'GuardDuty Finding', id: 'e1', detail: { id: 'f1' } };
    await manualEntry(event, deps);
    expect(ran).toEqual([{ event, caller: undefined }]);
  });

  it('evidences a URL request that carries no manual request and answers with its status', async () => {
    const { deps, ran, evidence } = setup();
    const answer = await manualEntry(documentedUrlEvent(), deps);
    expect(ran).toEqual([]);
    expect(evidence.records).toHaveLength(1);
    expect(evidence.records[0]).toMatchObject({
      kind: 'skip',
      action: 'skip:invalid-url-request',
      actor: { arn: CONTEXT.invokedFunctionArn, requestId: 'req-1', caller: DOCUMENTED_CALLER },
      detail: { request: null },
    });
    expect(answer).toMatchObject({ statusCode: 400 });
    expect(JSON.parse((answer as { body: string }).body)).toMatchObject({ decision: 'skip', reason: expect.stringMatching(/^expected a json manual request body/) });
  });

  it('records a refusal with mode off and the reason when the kill switch is unreadable', async () => {
    const { deps, evidence } = setup(credentialsPrivileged, async () => {
      throw new Error('ParameterNotFound');
    });
    await manualEntry(RESTORE, deps);
    expect(evidence.records[0]).toMatchObject({ mode: 'off', detail: { request: RESTORE, mode: 'kill switch unreadable: Error: ParameterNotFound' } });
  });
});
