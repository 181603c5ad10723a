import { readFileSync, realpathSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { relative, resolve, isAbsolute } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { Option, type Command } from 'commander';
import {
  MAX_OBJECT_BYTES,
  UnusableInputError,
  Verifier,
  addS3,
  parseS3Url,
  publicKeyFrom,
  readFolder,
  type ObjectSink,
  type VerifyKey,
  type VerifyReport,
} from '../../lambdas/evidence';
import { verifyInParallel } from '../../lambdas/evidence/pool';
import { checkOptionalId } from './ids';
import { EXIT, type CliIo } from './io';

interface VerifyFlags {
  readonly publicKey?: string[];
  readonly json?: boolean;
  readonly signatures: boolean;
  readonly minRetentionDays: number;
  readonly maxObjectBytes: number;
  readonly workers: number;
  readonly anchor?: string;
  readonly progress?: boolean;
  readonly region?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const wholeNumber = (flag: string, min: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new UnusableInputError(`expected ${flag} to be a whole number >= ${min}, received ${value}`);
  return n;
};

/** Control characters (C0, DEL, C1) and bidirectional overrides, which a terminal would obey. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Attacker-controlled text (keys, key ids, messages) as it may be shown on a terminal: every control character escaped. */
export const printable = (text: string): string =>
  text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const loadKeys = (files: readonly string[]): VerifyKey[] =>
  files.map((file) => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      throw new UnusableInputError(`cannot read public key ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    try {
      return publicKeyFrom(bytes, file);
    } catch {
      throw new UnusableInputError(`expected an EC P-256 public key (PEM or DER SPKI) in ${file}`);
    }
  });

/** A key file inside the folder it is meant to check proves nothing: whoever rewrites the evidence rewrites it. */
const inside = (file: string, folder: string): boolean => {
  try {
    const rel = relative(realpathSync(resolve(folder)), realpathSync(resolve(file)));
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  } catch {
    return false; // unreadable paths were reported already
  }
};

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
  for (const fingerprint of r.keyFingerprints) lines.push(`  key fingerprint    ${fingerprint} (compare with the SHA-256 of the KMS public key)`);
  const latest = r.latestCheckpoint;
  lines.push(latest ? `  latest checkpoint  seq ${latest.seq}  ${latest.time}  ${latest.hash}` : '  latest checkpoint  none');
  if (r.anchored) {
    lines.push(`  anchor             ${r.anchored.checkpoints} checkpoint(s) compared, latest seq ${r.anchored.latestSeq ?? 'none'}`);
  } else {
    lines.push('  anchor             not compared: deleting the newest checkpoints and records is only caught with --anchor');
  }
  if (r.uncovered > 0) lines.push(`  ${r.uncovered} latest record(s) not yet covered by a checkpoint or successor`);
  for (const p of r.problems.slice(0, 20)) lines.push(`  ${p.code.padEnd(14)} ${p.key ?? p.chain ?? ''}  ${p.message}`);
  if (r.problems.length > 20) lines.push(`  ... ${r.problems.length - 20} more (use --json)`);
  return `${lines.map(printable).join('\n')}\n`;
};

/** JSON escapes C0 controls; DEL, C1 and bidi overrides (only ever inside strings) are escaped too. */
const jsonReport = (value: unknown): string =>
  `${JSON.stringify(value, null, 2).replace(/[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;

const read = async (source: string, sink: ObjectSink, flags: VerifyFlags): Promise<void> => {
  if (source.startsWith('s3://')) {
    const s3 = new S3Client({ followRegionRedirects: true, ...(flags.region ? { region: flags.region } : {}) });
    await addS3(s3, parseS3Url(source), sink, { minRetentionDays: flags.minRetentionDays, maxObjectBytes: flags.maxObjectBytes });
  } else {
    readFolder(source, sink, { maxObjectBytes: flags.maxObjectBytes });
  }
};

const run = async (source: string, flags: VerifyFlags, io: CliIo): Promise<VerifyReport> => {
  const files = flags.publicKey ?? [];
  if (flags.signatures && files.length === 0) {
    throw new UnusableInputError('expected --public-key FILE (or --no-signatures for a chain-only check)');
  }
  for (const file of files) {
    if (!source.startsWith('s3://') && inside(file, source)) {
      io.stderr(
        `${printable(`cordon verify: warning: the public key ${file} is inside the evidence folder; whoever can rewrite the evidence can rewrite it — use the key from KMS (aws kms get-public-key)`)}\n`,
      );
    }
  }
  const showProgress = flags.progress ?? io.interactive;
  const verifier = new Verifier({
    publicKeys: loadKeys(files),
    signatures: flags.signatures,
    maxObjectBytes: flags.maxObjectBytes,
    ...(showProgress ? { onProgress: (n: number) => io.stderr(`verified ${n.toLocaleString('en-US')} objects\n`) } : {}),
  });
  await verifyInParallel(verifier, flags.workers, (sink) => read(source, sink, flags));
  if (flags.anchor !== undefined) {
    const anchor = flags.anchor;
    await read(anchor, verifier.anchorSink(), flags).catch((error: unknown) => {
      if (error instanceof UnusableInputError) throw new UnusableInputError(`anchor: ${error.message}`);
      throw error;
    });
  }
  return verifier.finish();
};

export const registerVerify = (program: Command, io: CliIo, exit: { code: number }): void => {
  program
    .command('verify')
    .description('verify an evidence set offline: hashes, signatures, chain links, checkpoints (exit 0 valid, 1 tampered, 2 unusable input)')
    .argument('<source>', 'evidence folder, or s3://bucket[/prefix]')
    .option('--public-key <file>', 'trusted signing public key, PEM or DER SPKI, fetched from KMS, never from the evidence (repeatable)', collect)
    .option('--no-signatures', 'chain+checkpoint mode: check hashes and links, not signatures (faster)')
    .option('--anchor <dir|s3://bucket/prefix>', 'checkpoint copies from the anchor bucket (log-archive account): a deleted tail is TRUNCATED_TAIL')
    .addOption(
      new Option('--min-retention-days <days>', 'S3: minimum COMPLIANCE retention from each write').default(2555).argParser(wholeNumber('--min-retention-days', 0)),
    )
    .addOption(
      new Option('--max-object-bytes <bytes>', 'larger objects are not read (MODIFIED)').default(MAX_OBJECT_BYTES).argParser(wholeNumber('--max-object-bytes', 1)),
    )
    .addOption(
      new Option('--workers <n>', 'threads examining objects, this one included (1 = this thread only)').default(availableParallelism()).argParser(wholeNumber('--workers', 1)),
    )
    .option('--json', 'print the full report as JSON')
    .option('--progress', 'progress on stderr every 10,000 objects (default when stderr is a terminal)')
    .option('--region <region>', 'S3: the region the calls are sent to, the bucket\'s (default: AWS_REGION / the profile\'s; redirects are followed)')
    .action(async (source: string, flags: VerifyFlags) => {
      checkOptionalId('region', '--region', flags.region);
      try {
        const report = await run(source, flags, io);
        io.stdout(flags.json ? jsonReport({ source, ...report }) : summary(source, report));
        exit.code = report.ok ? EXIT.ok : EXIT.tampered;
      } catch (error) {
        // Anything else (AWS credentials, network) is printed by runCli as one `cordon:` line, exit 2.
        if (!(error instanceof UnusableInputError)) throw error;
        io.stderr(`cordon verify: ${printable(error.message)}\n`);
        exit.code = EXIT.unusable;
      }
    });
};
