import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { GENESIS_HASH, canonicalJson, sha256Hex } from './canonical';
import { headsRoot } from './checkpoint';
import {
  CHECKPOINT_CHAIN,
  INCIDENT_ID_PATTERN,
  SCHEMA_VERSION,
  SIGNATURE_ALG,
  checkpointKey,
  pad8,
  recordIdFor,
  recordKey,
  type CheckpointHead,
  type Signature,
} from './schema';

/**
 * Offline verification of an evidence set: every hash, signature, chain link and checkpoint.
 * Feed objects with `add` (any order, streaming), then call `finish`. Nothing is trusted but the
 * public keys supplied.
 */

export const PROBLEM_CODES = [
  /** Bytes changed: not a valid record any more, or its hash no longer matches what its successor or a checkpoint commits to. */
  'MODIFIED',
  /** Something referenced is absent: a checkpointed incident with no records, or a link to a hash no record has. */
  'MISSING',
  /** A hole in a chain's sequence below a present record. */
  'GAP',
  /** Two different records at one chain position, or two successors of one record, or a record differing from the checkpointed one. */
  'FORK',
  /** A record links to a record other than seq-1 (or seq 0 not to genesis), or its time runs backwards. */
  'REORDERED',
  /** A checkpoint says a chain reached seq N, but fewer records are present. */
  'TRUNCATED_TAIL',
  /** The signature does not verify over the (intact) payload. */
  'BAD_SIGNATURE',
  /** Signed by a key whose fingerprint is not among the supplied public keys. */
  'UNKNOWN_KEY',
  /** A copy of a record that is present at its own key, sitting at another key (another incident's folder, another seq). */
  'REPLAYED',
  /** A record at a key other than `records/{incidentId}/{seq:08}.json` of its payload, and absent from that key. */
  'MOVED',
  /** S3 only: the object is not COMPLIANCE-locked, or retained for less than the minimum. */
  'WEAK_RETENTION',
  /** S3 only: a delete marker hides the object (the locked version is still verified). */
  'DELETE_MARKER',
  /** S3 only: the key has more than one version (an overwrite); the oldest, original one is verified. */
  'EXTRA_VERSION',
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

export interface Problem {
  readonly code: ProblemCode;
  readonly message: string;
  readonly key?: string;
  /** Incident id, or `#checkpoints`. */
  readonly chain?: string;
  readonly seq?: number;
}

export interface VerifyKey {
  readonly key: KeyObject;
  readonly fingerprint: string;
}

export interface VerifyOptions {
  /** Trusted public keys. Required when `signatures` is true. */
  readonly publicKeys: readonly VerifyKey[];
  /** Verify every signature (default). false = chain+checkpoint mode: hashes and links only. */
  readonly signatures?: boolean;
  readonly onProgress?: (objects: number) => void;
  /** @default 10000 */
  readonly progressEvery?: number;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly mode: 'signatures' | 'chain';
  readonly objects: number;
  readonly records: number;
  readonly checkpoints: number;
  readonly incidents: number;
  /** Objects outside `records/` and `checkpoints/` (e.g. `keys/`), not verified. */
  readonly ignored: number;
  /** Records no successor or checkpoint commits to yet: only their signature protects them. */
  readonly uncovered: number;
  readonly problems: readonly Problem[];
  readonly counts: Partial<Record<ProblemCode, number>>;
  readonly elapsedMs: number;
  readonly perSecond: number;
}

type SigState = 'ok' | 'unchecked' | 'bad' | 'unknown-key' | 'mismatch';

interface Entry {
  readonly key: string;
  readonly type: 'record' | 'checkpoint';
  readonly chain: string;
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
  readonly time: string;
  readonly canonicalKey: string;
  readonly sig: SigState;
  readonly heads?: readonly CheckpointHead[];
  readonly merkleRoot?: string;
  /** A copy of another entry (same hash): reported, left out of chain analysis. */
  duplicate?: boolean;
}

const RECORD_KEY = /^records\/([^/]+)\/(\d{8})\.json$/;
const CHECKPOINT_KEY = /^checkpoints\/(\d{8})\.json$/;
const PAYLOAD_PREFIX = Buffer.from('{"payload":');

const slotId = (chain: string, seq: number): string => `${chain}\u0000${seq}`;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);



