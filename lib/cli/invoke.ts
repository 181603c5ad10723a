import { readFileSync } from 'node:fs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { Option, type Command } from 'commander';
import { CliInputError, checkId, regionOfFunctionArn } from './ids';
import { EXIT, type CliIo } from './io';
import { printAnswer, reportAwsFailure } from './answer';
import { DEFAULT_STACK, sendManual, URL_ENV, type Responder } from './manual-url';
import {
  checkCommon,
  isolatePayload,
  nonNegativeInt,
  opt,
  releasePayload,
  REQUESTED_BY_ENV,
  restorePayload,
  revokePayload,
  type CommonFlags,
  type IsolateFlags,
  type ReleaseFlags,
  type RevokeFlags,
} from './payloads';

/**
 * `cordon isolate | release | revoke | restore | invoke`: send the DEPLOYED responders the manual
 * payloads their parsers accept (built in lib/cli/payloads.ts; lambdas/findings/ec2-manual.ts
 * `manualRequestSchema`, lambdas/findings/credential-manual.ts `manualRevokeSchema` /
 * `manualPatternSchema` / `manualRestoreSchema`). By default through the responder's manual request URL, signed with SigV4
 * (lib/cli/manual-url.ts), so the evidence names the caller AWS authenticated; `--function NAME`
 * invokes the function directly instead (automation: evidenced as a direct invocation, and the
 * function refuses force, release, restore and patterns that way). Credentials and region come
 * from the standard chain (AWS_PROFILE / --profile, AWS_REGION / --region, SSO, ...). `--region`
 * means what it means to the aws CLI, in every cordon command: the region the calls are sent to
 * (here the function's); the target's own region is `--instance-region`. Every id is checked
 * (lib/cli/ids.ts) before any AWS call.
 *
 * Exit codes: 0 the function answered; 1 it failed or refused the request; 2 no credentials, not
 * authorized (403), no url or function, or bad input.
 */

export { NO_CREDENTIALS } from './answer';

/** Usage or environment problem: exit 2. */
const InvokeInputError = CliInputError;

interface RawFlags {
  readonly function?: string;
  readonly profile?: string;
  readonly region?: string;
  readonly json?: boolean;
  readonly payload: string;
}

/** Direct invocation (`--function`) or the manual request URL; the function ARN must agree with --region. */
const send = (ctx: InvokeContext, flags: CommonFlags, responder: Responder, payload: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<void> =>
  flags.function !== undefined
    ? invoke(ctx, flags, checkFunction('--function', flags.function, flags.region), payload)
    : sendManual(ctx, flags, responder, payload, env);

const checkFunction = (flag: string, name: string, region: string | undefined): string => {
  checkId('functionName', flag, name);
  const arnRegion = regionOfFunctionArn(name);
  if (arnRegion !== undefined && region !== undefined && arnRegion !== region) {
    throw new InvokeInputError(`${flag} is a function in ${arnRegion} but --region is ${region}: drop --region or name the function in ${region}`);
  }
  return name;
};

/** The region the call goes to: --region, else the function ARN's, else the SDK's default chain. */
const callRegion = (flags: { region?: string }, name: string): string | undefined => flags.region ?? regionOfFunctionArn(name);

interface InvokeContext {
  readonly io: CliIo;
  readonly exit: { code: number };
}

/** Invokes synchronously, prints the answer, sets the exit code. */
const invoke = async (
  ctx: InvokeContext,
  flags: { profile?: string; region?: string; json?: boolean },
  name: string,
  payload: unknown,
): Promise<void> => {
  const { io, exit } = ctx;
  const client = new LambdaClient({ ...opt('profile', flags.profile), ...opt('region', callRegion(flags, name)) });
  let out;
  try {
    out = await client.send(
      new InvokeCommand({ FunctionName: name, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(payload)) }),
    );
  } catch (error) {
    reportAwsFailure(io, exit, `invoking ${name}`, error);
    return;
  } finally {
    client.destroy();
  }
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  let answer: unknown;
  try {
    answer = text === '' ? undefined : JSON.parse(text);
  } catch {
    answer = text;
  }
  if (out.FunctionError) {
    const err = (answer ?? {}) as { errorType?: string; errorMessage?: string };
    io.stderr(`cordon: ${name} failed (${out.FunctionError}): ${err.errorType ?? 'Error'}: ${err.errorMessage ?? text}\n`);
    if (flags.json) io.stdout(`${text}\n`);
    exit.code = EXIT.tampered;
    return;
  }
  printAnswer(io, `${name}${out.ExecutedVersion ? ` (version ${out.ExecutedVersion})` : ''}`, answer, flags.json);
  exit.code = EXIT.ok;
};

const withClientOptions = (c: Command, functionRequired = false): Command =>
  (functionRequired
    ? c.requiredOption('--function <name>', 'the deployed function name or ARN')
    : c
        .option('--url <url>', `the responder's manual request url (default: ${URL_ENV.isolation} for isolate/release, ${URL_ENV.credentials} for revoke/restore, else the stack output)`)
        .option('--stack <name>', `the response stack whose output names the url (default: ${DEFAULT_STACK})`)
        .option('--function <name>', 'invoke this function directly instead (automation: no authenticated caller, so force, release, restore and patterns are refused)'))
    .option('--profile <name>', 'AWS profile (default: AWS_PROFILE / the default chain)')
    .option('--region <region>', "the region the call is sent to, the function's (default: the function ARN's, else AWS_REGION / the profile's region)")
    .option('--json', 'print the function response as JSON');

