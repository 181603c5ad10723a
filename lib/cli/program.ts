import { Command, CommanderError } from 'commander';
import { EXIT, type CliIo, processIo } from './io';
import { registerVerify } from './verify';
import { registerDrill } from './drill';
import { registerInvoke } from './invoke';
import { registerMode } from './mode';
import { PACKAGE_VERSION } from '../package';

export { EXIT, processIo, type CliIo } from './io';

/**
 * The `cordon` program. Each subcommand registers itself and sets `exit.code`; add `drill`,
 * `isolate`, `revoke`, ... the same way.
 */
export const buildProgram = (io: CliIo, exit: { code: number }): Command => {
  const program = new Command('cordon')
    .description('Cordon: serverless AWS incident response — guard, contain, prove.')
    .version(PACKAGE_VERSION, '-V, --version', 'print the version of cordon')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError();
  registerVerify(program, io, exit);
  registerDrill(program, io, exit);
  registerInvoke(program, io, exit);
  registerMode(program, io, exit);
  return program;
};

/** Runs the CLI in-process and returns the exit code (0 valid, 1 tampered, 2 unusable input). */
export const runCli = async (argv: readonly string[], io: CliIo = processIo()): Promise<number> => {
  const exit = { code: EXIT.ok as number };
  try {
    await buildProgram(io, exit).parseAsync([...argv], { from: 'user' });
    return exit.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help / --version exit 0; usage errors were already printed by commander.
      return error.exitCode === 0 ? EXIT.ok : EXIT.unusable;
    }
    io.stderr(`cordon: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.unusable;
  }
};
