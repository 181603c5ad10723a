import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ShellBlock } from './markdown';

/**
 * Runs the shell blocks of one page as the one shell session a reader pastes them into, with bash
 * doing the parsing (quotes, continuations, $(...), ${VAR##*:}, loops) and `set -u` refusing any
 * variable used before it is set. No external program runs: PATH is empty and bash's
 * command_not_found_handle records each command's final argv (after bash's own expansion and word
 * splitting) and prints a stand-in value for $(...) (a date for `date`, `doc-value` otherwise).
 * Redirections write into a throw-away folder. Needs bash >= 4 (command_not_found_handle).
 */

export interface Origin {
  readonly file: string;
  readonly line: number;
}

export interface Invocation extends Origin {
  readonly argv: readonly string[];
  /** Exported CORDON_* variables when the command ran (what `cordon` would see). */
  readonly env: Readonly<Record<string, string>>;
}

export interface Session {
  readonly invocations: readonly Invocation[];
  /** bash's own complaints (unbound variable, syntax, redirection), located in the page. */
  readonly errors: readonly string[];
}

/** A fixed instant for `date` stand-ins: ISO 8601 or, for `+%s`, epoch seconds. */
export const STAND_IN = { value: 'doc-value', isoTime: '2026-01-01T00:00:00Z', epoch: '1767225600' } as const;

const FIELD = '\x1f';
const RECORD = '\x1e';
const ENV_MARK = '\x1d';

const PRELUDE = String.raw`
command_not_found_handle() {
  local __docs_v __docs_r
  # One write per record: commands of a pipeline run at once and append to the same log.
  printf -v __docs_r '%s\x1f' "${'${BASH_LINENO[0]}'}" "$@"
  for __docs_v in $(compgen -e); do
    [[ $__docs_v == CORDON_* ]] && printf -v __docs_r '%s\x1d%s=%s\x1f' "$__docs_r" "$__docs_v" "${'${!__docs_v}'}"
  done
  printf '%s\x1e' "$__docs_r" >> "$__DOCS_LOG"
  if [[ $1 == date ]]; then
    if [[ " $* " == *" +%s "* ]]; then printf '%s\n' ${STAND_IN.epoch}; else printf '%s\n' ${STAND_IN.isoTime}; fi
  else
    printf '%s\n' ${STAND_IN.value}
  fi
  return 0
}
set -u
`;

/** The bash to use: the first on PATH that is version 4 or later, else undefined (with why). */
export const findBash = (): { path?: string; why?: string } => {
  const probe = spawnSync('bash', ['-c', 'printf "%s %s" "${BASH_VERSINFO[0]}" "$BASH"'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return { why: 'bash is not on PATH' };
  const [major, path] = probe.stdout.split(' ');
  if (Number(major) < 4) return { why: `bash ${major} has no command_not_found_handle (bash 4 or later needed)` };
  return { path: path! };
};

/** Runs `blocks` (in order: setup first) as one bash session and returns what it ran. */
export const runSession = (bash: string, blocks: readonly ShellBlock[]): Session => {
  const origins: (Origin | undefined)[] = [];
  const script: string[] = [];
  const add = (text: string, origin?: Origin) => {
    script.push(text);
    origins[script.length] = origin;
  };
  for (const line of PRELUDE.split('\n')) add(line);
  for (const block of blocks) {
    add(`# ${block.file}:${block.line}`);
    block.lines.forEach((line, i) => add(line, { file: block.file, line: block.line + i }));
  }
  const dir = mkdtempSync(join(tmpdir(), 'cordon-docs-'));
  try {
    const log = join(dir, '.invocations');
    writeFileSync(log, '');
    writeFileSync(join(dir, '.session.sh'), `${script.join('\n')}\n`);
    const empty = join(dir, '.no-programs');
    const run = spawnSync(bash, ['--noprofile', '--norc', '.session.sh'], {
      cwd: dir,
      env: { PATH: empty, HOME: dir, LANG: 'C', __DOCS_LOG: log },
      encoding: 'utf8',
      input: '',
      timeout: 30_000,
    });
    const where = (n: number) => {
      const o = origins[n];
      return o ? `${o.file}:${o.line}` : `session line ${n}`;
    };
    const errors = run.stderr
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.replace(/^\.session\.sh: line (\d+): /, (_m, n: string) => `${where(Number(n))}: `));
    if (run.error) errors.push(`bash did not finish: ${run.error.message}`);
    const invocations = readFileSync(log, 'utf8')
      .split(RECORD)
      .filter((r) => r !== '')
      .map((record): Invocation => {
        const fields = record.split(FIELD).slice(0, -1);
        const lineNo = Number(fields.shift());
        const env = Object.fromEntries(
          fields.filter((f) => f.startsWith(ENV_MARK)).map((f) => {
            const eq = f.indexOf('=');
            return [f.slice(1, eq), f.slice(eq + 1)];
          }),
        );
        const argv = fields.filter((f) => !f.startsWith(ENV_MARK));
        const origin = origins[lineNo] ?? { file: '(prelude)', line: lineNo };
        return { ...origin, argv, env };
      });
    return { invocations, errors };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
