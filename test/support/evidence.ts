import { createHash } from 'node:crypto';
import type { EvidenceInput, EvidenceKind, EvidenceWriter, StoredRecord } from '../../lambdas/evidence/types';

export interface RecordedEvidence extends EvidenceInput {
  readonly incidentId: string;
  readonly seq: number;
  readonly key: string;
}

/**
 * In-memory evidence: records every append (in call order, per-incident seq like the real chain),
 * can read an incident back (so it doubles as an EvidenceReader for release), can share a global
 * call-order log with the AWS mocks, and can be told to fail chosen appends.
 */
export class RecordingEvidenceWriter implements EvidenceWriter {
  readonly records: RecordedEvidence[] = [];
  private readonly seqs = new Map<string, number>();

  constructor(
    private readonly options: {
      readonly order?: string[];
      readonly fail?: (input: EvidenceInput) => boolean;
    } = {},
  ) {}

  async append(incidentId: string, input: EvidenceInput): Promise<StoredRecord> {
    this.options.order?.push(`evidence:${input.kind}`);
    if (this.options.fail?.(input)) throw new Error(`evidence append refused (${input.kind} ${input.action})`);
    // Evidence must be JSON: what does not survive a round trip would not survive canonicalisation.
    const copy = JSON.parse(JSON.stringify(input)) as EvidenceInput;
    const seq = this.seqs.get(incidentId) ?? 0;
    this.seqs.set(incidentId, seq + 1);
    const key = `records/${incidentId}/${String(seq).padStart(8, '0')}.json`;
    this.records.push({ ...copy, incidentId, seq, key });
    return { key, incidentId, seq, hash: createHash('sha256').update(JSON.stringify(copy)).digest('hex') };
  }

  async read(incidentId: string): Promise<RecordedEvidence[]> {
    return this.records.filter((r) => r.incidentId === incidentId);
  }

  ofKind(kind: EvidenceKind): RecordedEvidence[] {
    return this.records.filter((r) => r.kind === kind);
  }
}
