import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { LocalSigner } from '../../lambdas/evidence';
import { STACK_LINE, buildVault, copyOf, cp, forge, read, rec, swap, verifyCli, write, type CliRun, type Vault } from './adversarial-support';

/**
 * `cordon verify` against a hostile evidence folder: every attack exits 1 naming its code (or 2
 * with one clear line), never hangs (the 5 s Jest timeout fails a hang) and never prints a
 * stack trace.
 */
describe('cordon verify against a hostile folder', () => {
  let vault: Vault;

  beforeAll(async () => {
    vault = await buildVault();
  });
  afterAll(() => rmSync(vault.root, { recursive: true, force: true }));

  /** What an auditor sees of a run: the exit code, the problem codes, whether a stack trace was printed. */
  const outcome = (r: CliRun) => ({
    exit: r.code,
    codes: Object.keys(r.report?.counts ?? {}).sort(),
    stackTrace: STACK_LINE.test(r.stdout) || STACK_LINE.test(r.stderr),
  });
  const tamperedWith = (...codes: string[]) => ({ exit: 1, codes: [...codes].sort(), stackTrace: false });
  const verify = (dir: string, ...extra: string[]) => verifyCli(dir, '--public-key', vault.pem, '--json', ...extra);

  it('accepts the untouched folder', async () => {
    const r = await verify(vault.evidence, '--anchor', vault.anchor);
    expect(r.code).toBe(0);
    expect(r.report).toMatchObject({ ok: true, records: 8, checkpoints: 2, anchored: { checkpoints: 2, latestSeq: 1 } });
  });

  describe('records not at their own key', () => {
    it('MOVED: two records of one incident swapped', async () => {
      const dir = copyOf(vault);
      swap(dir, rec('inc-a', 1), rec('inc-a', 2));
      const r = await verify(dir);
      expect(outcome(r)).toEqual(tamperedWith('MOVED'));
      expect(r.report?.problems).toEqual([
        { code: 'MOVED', key: rec('inc-a', 1), chain: 'inc-a', seq: 2, message: `holds incident inc-a seq 2, which belongs at ${rec('inc-a', 2)}` },
        { code: 'MOVED', key: rec('inc-a', 2), chain: 'inc-a', seq: 1, message: `holds incident inc-a seq 1, which belongs at ${rec('inc-a', 1)}` },
      ]);
    });

    it('MOVED: records swapped across incidents', async () => {
      const dir = copyOf(vault);
      swap(dir, rec('inc-a', 3), rec('inc-b', 3));
      expect(outcome(await verify(dir))).toEqual(tamperedWith('MOVED'));
    });

    it('MOVED: three records rotated', async () => {
      const dir = copyOf(vault);
      swap(dir, rec('inc-a', 0), rec('inc-a', 1));
      swap(dir, rec('inc-a', 1), rec('inc-a', 2));
      const r = await verify(dir);
      expect(outcome(r)).toEqual(tamperedWith('MOVED'));
      expect(r.report?.counts).toEqual({ MOVED: 3 });
    });

    it('MOVED: two checkpoints swapped', async () => {
      const dir = copyOf(vault);
      swap(dir, cp(0), cp(1));
      expect(outcome(await verify(dir))).toEqual(tamperedWith('MOVED'));
    });
  });

  describe('text hidden beside the signed bytes', () => {
    const payloadOf = (body: Buffer): string => body.toString().slice('{"payload":'.length, body.toString().lastIndexOf(',"signature":{'));

    it('MODIFIED: a duplicate "action" placed first, after one extra space', async () => {
      const dir = copyOf(vault);
      const body = read(dir, rec('inc-a', 1)).toString();
      write(dir, rec('inc-a', 1), body.replace('{"payload":{', '{"payload": {"action":"fake",'));
      const r = await verify(dir);
      expect(outcome(r)).toEqual(tamperedWith('MODIFIED'));
      expect(r.report?.problems[0]?.message).toContain("not in the writer's canonical form");
    });

    it('MODIFIED: a duplicate "action" inside the canonical layout breaks the hash', async () => {
      const dir = copyOf(vault);
      const body = read(dir, rec('inc-a', 1)).toString();
      write(dir, rec('inc-a', 1), body.replace('{"payload":{', '{"payload":{"action":"fake",'));
      expect(outcome(await verify(dir))).toEqual(tamperedWith('MODIFIED'));
    });

    it('MODIFIED: a whole fake payload placed before the signed one', async () => {
      const dir = copyOf(vault);
      const body = read(dir, rec('inc-a', 1));
      const fake = payloadOf(body).replace('"step-1"', '"restore-attacker-key"');
      write(dir, rec('inc-a', 1), `{"payload":${fake},${body.toString().slice(1)}`);
      expect(outcome(await verify(dir))).toEqual(tamperedWith('MODIFIED'));
    });
  });

  describe('objects built to hang or crash the verifier', () => {
    it('GAP, quickly: an unsigned record claiming seq 2^53-1', async () => {
      const dir = copyOf(vault);
      const max = Number.MAX_SAFE_INTEGER;
      const body = forge(read(dir, rec('inc-a', 3)), LocalSigner.generate('attacker'), (p) => ({ ...p, seq: max, recordId: `inc-a/${max}` }));
      write(dir, `records/inc-a/${max}.json`, body);
      const r = await verify(dir, '--no-signatures');
      expect(outcome(r)).toEqual(tamperedWith('GAP'));
      expect(r.report?.problems).toEqual([
        expect.objectContaining({ code: 'GAP', seq: 4, message: `inc-a seq 4..${max - 1} are absent, ${max} is present` }),
      ]);
    });

    it('MODIFIED: a FIFO among the records is not opened', async () => {
      const dir = copyOf(vault);
      execFileSync('mkfifo', [join(dir, 'records/inc-a/00000009.json')]);
      const r = await verify(dir);
      expect(outcome(r)).toEqual(tamperedWith('MODIFIED', 'GAP'));
      expect(r.report?.problems).toContainEqual({ code: 'MODIFIED', key: 'records/inc-a/00000009.json', message: 'not a valid evidence object: a FIFO' });
    });

    it('MODIFIED: a symbolic link to /dev/zero is not followed', async () => {
      const dir = copyOf(vault);
      unlinkSync(join(dir, rec('inc-b', 2)));
      symlinkSync('/dev/zero', join(dir, rec('inc-b', 2)));
      const r = await verify(dir);
      expect(outcome(r)).toEqual(tamperedWith('MODIFIED'));
      expect(r.report?.problems).toEqual([
        { code: 'MODIFIED', key: rec('inc-b', 2), message: 'not a valid evidence object: a symbolic link (not followed)' },
      ]);
    });

    it('MODIFIED: a symbolic link to / inside records/ is not walked', async () => {
      const dir = copyOf(vault);
      symlinkSync('/', join(dir, 'records/inc-a/root'));
      expect(outcome(await verify(dir))).toEqual(tamperedWith('MODIFIED'));
    });

    it('MODIFIED: records/ itself a link out of the folder', async () => {
      const dir = copyOf(vault);
      rmSync(join(dir, 'records'), { recursive: true, force: true });
      symlinkSync(join(vault.evidence, 'records'), join(dir, 'records'));
      const r = await verify(dir);
      expect(outcome(r)).toEqual(tamperedWith('MODIFIED', 'MISSING'));
      expect(r.report?.problems).toContainEqual({ code: 'MODIFIED', key: 'records/', message: 'not a valid evidence object: records is a symbolic link (not followed), not a folder' });
    });

    it('MODIFIED: a record larger than --max-object-bytes is not read', async () => {
      const dir = copyOf(vault);
      write(dir, rec('inc-b', 1), Buffer.alloc(70_000, 0x20));
      const r = await verify(dir, '--max-object-bytes', '65536');
      expect(outcome(r)).toEqual(tamperedWith('MODIFIED'));
      expect(r.report?.problems[0]?.message).toBe('not a valid evidence object: 70000 bytes, more than the 65536-byte limit of one evidence object');
    });

    it('MODIFIED for the 100k-deep file, and the other tampering is still reported', async () => {
      const dir = copyOf(vault);
      const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
      const body = read(dir, rec('inc-a', 2)).toString();
      write(dir, rec('inc-a', 2), body.replace('"detail":{', `"detail":{"deep":${deep},`));
      unlinkSync(join(dir, rec('inc-b', 1)));
      const r = await verify(dir);
      expect(outcome(r)).toEqual(tamperedWith('MODIFIED', 'GAP'));
      expect(r.report?.problems.map((p) => [p.code, p.key])).toEqual([
        ['MODIFIED', rec('inc-a', 2)],
        ['GAP', rec('inc-b', 1)],
      ]);
    });
  });

  describe('what the auditor sees', () => {
    it('escapes terminal control sequences an attacker put in a keyId', async () => {
      const dir = copyOf(vault);
      const attacker = LocalSigner.generate('attacker');
      const keyId = '\u001b[2K\u001b[1A\u001b[2KVALID';
      const ref = { keyId, keyFingerprint: (await attacker.identity()).keyFingerprint };
      write(dir, rec('inc-a', 3), forge(read(dir, rec('inc-a', 3)), attacker, (p) => p, ref));
      // A file name is attacker text too: C1 CSI and a right-to-left override.
      write(dir, 'records/inc-a/\u009b2K\u202e.json', read(dir, rec('inc-a', 1)));
      for (const json of [false, true]) {
        const r = await verifyCli(dir, '--public-key', vault.pem, ...(json ? ['--json'] : []));
        expect(r.code).toBe(1);
        expect(r.stdout).not.toMatch(/[\u001b\u009b\u202e]/);
        expect(r.stdout).toContain('\\u001b[2K');
        expect(r.stdout).toContain('\\u009b2K\\u202e.json');
      }
    });

    it('UNKNOWN_KEY: everything re-signed by an attacker and the key file in the folder swapped; the pinned key says so', async () => {
      const dir = copyOf(vault);
      const attacker = LocalSigner.generate(`file:${vault.root}/signing-key.pem`);
      const ref = { keyId: `file:${vault.root}/signing-key.pem`, keyFingerprint: (await attacker.identity()).keyFingerprint };
      for (const key of [rec('inc-a', 0), rec('inc-a', 1), rec('inc-a', 2), rec('inc-a', 3), rec('inc-b', 0), rec('inc-b', 1), rec('inc-b', 2), rec('inc-b', 3), cp(0), cp(1)]) {
        write(dir, key, forge(read(dir, key), attacker, (p) => p, ref));
      }
      const r = await verify(dir);
      expect(r.code).toBe(1);
      expect(r.report?.counts.UNKNOWN_KEY).toBe(10);
      const human = await verifyCli(dir, '--public-key', vault.pem);
      expect(human.stdout).toContain(`key fingerprint    ${vault.fingerprint}`);
    });
  });

  describe('the newest evidence deleted', () => {
    it('TRUNCATED_TAIL with --anchor: the last checkpoint and the records it covered deleted', async () => {
      const dir = copyOf(vault);
      for (const key of [cp(1), rec('inc-a', 2), rec('inc-a', 3), rec('inc-b', 2), rec('inc-b', 3)]) unlinkSync(join(dir, key));
      const unanchored = await verify(dir);
      expect(unanchored.code).toBe(0); // without an outside anchor this cannot be seen: why the anchor exists
      const r = await verify(dir, '--anchor', vault.anchor);
      expect(outcome(r)).toEqual(tamperedWith('TRUNCATED_TAIL'));
      expect(r.report?.problems.map((p) => [p.code, p.key])).toEqual([
        ['TRUNCATED_TAIL', cp(1)],
        ['TRUNCATED_TAIL', rec('inc-a', 2)],
        ['TRUNCATED_TAIL', rec('inc-b', 2)],
      ]);
    });

    it('FORK with --anchor: the last checkpoint replaced by another validly signed one', async () => {
      const dir = copyOf(vault);
      write(dir, cp(1), forge(read(dir, cp(1)), vault.signer, (p) => ({ ...p, time: '2026-01-01T00:00:59.000Z' })));
      expect(outcome(await verify(dir, '--anchor', vault.anchor))).toEqual(tamperedWith('FORK'));
    });

    it('exits 2 with one line for an anchor folder without checkpoints', async () => {
      const empty = join(vault.root, 'empty-anchor');
      mkdirSync(empty, { recursive: true });
      const r = await verify(vault.evidence, '--anchor', empty);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`cordon verify: anchor: no evidence records or checkpoints under ${empty}\n`);
    });
  });

  describe('classes already caught, through the CLI', () => {
    it.each([
      ['MODIFIED', (dir: string) => write(dir, rec('inc-a', 1), read(dir, rec('inc-a', 1)).toString().replace('"step-1"', '"step-9"'))],
      ['GAP', (dir: string) => unlinkSync(join(dir, rec('inc-b', 1)))],
      ['BAD_SIGNATURE', (dir: string) => write(dir, rec('inc-b', 3), forge(read(dir, rec('inc-b', 3)), LocalSigner.generate('x'), (p) => p))],
      ['REPLAYED', (dir: string) => write(dir, rec('inc-b', 9).replace('00000009', 'copy'), read(dir, rec('inc-b', 1)))],
    ])('%s', async (code, attack) => {
      const dir = copyOf(vault);
      attack(dir);
      expect(outcome(await verify(dir))).toEqual(tamperedWith(code));
    });

    it('exits 2 with one line, no stack trace, for a folder that is a FIFO', async () => {
      const fifo = join(vault.root, 'fifo');
      execFileSync('mkfifo', [fifo]);
      const r = await verifyCli(fifo, '--no-signatures');
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`cordon verify: expected a folder of evidence, received a file: ${fifo}\n`);
    });
  });
});
