import { LambdaClient } from '@aws-sdk/client-lambda';
import { MANUAL_URL_OUTPUTS } from '../constructs/manual-url';
import { printAnswer, reportAwsFailure } from './answer';
import { CliInputError, checkOptionalId } from './ids';
import { EXIT, type CliIo } from './io';
import { signedRequest } from './sigv4';
import { stackOutputs } from './stack-outputs';

/**
 * Manual requests through the responders' function URLs (auth type AWS_IAM,
 * lib/constructs/manual-url.ts): the request is signed with SigV4 (service `lambda`) with the
 * caller's credentials from the default chain, so the function records the principal AWS
 * authenticated, not only the free-text --requested-by. The URL is --url, else
 * CORDON_ISOLATE_URL / CORDON_REVOKE_URL, else the stack output `IsolateInstanceManualUrl` /
 * `RevokeCredentialsManualUrl` of --stack (default CordonResponse) in --region.
 */

export type Responder = 'isolation' | 'credentials';

export const URL_ENV: Readonly<Record<Responder, string>> = { isolation: 'CORDON_ISOLATE_URL', credentials: 'CORDON_REVOKE_URL' };
export const DEFAULT_STACK = 'CordonResponse';

export interface UrlFlags {
  readonly url?: string;
  readonly stack?: string;
  readonly profile?: string;
  readonly region?: string;
  readonly json?: boolean;
}

/** The region in a function URL's host (`<url-id>.lambda-url.<region>.on.aws`), if it is one. */
export const regionOfUrl = (url: string): string | undefined => /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(new URL(url).hostname)?.[1];

const checkUrl = (flag: string, value: string): string => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliInputError(`expected ${flag} to be a function url such as https://abc123.lambda-url.eu-west-1.on.aws/, received ${JSON.stringify(value)}`);
  }
  const local = url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost');
  if (url.protocol !== 'https:' && !local) throw new CliInputError(`expected ${flag} to be an https url, received ${JSON.stringify(value)}`);
  return value;
};

export const forbiddenMessage = (url: string): string =>
  `not authorized to call the manual request url ${url} (403 Forbidden): your principal needs lambda:InvokeFunctionUrl and ` +
  'lambda:InvokeFunction (through the url) on the function: ask for your role to be listed in cordon.manual.callerPrincipalArns';

const missingMessage = (stack: string, region: string, output: string): string =>
  `no manual request url: stack ${stack} in ${region} has no output ${output} (a Cordon version without manual request urls?): deploy the current version, or pass --url`;

/** Sends `payload` to the responder's manual request URL, prints the answer, sets the exit code. */
export const sendManual = async (
  ctx: { readonly io: CliIo; readonly exit: { code: number } },
  flags: UrlFlags,
  responder: Responder,
  payload: unknown,
  env: NodeJS.ProcessEnv,
): Promise<void> => {
  const { io, exit } = ctx;
  checkOptionalId('stackName', '--stack', flags.stack);
  const explicit = flags.url !== undefined ? checkUrl('--url', flags.url) : env[URL_ENV[responder]] ? checkUrl(URL_ENV[responder], env[URL_ENV[responder]] ?? '') : undefined;
  // The SDK's default chain for credentials and region (profile, env, SSO, instance role, ...).
  const client = new LambdaClient({ ...(flags.profile ? { profile: flags.profile } : {}), ...(flags.region ? { region: flags.region } : {}) });
  try {
    const region = (explicit ? regionOfUrl(explicit) : undefined) ?? (await client.config.region());
    const credentials = await client.config.credentials();
    let url = explicit;
    if (!url) {
      const stack = flags.stack ?? DEFAULT_STACK;
      const output = MANUAL_URL_OUTPUTS[responder];
      url = (await stackOutputs({ stackName: stack, region, credentials, env }))[output];
      if (!url) throw new CliInputError(missingMessage(stack, region, output));
    }
    const response = await signedRequest({
      url,
      method: 'POST',
      service: 'lambda',
      region,
      credentials,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    answer(io, exit, url, response, flags.json);
  } catch (error) {
    if (error instanceof CliInputError) throw error;
    reportAwsFailure(io, exit, `calling the ${responder} manual request url`, error);
  } finally {
    client.destroy();
  }
};

const answer = (io: CliIo, exit: { code: number }, url: string, response: { status: number; body: string }, json: boolean | undefined): void => {
  if (response.status === 403) {
    io.stderr(`cordon: ${forbiddenMessage(url)}\n`);
    exit.code = EXIT.unusable;
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    body = undefined;
  }
  const decided = typeof body === 'object' && body !== null && 'decision' in body;
  if (response.status === 200 && decided) {
    printAnswer(io, url, body, json);
    exit.code = EXIT.ok;
    return;
  }
  if (decided) {
    // The function refused the request (400/401/405): its answer says why, and it is evidenced.
    printAnswer(io, `${url} (HTTP ${response.status})`, body, json);
    io.stderr(`cordon: the manual request was refused (HTTP ${response.status}): ${(body as { reason?: string }).reason ?? ''}\n`);
  } else {
    io.stderr(`cordon: the manual request url answered HTTP ${response.status}: ${response.body.slice(0, 500)}\n`);
  }
  exit.code = EXIT.tampered;
};
