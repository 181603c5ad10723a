import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNBOOK_OUTPUTS } from '../../lib/outputs';
import { manualPatternSchema, manualRestoreSchema, manualRevokeSchema } from '../../lambdas/findings/credentials';
import { manualRequestSchema } from '../../lambdas/findings/ec2';
import { credentialsPrivileged, isolationPrivileged } from '../../lambdas/manual/entry';
import { CONNECTION_FAILED, closedPort, findAwsCliV2, runAws } from './aws-cli';
import { checkCordon, cordonArgv } from './cordon-parse';
import { COMMON_SETUP, ROOT, SETUP_LINK, documentedFiles, sessionBlocks, shellBlocks } from './markdown';
import { type Invocation, type Session, findBash, runSession } from './session';
import { shapedArgv, shapedPayload } from './stand-ins';

/**
 * Every shell command in README.md and docs/**.md, checked as a reader would paste it: each page
 * is one shell session (a runbook that links to the common setup starts with it) run by bash with
 * `set -u` and no programs (test/docs/session.ts); `cordon` commands go through the CLI's own
 * parser and input checks; `aws` commands through AWS CLI v2 against a closed local port.
 * Where bash >= 4 or AWS CLI v2 is missing, one line says so and those checks do not run.
 */


const BASH = findBash();
const AWS = findAwsCliV2();
if (!BASH.path) console.log(`documented commands not run: ${BASH.why}`);
const HAS_JQ = spawnSync('jq', ['--version']).status === 0;
if (!HAS_JQ) console.log('documented jq payloads not checked: jq is not installed');
if (!AWS.cli) console.log(`documented aws commands not checked: ${AWS.why} (Debian/Ubuntu: apt-get install awscli; else https://aws.amazon.com/cli/)`);

const PAGES = documentedFiles();
const BLOCKS = new Map(PAGES.map((page) => [page, shellBlocks(page)]));

/** Programs that differ between macOS (BSD) and Linux (GNU), and what to write instead. */
const NOT_PORTABLE: readonly { test: (argv: readonly string[]) => boolean; instead: string }[] = [
  { test: (a) => a[0] === 'date' && a.some((x) => /^-[a-zA-Z]*[dv]/.test(x) || x.startsWith('--date')), instead: 'date -d / -v (GNU / BSD only): use $(( $(date -u +%s) - SECONDS )) epoch arithmetic' },
  { test: (a) => ['sha256sum', 'sha1sum', 'md5sum', 'sha512sum'].includes(a[0]!), instead: 'GNU coreutils only: use openssl dgst -sha256' },
  { test: (a) => a[0] === 'base64' && a.some((x) => /^-[a-zA-Z]*[dDw]/.test(x)), instead: 'base64 -d/-D/-w differ: use base64 --decode' },
  { test: (a) => a[0] === 'sed' && a.some((x) => /^-[a-zA-Z]*i/.test(x) || x.startsWith('--in-place')), instead: 'sed -i differs (BSD needs a suffix)' },
  { test: (a) => a[0] === 'readlink' && a.includes('-f'), instead: 'readlink -f is GNU only' },
  { test: (a) => a[0] === 'grep' && a.some((x) => /^-[a-zA-Z]*P/.test(x)), instead: 'grep -P is GNU only' },
  { test: (a) => a[0] === 'stat' || a[0] === 'timeout' || a[0] === 'tac', instead: 'not on macOS, or with other flags' },
  { test: (a) => a[0] === 'xargs' && a.includes('-r'), instead: 'xargs -r is GNU only' },
  { test: (a) => a[0] === 'mktemp' && a.some((x) => x.startsWith('--')), instead: 'mktemp long options are GNU only' },
];

const where = (i: Invocation) => `${i.file}:${i.line}`;

describe('documented shell blocks', () => {
  it('finds the shell blocks of the README and every runbook', () => {
    expect(PAGES).toEqual(expect.arrayContaining(['README.md', COMMON_SETUP, 'docs/runbooks/kill-switch.md', 'docs/runbooks/auditing-evidence.md']));
    for (const page of PAGES.filter((p) => p.startsWith('docs/runbooks/') || p === 'README.md')) {
      expect({ page, blocks: BLOCKS.get(page)!.length }).toEqual({ page, blocks: expect.any(Number) });
      expect(BLOCKS.get(page)!.length).toBeGreaterThan(0);
    }
  });

  it('tells every runbook but the index to run the common setup first', () => {
    const runbooks = PAGES.filter((p) => p.startsWith('docs/runbooks/') && p !== COMMON_SETUP);
    const missing = runbooks.filter((p) => !readFileSync(join(ROOT, p), 'utf8').includes(SETUP_LINK));
    expect(missing).toEqual([]);
  });

  it('states what a reader needs installed: AWS CLI v2, jq, OpenSSL, the cordon command', () => {
    const index = readFileSync(join(ROOT, COMMON_SETUP), 'utf8');
    for (const needed of ['AWS CLI v2', 'aws --version', 'jq', 'openssl', 'npm link']) expect(index).toContain(needed);
  });
});

