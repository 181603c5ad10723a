import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Command } from 'commander';
import type { Mode } from '../../lambdas/evidence/types';
import { CliInputError, checkOptionalId } from './ids';
import { EXIT, type CliIo } from './io';
import { MODE_PARAMETER_NAME } from '../../lambdas/shared/names';

/**
 * `cordon mode [off|dry-run|enforce]`: the one kill switch, the SSM parameter `/cordon/mode` of the
 * home region (the response stack's region: nothing reads it anywhere else). Without a value it
 * prints the current mode. With one it prints the previous value, then writes the new one with a
 * description naming who and why, which CloudTrail records with the change; the tamper rules on the
 * kill-switch parameter (lib/constructs, "changes to Cordon itself") notify and evidence it.
 *
 * The home region is `--region`, else the profile's region; a region without the parameter is
 * refused with a clear line (it is not the home region), never written to.
 * Exit codes: 0 read or written; 2 bad input, no credentials, or not the home region.
 */

const MODES: readonly Mode[] = ['enforce', 'dry-run', 'off'];
const CREDENTIAL_ERRORS = new Set(['CredentialsProviderError', 'TokenProviderError']);

interface ModeFlags {
  readonly profile?: string;
  readonly region?: string;
  readonly reason?: string;
  readonly requestedBy?: string;
}

export interface ModeDeps {
  readonly ssm: (options: { profile?: string; region?: string }) => Pick<SSMClient, 'send'>;
}

const defaultDeps: ModeDeps = { ssm: (options) => new SSMClient(options) };

const checkMode = (value: string): Mode => {
  if (!(MODES as readonly string[]).includes(value)) throw new CliInputError(`expected the mode to be one of ${MODES.join(', ')}, received ${JSON.stringify(value)}`);
  return value as Mode;
};

export const runMode = async (value: string | undefined, flags: ModeFlags, io: CliIo, deps: ModeDeps = defaultDeps): Promise<number> => {
  const next = value === undefined ? undefined : checkMode(value);
  checkOptionalId('region', '--region', flags.region);
  if (next && (!flags.reason?.trim() || !flags.requestedBy?.trim())) {
    throw new CliInputError('changing the mode needs --reason and --requested-by (or CORDON_REQUESTED_BY): the change is evidenced with them');
  }
  const ssm = deps.ssm({ ...(flags.profile ? { profile: flags.profile } : {}), ...(flags.region ? { region: flags.region } : {}) });
  let previous: string;
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: MODE_PARAMETER_NAME }));
    previous = out.Parameter?.Value ?? '';
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    if (name === 'ParameterNotFound') {
      io.stderr(`cordon: no kill switch ${MODE_PARAMETER_NAME} in ${flags.region ?? 'the default region'}: it exists only in the home region (the CordonResponse stack's); pass --region <home region>\n`);
      return EXIT.unusable;
    }
    if (CREDENTIAL_ERRORS.has(name)) {
      io.stderr('cordon: no AWS credentials found: set AWS_PROFILE or run aws sso login\n');
      return EXIT.unusable;
    }
    if (name === 'Error' && /Region is missing/.test((error as Error).message)) {
      io.stderr('cordon: no AWS region: set AWS_REGION, a profile region, or --region\n');
      return EXIT.unusable;
    }
    throw error;
  }
  if (!next) {
    io.stdout(`${previous}\n`);
    return EXIT.ok;
  }
  if (previous === next) {
    io.stdout(`mode is already ${next}: nothing changed\n`);
    return EXIT.ok;
  }
  await ssm.send(
    new PutParameterCommand({
      Name: MODE_PARAMETER_NAME,
      Value: next,
      Overwrite: true,
      Description: `Cordon kill switch: ${next}, set by ${flags.requestedBy?.trim() ?? ''}: ${flags.reason?.trim() ?? ''}`.slice(0, 1024),
    }),
  );
  io.stdout(`mode: ${previous || '(unset)'} -> ${next}\n`);
  return EXIT.ok;
};

export const registerMode = (program: Command, io: CliIo, exit: { code: number }): void => {
  program
    .command('mode')
    .description(`read or set the kill switch (${MODE_PARAMETER_NAME} in the home region): ${MODES.join(' | ')}`)
    .argument('[value]', `the new mode: ${MODES.join(', ')}; omit to print the current one`)
    .option('--reason <text>', 'why (required to change it; recorded with the change)')
    .option('--requested-by <who>', 'who asks (default: CORDON_REQUESTED_BY)')
    .option('--profile <name>', 'AWS profile (default: AWS_PROFILE / the default chain)')
    .option('--region <region>', "the home region, where the kill switch is (default: AWS_REGION / the profile's region)")
    .action(async (value: string | undefined, flags: ModeFlags) => {
      const requestedBy = flags.requestedBy ?? process.env.CORDON_REQUESTED_BY;
      // A CliInputError reaches runCli, which prints it as one line and exits 2.
      exit.code = await runMode(value, { ...flags, ...(requestedBy ? { requestedBy } : {}) }, io);
    });
};
