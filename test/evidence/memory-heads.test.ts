import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryChainHeads } from '../../lambdas/evidence';

describe('memory chain heads with a journal file (the drill vault)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cordon-heads-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const head = (seq: number) => ({ seq, hash: String(seq).repeat(64).slice(0, 64), time: `2026-01-01T00:00:0${seq}.000Z` });

  it('appends one line per advance instead of rewriting every head, and reopens at the last head of each chain', async () => {
    const file = join(dir, 'heads.json');
    const heads = new MemoryChainHeads({ file, clock: () => new Date(1000) });
    await heads.advance('inc-a', undefined, head(0));
    await heads.advance('inc-b', undefined, head(0));
    await heads.advance('inc-a', head(0), head(1));
    expect(readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { chainId: string }).chainId)).toEqual(['inc-a', 'inc-b', 'inc-a']);
    const reopened = new MemoryChainHeads({ file });
    await expect(reopened.read('inc-a')).resolves.toEqual(head(1));
    await expect(reopened.read('inc-b')).resolves.toEqual(head(0));
    await expect(reopened.changedBetween(0, 1000)).resolves.toHaveLength(2);
  });

  it('ignores a line torn by a crash and refuses an advance from a stale head', async () => {
    const file = join(dir, 'heads.json');
    const heads = new MemoryChainHeads({ file });
    await heads.advance('inc-a', undefined, head(0));
    appendFileSync(file, '{"chainId":"inc-a","head":{"seq":1,');
    const reopened = new MemoryChainHeads({ file });
    await expect(reopened.read('inc-a')).resolves.toEqual(head(0));
    await expect(reopened.advance('inc-a', undefined, head(0))).resolves.toEqual({ ok: false, current: head(0) });
    await reopened.advance('inc-a', head(0), head(1));
    await expect(new MemoryChainHeads({ file }).read('inc-a')).resolves.toEqual(head(1));
  });
});
