import fc from 'fast-check';
import { LocalSigner, verifyObjects, type ProblemCode, type VerifyKey, type VerifyReport } from '../../lambdas/evidence';
import { asObjects, buildSet, hashOf, parseBody, resign, type EvidenceSet } from './helpers';

const rec = (incident: string, seq: number): string => `records/${incident}/${String(seq).padStart(8, '0')}.json`;

const codes = (report: VerifyReport): ProblemCode[] => [...new Set(report.problems.map((p) => p.code))].sort();

const get = (objects: Map<string, Buffer>, key: string): Buffer => {
  const body = objects.get(key);
  if (!body) throw new Error(`test set has no ${key}`);
  return body;
};

describe('evidence verification', () => {
  let set: EvidenceSet;
  const verify = (objects: Map<string, Buffer>, options: { signatures?: boolean; keys?: VerifyKey[] } = {}): VerifyReport =>
    verifyObjects(asObjects(objects), { publicKeys: options.keys ?? [set.key], signatures: options.signatures ?? true });

  beforeAll(async () => {
    // inc-0 and inc-1, seq 0..3 each; checkpoint 0 covers seq 1, checkpoint 1 covers seq 3.
    set = await buildSet({ incidents: 2, perIncident: 4, checkpointAfter: 2 });
  });

  it('accepts an untampered set, with and without signature checks', () => {
    for (const signatures of [true, false]) {
      const report = verify(set.objects(), { signatures });
      expect(report).toMatchObject({ ok: true, records: 8, checkpoints: 2, incidents: 2, uncovered: 0, problems: [] });
    }
    expect([...set.objects().keys()]).toEqual(expect.arrayContaining(['checkpoints/00000000.json', 'checkpoints/00000001.json']));
  });

  it('MODIFIED: a pretty-printed copy — only the exact bytes the writer stored are evidence', () => {
    const objects = set.objects();
    const key = rec('inc-0', 2);
    objects.set(key, Buffer.from(JSON.stringify(JSON.parse(get(objects, key).toString()), null, 2)));
    expect(verify(objects).problems).toEqual([
      { code: 'MODIFIED', key, message: 'not a valid evidence object: not in the writer\'s canonical form: expected the exact bytes {"payload":…,"signature":{…}}' },
    ]);
  });

  it.each([true, false])('MODIFIED: a changed payload is detected (signatures checked: %s)', (signatures) => {
    const objects = set.objects();
    const key = rec('inc-0', 1);
    objects.set(key, Buffer.from(get(objects, key).toString().replace('"step-1"', '"step-X"')));
    const report = verify(objects, { signatures });
    expect(codes(report)).toEqual(['MODIFIED']);
    expect(report.problems[0]).toMatchObject({ code: 'MODIFIED', key });
  });

  it('MODIFIED: an object that is no longer JSON is reported once, without a GAP', () => {
    const objects = set.objects();
    const key = rec('inc-0', 2);
    objects.set(key, get(objects, key).subarray(0, 100));
    const report = verify(objects);
    expect(report.problems).toEqual([expect.objectContaining({ code: 'MODIFIED', key, message: expect.stringContaining("not in the writer's canonical form") })]);
  });

  it('MISSING: a checkpointed incident whose records are all gone', () => {
    const objects = set.objects();
    for (const key of [...objects.keys()]) if (key.startsWith('records/inc-1/')) objects.delete(key);
    const report = verify(objects);
    expect(report.problems).toEqual([expect.objectContaining({ code: 'MISSING', chain: 'inc-1' })]);
  });

  it('MISSING: a record links to a predecessor hash that no record has', () => {
    const objects = set.objects();
    objects.set(rec('inc-0', 4), resign(set.signer, get(objects, rec('inc-0', 3)), (p) => ({ ...p, seq: 4, recordId: 'inc-0/00000004', prevHash: 'e'.repeat(64), time: '2030-01-01T00:00:00.000Z' })));
    expect(codes(verify(objects))).toEqual(['MISSING']);
  });

  it('GAP: a record deleted from the middle of a chain', () => {
    const objects = set.objects();
    objects.delete(rec('inc-0', 1));
    const report = verify(objects);
    expect(report.problems).toEqual([expect.objectContaining({ code: 'GAP', chain: 'inc-0', seq: 1 })]);
  });

  it('GAP: a deleted checkpoint leaves a hole in the checkpoint chain', () => {
    const objects = set.objects();
    objects.delete('checkpoints/00000000.json');
    expect(verify(objects).problems).toEqual([expect.objectContaining({ code: 'GAP', chain: '#checkpoints', seq: 0 })]);
  });

  it('FORK: two different records claim one position', () => {
    const objects = set.objects();
    objects.set('records/inc-0/again/00000002.json', resign(set.signer, get(objects, rec('inc-0', 2)), (p) => ({ ...p, action: 'other' })));
    // The second one is also not at its own key.
    expect(codes(verify(objects))).toEqual(['FORK', 'MOVED']);
  });

  it('FORK: a record replaced by another validly signed one differs from what the checkpoint committed', () => {
    const objects = set.objects();
    objects.set(rec('inc-0', 3), resign(set.signer, get(objects, rec('inc-0', 3)), (p) => ({ ...p, action: 'rewritten' })));
    const report = verify(objects);
    expect(report.problems).toEqual([expect.objectContaining({ code: 'FORK', key: rec('inc-0', 3) })]);
  });

  it('REORDERED: a record that links past its predecessor', () => {
    const objects = set.objects();
    const hash2 = hashOf(get(objects, rec('inc-0', 2)));
    objects.set(rec('inc-0', 4), resign(set.signer, get(objects, rec('inc-0', 3)), (p) => ({ ...p, seq: 4, recordId: 'inc-0/00000004', prevHash: hash2, time: '2030-01-01T00:00:00.000Z' })));
    const report = verify(objects);
    expect(report.problems).toContainEqual(expect.objectContaining({ code: 'REORDERED', key: rec('inc-0', 4), message: 'links to seq 2 instead of seq 3' }));
    // Seq 3 and seq 4 now both succeed seq 2.
    expect(codes(report)).toEqual(['FORK', 'REORDERED']);
  });

  it('REORDERED: a record whose time runs backwards', () => {
    const objects = set.objects();
    const three = get(objects, rec('inc-0', 3));
    objects.set(rec('inc-0', 4), resign(set.signer, three, (p) => ({ ...p, seq: 4, recordId: 'inc-0/00000004', prevHash: hashOf(three), time: '2020-01-01T00:00:00.000Z' })));
    expect(verify(objects).problems).toEqual([expect.objectContaining({ code: 'REORDERED', message: expect.stringContaining('earlier than seq 3') })]);
  });

  it('TRUNCATED_TAIL: the last records deleted after a checkpoint covered them', () => {
    const objects = set.objects();
    objects.delete(rec('inc-0', 3));
    const report = verify(objects);
    expect(report.problems).toEqual([expect.objectContaining({ code: 'TRUNCATED_TAIL', chain: 'inc-0', seq: 3 })]);
  });

  it('BAD_SIGNATURE: an intact payload with a signature by another key under this key fingerprint', () => {
    const objects = set.objects();
    const key = rec('inc-0', 1);
    const other = LocalSigner.generate();
    const forged = JSON.parse(get(objects, key).toString()) as { payload: unknown; signature: { value: string } };
    const bytes = Buffer.from(JSON.stringify(forged.payload));
    forged.signature.value = other.signSync(bytes).toString('base64');
    objects.set(key, Buffer.from(JSON.stringify(forged)));
    expect(verify(objects).problems).toEqual([expect.objectContaining({ code: 'BAD_SIGNATURE', key })]);
  });

  it('UNKNOWN_KEY: records signed by a key that was not supplied; accepted when both keys are', async () => {
    const other = await buildSet({ incidents: 1, perIncident: 2 });
    const report = verify(other.objects());
    expect(codes(report)).toEqual(['UNKNOWN_KEY']);
    expect(report.problems).toHaveLength(other.objects().size);
    expect(verify(other.objects(), { keys: [set.key, other.key] }).problems).toEqual([]);
  });

  it('REPLAYED: a record copied into another incident', () => {
    const objects = set.objects();
    objects.set(rec('inc-1', 9), get(objects, rec('inc-0', 1)));
    expect(verify(objects).problems).toEqual([expect.objectContaining({ code: 'REPLAYED', key: rec('inc-1', 9) })]);
  });

  it('MOVED: a record renamed away from records/{incidentId}/{seq}.json', () => {
    const objects = set.objects();
    objects.set(rec('inc-0', 9), get(objects, rec('inc-0', 3)));
    objects.delete(rec('inc-0', 3));
    expect(verify(objects).problems).toEqual([expect.objectContaining({ code: 'MOVED', key: rec('inc-0', 9) })]);
  });

  it('MODIFIED: a checkpoint whose listed heads no longer match its Merkle root (chain mode)', () => {
    const objects = set.objects();
    const key = 'checkpoints/00000001.json';
    const cp = parseBody(get(objects, key));
    const heads = cp.payload.heads as { seq: number }[];
    if (heads[0]) heads[0].seq = 2;
    objects.set(key, Buffer.from(JSON.stringify(cp)));
    expect(codes(verify(objects, { signatures: false }))).toContain('MODIFIED');
  });

  it('rejects every single-byte change in any stored record or checkpoint (property)', () => {
    const original = [...set.objects()];
    fc.assert(
      fc.property(
        fc.nat({ max: original.length - 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (which, offset, delta) => {
          const [key, body] = original[which] ?? ['', Buffer.alloc(0)];
          const changed = Buffer.from(body);
          const at = offset % changed.length;
          changed[at] = ((changed[at] ?? 0) + delta) % 256;
          const objects = new Map(original);
          objects.set(key, changed);
          const report = verify(objects);
          return !report.ok && report.problems.some((p) => p.key === key);
        },
      ),
      { numRuns: 200 },
    );
  });
});
