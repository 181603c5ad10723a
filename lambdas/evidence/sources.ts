import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import {
  GetObjectCommand,
  GetObjectRetentionCommand,
  ListObjectVersionsCommand,
  type ObjectLockMode,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Verifier } from './verify';

/** The input cannot be verified at all (exit 2): no such folder, no objects, unreadable key, ... */
export class UnusableInputError extends Error {
  override readonly name = 'UnusableInputError';
}

const EVIDENCE_DIRS = ['records', 'checkpoints'];

/** Feeds every file under `dir/records` and `dir/checkpoints` to the verifier. Returns the count. */
export const addFolder = (dir: string, verifier: Verifier): number => {
  let info;
  try {
    info = statSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UnusableInputError(code === 'ENOENT' ? `no such evidence folder: ${dir}` : `cannot read ${dir}: ${(error as Error).message}`);
  }
  if (!info.isDirectory()) throw new UnusableInputError(`expected a folder of evidence, received a file: ${dir}`);
  let count = 0;
  for (const top of EVIDENCE_DIRS) {
    const base = join(dir, top);
    let names: string[];
    try {
      names = readdirSync(base, { recursive: true }) as string[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new UnusableInputError(`cannot read ${base}: ${(error as Error).message}`);
    }
    for (const name of names) {
      const path = join(base, name);
      let body: Buffer;
      try {
        body = readFileSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EISDIR') continue;
        throw new UnusableInputError(`cannot read ${path}: ${(error as Error).message}`);
      }
      verifier.add(relative(dir, path).split(sep).join('/'), body);
      count += 1;
    }
  }
  if (count === 0) throw new UnusableInputError(`no evidence records or checkpoints under ${dir}`);
  return count;
};

export interface S3Location {
  readonly bucket: string;
  /** '' or ending with '/'. */
  readonly prefix: string;
}

export const parseS3Url = (url: string): S3Location => {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m?.[1]) throw new UnusableInputError(`expected s3://bucket[/prefix], received ${url}`);
  const raw = m[2] ?? '';
  return { bucket: m[1], prefix: raw === '' || raw.endsWith('/') ? raw : `${raw}/` };
};

export interface S3VerifyOptions {
  readonly minRetentionDays: number;
  /** Parallel GetObject calls. @default 32 */
  readonly concurrency?: number;
}

interface Version {
  readonly versionId?: string;
  readonly lastModified?: Date;
}

const DAY_MS = 86_400_000;
/** The record's upload and its RetainUntilDate are computed a moment apart. */
const RETENTION_SLACK_MS = 3_600_000;

const errorName = (error: unknown): string | undefined => (error instanceof Error ? error.name : undefined);

/**
 * Lists every object version under the prefix, reports delete markers and overwrites, verifies the
 * oldest version of each key (the original write), and checks its Object Lock.
 */
export const addS3 = async (s3: S3Client, at: S3Location, verifier: Verifier, options: S3VerifyOptions): Promise<number> => {
  const versions = new Map<string, Version[]>();
  const markers = new Map<string, number>();
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  do {
    const out = await s3.send(
      new ListObjectVersionsCommand({ Bucket: at.bucket, Prefix: at.prefix, KeyMarker: keyMarker, VersionIdMarker: versionMarker }),
    );
    for (const v of out.Versions ?? []) {
      if (!v.Key) continue;
      const list = versions.get(v.Key) ?? [];
      list.push({ versionId: v.VersionId, lastModified: v.LastModified });
      versions.set(v.Key, list);
    }
    for (const d of out.DeleteMarkers ?? []) {
      if (d.Key) markers.set(d.Key, (markers.get(d.Key) ?? 0) + 1);
    }
    keyMarker = out.IsTruncated ? out.NextKeyMarker : undefined;
    versionMarker = out.IsTruncated ? out.NextVersionIdMarker : undefined;
  } while (keyMarker !== undefined);

  const relativeKey = (key: string): string => key.slice(at.prefix.length);
  const inScope = (key: string): boolean => EVIDENCE_DIRS.some((d) => relativeKey(key).startsWith(`${d}/`));
  for (const [key, count] of markers) {
    if (!inScope(key)) continue;
    verifier.report({
      code: 'DELETE_MARKER',
      key: relativeKey(key),
      message: versions.has(key)
        ? `${count} delete marker(s) hide this object; its locked version is verified`
        : `${count} delete marker(s) and no object version`,
    });
  }
  const work = [...versions].filter(([key]) => inScope(key));
  if (work.length === 0) throw new UnusableInputError(`no evidence records or checkpoints under s3://${at.bucket}/${at.prefix}`);

  const one = async ([key, list]: [string, Version[]]): Promise<void> => {
    const rel = relativeKey(key);
    const sorted = [...list].sort((a, b) => (a.lastModified?.getTime() ?? 0) - (b.lastModified?.getTime() ?? 0));
    const original = sorted[0];
    if (sorted.length > 1) {
      verifier.report({ code: 'EXTRA_VERSION', key: rel, message: `${sorted.length} versions: overwritten after the original write` });
    }
    const out = await s3.send(new GetObjectCommand({ Bucket: at.bucket, Key: key, VersionId: original?.versionId }));
    const body = Buffer.from(await (out.Body?.transformToByteArray() ?? Promise.resolve(new Uint8Array())));
    let mode: ObjectLockMode | string | undefined = out.ObjectLockMode;
    let until = out.ObjectLockRetainUntilDate;
    if (mode === undefined) {
      try {
        const r = await s3.send(new GetObjectRetentionCommand({ Bucket: at.bucket, Key: key, VersionId: original?.versionId }));
        mode = r.Retention?.Mode;
        until = r.Retention?.RetainUntilDate;
      } catch (error) {
        if (errorName(error) !== 'NoSuchObjectLockConfiguration' && errorName(error) !== 'InvalidRequest') throw error;
      }
    }
    const written = original?.lastModified ?? out.LastModified ?? new Date();
    const needed = written.getTime() + options.minRetentionDays * DAY_MS - RETENTION_SLACK_MS;
    if (mode !== 'COMPLIANCE') {
      verifier.report({ code: 'WEAK_RETENTION', key: rel, message: `object lock mode is ${mode ?? 'none'}, expected COMPLIANCE` });
    } else if (!until || new Date(until).getTime() < needed) {
      const days = until ? Math.floor((new Date(until).getTime() - written.getTime()) / DAY_MS) : 0;
      verifier.report({
        code: 'WEAK_RETENTION',
        key: rel,
        message: `retained ${days} days from its write, expected at least ${options.minRetentionDays}`,
      });
    }
    verifier.add(rel, body);
  };

  const concurrency = options.concurrency ?? 32;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < work.length) {
      const item = work[next];
      next += 1;
      if (item) await one(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, work.length) }, worker));
  return work.length;
};
