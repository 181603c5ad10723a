import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FunctionUrlEvent } from '../../lambdas/manual/url';

/** The documented function URL request (AWS_IAM auth), as published: test/fixtures/function-url/SOURCES.md. */
export const documentedUrlEvent = (): FunctionUrlEvent & Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'function-url', 'aws-iam-request.json'), 'utf8')) as FunctionUrlEvent & Record<string, unknown>;

/** The caller the documented event names. */
export const DOCUMENTED_CALLER = {
  via: 'function-url',
  arn: 'arn:aws:iam::111122223333:user/example-user',
  accountId: '111122223333',
  callerId: 'AIDA...',
  sourceIp: '123.123.123.123',
  userAgent: 'agent',
  urlRequestId: 'id',
} as const;

/** The documented event with `body` replaced by a manual request (the only field a test changes). */
export const urlEventWith = (body: unknown, base64 = false): FunctionUrlEvent => {
  const text = JSON.stringify(body);
  return { ...documentedUrlEvent(), body: base64 ? Buffer.from(text).toString('base64') : text, isBase64Encoded: base64 };
};
