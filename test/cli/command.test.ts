import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * `cordon` as a user installs it: package.json's `bin` is JavaScript built by `npm run build`
 * (which `npm ci`, `npm link` and `npm pack` run as `prepare`), run by plain node — no tsx.
 */
const ROOT = resolve(__dirname, '../..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  files: string[];
  scripts: Record<string, string>;
};
const BIN = join(ROOT, manifest.bin.cordon ?? '');

/** A clean environment: no AWS settings of the machine, no credentials, no instance metadata. */
const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: mkdtempSync(join(tmpdir(), 'cordon-home-')), AWS_EC2_METADATA_DISABLED: 'true' };
  return { ...env, ...extra };
};

const cordon = (args: string[], env: NodeJS.ProcessEnv = cleanEnv()) =>
  spawnSync(process.execPath, [BIN, ...args], { cwd: tmpdir(), encoding: 'utf8', env, timeout: 60_000 });

beforeAll(() => {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'pipe' });
});

describe('the cordon command', () => {
  it('is built JavaScript that npm installs and packs', () => {
    expect(manifest.bin.cordon).toMatch(/\.js$/);
    expect(manifest.scripts.prepare).toBe('npm run build');
    expect(manifest.files).toContain(manifest.bin.cordon);
    expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('prints the version of package.json', () => {
    const r = cordon(['--version']);
    expect(r.stdout).toBe(`${manifest.version}\n`);
    expect(r.status).toBe(0);
  });

  it('runs the shipped drill from any folder', () => {
    const out = mkdtempSync(join(tmpdir(), 'cordon-cmd-drill-'));
    const r = cordon(['drill', '--out', out]);
    expect(r.stdout).toContain('DRILL PASSED');
    expect(r.status).toBe(0);
  });

  describe('AWS-calling commands', () => {
    // verify s3:// creates an S3 client, which is when the SDK prints its Node version warning.
    const key = join(mkdtempSync(join(tmpdir(), 'cordon-cmd-key-')), 'key.pem');
    writeFileSync(key, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
    const args = ['verify', 's3://cordon-evidence-example', '--public-key', key, '--region', 'eu-west-1'];

    it('keeps the SDK warnings off the terminal and says only what is wrong', () => {
      const r = cordon(args);
      expect(r.stderr).not.toMatch(/Warning/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^cordon: /);
      expect(r.status).toBe(2);
    });

    // The control: with the SDK's own switch turned back on, the same run shows the warning
    // wherever this Node is older than the SDK's supported floor (22), the only place it warns.
    it('would show the warning without the switch (on Node < 22)', () => {
      const r = cordon(args, cleanEnv({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false' }));
      expect(r.stderr.includes('NodeVersionSupportWarning')).toBe(Number(process.versions.node.split('.')[0]) < 22);
    });

    it('rejects a malformed --region before any call', () => {
      const r = cordon(['verify', 's3://cordon-evidence-example', '--public-key', key, '--region', 'EU']);
      expect(r.stderr).toBe('cordon: expected --region to be an AWS region such as eu-west-1, received "EU"\n');
      expect(r.status).toBe(2);
    });
  });
});
