import { STAND_IN } from './session';

/**
 * A value the reader's AWS returns at run time (`$(aws ...)`, `$(jq ...)`) is the stand-in
 * `doc-value` in a checked session. Where a command or payload needs a value of a certain shape
 * there (an ARN, an incident id), the check uses a sample of that shape instead: the shape of a
 * value AWS returns is AWS's business; the shape of a literal in a page is the page's.
 */

const ARN = 'arn:aws:iam::111122223333:role/doc-value';
const INCIDENT = 'inc-0123456789abcdef01234567';
const INSTANCE = 'i-0123456789abcdef0';
const ACCOUNT = '111122223333';

const BY_FLAG: readonly (readonly [RegExp, string])[] = [
  [/-arn$/, ARN],
  [/^--incident-id$/, INCIDENT],
  [/^--instance-ids?$/, INSTANCE],
  [/^--account(-id)?$/, ACCOUNT],
];

/** The first argument after these cordon subcommands. */
const POSITIONAL: Readonly<Record<string, string>> = { isolate: INSTANCE, release: INSTANCE, restore: INCIDENT };

/** `argv` with each stand-in replaced by a sample of the shape its flag (or position) needs. */
export const shapedArgv = (argv: readonly string[]): string[] =>
  argv.map((arg, i) => {
    if (arg !== STAND_IN.value || i === 0) return arg;
    const before = argv[i - 1]!;
    return POSITIONAL[before] ?? BY_FLAG.find(([flag]) => flag.test(before))?.[1] ?? arg;
  });

const BY_KEY: Readonly<Record<string, string>> = { incidentId: INCIDENT, instanceId: INSTANCE, account: ACCOUNT };

/** A payload with each stand-in field replaced by a sample of the shape its key needs. */
export const shapedPayload = (payload: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(payload).map(([key, value]) => [key, value === STAND_IN.value ? (BY_KEY[key] ?? value) : value]));
