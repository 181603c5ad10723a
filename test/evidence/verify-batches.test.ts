import * as envelope from '../../lambdas/evidence/envelope';
import { LocalSigner, Verifier } from '../../lambdas/evidence';
import { buildSet, type EvidenceSet } from './helpers';

/**
 * The Verifier examines objects in batches (lambdas/evidence/verify.ts): up to 256 objects or
 * 8 MiB of bodies, whichever comes first, so a folder of large files is never held at once, and
 * the report is the same whatever the batching.
 */

let set: EvidenceSet;
beforeAll(async () => {
  set = await buildSet({ incidents: 3, perIncident: 5, signer: LocalSigner.generate('local:batches-test') });
});

afterEach(() => jest.restoreAllMocks());

const batchSizes = (feed: (v: Verifier) => void): number[] => {
  const examineAll = jest.spyOn(envelope, 'examineAll');
  const verifier = new Verifier({ publicKeys: [set.key], signatures: true });
  feed(verifier);
  verifier.finish();
  return examineAll.mock.calls.map(([objects]) => objects.length);
};

describe('verification batches', () => {
  it('examines 256 small objects at a time, and the rest at finish', () => {
    const [first] = [...set.objects()];
    const sizes = batchSizes((v) => {
      for (let i = 0; i < 2500; i += 1) v.add(`other/${i}.json`, first?.[1] ?? Buffer.alloc(0));
    });
    expect(sizes).toEqual([256, 256, 256, 256, 256, 256, 256, 256, 256, 196]);
  });

  it('examines a batch as soon as its bodies reach 8 MiB', () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 0x20);
    const sizes = batchSizes((v) => {
      for (let i = 0; i < 7; i += 1) v.add(`records/inc-big/${String(i).padStart(8, '0')}.json`, big);
    });
    expect(sizes).toEqual([3, 3, 1]);
  });

  it('reports the same whatever the batching: a tampered set fed whole, and flushed after every object', () => {
    const objects = set.objects();
    const keys = [...objects.keys()].filter((k) => k.startsWith('records/'));
    objects.delete(keys[2] ?? '');
    const changed = keys[4] ?? '';
    objects.set(changed, Buffer.from((objects.get(changed) ?? Buffer.alloc(0)).toString('latin1').replace('step-', 'stap-'), 'latin1'));
    const whole = new Verifier({ publicKeys: [set.key], signatures: true });
    for (const [key, body] of objects) whole.add(key, body);
    const oneByOne = new Verifier({ publicKeys: [set.key], signatures: true });
    for (const [key, body] of objects) {
      oneByOne.add(key, body);
      oneByOne.reject(`records/junk/${key.length}.json`, 'unreadable'); // flushes what was added
    }
    const a = whole.finish();
    const b = oneByOne.finish();
    expect(a.problems.map((p) => p.code).sort()).toEqual(['GAP', 'MODIFIED']);
    expect(b.problems.filter((p) => !p.key?.startsWith('records/junk/'))).toEqual(a.problems);
    expect([b.records, b.checkpoints, b.incidents]).toEqual([a.records, a.checkpoints, a.incidents]);
  });
});
