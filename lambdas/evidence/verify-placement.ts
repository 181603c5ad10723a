import { push, trusted, type Report } from './chain-analysis';
import type { Entry } from './envelope';
import type { LatestCheckpoint } from './verify-report';

/** Where entries stand (Verifier.finish): objects away from their own key, and the latest checkpoint. */

/** Entries at a key other than their own: REPLAYED when a copy is at home (or another copy was reported first), else MOVED. */
export const placement = (entries: readonly Entry[], report: Report): void => {
  const strays = entries.filter((e) => e.key !== e.canonicalKey);
  if (strays.length === 0) return;
  const strayHashes = new Set(strays.map((e) => e.hash));
  const byHash = new Map<string, Entry[]>();
  for (const e of entries) if (strayHashes.has(e.hash)) push(byHash, e.hash, e);
  for (const list of byHash.values()) {
    const home = list.find((e) => e.key === e.canonicalKey);
    const away = list.filter((e) => e !== home).sort((a, b) => (a.key < b.key ? -1 : 1));
    away.forEach((e, i) => {
      const what = e.type === 'record' ? `incident ${e.chain} seq ${e.seq}` : `checkpoint ${e.seq}`;
      if (home || i > 0) {
        e.duplicate = true;
        report({ code: 'REPLAYED', key: e.key, chain: e.chain, seq: e.seq, message: `copy of ${what}, which is present at ${(home ?? away[0])?.key ?? e.canonicalKey}` });
      } else {
        report({ code: 'MOVED', key: e.key, chain: e.chain, seq: e.seq, message: `holds ${what}, which belongs at ${e.canonicalKey}` });
      }
    });
  }
};

/** The highest checkpoint with exactly one trusted entry at its position. */
export const latestCheckpoint = (chain: Map<number, Entry[]> | undefined): LatestCheckpoint | undefined => {
  let best: Entry | undefined;
  for (const at of chain?.values() ?? []) {
    const good = at.filter(trusted);
    const e = good.length === 1 ? good[0] : undefined;
    if (e && (!best || e.seq > best.seq)) best = e;
  }
  return best && { seq: best.seq, time: best.time, hash: best.hash, key: best.key };
};
