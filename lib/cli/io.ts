/** Where the CLI writes; a test passes buffers, the binary passes the process streams. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether progress lines are wanted by default (stderr is a TTY). */
  readonly interactive: boolean;
  /** Whether stdout may carry colour (a terminal, NO_COLOR unset). @default false */
  readonly colour?: boolean;
}

export const processIo = (): CliIo => ({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  interactive: process.stderr.isTTY === true,
  colour: process.stdout.isTTY === true && !process.env.NO_COLOR,
});

/** Exit codes shared by every subcommand. */
export const EXIT = { ok: 0, tampered: 1, unusable: 2 } as const;