const HEX64 = /^[0-9a-f]{64}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const RECORD_KINDS = new Set(['intent', 'step', 'outcome', 'skip', 'error', 'escalation', 'redrive']);
const SIGNATURE_MARK = Buffer.from(',"signature":{');
/** The writer's (canonical) signature block and closing brace, read as latin1 so non-ASCII keyIds fall back to the slow path. */
const CANONICAL_TAIL =
  /^,"signature":\{"alg":"ECDSA_SHA_256","keyFingerprint":"([0-9a-f]{64})","keyId":("(?:[\x20-\x21\x23-\x5b\x5d-\x7e]|\\["\\/bfnrtu])*"),"value":"([A-Za-z0-9+/]+={0,2})"\}\}$/;

/** The value of a JSON string literal if it is in canonical (JSON.stringify) form. */
const jsonStringLiteral = (literal: string): string | undefined => {
  if (!literal.includes('\\')) return literal.slice(1, -1);
  try {
    const value: unknown = JSON.parse(literal);
    return typeof value === 'string' && JSON.stringify(value) === literal ? value : undefined;
  } catch {
    return undefined; // not a valid literal: the caller takes the slow path, which reports it
  }
};

interface ChainFields {
  readonly kind: string;
  readonly seq: number;
  readonly prevHash: string;
  readonly time: string;
  readonly signer: { readonly keyId: string; readonly keyFingerprint: string };
}
type ParsedPayload =
  | (ChainFields & { readonly type: 'checkpoint'; readonly checkpointId: string; readonly heads: CheckpointHead[]; readonly merkleRoot: string })
  | (ChainFields & { readonly type: 'record'; readonly incidentId: string; readonly recordId: string });

interface ParsedEnvelope {
  readonly payload: ParsedPayload;
  readonly signature: Signature;
  /** The bytes whose SHA-256 is the record hash. */
  readonly payloadBytes: Buffer;
}

const str = (o: Record<string, unknown>, k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);

const checkSignature = (v: unknown): Signature | string => {
  if (!isObject(v)) return 'signature: expected an object';
  const alg = str(v, 'alg');
  const keyId = str(v, 'keyId');
  const keyFingerprint = str(v, 'keyFingerprint');
  const value = str(v, 'value');
  if (Object.keys(v).length !== 4 || alg === undefined || keyId === undefined || keyFingerprint === undefined || value === undefined) {
    return 'signature: expected exactly alg, keyId, keyFingerprint, value';
  }
  if (alg !== SIGNATURE_ALG) return `signature.alg: expected ${SIGNATURE_ALG}, received ${alg}`;
  if (!HEX64.test(keyFingerprint)) return 'signature.keyFingerprint: expected 64 hex characters';
  if (!BASE64.test(value)) return 'signature.value: expected base64';
  return { alg, keyId, keyFingerprint, value };
};

/**
 * The fields verification relies on, checked by hand (a full schema parse costs more than the
 * rest of verification). Anything else in the payload is covered by its hash and signature.
 */
const checkPayload = (p: unknown): ParsedPayload | string => {
  if (!isObject(p)) return 'payload: expected an object';
  if (p.schemaVersion !== SCHEMA_VERSION) return `payload.schemaVersion: expected ${SCHEMA_VERSION}`;
  const seq = p.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return 'payload.seq: expected a non-negative integer';
  const prevHash = str(p, 'prevHash');
  if (prevHash === undefined || !HEX64.test(prevHash)) return 'payload.prevHash: expected 64 hex characters';
  const time = str(p, 'time');
  if (time === undefined || !ISO_TIME.test(time)) return 'payload.time: expected an ISO UTC time';
  const signer = p.signer;
  if (!isObject(signer) || typeof signer.keyId !== 'string' || typeof signer.keyFingerprint !== 'string') {
    return 'payload.signer: expected keyId and keyFingerprint';
  }
  const signerRef = { keyId: signer.keyId, keyFingerprint: signer.keyFingerprint };
  const kind = str(p, 'kind');
  if (kind === 'checkpoint') {
    const checkpointId = str(p, 'checkpointId');
    const merkleRoot = str(p, 'merkleRoot');
    if (checkpointId !== `checkpoints/${pad8(seq)}`) return `payload.checkpointId: expected checkpoints/${pad8(seq)}`;
    if (merkleRoot === undefined || !HEX64.test(merkleRoot)) return 'payload.merkleRoot: expected 64 hex characters';
    if (!Array.isArray(p.heads)) return 'payload.heads: expected an array';
    const heads: CheckpointHead[] = [];
    for (const h of p.heads as unknown[]) {
      if (
        !isObject(h) ||
        typeof h.incidentId !== 'string' ||
        !INCIDENT_ID_PATTERN.test(h.incidentId) ||
        typeof h.seq !== 'number' ||
        !Number.isSafeInteger(h.seq) ||
        h.seq < 0 ||
        typeof h.hash !== 'string' ||
        !HEX64.test(h.hash)
      ) {
        return 'payload.heads: expected {incidentId, seq, hash} entries';
      }
      heads.push({ incidentId: h.incidentId, seq: h.seq, hash: h.hash });
    }
    return { type: 'checkpoint', kind, seq, prevHash, time, signer: signerRef, checkpointId, heads, merkleRoot };
  }
  if (kind === undefined || !RECORD_KINDS.has(kind)) return `payload.kind: expected a record kind, received ${String(p.kind)}`;
  const incidentId = str(p, 'incidentId');
  if (incidentId === undefined || !INCIDENT_ID_PATTERN.test(incidentId)) return 'payload.incidentId: expected a safe incident id';
  const recordId = str(p, 'recordId');
  if (recordId !== recordIdFor(incidentId, seq)) return `payload.recordId: expected ${recordIdFor(incidentId, seq)}`;
  return { type: 'record', kind, seq, prevHash, time, signer: signerRef, incidentId, recordId };
};

