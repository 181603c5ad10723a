import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/**
 * AWS CLI v2 run against a closed local endpoint: the CLI parses the whole command line (service,
 * operation, every option, JSON and shorthand values, --query) before it opens a connection, so a
 * command it understands fails only on the connection ("Could not connect to the endpoint URL"),
 * while an unknown command or option, a missing required one or a malformed value fails first with
 * exit 252 (or 2) and the CLI's own message. Dummy credentials, no config files, one attempt.
 */

export interface AwsCli {
  readonly path: string;
  readonly version: string;
  /** The Python interpreter of a pip/Debian-packaged CLI: all commands then run in one process. */
  readonly python?: string;
}

export interface AwsResult {
  readonly rc: number;
  readonly stderr: string;
}

export const CONNECTION_FAILED = /Could not connect to the endpoint URL/;

/**
 * AWS CLI v2: CORDON_AWS_CLI when set (only that one), else /usr/bin/aws (Debian's awscli) or the
 * first `aws` on PATH that reports aws-cli/2 (a CLI v1 shim may come first on PATH).
 */
export const findAwsCliV2 = (): { cli?: AwsCli; why?: string } => {
  const chosen = process.env.CORDON_AWS_CLI;
  const onPath = chosen ? [] : (spawnSync('bash', ['-c', 'type -ap aws'], { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean);
  const seen: string[] = [];
  for (const path of chosen ? [chosen] : ['/usr/bin/aws', ...onPath]) {
    const probe = spawnSync(path, ['--version'], { encoding: 'utf8', env: { ...process.env, AWS_PAGER: '' } });
    if (probe.error) continue;
    const version = `${probe.stdout}${probe.stderr}`.trim().split(/\s/)[0] ?? '';
    seen.push(`${path}: ${version}`);
    if (!version.startsWith('aws-cli/2.')) continue;
    const shebang = /^#!\s*(\S*python[\d.]*)\s*$/.exec(readFileSync(path, 'latin1').split('\n')[0] ?? '')?.[1];
    const importable = shebang !== undefined && spawnSync(shebang, ['-c', 'import awscli.clidriver'], { encoding: 'utf8' }).status === 0;
    return { cli: { path, version, ...(importable ? { python: shebang } : {}) } };
  }
  return { why: seen.length ? `no AWS CLI v2 (found ${seen.join(', ')})` : 'no aws command' };
};

/** A loopback port nothing listens on (bound, then closed). */
export const closedPort = async (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

const env = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_DEFAULT_REGION: 'eu-west-1',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_MAX_ATTEMPTS: '1',
  AWS_RETRY_MODE: 'standard',
  AWS_PAGER: '',
  AWS_EC2_METADATA_DISABLED: 'true',
});

/** Runs each `aws` argv (without the leading `aws`) against http://127.0.0.1:<port>, in `cwd`. */
export const runAws = (cli: AwsCli, commands: readonly (readonly string[])[], port: number, cwd: string): AwsResult[] => {
  const lines = commands.map((argv) => [...argv, '--endpoint-url', `http://127.0.0.1:${port}`]);
  if (cli.python) {
    const run = spawnSync(cli.python, [join(__dirname, 'aws-batch.py')], { input: JSON.stringify(lines), encoding: 'utf8', env: env(), cwd, maxBuffer: 64 << 20 });
    if (run.status !== 0) throw new Error(`aws-batch.py failed: ${run.stderr}`);
    return JSON.parse(run.stdout) as AwsResult[];
  }
  return lines.map((argv) => {
    const run = spawnSync(cli.path, argv, { encoding: 'utf8', env: env(), cwd });
    return { rc: run.status ?? -1, stderr: run.stderr };
  });
};
