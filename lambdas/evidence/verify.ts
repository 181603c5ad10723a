import type { KeyObject } from 'node:crypto';
import { gaps, links, push, trusted, type Ref } from './chain-analysis';
import { latestCheckpoint, placement } from './verify-placement';
import { headsRoot } from './checkpoint';
import { MAX_OBJECT_BYTES, examine, examineAll, type Entry, type Examined } from './envelope';
import { CHECKPOINT_CHAIN, checkpointKey, recordKey } from './layout';
import type { ObjectSink, Problem, ProblemCode, VerifyOptions, VerifyReport } from './verify-report';

export * from './verify-report';

/**
 * Offline verification of an evidence set: every hash, signature, chain link and checkpoint.
 * Feed objects with `add` (any order, streaming; or `addExamined` with what worker threads
 * examined), optionally anchored checkpoints with `addAnchor`, then call `finish`. Nothing is
 * trusted but the public keys supplied. Every step is linear in the objects present (sorting
 * aside): no loop runs to a seq an object merely claims.
 */

const RECORD_KEY = /^records\/([^/]+)\/(\d{8})\.json$/;
const CHECKPOINT_KEY = /^checkpoints\/(\d{8})\.json$/;
/**
 * Objects examined together (`examineAll`: every split and reading, then every crypto.verify
 * back to back, then every entry), up to this many or this many bytes of bodies, whichever comes
 * first. crypto.verify's tables evict what the other passes need, so the fewer switches between
 * the passes, the less each costs; but the batch's bodies must also stay in a core's own cache
 * between the passes (the machine measured has 512 KiB of L2 per core; 256 records of 1.3 KB are
 * 330 KB). Measured (10k records, one core, paired with the crypto.verify ceiling): 1,024 objects
 * per batch instead of 32 raised signature mode's share of the ceiling by 2-3 points; 256 instead
 * of 1,024 raised it by 0.8-0.9 more (three runs of 28-38 paired rounds, standard errors
 * 0.6-1.0), with fewer slow rounds; 128 and 512 did no better. The byte bound keeps a folder of
 * large hostile files from being held at once.
 */
export const BATCH_OBJECTS = 256;
const BATCH_BYTES = 8 * 1024 * 1024;


export class Verifier {
  private readonly keys = new Map<string, KeyObject>();
  private readonly signatures: boolean;
  private readonly maxObjectBytes: number;
  private readonly entries: Entry[] = [];
  private readonly anchors: Entry[] = [];
  /** Chain positions taken by objects that could not be parsed: chain -> seqs (no GAP noise for them). */
  private readonly corruptSlots = new Map<string, number[]>();
  private readonly problems: Problem[] = [];
  private readonly seen = new Set<string>();
  /** Keys of objects that could not be parsed. */
  private readonly corruptKeys: string[] = [];
  /** An anchor was read: the report says how many anchored checkpoints it held, even none. */
  private anchorGiven = false;
  /** Objects added and not examined yet (one batch at most), in order, and their bytes. */
  private pending: { readonly key: string; readonly body: Buffer }[] = [];
  private pendingBytes = 0;
  private objects = 0;
  private ignored = 0;
  private readonly started = performance.now();

  constructor(private readonly options: VerifyOptions) {
    this.signatures = options.signatures ?? true;
    this.maxObjectBytes = options.maxObjectBytes ?? MAX_OBJECT_BYTES;
    for (const k of options.publicKeys) this.keys.set(k.fingerprint, k.key);
    if (this.signatures && this.keys.size === 0) {
      throw new Error('expected at least one public key to verify signatures, received none');
    }
  }

  /** What worker threads need to examine objects the same way. */
  get settings(): { readonly signatures: boolean; readonly maxObjectBytes: number; readonly keys: ReadonlyMap<string, KeyObject> } {
    return { signatures: this.signatures, maxObjectBytes: this.maxObjectBytes, keys: this.keys };
  }

  private readonly reporter = (problem: Problem): void => this.report(problem);

