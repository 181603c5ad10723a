/** One row of `npm run bench`. */
export interface BenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The goal from the issue, e.g. `<= 20 s`. */
  readonly goal?: string;
}
