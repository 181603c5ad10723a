import { GENESIS_HASH } from './canonical';
import type { Entry } from './envelope';
import { CHECKPOINT_CHAIN, checkpointKey, recordKey } from './layout';
import type { Problem } from './verify-report';

/** Per-chain analysis of `Verifier.finish`: each step walks only the entries present. */

export type Report = (problem: Problem) => void;
export type Ref = { readonly hash: string; readonly from: string };

export const trusted = (e: Entry): boolean => e.sig === 'ok' || e.sig === 'unchecked';

export const push = <K, V>(map: Map<K, V[]>, key: K, value: V): void => {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
};

/** GAP: holes between the seqs present (never a walk up to a claimed seq). Returns the highest seq present. */
export const gaps = (chainId: string, chain: Map<number, Entry[]>, corrupt: readonly number[], report: Report): number => {
  const isCheckpoints = chainId === CHECKPOINT_CHAIN;
  const label = isCheckpoints ? 'checkpoint' : `${chainId} seq`;
  const seqs = new Float64Array([...chain.keys(), ...corrupt]).sort();
  const maxSeq = seqs.length > 0 ? (seqs[seqs.length - 1] ?? -1) : -1;
  let expected = 0;
  for (const seq of seqs) {
    if (seq > expected) {
      const end = seq - 1;
      report({
        code: 'GAP',
        chain: chainId,
        seq: expected,
        key: isCheckpoints ? checkpointKey(expected) : recordKey(chainId, expected),
        message: expected === end ? `${label} ${expected} is absent, ${maxSeq} is present` : `${label} ${expected}..${end} are absent, ${maxSeq} is present`,
      });
    }
    expected = Math.max(expected, seq + 1);
  }
  return maxSeq;
};

/** Links, forks, signatures and checkpoint commitments of one chain. Returns its uncovered records. */
export const links = (
chainId: string,
chain: Map<number, Entry[]>,
committedAt: Map<number, Ref[]> | undefined,
signatures: boolean,
report: Report,
): number => {
  const isCheckpoints = chainId === CHECKPOINT_CHAIN;
  const label = isCheckpoints ? 'checkpoint' : `${chainId} seq`;
  let uncovered = 0;
  const single = (seq: number): Entry | undefined => {
    const at = chain.get(seq);
    return at && at.length === 1 && at[0] && trusted(at[0]) ? at[0] : undefined;
  };
  // Only needed to explain a broken link: built on first use.
  let index: { hashes: Map<string, Entry>; successors: Map<string, Entry[]> } | undefined;
  const linkIndex = () => {
    if (index) return index;
    index = { hashes: new Map(), successors: new Map() };
    for (const at of chain.values()) {
      for (const e of at) {
        if (!trusted(e)) continue;
        index.hashes.set(e.hash, e);
        push(index.successors, e.prevHash, e);
      }
    }
    return index;
  };
  const disagreement = (e: Entry): string | undefined => {
    const next = chain.get(e.seq + 1)?.find(trusted);
    if (next && next.prevHash !== e.hash) return `seq ${e.seq + 1} links to ${next.prevHash.slice(0, 16)}…`;
    const ref = committedAt?.get(e.seq)?.find((r) => r.hash !== e.hash);
    return ref ? `${ref.from} commits to ${ref.hash.slice(0, 16)}…` : undefined;
  };

  // Keys, then each position (an entries iterator makes a [seq, at] pair per position).
  for (const seq of chain.keys()) {
    const at = chain.get(seq) as Entry[];
    // Untrusted entries: payload changed (a reference disagrees) or only the signature is bad.
    for (const e of at) {
      if (e.sig !== 'bad') continue;
      const disagree = disagreement(e);
      report(
        disagree
          ? { code: 'MODIFIED', key: e.key, chain: chainId, seq, message: `payload hash ${e.hash.slice(0, 16)}… changed: ${disagree}` }
          : { code: 'BAD_SIGNATURE', key: e.key, chain: chainId, seq, message: 'signature does not verify over the payload' },
      );
    }
    // One entry per position is the common case: no array built for it.
    const only = at.length === 1 ? at[0] : undefined;
    const good = only ? (trusted(only) ? at : []) : at.filter(trusted);
    if (good.length > 1) {
      report({ code: 'FORK', chain: chainId, seq, key: good.map((e) => e.key).join(', '), message: `${good.length} different records claim ${label} ${seq}` });
      continue;
    }
    const r = good[0];
    if (!r) continue;
    if (!isCheckpoints && !committedAt?.has(seq) && !chain.get(seq + 1)?.some(trusted)) uncovered += 1;
    if (seq === 0) {
      if (r.prevHash !== GENESIS_HASH) report({ code: 'REORDERED', key: r.key, chain: chainId, seq, message: 'seq 0 does not link to the genesis hash' });
      continue;
    }
    const p = single(seq - 1);
    if (!p) continue;
    if (r.prevHash !== p.hash) {
      const siblings = linkIndex().successors.get(r.prevHash) ?? [];
      const other = linkIndex().hashes.get(r.prevHash);
      if (siblings.length > 1) {
        report({ code: 'FORK', key: r.key, chain: chainId, seq, message: `${siblings.map((e) => `seq ${e.seq}`).join(' and ')} both succeed the same record` });
      }
      if (other) {
        report({ code: 'REORDERED', key: r.key, chain: chainId, seq, message: `links to seq ${other.seq} instead of seq ${seq - 1}` });
      } else if (signatures) {
        report({
          code: 'MISSING',
          key: r.key,
          chain: chainId,
          seq,
          message: `links to a predecessor ${r.prevHash.slice(0, 16)}… that is not present (seq ${seq - 1} present is ${p.hash.slice(0, 16)}…)`,
        });
      } else {
        report({
          code: 'MODIFIED',
          key: p.key,
          chain: chainId,
          seq: seq - 1,
          message: `hash ${p.hash.slice(0, 16)}… does not match the prevHash ${r.prevHash.slice(0, 16)}… of seq ${seq}`,
        });
      }
    }
    if (r.time < p.time) {
      report({ code: 'REORDERED', key: r.key, chain: chainId, seq, message: `time ${r.time} is earlier than seq ${seq - 1} (${p.time})` });
    }
  }

  // Checkpointed positions must be present with the committed hash.
  for (const [seq, list] of committedAt ?? []) {
    const e = single(seq);
    for (const ref of list) {
      if (e && e.hash !== ref.hash) {
        report(
          signatures
            ? { code: 'FORK', key: e.key, chain: chainId, seq, message: `${ref.from} committed to a different record at this position` }
            : { code: 'MODIFIED', key: e.key, chain: chainId, seq, message: `hash does not match the ${ref.from} commitment` },
        );
      }
    }
  }
  return uncovered;
};