const readPayload = (bytes: Buffer): ParsedPayload | string => {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return `not JSON (${error instanceof Error ? error.message : String(error)})`;
  }
  return checkPayload(value);
};

/**
 * The writer stores the canonical envelope `{"payload":P,"signature":S}`, so P's bytes are a slice
 * of the file and only P is parsed in full. Any other layout (e.g. re-indented JSON) is parsed
 * whole and its payload canonicalised again.
 */
const parseEnvelope = (body: Buffer): ParsedEnvelope | string => {
  if (body.length > PAYLOAD_PREFIX.length && PAYLOAD_PREFIX.compare(body, 0, PAYLOAD_PREFIX.length) === 0) {
    const at = body.lastIndexOf(SIGNATURE_MARK);
    const tail = at > PAYLOAD_PREFIX.length ? CANONICAL_TAIL.exec(body.toString('latin1', at)) : null;
    const keyIdLiteral = tail?.[2];
    const keyId = keyIdLiteral === undefined ? undefined : jsonStringLiteral(keyIdLiteral);
    if (tail?.[1] !== undefined && tail[3] !== undefined && keyId !== undefined) {
      const payloadBytes = body.subarray(PAYLOAD_PREFIX.length, at);
      const payload = readPayload(payloadBytes);
      if (typeof payload === 'string') return payload;
      return { payload, signature: { alg: SIGNATURE_ALG, keyId, keyFingerprint: tail[1], value: tail[3] }, payloadBytes };
    }
  }
  let root: unknown;
  try {
    root = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return `not JSON (${error instanceof Error ? error.message : String(error)})`;
  }
  if (!isObject(root) || Object.keys(root).length !== 2 || !('payload' in root)) return 'expected an object with payload and signature only';
  const signature = checkSignature(root.signature);
  if (typeof signature === 'string') return signature;
  if (!isObject(root.payload)) return 'payload: expected an object';
  const payloadBytes = Buffer.from(canonicalJson(root.payload));
  const payload = readPayload(payloadBytes);
  if (typeof payload === 'string') return payload;
  return { payload, signature, payloadBytes };
};

export class Verifier {
  private readonly keys = new Map<string, KeyObject>();
  private readonly signatures: boolean;
  private readonly entries: Entry[] = [];
  /** Chain positions taken by objects that could not be parsed: no GAP noise for them. */
  private readonly corruptSlots = new Set<string>();
  private readonly problems: Problem[] = [];
  private readonly seen = new Set<string>();
  /** Keys of objects that could not be parsed. */
  private readonly corruptKeys: string[] = [];
  private objects = 0;
  private ignored = 0;
  private readonly started = performance.now();

  constructor(private readonly options: VerifyOptions) {
    this.signatures = options.signatures ?? true;
    for (const k of options.publicKeys) this.keys.set(k.fingerprint, k.key);
    if (this.signatures && this.keys.size === 0) {
      throw new Error('expected at least one public key to verify signatures, received none');
    }
  }

