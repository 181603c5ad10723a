import { Verifier, checkpointKey, examineAll, recordKey, type Examined, type VerifyReport } from '../../lambdas/evidence';
import { verifyInParallel } from '../../lambdas/evidence/pool';
import { packExamined, packObjects, unpackExamined, unpackObjects } from '../../lambdas/evidence/pool-wire';
import { asObjects, buildSet, parseBody, resign, type EvidenceSet } from './helpers';

/**
 * Verification on several threads (lambdas/evidence/pool.ts) hands objects and what was examined
 * of them across threads in a packed form (pool-wire.ts): both must arrive exactly as sent, and a
 * verification on several threads must report what one thread reports.
 */

const hostile = 'x\u0000"\\\u2028é😀\u001b[2J';

describe('the worker-thread wire', () => {
  let set: EvidenceSet;
  beforeAll(async () => {
    set = await buildSet({ incidents: 2, perIncident: 3, checkpointAfter: 1 });
  });

  it('carries objects and their bytes exactly, empty bodies included', () => {
    const objects = [
      { key: `records/${hostile}`, body: Buffer.from([0, 255, 10]) },
      { key: 'checkpoints/00000000.json', body: Buffer.alloc(0) },
      { key: 'other', body: Buffer.from(hostile) },
    ];
    const unpacked = unpackObjects(packObjects(objects));
    expect(unpacked.map((o) => o.key)).toEqual(objects.map((o) => o.key));
    expect(unpacked.map((o) => o.body.toString('hex'))).toEqual(objects.map((o) => o.body.toString('hex')));
  });

  it('carries every kind of examined object exactly: records, checkpoints, every signature state, moved, corrupt, ignored', () => {
    const objects = asObjects(set.objects());
    const record = objects.find((o) => o.key.startsWith('records/'))!;
    const keyOfOther = new Map([['0'.repeat(64), set.key.key]]);
    const movedBody = record.body;
    const badSignature = resign(set.signer, record.body, (p) => ({ ...p, action: 'other' }));
    const batch = [
      ...objects,
      { key: recordKey('inc-9', 7), body: movedBody },
      { key: record.key, body: Buffer.from(record.body.toString('latin1').replace('"action":"step-', '"action":"step_'), 'latin1') },
      { key: 'records/inc-0/x.json', body: Buffer.from(hostile) },
      { key: 'README.md', body: Buffer.from('not evidence') },
      { key: checkpointKey(9), body: badSignature },
    ];
    const keys = batch.map((o) => o.key);
    const examinedSets: Examined[][] = [
      examineAll(batch, new Map([[set.key.fingerprint, set.key.key]]), true),
      examineAll(batch, new Map([[set.key.fingerprint, set.key.key]]), false),
      examineAll(batch, keyOfOther, true),
    ];
    for (const examined of examinedSets) expect(unpackExamined(keys, packExamined(examined))).toEqual(examined);
    const kinds = examinedSets.flat().map((x) => (x.kind === 'entry' ? `${x.entry.type}:${x.entry.sig}:${x.entry.key === x.entry.canonicalKey}` : x.kind));
    expect(new Set(kinds)).toEqual(
      new Set(['record:ok:true', 'record:ok:false', 'checkpoint:ok:true', 'record:bad:true', 'record:unchecked:true', 'record:unchecked:false', 'checkpoint:unchecked:true', 'record:unknown-key:true', 'record:unknown-key:false', 'checkpoint:unknown-key:true', 'corrupt', 'ignored']),
    );
    const checkpoint = examinedSets[0]!.find((x) => x.kind === 'entry' && x.entry.type === 'checkpoint');
    expect(checkpoint?.kind === 'entry' && checkpoint.entry.heads?.length).toBe(2);
  });
});

describe('verification on several threads', () => {
  const sorted = (report: VerifyReport) => ({
    ...report,
    elapsedMs: 0,
    perSecond: 0,
    problems: [...report.problems].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
  });

  it('reports what one thread reports, on a set large enough to start worker threads, tampered', async () => {
    const set = await buildSet({ incidents: 30, perIncident: 75, checkpointAfter: 40 });
    const objects = set.objects();
    const keys = [...objects.keys()].filter((k) => k.startsWith('records/')).sort();
    objects.set(keys[100]!, resign(set.signer, objects.get(keys[100]!)!, (p) => ({ ...p, action: 'forged' })));
    objects.set(keys[1500]!, Buffer.from(`${objects.get(keys[1500]!)!.toString('utf8')} `));
    objects.set(recordKey('inc-elsewhere', 3), objects.get(keys[2000]!)!);
    objects.delete(keys[2100]!);
    const { payload } = parseBody(objects.get(keys[10]!)!);
    expect(payload.incidentId).toBe('inc-0');
    for (const signatures of [false, true]) {
      const one = new Verifier({ publicKeys: [set.key], signatures });
      for (const [key, body] of objects) one.add(key, body);
      const several = new Verifier({ publicKeys: [set.key], signatures });
      await verifyInParallel(several, 3, (sink) => {
        for (const [key, body] of objects) sink.add(key, body);
      });
      const expected = sorted(one.finish());
      expect(expected.objects).toBeGreaterThan(2200);
      expect(Object.keys(expected.counts).length).toBeGreaterThanOrEqual(3);
      expect(sorted(several.finish())).toEqual(expected);
    }
  });
});
