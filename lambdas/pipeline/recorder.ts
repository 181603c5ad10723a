import type { Actor, EvidenceInput, EvidenceWriter, Mode, StoredRecord, TargetRef, Trigger } from '../evidence/types';
import type { AccountAccess } from '../shared/assume';

/** One evidence record, without what the recorder fills in: mode, trigger, actor and (by default) the target. */
export type RecordFields = Omit<EvidenceInput, 'mode' | 'trigger' | 'actor' | 'target'> & { readonly target?: TargetRef };

/** Whom the records of one target are about, and who acts. */
export interface Frame {
  readonly incidentId: string;
  readonly trigger: Trigger;
  readonly target?: TargetRef;
  readonly actor: Actor;
}

/**
 * The evidence of one target's response: every record carries the frame's trigger, actor and
 * (unless it names another) target, goes to one incident, and its key is kept in order of
 * completion. A record about an account Cordon entered with a member role names that role.
 */
export class Recorder {
  readonly keys: string[] = [];
  /** Mutable: a release moves to the isolation's incident once it is known. */
  incidentId: string;
  /** Member role assumed per account (made on the first member account: most responses stay home). */
  private assumed?: Map<string, string>;
  /** The first account access's region, named on records about an account (IAM is global). */
  private region?: string;

  constructor(
    private readonly evidence: EvidenceWriter,
    readonly frame: Frame,
  ) {
    this.incidentId = frame.incidentId;
  }

  /** From now on, records about `access.account` name the role assumed there (if any). */
  noteAccess(access: AccountAccess): void {
    this.region ??= access.region;
    if (access.assumedRoleArn) (this.assumed ??= new Map()).set(access.account, access.assumedRoleArn);
  }

  /** Adds the target's region and the assumed member role (when one was) to a record. */
  enrich(input: EvidenceInput): EvidenceInput {
    const account = input.target?.account;
    if (!input.target || !account) return input;
    const role = input.actor.assumedRoleArn ? undefined : this.assumed?.get(account);
    const region = input.target.region || !this.region ? undefined : this.region;
    // No copy when nothing is added: a copy per record is the largest CPU cost of a finding (bench/).
    if (!role && !region) return input;
    return { ...input, ...(region ? { target: { ...input.target, region } } : {}), ...(role ? { actor: { ...input.actor, assumedRoleArn: role } } : {}) };
  }

  /** Keeps a stored record's key, in order of completion (one callback per recorder, not per record). */
  private readonly keep = (stored: StoredRecord): StoredRecord => {
    this.keys.push(stored.key);
    return stored;
  };

  /** Appends one record of this response. Every EvidenceWriter snapshots its input before its first await. */
  append(mode: Mode, fields: RecordFields): Promise<StoredRecord> {
    const { trigger, target, actor } = this.frame;
    const input: EvidenceInput = target ? { mode, trigger, target, actor, ...fields } : { mode, trigger, actor, ...fields };
    return this.store(this.incidentId, input);
  }

  /** Never throws: a writer's synchronous throw is a rejection, as it was when append was async. */
  private store(incidentId: string, input: EvidenceInput): Promise<StoredRecord> {
    try {
      return this.evidence.append(incidentId, this.enrich(input)).then(this.keep);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  private ownWriter?: EvidenceWriter;

  /** An EvidenceWriter for executors that build whole records themselves: enriched, keys kept. */
  get writer(): EvidenceWriter {
    return (this.ownWriter ??= { append: (incidentId, input) => this.store(incidentId, input) });
  }
}

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

const fulfilled = <T>(value: T): Settled<T> => ({ ok: true, value });
const rejected = (error: unknown): Settled<never> => ({ ok: false, error });

/** A promise that never rejects: its value or its error. */
export const settle = <T>(p: Promise<T>): Promise<Settled<T>> => p.then(fulfilled, rejected);
