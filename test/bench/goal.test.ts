import { meets, missed, parseGoal } from '../../bench/goal';

describe('bench goals', () => {
  it('reads the goals the bench rows carry', () => {
    expect(parseGoal('<= 20 s')).toEqual({ op: '<=', limit: 20 });
    expect(parseGoal('>= 8,000')).toEqual({ op: '>=', limit: 8000 });
    expect(parseGoal('<= 1.5x')).toEqual({ op: '<=', limit: 1.5 });
    expect(parseGoal('<= $0.001')).toEqual({ op: '<=', limit: 0.001 });
    expect(parseGoal('= 11')).toEqual({ op: '=', limit: 11 });
  });

  it('rejects a goal it cannot read instead of passing it', () => {
    expect(() => parseGoal('fast')).toThrow('bench: cannot read goal "fast" (expected e.g. "<= 2 ms" or ">= 8,000")');
  });

  it('compares on the side the goal names, limit included', () => {
    expect(meets(2, '<= 2 ms')).toBe(true);
    expect(meets(2.01, '<= 2 ms')).toBe(false);
    expect(meets(8000, '>= 8,000')).toBe(true);
    expect(meets(7999, '>= 8,000')).toBe(false);
    expect(meets(0, '< 1')).toBe(true);
    expect(meets(1, '< 1')).toBe(false);
    expect(meets(Number.NaN, '<= 2 ms')).toBe(false);
    expect(meets(11, '= 11')).toBe(true);
    expect(meets(12, '= 11')).toBe(false);
  });

  it('lists only the rows that have a goal and miss it', () => {
    const rows = [
      { name: 'a', value: 3, unit: 'ms', goal: '<= 2 ms' },
      { name: 'b', value: 1, unit: 'ms', goal: '<= 2 ms' },
      { name: 'c', value: 99, unit: 'ms' },
    ];
    expect(missed(rows).map((r) => r.name)).toEqual(['a']);
  });
});
