import { RecordPayloadSchema, recordKey } from './schema';
import type { EvidenceStore } from './store';
import type { EvidenceInput } from './types';

/**
 * Read access to an incident's chain, which release and restore need: they undo exactly what the
 * `step` records say succeeded. Integrity is `cordon verify`'s job; a reader returns payloads.
 */
export type EvidenceRecordView = EvidenceInput & { readonly seq: number };

export interface EvidenceReader {
  /** Every record of the incident, in seq order; empty when the incident has none. */
  read(incidentId: string): Promise<readonly EvidenceRecordView[]>;
}

/** Records fetched at once: an incident's chain is read in a round trip per this many records. */
const BATCH = 16;

/**
 * Reads `records/{incidentId}/{seq}.json` through any `EvidenceStore` (S3 in Lambda, a folder in
 * the drill). Seq is contiguous from 0, so records are fetched in parallel batches until one is
 * absent: no listing, one S3 round trip for up to 16 records.
 */
export class StoreEvidenceReader implements EvidenceReader {
  constructor(private readonly store: Pick<EvidenceStore, 'read'>) {}

  async read(incidentId: string): Promise<readonly EvidenceRecordView[]> {
    const records: EvidenceRecordView[] = [];
    for (let start = 0; ; start += BATCH) {
      const keys = Array.from({ length: BATCH }, (_, i) => recordKey(incidentId, start + i));
      const bodies = await Promise.all(keys.map((key) => this.store.read(key)));
      for (const [i, body] of bodies.entries()) {
        if (body === undefined) return records;
        const parsed = RecordPayloadSchema.safeParse((JSON.parse(body.toString('utf8')) as { payload?: unknown } | null)?.payload);
        if (!parsed.success) throw new Error(`evidence object ${keys[i]} is not a record: ${parsed.error.message}`);
        records.push(parsed.data);
      }
    }
  }
}
