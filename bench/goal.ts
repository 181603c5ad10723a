import type { BenchRow } from './types';

/** A goal as the issues write it: `<= 20 s`, `>= 8,000`, `<= 1.5x`, `<= $0.001`, `= 11`. */
export interface Goal {
  readonly op: '<=' | '>=' | '<' | '>' | '=';
  readonly limit: number;
}

/** Parses a goal; throws on one it cannot read, so a typo never passes silently. */
export const parseGoal = (goal: string): Goal => {
  const m = /^\s*(<=|>=|<|>|=)\s*\$?\s*([\d,]*\.?\d+)/.exec(goal);
  if (!m) throw new Error(`bench: cannot read goal ${JSON.stringify(goal)} (expected e.g. "<= 2 ms" or ">= 8,000")`);
  return { op: m[1] as Goal['op'], limit: Number(m[2]!.replace(/,/g, '')) };
};

/** True when `value` meets `goal`; a NaN value never does. */
export const meets = (value: number, goal: string): boolean => {
  const { op, limit } = parseGoal(goal);
  if (Number.isNaN(value)) return false;
  switch (op) {
    case '<=':
      return value <= limit;
    case '>=':
      return value >= limit;
    case '<':
      return value < limit;
    case '>':
      return value > limit;
    case '=':
      return value === limit;
  }
};

/** The rows that have a goal and miss it. */
export const missed = (rows: readonly BenchRow[]): BenchRow[] => rows.filter((r) => r.goal !== undefined && !meets(r.value, r.goal));
