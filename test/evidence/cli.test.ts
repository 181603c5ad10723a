import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EvidenceChain,
  LocalEvidenceStore,
  LocalSigner,
  MemoryChainHeads,
  publishPublicKey,
  spkiPem,
  writeCheckpoint,
} from '../../lambdas/evidence';
import { runCli } from '../../lib/cli/program';
import { input, steppingClock } from './helpers';

const run = async (...argv: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { stdout: (t) => out.push(t), stderr: (t) => err.push(t), interactive: false });
  return { code, stdout: out.join(''), stderr: err.join('') };
};

describe('cordon verify (CLI, in-process)', () => {
  let dir: string;
  let evidence: string;
  let pem: string;
  let inFolderPem: string;
  let fingerprint: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cordon-cli-'));
    evidence = join(dir, 'evidence');
    const signer = LocalSigner.fromFile(join(dir, 'signing-key.pem'), { create: true });
    const store = new LocalEvidenceStore(evidence);
    const clock = steppingClock();
    const heads = new MemoryChainHeads({ clock, file: join(dir, 'heads.json') });
    const chain = new EvidenceChain({ signer, store, heads, clock });
    for (let i = 0; i < 3; i += 1) await chain.append('inc-cli', input({ action: `step-${i}` }));
    await writeCheckpoint({ chain, heads, clock, settleMs: 0 });
    const { keys } = await publishPublicKey(signer, store);
    inFolderPem = join(evidence, keys[1] ?? '');
    // The auditor's pinned copy, from outside the evidence (in production: aws kms get-public-key).
    pem = join(dir, 'pinned-public-key.pem');
    writeFileSync(pem, spkiPem((await signer.identity()).publicKeyDer));
    fingerprint = (await signer.identity()).keyFingerprint;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 with a one-line verdict for a valid folder', async () => {
    const r = await run('verify', evidence, '--public-key', pem);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^VALID {2}/);
    expect(r.stdout).toContain('3 records in 1 incidents, 1 checkpoints, every signature checked');
    expect(r.stdout).toContain(`  key fingerprint    ${fingerprint} (compare with the SHA-256 of the KMS public key)`);
    expect(r.stdout).toMatch(/\n {2}latest checkpoint {2}seq 0 {2}2026-01-01T00:00:08\.000Z {2}[0-9a-f]{64}\n/);
    expect(r.stdout).toContain('  anchor             not compared');
    expect(r.stderr).toBe('');
  });

  it('warns when the public key is read from inside the evidence folder it checks', async () => {
    const r = await run('verify', evidence, '--public-key', inFolderPem);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `cordon verify: warning: the public key ${inFolderPem} is inside the evidence folder; whoever can rewrite the evidence can rewrite it — use the key from KMS (aws kms get-public-key)\n`,
    );
  });

  it('prints the full report as JSON with --json, and accepts --no-signatures without a key', async () => {
    const r = await run('verify', evidence, '--no-signatures', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, mode: 'chain', records: 3, checkpoints: 1, problems: [], source: evidence });
  });

  it('exits 1 and names the problem for a tampered folder', async () => {
    const copy = join(dir, 'tampered');
    const { cpSync } = await import('node:fs');
    cpSync(evidence, copy, { recursive: true });
    rmSync(join(copy, 'records/inc-cli/00000002.json'), { force: true });
    const r = await run('verify', copy, '--public-key', pem, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, counts: { TRUNCATED_TAIL: 1 } });
    const human = await run('verify', copy, '--public-key', pem);
    expect(human.stdout).toMatch(/^TAMPERED .*TRUNCATED_TAIL 1/);
  });

  it('prints progress on stderr with --progress', async () => {
    const r = await run('verify', evidence, '--public-key', pem, '--progress');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(''); // fewer than 10,000 objects: nothing to report yet
  });

  it.each([
    ['a folder that does not exist', () => ['verify', join(dir, 'nope'), '--public-key', pem], 'no such evidence folder'],
    ['a public key that cannot be read', () => ['verify', evidence, '--public-key', join(dir, 'nokey.pem')], 'cannot read public key'],
    ['a public key file that is not a key', () => ['verify', evidence, '--public-key', join(dir, 'heads.json')], 'expected an EC P-256 public key'],
    ['no public key while checking signatures', () => ['verify', evidence], 'expected --public-key'],
    ['a folder without evidence', () => ['verify', dir + '/empty', '--no-signatures'], 'no evidence records'],
    ['a malformed s3 url', () => ['verify', 's3://', '--no-signatures'], 'expected s3://bucket'],
  ])('rejects %s with exit 2 and a clear message', async (_what, argv, message) => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'empty'), { recursive: true });
    const r = await run(...argv());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('rejects an unknown option with exit 2 and usage help', async () => {
    const r = await run('verify', evidence, '--bogus');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
  });

  it('exits 1 when a record is not JSON', async () => {
    const copy = join(dir, 'garbled');
    const { cpSync, chmodSync } = await import('node:fs');
    cpSync(evidence, copy, { recursive: true });
    const file = join(copy, 'records/inc-cli/00000001.json');
    chmodSync(file, 0o644);
    writeFileSync(file, '{"payload":');
    const r = await run('verify', copy, '--public-key', pem);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('MODIFIED');
  });
});
