import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, HttpRequest } from '@smithy/types';

/**
 * One SigV4-signed HTTPS request, as the AWS SDK signs its own: `@smithy/signature-v4` with
 * SHA-256, credentials from the caller's provider (the default chain in the CLI). Used for the
 * function URLs (service `lambda`, auth type AWS_IAM) and CloudFormation's query API (stack
 * outputs), which have no SDK client in this package.
 */

export interface SignedResponse {
  readonly status: number;
  readonly body: string;
}

export interface SignedCall {
  readonly url: string;
  readonly method: 'POST';
  readonly service: string;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** @default now */
  readonly signingDate?: Date;
}

/** The request as it is signed: host and content headers included, so they are covered by the signature. */
export const signableRequest = (call: Pick<SignedCall, 'url' | 'method' | 'headers' | 'body'>): HttpRequest => {
  const url = new URL(call.url);
  const query: Record<string, string> = {};
  url.searchParams.forEach((value, key) => {
    query[key] = value;
  });
  return {
    method: call.method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname || '/',
    query,
    headers: { host: url.host, ...call.headers },
    body: call.body,
  };
};

export const signer = (call: Pick<SignedCall, 'service' | 'region' | 'credentials'>): SignatureV4 =>
  new SignatureV4({ service: call.service, region: call.region, credentials: call.credentials, sha256: Sha256 });

/** Signs the request with SigV4 and sends it; resolves with any HTTP status (the caller decides). */
export const signedRequest = async (call: SignedCall): Promise<SignedResponse> => {
  const signed = await signer(call).sign(signableRequest(call), call.signingDate ? { signingDate: call.signingDate } : {});
  const url = new URL(call.url);
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise<SignedResponse>((resolve, reject) => {
    const req = send(
      url,
      { method: call.method, headers: { ...signed.headers, 'content-length': String(Buffer.byteLength(call.body)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error(`no answer from ${url.host} within 60 s`)));
    req.end(call.body);
  });
};