  report(problem: Problem): void {
    this.flush();
    const id = `${problem.code}\u0000${problem.key ?? ''}\u0000${problem.chain ?? ''}\u0000${problem.seq ?? ''}\u0000${problem.message}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.problems.push(problem);
  }

  /** One stored object; `key` relative to the evidence root (`records/...`, `checkpoints/...`). */
  add(key: string, body: Buffer): void {
    this.pending.push({ key, body });
    this.pendingBytes += body.length;
    if (this.pending.length >= BATCH_OBJECTS || this.pendingBytes >= BATCH_BYTES) this.flush();
  }

  /** Examines what was added so far; everything else that records a result flushes first, so the order stays that of the calls. */
  private flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    for (const examined of examineAll(batch, this.keys, this.signatures, this.maxObjectBytes)) this.count(examined);
  }

  /** An object examined elsewhere (a worker thread) with this verifier's `settings`. */
  addExamined(examined: Examined): void {
    this.flush();
    this.count(examined);
  }

  private count(examined: Examined): void {
    this.objects += 1;
    const every = this.options.progressEvery ?? 10_000;
    if (this.options.onProgress && this.objects % every === 0) this.options.onProgress(this.objects);
    if (examined.kind === 'ignored') {
      this.ignored += 1;
      return;
    }
    if (examined.kind === 'corrupt') {
      this.reject(examined.key, examined.why, false);
      return;
    }
    const e = examined.entry;
    this.reportSignature(e, e.key);
    // The next record of the same chain, as objects usually arrive: its prevHash is kept as the
    // predecessor's hash string (equal text), one string per record kept instead of two.
    const last = this.entries[this.entries.length - 1];
    if (last !== undefined && last.seq + 1 === e.seq && last.chain === e.chain && last.hash === e.prevHash) e.prevHash = last.hash;
    this.entries.push(e);
  }

  /**
   * An object under `records/` or `checkpoints/` that is not a valid evidence object (unreadable,
   * not a regular file, too large, not the writer's bytes): MODIFIED, its key's chain position
   * counts as taken.
   */
  reject(key: string, why: string, count = true): void {
    this.flush();
    if (count) this.objects += 1;
    const recordSlot = RECORD_KEY.exec(key);
    const checkpointSlot = CHECKPOINT_KEY.exec(key);
    if (recordSlot?.[1] !== undefined && recordSlot[2] !== undefined) push(this.corruptSlots, recordSlot[1], Number(recordSlot[2]));
    else if (checkpointSlot?.[1] !== undefined) push(this.corruptSlots, CHECKPOINT_CHAIN, Number(checkpointSlot[1]));
    this.corruptKeys.push(key);
    this.report({ code: 'MODIFIED', key, message: `not a valid evidence object: ${why}` });
  }

  /** A checkpoint copy from the outside anchor (`anchorKey` names it in problems, e.g. `anchor:checkpoints/00000007.json`). */
  addAnchor(anchorKey: string, body: Buffer): void {
    this.flush();
    const examined = examine(anchorKey.replace(/^anchor:/, ''), body, this.keys, this.signatures, this.maxObjectBytes);
    if (examined.kind !== 'entry' || examined.entry.type !== 'checkpoint') {
      const why = examined.kind === 'corrupt' ? examined.why : 'not a checkpoint';
      this.report({ code: 'MODIFIED', key: anchorKey, message: `not a valid anchored checkpoint: ${why}` });
      return;
    }
    const e = { ...examined.entry, key: anchorKey };
    this.reportSignature(e, anchorKey);
    if (e.key.slice('anchor:'.length) !== e.canonicalKey && anchorKey.startsWith('anchor:')) {
      this.report({ code: 'MOVED', key: anchorKey, chain: CHECKPOINT_CHAIN, seq: e.seq, message: `anchored copy of ${e.canonicalKey} under another name` });
    }
    if (trusted(e)) this.anchors.push(e);
  }

  /** Where an anchor's objects go (`readFolder`/`addS3`): each is compared as an anchored checkpoint. */
  anchorSink(): ObjectSink {
    this.anchorGiven = true;
    const named = (key: string): string => `anchor:${key}`;
    return {
      add: (key, body) => this.addAnchor(named(key), body),
      reject: (key, why) => this.report({ code: 'MODIFIED', key: named(key), message: `not a valid anchored checkpoint: ${why}` }),
      report: (problem) => this.report(problem.key === undefined ? problem : { ...problem, key: named(problem.key) }),
    };
  }

  private reportSignature(e: Entry, key: string): void {
    if (e.sig === 'mismatch') {
      this.report({ code: 'MODIFIED', key, chain: e.chain, seq: e.seq, message: 'signature block altered: not the signer named in the payload, or not canonical base64' });
    } else if (e.sig === 'unknown-key') {
      this.report({
        code: 'UNKNOWN_KEY',
        key,
        chain: e.chain,
        seq: e.seq,
        message: `signed by key ${e.keyFingerprint} (${e.keyId}), which is not among the supplied public keys`,
      });
    }
  }

  /** Checkpoint commitments (evidence and anchored): chain -> seq -> refs; chain -> highest seq committed. */
  private commitments(chains: Map<string, Map<number, Entry[]>>) {
    const refs = new Map<string, Map<number, Ref[]>>();
    const tails = new Map<string, { seq: number; from: string }>();
    const commit = (e: Entry, from: string): void => {
      if (!e.heads) return;
      if (headsRoot(e.heads) !== e.merkleRoot) {
        this.report({ code: 'MODIFIED', key: e.key, chain: e.chain, seq: e.seq, message: 'merkleRoot does not match the heads listed' });
        return;
      }
      for (const h of e.heads) {
        let byseq = refs.get(h.incidentId);
        if (!byseq) refs.set(h.incidentId, (byseq = new Map()));
        push(byseq, h.seq, { hash: h.hash, from });
        const tail = tails.get(h.incidentId);
        if (!tail || h.seq > tail.seq) tails.set(h.incidentId, { seq: h.seq, from });
      }
    };
    for (const e of this.entries) if (e.type === 'checkpoint' && !e.duplicate && trusted(e)) commit(e, e.key);
    // Anchors: each anchored checkpoint must be in the evidence with the same hash.
    const ours = chains.get(CHECKPOINT_CHAIN);
    let last = -1;
    for (const seq of ours?.keys() ?? []) last = Math.max(last, seq);
    for (const a of this.anchors) {
      const present = ours?.get(a.seq)?.filter(trusted) ?? [];
      if (present.some((e) => e.hash === a.hash)) continue;
      if (present.length > 0) {
        this.report({ code: 'FORK', key: present[0]?.key, chain: CHECKPOINT_CHAIN, seq: a.seq, message: `${a.key} anchored a different checkpoint ${a.seq} (${a.hash.slice(0, 16)}…)` });
        continue;
      }
      this.report(
        a.seq > last
          ? { code: 'TRUNCATED_TAIL', key: checkpointKey(a.seq), chain: CHECKPOINT_CHAIN, seq: a.seq, message: `${a.key} says checkpoint ${a.seq} (${a.time}, ${a.hash.slice(0, 16)}…) was written; the evidence ends at checkpoint ${last}` }
          : { code: 'MISSING', key: checkpointKey(a.seq), chain: CHECKPOINT_CHAIN, seq: a.seq, message: `${a.key} says checkpoint ${a.seq} (${a.hash.slice(0, 16)}…) was written; it is not in the evidence` },
      );
      commit(a, a.key);
    }
    return { refs, tails };
  }

  finish(): VerifyReport {
    this.flush();
    placement(this.entries, this.reporter);
    // Chains: position -> distinct entries.
    const chains = new Map<string, Map<number, Entry[]>>();
    for (const e of this.entries) {
      if (e.duplicate) continue;
      let chain = chains.get(e.chain);
      if (!chain) chains.set(e.chain, (chain = new Map()));
      push(chain, e.seq, e);
    }
    for (const chainId of this.corruptSlots.keys()) if (!chains.has(chainId)) chains.set(chainId, new Map());
    const { refs, tails } = this.commitments(chains);

    let records = 0;
    let checkpoints = 0;
    let incidents = 0;
    let uncovered = 0;
    for (const [chainId, chain] of chains) {
      const isCheckpoints = chainId === CHECKPOINT_CHAIN;
      if (!isCheckpoints) incidents += 1;
      for (const at of chain.values()) {
        if (isCheckpoints) checkpoints += at.length;
        else records += at.length;
      }
      const maxSeq = gaps(chainId, chain, this.corruptSlots.get(chainId) ?? [], this.reporter);
      uncovered += links(chainId, chain, refs.get(chainId), this.signatures, this.reporter);
      const tail = tails.get(chainId);
      if (tail && maxSeq >= 0 && maxSeq < tail.seq) {
        this.report({
          code: 'TRUNCATED_TAIL',
          chain: chainId,
          key: isCheckpoints ? checkpointKey(maxSeq + 1) : recordKey(chainId, maxSeq + 1),
          seq: maxSeq + 1,
          message: `${tail.from} says the chain reached seq ${tail.seq}, the last present is seq ${maxSeq}`,
        });
      }
    }
    for (const [chainId, tail] of tails) {
      if (!chains.has(chainId)) {
        this.report({
          code: 'MISSING',
          chain: chainId,
          key: `records/${chainId}/`,
          message: `${tail.from} covers incident ${chainId} up to seq ${tail.seq}, but none of its records is present`,
        });
      }
    }

    const counts: Partial<Record<ProblemCode, number>> = {};
    for (const p of this.problems) counts[p.code] = (counts[p.code] ?? 0) + 1;
    const elapsedMs = performance.now() - this.started;
    const latest = latestCheckpoint(chains.get(CHECKPOINT_CHAIN));
    const anchoredSeqs = this.anchors.map((a) => a.seq);
    return {
      ok: this.problems.length === 0,
      mode: this.signatures ? 'signatures' : 'chain',
      objects: this.objects,
      records,
      checkpoints,
      incidents,
      ignored: this.ignored,
      uncovered,
      keyFingerprints: [...this.keys.keys()],
      ...(latest ? { latestCheckpoint: latest } : {}),
      ...(this.anchorGiven
        ? { anchored: { checkpoints: this.anchors.length, ...(anchoredSeqs.length ? { latestSeq: Math.max(...anchoredSeqs) } : {}) } }
        : {}),
      problems: this.problems,
      counts,
      elapsedMs: Math.round(elapsedMs),
      perSecond: elapsedMs > 0 ? Math.round((this.objects / elapsedMs) * 1000) : 0,
    };
  }
}

/** Verifies objects already in memory. */
export const verifyObjects = (
  objects: Iterable<{ readonly key: string; readonly body: Buffer }>,
  options: VerifyOptions,
): VerifyReport => {
  const verifier = new Verifier(options);
  for (const o of objects) verifier.add(o.key, o.body);
  return verifier.finish();
};