const withRequest = (c: Command): Command =>
  c
    .requiredOption('--reason <text>', 'why: recorded in the evidence')
    .option('--requested-by <who>', `who asks: recorded in the evidence (default: ${REQUESTED_BY_ENV})`)
    .option('--ticket <id>', 'change or incident ticket');

export const registerInvoke = (program: Command, io: CliIo, exit: { code: number }, env: NodeJS.ProcessEnv = process.env): void => {
  const ctx: InvokeContext = { io, exit };
  const run = async (work: () => Promise<void>): Promise<void> => {
    try {
      await work();
    } catch (error) {
      if (!(error instanceof InvokeInputError)) throw error;
      io.stderr(`cordon: ${error.message}\n`);
      exit.code = EXIT.unusable;
    }
  };

  withClientOptions(
    withRequest(
      program
        .command('isolate')
        .description(`isolate an EC2 instance with the deployed isolation function (through its manual request url)`)
        .argument('[instance-id]', 'i-0123456789abcdef0 (or name a GuardDuty finding with --finding-id/--detector-id)')
        .option('--account <id>', "the instance's account (default: the function's)")
        .option('--instance-region <region>', "the instance's region (default: the function's)")
        .option('--force', 'kept for compatibility: the protected tag is enforced by IAM and cannot be overridden')
        .option('--finding-id <id>', 'isolate the instance of this GuardDuty finding')
        .option('--detector-id <id>', 'the detector of --finding-id'),
    ),
  ).action((instanceId: string | undefined, flags: IsolateFlags) =>
    run(() => send(ctx, flags, 'isolation', isolatePayload(instanceId, flags, env), env)),
  );

  withClientOptions(
    withRequest(
      program
        .command('release')
        .description(`undo an isolation from its evidence (through its manual request url)`)
        .argument('<instance-id>', 'the isolated instance')
        .option('--incident-id <id>', "the isolation's incident (default: the instance's cordon:incident tag)")
        .option('--reattach-asg', 'put the instance back in its Auto Scaling group')
        .option('--account <id>', "the instance's account (default: the function's)")
        .option('--instance-region <region>', "the instance's region (default: the function's)"),
    ),
  ).action((instanceId: string, flags: ReleaseFlags) =>
    run(() => send(ctx, flags, 'isolation', releasePayload(instanceId, flags, env), env)),
  );

  withClientOptions(
    withRequest(
      program
        .command('revoke')
        .description(`revoke credentials with the deployed credentials function (through its manual request url); patterns are previewed first`)
        .option('--access-key-id <id>', 'the leaked access key (AKIA... or ASIA...)')
        .option('--user-name <name>', 'the key owner; alone: the user itself is compromised')
        .option('--role-name <name>', 'revoke every session of this role issued before now')
        .option('--account <id>', "the principal's account (default: the function's)")
        .option('--force', 'override the allowlist (never the protected tag, root, service-linked, SSO or Cordon roles)')
        .option('--path-prefix <path>', 'pattern: users under this IAM path, e.g. /contractors/')
        .option('--tag <key=value>', 'pattern: users with this tag')
        .addOption(new Option('--older-than-days <n>', 'pattern: keys older than this').argParser(nonNegativeInt))
        .option('--preview', 'pattern: list the matching keys and return a digest; changes nothing')
        .option('--confirm <digest>', "pattern: revoke what the preview listed (the preview's digest)"),
    ),
  ).action((flags: RevokeFlags) => run(() => send(ctx, flags, 'credentials', revokePayload(flags, env), env)));

  withClientOptions(
    withRequest(
      program
        .command('restore')
        .description(`undo a revocation from its evidence (through its manual request url)`)
        .argument('<incident-id>', 'inc-<24 hex>, the revocation incident'),
    ),
  ).action((incidentId: string, flags: CommonFlags) =>
    run(() => send(ctx, flags, 'credentials', restorePayload(incidentId, flags, env), env)),
  );

  withClientOptions(
    program
      .command('invoke')
      .description('invoke a Cordon function with a raw JSON payload (an event to replay, or a manual request)')
      .requiredOption('--payload <json|@file>', 'the payload, inline JSON or @path/to/event.json'),
    true,
  ).action((flags: RawFlags) =>
    run(async () => {
      let payload: unknown;
      try {
        payload = JSON.parse(flags.payload.startsWith('@') ? readFileSync(flags.payload.slice(1), 'utf8') : flags.payload);
      } catch (error) {
        throw new InvokeInputError(`expected --payload to be JSON or @file: ${(error as Error).message}`);
      }
      checkCommon(flags);
      await invoke(ctx, flags, checkFunction('--function', flags.function ?? '', flags.region), payload);
    }),
  );
};
