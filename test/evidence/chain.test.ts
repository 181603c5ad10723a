import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChainIntegrityError,
  EvidenceChain,
  GENESIS_HASH,
  InvalidEvidenceError,
  LocalEvidenceStore,
  LocalSigner,
  MemoryChainHeads,
  MemoryEvidenceStore,
  RecordEnvelopeSchema,
  canonicalJson,
  sha256Hex,
  verifyObjects,
  type EvidenceInput,
} from '../../lambdas/evidence';
import { asObjects, input, parseBody, steppingClock, verifyKeyOf } from './helpers';

describe('evidence chain', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cordon-chain-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes signed, chained records that verify with the local signer (round trip through a folder)', async () => {
    const signer = LocalSigner.fromFile(join(dir, 'key.pem'), { create: true });
    const store = new LocalEvidenceStore(join(dir, 'evidence'));
    const chain = new EvidenceChain({ signer, store, heads: new MemoryChainHeads(), clock: steppingClock() });

    const first = await chain.append('inc-1', input({ kind: 'intent' }));
    const second = await chain.append('inc-1', input({ kind: 'outcome' }));

    expect(first).toEqual({ key: 'records/inc-1/00000000.json', incidentId: 'inc-1', seq: 0, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(second.seq).toBe(1);
    const files = readdirSync(join(dir, 'evidence', 'records', 'inc-1')).sort();
    expect(files).toEqual(['00000000.json', '00000001.json']);
    const body0 = readFileSync(join(dir, 'evidence', first.key));
    const body1 = readFileSync(join(dir, 'evidence', second.key));
    const r0 = RecordEnvelopeSchema.parse(JSON.parse(body0.toString()));
    const r1 = RecordEnvelopeSchema.parse(JSON.parse(body1.toString()));
    expect(r0.payload.prevHash).toBe(GENESIS_HASH);
    expect(sha256Hex(canonicalJson(r0.payload))).toBe(first.hash);
    expect(r1.payload.prevHash).toBe(first.hash);
    expect(r0.payload).toMatchObject({
      schemaVersion: 1,
      recordId: 'inc-1/00000000',
      incidentId: 'inc-1',
      seq: 0,
      kind: 'intent',
      controls: ['IR-4(2)', 'IR-5', 'AU-9(3)', 'AU-10(3)', 'AU-11'],
      signer: { keyId: `file:${join(dir, 'key.pem')}` },
    });
    // The stored object is the canonical envelope.
    expect(body0.toString()).toBe(canonicalJson(JSON.parse(body0.toString())));

    const key = await verifyKeyOf(LocalSigner.fromFile(join(dir, 'key.pem')));
    const report = verifyObjects(
      [
        { key: first.key, body: body0 },
        { key: second.key, body: body1 },
      ],
      { publicKeys: [key] },
    );
    expect(report).toMatchObject({ ok: true, records: 2, incidents: 1, problems: [] });
  });

  it('keeps record times non-decreasing even when the clock runs backwards', async () => {
    const times = ['2026-01-01T00:00:05.000Z', '2026-01-01T00:00:01.000Z'];
    const store = new MemoryEvidenceStore();
    const chain = new EvidenceChain({
      signer: LocalSigner.generate(),
      store,
      heads: new MemoryChainHeads(),
      clock: () => new Date(times.shift() ?? '2026-01-01T00:00:09.000Z'),
    });
    await chain.append('inc-t', input());
    await chain.append('inc-t', input());
    const stamps = [...store.objects.values()].map((b) => parseBody(b).payload.time);
    expect(stamps).toEqual(['2026-01-01T00:00:05.000Z', '2026-01-01T00:00:05.000Z']);
  });

  it('serialises concurrent appends from one process into one contiguous chain', async () => {
    const store = new MemoryEvidenceStore();
    const chain = new EvidenceChain({ signer: LocalSigner.generate(), store, heads: new MemoryChainHeads() });
    const stored = await Promise.all(Array.from({ length: 20 }, (_, i) => chain.append('inc-p', input({ action: `a-${i}` }))));
    expect(stored.map((s) => s.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const report = verifyObjects(asObjects(store.objects), { publicKeys: [], signatures: false });
    expect(report.problems).toEqual([]);
  });

  it('re-stores a record whose writer crashed after taking its seq', async () => {
    const signer = LocalSigner.generate();
    const store = new MemoryEvidenceStore();
    const heads = new MemoryChainHeads();
    const crashing = new EvidenceChain({
      signer,
      store: { put: () => Promise.reject(new Error('lambda timed out')), exists: (key) => store.exists(key), read: (key) => store.read(key) },
      heads,
    });
    await expect(crashing.append('inc-c', input())).rejects.toThrow('lambda timed out');
    expect(store.objects.size).toBe(0);

    const next = new EvidenceChain({ signer, store, heads });
    await next.append('inc-c', input());

    expect([...store.objects.keys()].sort()).toEqual(['records/inc-c/00000000.json', 'records/inc-c/00000001.json']);
    const report = verifyObjects(asObjects(store.objects), { publicKeys: [await verifyKeyOf(signer)] });
    expect(report.problems).toEqual([]);
  });

  it('still appends when the predecessor check is denied (the repair is best effort)', async () => {
    const signer = LocalSigner.generate();
    const store = new MemoryEvidenceStore();
    const heads = new MemoryChainHeads();
    await new EvidenceChain({ signer, store, heads }).append('inc-d', input());
    const warnings: string[] = [];
    const denied = new EvidenceChain({
      signer,
      store: { put: (k, b) => store.put(k, b), exists: () => Promise.reject(new Error('AccessDenied')), read: (k) => store.read(k) },
      heads,
      logger: { debug: () => undefined, warn: (message: string) => warnings.push(message) },
    });
    expect((await denied.append('inc-d', input())).seq).toBe(1);
    expect(warnings).toEqual(['could not check or repair the previous evidence record']);
  });

  it('rejects appending when the heads table is behind the bucket (it would fork the chain)', async () => {
    const signer = LocalSigner.generate();
    const store = new MemoryEvidenceStore();
    await new EvidenceChain({ signer, store, heads: new MemoryChainHeads() }).append('inc-r', input());
    // The heads table is lost or restored from an old backup: a new writer starts again at seq 0.
    const reset = new EvidenceChain({ signer, store, heads: new MemoryChainHeads() });
    await expect(reset.append('inc-r', input({ action: 'other' }))).rejects.toThrow(ChainIntegrityError);
    expect(store.objects.size).toBe(1);
  });

  it.each([
    ['a slash', 'inc/1'],
    ['dot-dot traversal', '../inc'],
    ['an empty id', ''],
    ['a space', 'inc 1'],
    ['129 characters', 'a'.repeat(129)],
  ])('rejects an incident id with %s', async (_what, incidentId) => {
    const chain = new EvidenceChain({ signer: LocalSigner.generate(), store: new MemoryEvidenceStore(), heads: new MemoryChainHeads() });
    await expect(chain.append(incidentId, input())).rejects.toThrow(InvalidEvidenceError);
  });

  it('rejects input that is not a record (checkpoint kind, unknown field, non-JSON detail)', async () => {
    const chain = new EvidenceChain({ signer: LocalSigner.generate(), store: new MemoryEvidenceStore(), heads: new MemoryChainHeads() });
    await expect(chain.append('inc-1', input({ kind: 'checkpoint' }))).rejects.toThrow('checkpoint is reserved');
    await expect(chain.append('inc-1', { ...input(), extra: 1 } as EvidenceInput)).rejects.toThrow(InvalidEvidenceError);
    await expect(chain.append('inc-1', input({ detail: { big: 1n } }))).rejects.toThrow('expected detail to be JSON-serialisable');
  });

  it('rejects overwriting: the folder store never replaces a record', async () => {
    const store = new LocalEvidenceStore(dir);
    expect(await store.put('records/inc-1/00000000.json', Buffer.from('a'))).toBe('created');
    expect(await store.put('records/inc-1/00000000.json', Buffer.from('b'))).toBe('exists');
    expect(readFileSync(join(dir, 'records/inc-1/00000000.json'), 'utf8')).toBe('a');
    await expect(store.put('../escape.json', Buffer.from('x'))).rejects.toThrow('inside the store');
  });
});
