import { CommanderError } from 'commander';
import { CliInputError } from '../../lib/cli/ids';
import {
  REQUESTED_BY_ENV,
  isolatePayload,
  releasePayload,
  restorePayload,
  revokePayload,
} from '../../lib/cli/payloads';
import { runMode } from '../../lib/cli/mode';
import { buildProgram } from '../../lib/cli/program';

/**
 * Checks a documented `cordon` command with the CLI's own parser (lib/cli/program.ts) and its own
 * input checks, without running any action: every subcommand's action is replaced by one that
 * records what it was given, then the payload builders of isolate/release/revoke/restore (ids,
 * requester, exclusive flags) and the checks of `mode` run on it. No AWS client is created.
 * Returns undefined when the command would reach AWS, else what cordon would print.
 */

/** `cordon ...`, `npx cordon ...`, `npx tsx bin/cordon.ts ...`, `npm run drill [-- ...]`: the cordon argv, or undefined. */
export const cordonArgv = (argv: readonly string[]): string[] | undefined => {
  const [a, b, c, d] = argv;
  if (a === 'cordon') return argv.slice(1);
  if (a === 'npx' && b === 'cordon') return argv.slice(2);
  if (a === 'npx' && b === 'tsx' && c === 'bin/cordon.ts') return argv.slice(3);
  if (a === 'npm' && b === 'run' && c === 'drill') return ['drill', ...argv.slice(d === '--' ? 4 : 3)];
  return undefined;
};

class ParsedOnly extends Error {}

/** What commander parsed; commands with a --reason declare it required, so commander has checked it. */
type Flags = Record<string, unknown> & { reason: string };

const checkAction = async (name: string, args: readonly unknown[], flags: Flags, env: NodeJS.ProcessEnv): Promise<void> => {
  // isolate/release/revoke/restore need no variable: they find their manual request URL in the
  // response stack's outputs (lib/cli/manual-url.ts), or take --url / --function.
  const first = args[0] as string | undefined;
  switch (name) {
    case 'isolate':
      isolatePayload(first, flags as Parameters<typeof isolatePayload>[1], env);
      return;
    case 'release':
      releasePayload(first!, flags as Parameters<typeof releasePayload>[1], env);
      return;
    case 'revoke':
      revokePayload(flags as Parameters<typeof revokePayload>[0], env);
      return;
    case 'restore':
      restorePayload(first!, flags as Parameters<typeof restorePayload>[1], env);
      return;
    case 'mode': {
      const requestedBy = (flags.requestedBy as string | undefined) ?? env[REQUESTED_BY_ENV];
      const refused = await runMode(first, { ...flags, ...(requestedBy ? { requestedBy } : {}) }, { stdout: () => undefined, stderr: () => undefined, interactive: false }, {
        ssm: () => {
          throw new ParsedOnly();
        },
      }).catch((error: unknown) => (error instanceof ParsedOnly ? undefined : Promise.reject(error)));
      if (refused !== undefined) throw new CliInputError(`mode exits ${refused} before any AWS call`);
      return;
    }
    case 'invoke': {
      const payload = flags.payload as string;
      if (!payload.startsWith('@')) JSON.parse(payload);
      return;
    }
    default:
      return;
  }
};

export const checkCordon = async (argv: readonly string[], env: NodeJS.ProcessEnv): Promise<string | undefined> => {
  const printed: string[] = [];
  const io = { stdout: () => undefined, stderr: (text: string) => void printed.push(text), interactive: false };
  const program = buildProgram(io, { code: 0 });
  let ran: { name: string; args: unknown[]; flags: Flags } | undefined;
  for (const command of program.commands) {
    command.action((...received: unknown[]) => {
      // commander passes the arguments, then the options, then the command itself.
      ran = { name: command.name(), args: received.slice(0, -2), flags: command.opts<Flags>() };
    });
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? undefined : (printed.join('').split('\n')[0] ?? error.message);
    throw error;
  }
  if (!ran) return undefined; // `cordon --help` and the like
  try {
    await checkAction(ran.name, ran.args, ran.flags, env);
    return undefined;
  } catch (error) {
    if (error instanceof CliInputError || error instanceof SyntaxError) return `cordon: ${error.message}`;
    throw error;
  }
};
