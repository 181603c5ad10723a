import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { sha256 } from './canonical';

/** Write-once object storage for evidence. `put` never overwrites. */
export interface EvidenceStore {
  /** `created`, or `exists` when the key is already taken (the caller decides whether that is fine). */
  put(key: string, body: Buffer, contentType?: string): Promise<'created' | 'exists'>;
  exists(key: string): Promise<boolean>;
  /** The stored bytes, or undefined when absent. */
  read(key: string): Promise<Buffer | undefined>;
}

export interface S3EvidenceStoreOptions {
  readonly bucket: string;
  /** Prepended to every key, e.g. `prod/` (a missing trailing slash is added). @default - none */
  readonly prefix?: string;
  /** COMPLIANCE retention from the time of the write. */
  readonly retentionDays: number;
  readonly clock?: () => Date;
}

const DAY_MS = 86_400_000;

const httpStatus = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;

const errorName = (error: unknown): string | undefined => (error instanceof Error ? error.name : undefined);

/** S3 with Object Lock: every object COMPLIANCE-locked, SHA-256 checksummed, created only if absent. */
export class S3EvidenceStore implements EvidenceStore {
  private readonly prefix: string;
  private readonly clock: () => Date;

  constructor(
    private readonly s3: S3Client,
    private readonly options: S3EvidenceStoreOptions,
  ) {
    if (!Number.isInteger(options.retentionDays) || options.retentionDays < 1) {
      throw new Error(`expected retentionDays to be a positive integer, received ${options.retentionDays}`);
    }
    const prefix = options.prefix ?? '';
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.clock = options.clock ?? (() => new Date());
  }

  async put(key: string, body: Buffer, contentType = 'application/json'): Promise<'created' | 'exists'> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: this.prefix + key,
          Body: body,
          ContentType: contentType,
          ChecksumAlgorithm: 'SHA256',
          ChecksumSHA256: sha256(body).toString('base64'),
          ObjectLockMode: 'COMPLIANCE',
          ObjectLockRetainUntilDate: new Date(this.clock().getTime() + this.options.retentionDays * DAY_MS),
          IfNoneMatch: '*',
        }),
      );
      return 'created';
    } catch (error) {
      // 412: the key exists. 409 ConditionalRequestConflict: a concurrent conditional write of it.
      const status = httpStatus(error);
      if (status === 412 || errorName(error) === 'PreconditionFailed') return 'exists';
      if (status === 409 && errorName(error) === 'ConditionalRequestConflict') return 'exists';
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key }));
      return true;
    } catch (error) {
      if (httpStatus(error) === 404 || errorName(error) === 'NotFound') return false;
      throw error;
    }
  }

  async read(key: string): Promise<Buffer | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key }));
      return out.Body ? Buffer.from(await out.Body.transformToByteArray()) : Buffer.alloc(0);
    } catch (error) {
      if (httpStatus(error) === 404 || errorName(error) === 'NoSuchKey') return undefined;
      throw error;
    }
  }
}

/** A local folder (the drill): files created with flag `wx`, so nothing is ever overwritten. */
export class LocalEvidenceStore implements EvidenceStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private path(key: string): string {
    const path = resolve(join(this.root, key));
    if (!path.startsWith(this.root + sep)) throw new Error(`expected an evidence key inside the store, received ${key}`);
    return path;
  }

  async put(key: string, body: Buffer): Promise<'created' | 'exists'> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    try {
      await writeFile(path, body, { flag: 'wx', mode: 0o444 });
      return 'created';
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.path(key));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async read(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
}

/** In memory, for tests and benchmarks. */
export class MemoryEvidenceStore implements EvidenceStore {
  readonly objects = new Map<string, Buffer>();

  put(key: string, body: Buffer): Promise<'created' | 'exists'> {
    if (this.objects.has(key)) return Promise.resolve('exists');
    this.objects.set(key, body);
    return Promise.resolve('created');
  }

  exists(key: string): Promise<boolean> {
    return Promise.resolve(this.objects.has(key));
  }

  read(key: string): Promise<Buffer | undefined> {
    return Promise.resolve(this.objects.get(key));
  }
}
