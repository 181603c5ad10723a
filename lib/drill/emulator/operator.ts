import { execFile, spawnSync } from 'node:child_process';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import type { EmulatorAws } from './clients';

/**
 * An operator at a shell, for the emulator drill: runs the `aws ...` commands Cordon's evidence
 * tells a person to run (release's `notRestored`), as written, with AWS CLI v2 pointed at the
 * emulator (`--endpoint-url`), signed with credentials of an operator role in the account (moto
 * acts in the account of the role an AssumeRole names). What it changes is the operator's doing,
 * not Cordon's: its calls are not recorded for the authorization check.
 */

export interface OperatorRun {
  readonly command: string;
  readonly ok: boolean;
  /** The CLI's error output, when it failed. */
  readonly error?: string;
}

/** The AWS CLI v2 binary (`aws --version` prints `aws-cli/2.`), else undefined; a pyenv shim of v1 may come first on PATH. */
let found: { bin?: string } | undefined;
export const awsCliV2 = (): string | undefined =>
  (found ??= { bin: ['aws', '/usr/bin/aws'].find((bin) => /^aws-cli\/2\./.test(spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 20_000 }).stdout ?? '')) }).bin;

const run = (bin: string, command: string, env: NodeJS.ProcessEnv): Promise<OperatorRun> =>
  new Promise((done) => {
    // The command is the evidence's text, shell-quoted for a person's shell: bash reads it as they would.
    const line = `${command.replace(/^aws /, `${JSON.stringify(bin)} `)} --endpoint-url "$CORDON_EMULATOR_ENDPOINT"`;
    execFile('bash', ['-c', line], { env, timeout: 60_000 }, (error, _stdout, stderr) =>
      done(error ? { command, ok: false, error: (stderr || error.message).trim().split('\n').slice(-2).join(' ') } : { command, ok: true }),
    );
  });

/** Runs each command (in parallel, as independent lines an operator pastes) in `account`. */
export const runAsOperator = async (aws: EmulatorAws, bin: string, account: string, commands: readonly string[]): Promise<OperatorRun[]> => {
  const session = await aws
    .seeder(account)
    .sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/IncidentOperator`, RoleSessionName: 'emulator-drill-operator' }));
  const c = session.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('emulator: AssumeRole of the operator returned no credentials');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: c.AccessKeyId,
    AWS_SECRET_ACCESS_KEY: c.SecretAccessKey,
    ...(c.SessionToken ? { AWS_SESSION_TOKEN: c.SessionToken } : {}),
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    CORDON_EMULATOR_ENDPOINT: aws.endpoint,
  };
  return Promise.all(commands.map((command) => run(bin, command, env)));
};