if (BASH.path) {
  const bash = BASH.path;
  const sessions = new Map<string, Session>(PAGES.map((page) => [page, runSession(bash, sessionBlocks(page))]));
  const all = [...sessions.values()].flatMap((s) => s.invocations);
  const own = (page: string) => sessions.get(page)!.invocations.filter((i) => i.file === page);
  const cordon = all.filter((i) => cordonArgv(i.argv) !== undefined);
  const aws = all.filter((i) => i.argv[0] === 'aws');

  describe('the session harness', () => {
    it('rejects a variable used before it is set, naming the page and line', () => {
      const s = runSession(bash, [{ file: 'x.md', line: 10, lines: ['A=1', 'aws s3 ls "s3://$A/$INCIDENT_ID"'] }]);
      expect(s.errors).toEqual(['x.md:11: INCIDENT_ID: unbound variable']);
    });

    it('records the argv bash would run, after quoting, continuations and $(...)', () => {
      const s = runSession(bash, [{ file: 'x.md', line: 1, lines: ["B=$(aws sts get-caller-identity --query Arn --output text)", "cordon mode off --reason 'a b' \\", '  --requested-by "$B"'] }]);
      expect(s.errors).toEqual([]);
      expect(s.invocations.map((i) => [i.line, i.argv])).toEqual([
        [1, ['aws', 'sts', 'get-caller-identity', '--query', 'Arn', '--output', 'text']],
        [2, ['cordon', 'mode', 'off', '--reason', 'a b', '--requested-by', 'doc-value']],
      ]);
    });

    it('rejects a <placeholder> that the shell reads as a redirection', () => {
      const s = runSession(bash, [{ file: 'x.md', line: 1, lines: ['cordon revoke --confirm <digest> --reason x'] }]);
      expect(s.errors).toEqual(['x.md:1: digest: No such file or directory']);
    });

    it('rejects an unknown cordon option and a malformed id with the CLI’s own message', async () => {
      expect(await checkCordon(['isolate', 'i-0a7d3c9e5b1f24680', '--reason', 'x', '--reasn', 'x'], {})).toBe("error: unknown option '--reasn'");
      expect(await checkCordon(['release', 'i-123', '--reason', 'x'], { CORDON_ISOLATE_FUNCTION: 'f', CORDON_REQUESTED_BY: 'a' })).toBe(
        'cordon: expected the instance id to be an EC2 instance id such as i-0123456789abcdef0, received "i-123"',
      );
      // No variable needed: the manual request URL comes from the response stack's outputs.
      expect(await checkCordon(['restore', 'inc-0123456789abcdef01234567', '--reason', 'x', '--requested-by', 'a'], {})).toBeUndefined();
      expect(await checkCordon(['restore', 'inc-0123456789abcdef01234567', '--reason', 'x'], {})).toBe(
        'cordon: expected --requested-by WHO (or CORDON_REQUESTED_BY): every manual action names its requester',
      );
      expect(await checkCordon(['mode', 'on'], {})).toBe('cordon: expected the mode to be one of enforce, dry-run, off, received "on"');
      expect(await checkCordon(['mode', 'off', '--reason', 'x', '--requested-by', 'a', '--region', 'eu-west-1'], {})).toBeUndefined();
    });
  });

  describe('documented commands', () => {
    it.each(PAGES)('%s: pastes into one shell without an unset variable, a syntax error or a broken redirection', (page) => {
      expect(sessions.get(page)!.errors).toEqual([]);
    });

    it('has cordon and aws commands in every runbook but the index', () => {
      for (const page of PAGES.filter((p) => p.startsWith('docs/runbooks/') && p !== COMMON_SETUP)) {
        const kinds = new Set(own(page).map((i) => (cordonArgv(i.argv) ? 'cordon' : i.argv[0])));
        expect({ page, aws: kinds.has('aws'), cordon: kinds.has('cordon') }).toEqual({ page, aws: true, cordon: true });
      }
      expect(cordon.length).toBeGreaterThanOrEqual(20);
      expect(aws.length).toBeGreaterThanOrEqual(60);
    });

    it('passes every cordon command through the CLI’s own parser and input checks', async () => {
      const problems: string[] = [];
      for (const i of cordon) {
        const problem = await checkCordon(shapedArgv(cordonArgv(i.argv)!), i.env);
        if (problem) problems.push(`${where(i)}: ${i.argv.join(' ')}\n  ${problem}`);
      }
      expect(problems).toEqual([]);
    });

    it('uses only commands that behave the same on macOS and Linux', () => {
      const problems = all.flatMap((i) => NOT_PORTABLE.filter((rule) => rule.test(i.argv)).map((rule) => `${where(i)}: ${i.argv.join(' ')} — ${rule.instead}`));
      expect(problems).toEqual([]);
    });

    it('reads physical names from the stack outputs the stacks declare, never from resource listings', () => {
      const declared = new Set<string>(Object.values(RUNBOOK_OUTPUTS).flatMap((group) => Object.values(group)));
      const problems: string[] = [];
      for (const i of aws.filter((a) => a.argv[1] === 'cloudformation')) {
        if (i.argv[2] === 'describe-stack-resources') problems.push(`${where(i)}: guesses a physical name from describe-stack-resources`);
        const query = i.argv[i.argv.indexOf('--query') + 1] ?? '';
        for (const [, key] of query.matchAll(/OutputKey\s*==\s*'([^']+)'/g)) if (!declared.has(key!)) problems.push(`${where(i)}: no stack declares output ${key}`);
      }
      expect(problems).toEqual([]);
    });

    if (HAS_JQ) {
      it('builds every raw payload (jq -n) into a request the responder’s own schema accepts and takes from a direct invocation', () => {
        const builds = all.filter((i) => i.argv[0] === 'jq' && i.argv.some((a) => /^-[a-z]*n[a-z]*$/.test(a)));
        const problems = builds.flatMap((i) => {
          const run = spawnSync('jq', i.argv.slice(1), { encoding: 'utf8', input: '' });
          if (run.status !== 0) return [`${where(i)}: jq exits ${run.status}: ${run.stderr.trim()}`];
          const payload = shapedPayload(JSON.parse(run.stdout) as Record<string, unknown>);
          const schema =
            payload.action === 'isolate' || payload.action === 'release'
              ? manualRequestSchema
              : payload.action === 'restore'
                ? manualRestoreSchema
                : 'pattern' in payload
                  ? manualPatternSchema
                  : manualRevokeSchema;
          const parsed = schema.safeParse(payload);
          if (!parsed.success) return [`${where(i)}: ${JSON.stringify(payload)}\n  ${parsed.error.message}`];
          // `aws lambda invoke` carries no authenticated caller: privileged requests are refused (lambdas/manual/entry.ts).
          const privileged = (schema === manualRequestSchema ? isolationPrivileged : credentialsPrivileged)(payload);
          return privileged ? [`${where(i)}: ${privileged} is refused when invoked directly (skip:unauthenticated): document cordon instead`] : [];
        });
        expect(builds.length).toBeGreaterThanOrEqual(3);
        expect(problems).toEqual([]);
      });
    }

    if (AWS.cli) {
      const cli = AWS.cli;
      it(`AWS CLI ${cli.version} parses every aws command: each fails only on the closed endpoint`, async () => {
        const port = await closedPort();
        const dir = mkdtempSync(join(tmpdir(), 'cordon-docs-aws-'));
        try {
          const results = runAws(cli, aws.map((i) => shapedArgv(i.argv).slice(1)), port, dir);
          const problems = aws.flatMap((i, n) => {
            const r = results[n]!;
            return CONNECTION_FAILED.test(r.stderr) && r.rc !== 252 && r.rc !== 2 ? [] : [`${where(i)}: ${i.argv.join(' ')}\n  exit ${r.rc}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`];
          });
          expect(problems).toEqual([]);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
        // One process per command where the CLI is not a Python script (the official installer): slower.
      }, 10 * 60_000);

      it('the aws check fails on a misspelled operation, an unknown option and a bad --query', async () => {
        const port = await closedPort();
        const results = runAws(cli, [['ssm', 'get-parametr', '--name', 'x'], ['ssm', 'get-parameter', '--nme', 'x'], ['ssm', 'get-parameter', '--name', 'x', '--query', 'Parameter.[']], port, tmpdir());
        expect(results.map((r) => [r.rc, CONNECTION_FAILED.test(r.stderr)])).toEqual([
          [252, false],
          [252, false],
          [252, false],
        ]);
        expect(results[0]!.stderr).toContain("Invalid choice: 'get-parametr'");
      });
    }
  });
}
