import { readFileSync } from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import { Option, type Command } from 'commander';
import {
  UnusableInputError,
  Verifier,
  addFolder,
  addS3,
  parseS3Url,
  publicKeyFrom,
  type VerifyKey,
  type VerifyReport,
} from '../../lambdas/evidence';
import { checkOptionalId } from './ids';
import { EXIT, type CliIo } from './io';

interface VerifyFlags {
  readonly publicKey?: string[];
  readonly json?: boolean;
  readonly signatures: boolean;
  readonly minRetentionDays: number;
  readonly progress?: boolean;
  readonly region?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UnusableInputError(`expected --min-retention-days to be a whole number, received ${value}`);
  return n;
};

const loadKeys = (files: readonly string[]): VerifyKey[] =>
  files.map((file) => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      throw new UnusableInputError(`cannot read public key ${file}: ${(error as Error).message}`);
    }
    try {
      return publicKeyFrom(bytes, file);
    } catch (error) {
      throw new UnusableInputError(`expected an EC P-256 public key (PEM or DER SPKI) in ${file}: ${(error as Error).message}`);
    }
  });

export const summary = (target: string, r: VerifyReport): string => {
  const head = r.ok
    ? `VALID  ${target}`
    : `TAMPERED  ${target}: ${r.problems.length} problem(s) — ${Object.entries(r.counts)
        .map(([code, n]) => `${code} ${n}`)
        .join(', ')}`;
  const lines = [
    head,
    `  ${r.records} records in ${r.incidents} incidents, ${r.checkpoints} checkpoints, ${r.mode === 'signatures' ? 'every signature checked' : 'hashes and links only (no signatures)'}, ${r.elapsedMs} ms (${r.perSecond}/s)`,
  ];
  if (r.uncovered > 0) lines.push(`  ${r.uncovered} latest record(s) not yet covered by a checkpoint or successor`);
  for (const p of r.problems.slice(0, 20)) lines.push(`  ${p.code.padEnd(14)} ${p.key ?? p.chain ?? ''}  ${p.message}`);
  if (r.problems.length > 20) lines.push(`  ... ${r.problems.length - 20} more (use --json)`);
  return `${lines.join('\n')}\n`;
};

export const registerVerify = (program: Command, io: CliIo, exit: { code: number }): void => {
  program
    .command('verify')
    .description('verify an evidence set offline: hashes, signatures, chain links, checkpoints (exit 0 valid, 1 tampered, 2 unusable input)')
    .argument('<source>', 'evidence folder, or s3://bucket[/prefix]')
    .option('--public-key <file>', 'trusted signing public key, PEM or DER SPKI (repeatable)', collect)
    .option('--no-signatures', 'chain+checkpoint mode: check hashes and links, not signatures (faster)')
    .addOption(
      new Option('--min-retention-days <days>', 'S3: minimum COMPLIANCE retention from each write').default(2555).argParser(positiveInt),
    )
    .option('--json', 'print the full report as JSON')
    .option('--progress', 'progress on stderr every 10,000 objects (default when stderr is a terminal)')
    .option('--region <region>', 'S3: the region the calls are sent to, the bucket\'s (default: AWS_REGION / the profile\'s; redirects are followed)')
    .action(async (source: string, flags: VerifyFlags) => {
      checkOptionalId('region', '--region', flags.region);
      try {
        const files = flags.publicKey ?? [];
        if (flags.signatures && files.length === 0) {
          throw new UnusableInputError('expected --public-key FILE (or --no-signatures for a chain-only check)');
        }
        const showProgress = flags.progress ?? io.interactive;
        const verifier = new Verifier({
          publicKeys: loadKeys(files),
          signatures: flags.signatures,
          ...(showProgress ? { onProgress: (n: number) => io.stderr(`verified ${n.toLocaleString('en-US')} objects\n`) } : {}),
        });
        if (source.startsWith('s3://')) {
          const s3 = new S3Client({ followRegionRedirects: true, ...(flags.region ? { region: flags.region } : {}) });
          await addS3(s3, parseS3Url(source), verifier, { minRetentionDays: flags.minRetentionDays });
        } else {
          addFolder(source, verifier);
        }
        const report = verifier.finish();
        io.stdout(flags.json ? `${JSON.stringify({ source, ...report }, null, 2)}\n` : summary(source, report));
        exit.code = report.ok ? EXIT.ok : EXIT.tampered;
      } catch (error) {
        if (!(error instanceof UnusableInputError)) throw error;
        io.stderr(`cordon verify: ${error.message}\n`);
        exit.code = EXIT.unusable;
      }
    });
};
