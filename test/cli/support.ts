import { runCli } from '../../lib/cli/program';

/** Runs `cordon ...` in-process and collects what it writes. */
export const run = async (...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { stdout: (t) => out.push(t), stderr: (t) => err.push(t), interactive: false });
  return { code, stdout: out.join(''), stderr: err.join('') };
};
