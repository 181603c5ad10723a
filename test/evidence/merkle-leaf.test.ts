import fc from 'fast-check';
import { canonicalJson, headLeaf, headsRoot, merkleRoot } from '../../lambdas/evidence';

/**
 * A checkpoint's Merkle leaf is its head's RFC 8785 canonical JSON; headLeaf writes that text
 * directly (checkpoint.ts), which must be byte for byte what canonicalJson writes, for any head.
 */

const canonicalLeaf = (head: { hash: string; incidentId: string; seq: number }): Buffer =>
  Buffer.from(canonicalJson({ hash: head.hash, incidentId: head.incidentId, seq: head.seq }));

describe('checkpoint Merkle leaves', () => {
  it('are the canonical JSON of the head, whatever its strings and number', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), fc.oneof(fc.nat(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(-0)), (hash, incidentId, seq) => {
        expect(headLeaf({ hash, incidentId, seq }).toString('hex')).toBe(canonicalLeaf({ hash, incidentId, seq }).toString('hex'));
      }),
      { numRuns: 5_000 },
    );
  });

  it('refuses a head that has no canonical JSON, as canonicalJson does', () => {
    for (const seq of [Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => headLeaf({ hash: 'a', incidentId: 'b', seq })).toThrow(/is not allowed/);
    }
  });

  it('give the root of the canonical leaves', () => {
    const heads = Array.from({ length: 37 }, (_, i) => ({ hash: `${i}`.repeat(64).slice(0, 64), incidentId: `inc-${i}`, seq: i * 3 }));
    expect(headsRoot(heads)).toBe(merkleRoot(heads.map(canonicalLeaf)).toString('hex'));
  });
});
