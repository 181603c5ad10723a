import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { EvidenceInput } from '../evidence/types';

/**
 * Read access to an incident's evidence chain, which restore needs: it undoes exactly what the
 * revocation's `step` records say succeeded (never what a plan merely intended).
 *
 * `S3EvidenceReader` below lists `records/{incidentId}/` and returns each object's `payload` (with
 * its `seq`); the lead may swap in a verifying reader. Tests use an in-memory reader over the
 * records a fake writer stored. `unwiredEvidenceReader` makes a restore end as an escalation.
 */
export type EvidenceRecordView = EvidenceInput & { readonly seq: number };

export interface EvidenceReader {
  /** Every record of the incident, in seq order; empty when the incident has none. */
  read(incidentId: string): Promise<readonly EvidenceRecordView[]>;
}

/** Placeholder until the S3 reader is wired: every read fails with `not wired`. */
export const unwiredEvidenceReader: EvidenceReader = {
  read: async () => {
    throw new Error('not wired');
  },
};

const payloadSchema = z.looseObject({
  seq: z.number().int().nonnegative(),
  kind: z.enum(['intent', 'step', 'outcome', 'skip', 'error', 'escalation']),
  mode: z.enum(['enforce', 'dry-run', 'off']),
  trigger: z.looseObject({ source: z.string() }),
  target: z.looseObject({ type: z.string(), id: z.string() }).optional(),
  action: z.string(),
  reason: z.string().optional(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  awsRequestIds: z.array(z.string()).optional(),
  actor: z.looseObject({ arn: z.string() }),
  detail: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Reads `records/{incidentId}/*.json` (`{payload, signature}`) from the evidence bucket. Integrity
 * is `cordon verify`'s job; this returns the payloads for restore to read the step records from.
 */
export class S3EvidenceReader implements EvidenceReader {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix = '',
  ) {}

  async read(incidentId: string): Promise<readonly EvidenceRecordView[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.prefix}records/${incidentId}/`, ContinuationToken: token }),
      );
      keys.push(...(page.Contents ?? []).flatMap((o) => (o.Key?.endsWith('.json') ? [o.Key] : [])));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    const records = await Promise.all(
      keys.map(async (Key) => {
        const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
        const body: unknown = JSON.parse((await out.Body?.transformToString('utf8')) ?? 'null');
        const parsed = payloadSchema.safeParse((body as { payload?: unknown } | null)?.payload);
        if (!parsed.success) throw new Error(`evidence object ${Key} is not a record: ${parsed.error.message}`);
        return parsed.data as unknown as EvidenceRecordView;
      }),
    );
    return records.sort((a, b) => a.seq - b.seq);
  }
}
