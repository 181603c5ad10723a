import type { ManualCaller } from '../evidence/types';

/**
 * Manual requests through the responders' function URL (auth type AWS_IAM, lib/constructs/manual-url.ts).
 * Lambda hands the function the HTTP request as a payload format 2.0 event whose
 * `requestContext.authorizer.iam` names the principal AWS authenticated from the SigV4 signature
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads). This module
 * turns that event into the manual request it carries and the caller, and the response back into
 * the HTTP answer the CLI reads. Anything else is a direct invocation: its caller is `direct-invoke`.
 */

type Obj = Record<string, unknown>;

const isRecord = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** A manual request as the parsers take it: `{action, ...}` without an EventBridge envelope. */
export const isManualRequest = (event: unknown): event is Obj => isRecord(event) && 'action' in event && !('source' in event) && !('detail' in event);

/** The fields of a function URL event (payload format version 2.0) this module reads. */
export interface FunctionUrlEvent {
  readonly version: '2.0';
  readonly rawPath: string;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestContext: {
    readonly requestId?: string;
    readonly http: { readonly method: string; readonly sourceIp?: string; readonly userAgent?: string };
    readonly authorizer?: { readonly iam?: { readonly userArn?: string; readonly accountId?: string; readonly callerId?: string; readonly principalOrgId?: string | null } } | null;
  };
}

/** An event Lambda built from a function URL request (payload format version 2.0). */
export const isFunctionUrlEvent = (event: unknown): event is Obj =>
  isRecord(event) && event.version === '2.0' && isRecord(event.requestContext) && isRecord(event.requestContext.http) && 'rawPath' in event;

export type UrlRequest =
  | { readonly ok: true; readonly payload: Obj; readonly caller: Extract<ManualCaller, { via: 'function-url' }> }
  | { readonly ok: false; readonly status: 400 | 401 | 405; readonly message: string; readonly payload?: unknown; readonly caller?: Extract<ManualCaller, { via: 'function-url' }> };

/** The caller AWS authenticated, from `requestContext.authorizer.iam`; undefined without one. */
export const authenticatedCaller = (event: Obj): Extract<ManualCaller, { via: 'function-url' }> | undefined => {
  const context = isRecord(event.requestContext) ? event.requestContext : {};
  const iam = isRecord(context.authorizer) && isRecord(context.authorizer.iam) ? context.authorizer.iam : undefined;
  const arn = str(iam?.userArn);
  const accountId = str(iam?.accountId);
  if (!iam || !arn || !accountId) return undefined;
  const http = isRecord(context.http) ? context.http : {};
  const optional = (key: string, value: string | undefined) => (value ? { [key]: value } : {});
  return {
    via: 'function-url',
    arn,
    accountId,
    ...optional('callerId', str(iam.callerId)),
    ...optional('principalOrgId', str(iam.principalOrgId)),
    ...optional('sourceIp', str(http.sourceIp)),
    ...optional('userAgent', str(http.userAgent)),
    ...optional('urlRequestId', str(context.requestId)),
  };
};

/** The manual request a function URL event carries, or why it carries none. Never throws. */
export const urlRequestOf = (event: Obj): UrlRequest => {
  const caller = authenticatedCaller(event);
  if (!caller) {
    return {
      ok: false,
      status: 401,
      message: 'rejects a function url request without an iam-authenticated caller (requestContext.authorizer.iam): the url must use auth type AWS_IAM',
    };
  }
  const method = isRecord(event.requestContext) && isRecord(event.requestContext.http) ? str(event.requestContext.http.method) : undefined;
  if (method !== 'POST') return { ok: false, status: 405, message: `expected a POST of a manual request, received ${method ?? 'no method'}`, caller };
  const raw = typeof event.body === 'string' ? (event.isBase64Encoded === true ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  let payload: unknown;
  try {
    payload = JSON.parse(raw);
  } catch (error) {
    return { ok: false, status: 400, message: `expected a json manual request body, received ${raw === '' ? 'an empty body' : `invalid json (${(error as Error).message})`}`, caller };
  }
  if (!isManualRequest(payload)) {
    return {
      ok: false,
      status: 400,
      message: `the manual request url takes manual requests only ({action, ...} without source or detail), received ${isRecord(payload) ? `an object with keys ${Object.keys(payload).slice(0, 6).join(', ') || '(none)'}` : Array.isArray(payload) ? 'an array' : typeof payload}`,
      payload,
      caller,
    };
  }
  return { ok: true, payload, caller };
};

/** What a function URL returns to the client: the status and the JSON body (Lambda's response format). */
export interface UrlResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly isBase64Encoded: false;
}

export const urlResponse = (statusCode: number, body: unknown): UrlResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
  isBase64Encoded: false,
});