  report(problem: Problem): void {
    const id = `${problem.code}\u0000${problem.key ?? ''}\u0000${problem.chain ?? ''}\u0000${problem.seq ?? ''}\u0000${problem.message}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.problems.push(problem);
  }

  /** One stored object; `key` relative to the evidence root (`records/...`, `checkpoints/...`). */
  add(key: string, body: Buffer): void {
    this.objects += 1;
    const every = this.options.progressEvery ?? 10_000;
    if (this.options.onProgress && this.objects % every === 0) this.options.onProgress(this.objects);
    if (!key.startsWith('records/') && !key.startsWith('checkpoints/')) {
      this.ignored += 1;
      return;
    }
    const parsed = parseEnvelope(body);
    if (typeof parsed === 'string') {
      this.corrupt(key, parsed);
      return;
    }
    const { payload, signature, payloadBytes } = parsed;
    const hash = sha256Hex(payloadBytes);

    const chain = payload.type === 'checkpoint' ? CHECKPOINT_CHAIN : payload.incidentId;
    const canonicalKey = payload.type === 'checkpoint' ? checkpointKey(payload.seq) : recordKey(payload.incidentId, payload.seq);

    let sig: SigState = 'unchecked';
    if (signature.keyFingerprint !== payload.signer.keyFingerprint || signature.keyId !== payload.signer.keyId) {
      sig = 'mismatch';
    } else if (this.keys.size > 0 && !this.keys.has(signature.keyFingerprint)) {
      sig = 'unknown-key';
    } else if (this.signatures) {
      const publicKey = this.keys.get(signature.keyFingerprint);
      const der = Buffer.from(signature.value, 'base64');
      // Buffer ignores stray padding bits: insist on the one canonical base64 text of the bytes.
      if (der.toString('base64') !== signature.value) sig = 'mismatch';
      else sig = publicKey && cryptoVerify('sha256', payloadBytes, publicKey, der) ? 'ok' : 'bad';
    }
    if (sig === 'mismatch') {
      this.report({ code: 'MODIFIED', key, chain, seq: payload.seq, message: 'signature block altered: not the signer named in the payload, or not canonical base64' });
    } else if (sig === 'unknown-key') {
      this.report({
        code: 'UNKNOWN_KEY',
        key,
        chain,
        seq: payload.seq,
        message: `signed by key ${signature.keyFingerprint} (${signature.keyId}), which is not among the supplied public keys`,
      });
    }

    this.entries.push({
      key,
      type: payload.type,
      chain,
      seq: payload.seq,
      prevHash: payload.prevHash,
      hash,
      time: payload.time,
      canonicalKey,
      sig,
      heads: payload.type === 'checkpoint' ? payload.heads : undefined,
      merkleRoot: payload.type === 'checkpoint' ? payload.merkleRoot : undefined,
    });
  }

  /** An object that is not a valid record: MODIFIED, and its key's chain position counts as taken. */
  private corrupt(key: string, why: string): void {
    const recordSlot = RECORD_KEY.exec(key);
    const checkpointSlot = CHECKPOINT_KEY.exec(key);
    if (recordSlot?.[1] !== undefined && recordSlot[2] !== undefined) {
      this.corruptSlots.add(slotId(recordSlot[1], Number(recordSlot[2])));
    } else if (checkpointSlot?.[1] !== undefined) {
      this.corruptSlots.add(slotId(CHECKPOINT_CHAIN, Number(checkpointSlot[1])));
    }
    this.corruptKeys.push(key);
    this.report({ code: 'MODIFIED', key, message: `not a valid evidence object: ${why}` });
  }

  finish(): VerifyReport {
    const trusted = (e: Entry): boolean => e.sig === 'ok' || e.sig === 'unchecked';

    // Placement: entries at a key other than their own are MOVED (absent from their key) or REPLAYED (a copy).
    const strays = this.entries.filter((e) => e.key !== e.canonicalKey);
    if (strays.length > 0) {
      const occupied = new Set([...this.entries.map((e) => e.key), ...this.corruptKeys]);
      const strayHashes = new Set(strays.map((e) => e.hash));
      const byHash = new Map<string, Entry[]>();
      for (const e of this.entries) {
        if (!strayHashes.has(e.hash)) continue;
        const list = byHash.get(e.hash);
        if (list) list.push(e);
        else byHash.set(e.hash, [e]);
      }
      for (const list of byHash.values()) {
        const home = list.find((e) => e.key === e.canonicalKey);
        const away = list.filter((e) => e !== home).sort((a, b) => (a.key < b.key ? -1 : 1));
        away.forEach((e, i) => {
          if (home || i > 0) {
            e.duplicate = true;
            const original = home ?? away[0];
            this.report({
              code: 'REPLAYED',
              key: e.key,
              chain: e.chain,
              seq: e.seq,
              message: `copy of ${e.type === 'record' ? `incident ${e.chain} seq ${e.seq}` : `checkpoint ${e.seq}`}, which is present at ${original?.key ?? e.canonicalKey}`,
            });
          } else if (!occupied.has(e.canonicalKey)) {
            this.report({ code: 'MOVED', key: e.key, chain: e.chain, seq: e.seq, message: `belongs at ${e.canonicalKey}, which is absent` });
          }
          // else: another record holds its key; the chain analysis reports the FORK.
        });
      }
    }

    // Chains: position -> distinct entries.
    const chains = new Map<string, Map<number, Entry[]>>();
    for (const e of this.entries) {
      if (e.duplicate) continue;
      let chain = chains.get(e.chain);
      if (!chain) chains.set(e.chain, (chain = new Map()));
      const at = chain.get(e.seq);
      if (at) at.push(e);
      else chain.set(e.seq, [e]);
    }
    for (const slot of this.corruptSlots) {
      const [chainId] = slot.split('\u0000');
      if (chainId !== undefined && !chains.has(chainId)) chains.set(chainId, new Map());
    }

    // Checkpoint commitments: chain -> seq -> [{hash, from}].
    const refs = new Map<string, Map<number, { hash: string; from: string }[]>>();
    const tails = new Map<string, { seq: number; from: string }>();
    for (const e of this.entries) {
      if (e.type !== 'checkpoint' || e.duplicate || !trusted(e) || !e.heads) continue;
      if (headsRoot(e.heads) !== e.merkleRoot) {
        this.report({ code: 'MODIFIED', key: e.key, chain: e.chain, seq: e.seq, message: 'merkleRoot does not match the heads listed' });
        continue;
      }
      for (const h of e.heads) {
        let byseq = refs.get(h.incidentId);
        if (!byseq) refs.set(h.incidentId, (byseq = new Map()));
        const list = byseq.get(h.seq);
        if (list) list.push({ hash: h.hash, from: e.key });
        else byseq.set(h.seq, [{ hash: h.hash, from: e.key }]);
        const tail = tails.get(h.incidentId);
        if (!tail || h.seq > tail.seq) tails.set(h.incidentId, { seq: h.seq, from: e.key });
      }
    }

    let records = 0;
    let checkpoints = 0;
    let incidents = 0;
    let uncovered = 0;
    for (const [chainId, chain] of chains) {
      if (chainId !== CHECKPOINT_CHAIN) incidents += 1;
      const isCheckpoints = chainId === CHECKPOINT_CHAIN;
      const label = isCheckpoints ? 'checkpoint' : `${chainId} seq`;
      const single = (seq: number): Entry | undefined => {
        const at = chain.get(seq);
        return at && at.length === 1 && at[0] && trusted(at[0]) ? at[0] : undefined;
      };
      const present = (seq: number): boolean => chain.has(seq) || this.corruptSlots.has(slotId(chainId, seq));
      let maxSeq = -1;
      for (const [seq, at] of chain) {
        if (seq > maxSeq) maxSeq = seq;
        if (isCheckpoints) checkpoints += at.length;
        else records += at.length;
      }
      // Only needed to explain a broken link: built on first use.
      let links: { hashes: Map<string, Entry>; successors: Map<string, Entry[]> } | undefined;
      const linkIndex = () => {
        if (links) return links;
        links = { hashes: new Map(), successors: new Map() };
        for (const at of chain.values()) {
          for (const e of at) {
            if (!trusted(e)) continue;
            links.hashes.set(e.hash, e);
            const list = links.successors.get(e.prevHash);
            if (list) list.push(e);
            else links.successors.set(e.prevHash, [e]);
          }
        }
        return links;
      };
      for (const slot of this.corruptSlots) {
        const [c, s] = slot.split('\u0000');
        if (c === chainId) maxSeq = Math.max(maxSeq, Number(s));
      }

      // GAP: holes below the highest present seq.
      for (let seq = 0; seq <= maxSeq; seq += 1) {
        if (present(seq)) continue;
        let end = seq;
        while (end + 1 <= maxSeq && !present(end + 1)) end += 1;
        this.report({
          code: 'GAP',
          chain: chainId,
          seq,
          key: isCheckpoints ? checkpointKey(seq) : recordKey(chainId, seq),
          message: seq === end ? `${label} ${seq} is absent, ${maxSeq} is present` : `${label} ${seq}..${end} are absent, ${maxSeq} is present`,
        });
        seq = end;
      }

      const committed = (e: Entry): string | undefined => {
        const next = chain.get(e.seq + 1)?.find(trusted);
        if (next && next.prevHash !== e.hash) return `seq ${e.seq + 1} links to ${next.prevHash.slice(0, 16)}…`;
        const ref = refs.get(chainId)?.get(e.seq)?.find((r) => r.hash !== e.hash);
        return ref ? `${ref.from} commits to ${ref.hash.slice(0, 16)}…` : undefined;
      };

      for (const [seq, at] of chain) {
        // Untrusted entries: payload changed (a reference disagrees) or only the signature is bad.
        for (const e of at) {
          if (e.sig !== 'bad') continue;
          const disagree = committed(e);
          this.report(
            disagree
              ? { code: 'MODIFIED', key: e.key, chain: chainId, seq, message: `payload hash ${e.hash.slice(0, 16)}… changed: ${disagree}` }
              : { code: 'BAD_SIGNATURE', key: e.key, chain: chainId, seq, message: 'signature does not verify over the payload' },
          );
        }
        const good = at.filter(trusted);
        if (good.length > 1) {
          this.report({
            code: 'FORK',
            chain: chainId,
            seq,
            key: good.map((e) => e.key).join(', '),
            message: `${good.length} different records claim ${label} ${seq}`,
          });
          continue;
        }
        const r = good[0];
        if (!r) continue;
        if (!isCheckpoints && !chain.get(seq + 1)?.some(trusted) && !refs.get(chainId)?.has(seq)) uncovered += 1;
        if (seq === 0) {
          if (r.prevHash !== GENESIS_HASH) {
            this.report({ code: 'REORDERED', key: r.key, chain: chainId, seq, message: 'seq 0 does not link to the genesis hash' });
          }
          continue;
        }
        const p = single(seq - 1);
        if (!p) continue;
        if (r.prevHash !== p.hash) {
          const siblings = linkIndex().successors.get(r.prevHash) ?? [];
          const other = linkIndex().hashes.get(r.prevHash);
          if (siblings.length > 1) {
            this.report({
              code: 'FORK',
              key: r.key,
              chain: chainId,
              seq,
              message: `${siblings.map((e) => `seq ${e.seq}`).join(' and ')} both succeed the same record`,
            });
          }
          if (other) {
            this.report({ code: 'REORDERED', key: r.key, chain: chainId, seq, message: `links to seq ${other.seq} instead of seq ${seq - 1}` });
          } else if (this.signatures) {
            this.report({
              code: 'MISSING',
              key: r.key,
              chain: chainId,
              seq,
              message: `links to a predecessor ${r.prevHash.slice(0, 16)}… that is not present (seq ${seq - 1} present is ${p.hash.slice(0, 16)}…)`,
            });
          } else {
            this.report({
              code: 'MODIFIED',
              key: p.key,
              chain: chainId,
              seq: seq - 1,
              message: `hash ${p.hash.slice(0, 16)}… does not match the prevHash ${r.prevHash.slice(0, 16)}… of seq ${seq}`,
            });
          }
        }
        if (r.time < p.time) {
          this.report({ code: 'REORDERED', key: r.key, chain: chainId, seq, message: `time ${r.time} is earlier than seq ${seq - 1} (${p.time})` });
        }
      }

      // Checkpointed positions must be present with the committed hash.
      for (const [seq, list] of refs.get(chainId) ?? []) {
        const e = single(seq);
        for (const ref of list) {
          if (e && e.hash !== ref.hash) {
            this.report(
              this.signatures
                ? { code: 'FORK', key: e.key, chain: chainId, seq, message: `${ref.from} committed to a different record at this position` }
                : { code: 'MODIFIED', key: e.key, chain: chainId, seq, message: `hash does not match the ${ref.from} commitment` },
            );
          }
        }
      }
      const tail = tails.get(chainId);
      if (tail && maxSeq >= 0 && maxSeq < tail.seq) {
        this.report({
          code: 'TRUNCATED_TAIL',
          chain: chainId,
          key: recordKey(chainId, maxSeq + 1),
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
    return {
      ok: this.problems.length === 0,
      mode: this.signatures ? 'signatures' : 'chain',
      objects: this.objects,
      records,
      checkpoints,
      incidents,
      ignored: this.ignored,
      uncovered,
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
