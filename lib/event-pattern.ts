/**
 * A small, strict EventBridge event-pattern matcher: it answers "would this rule receive
 * this event?" for the patterns Cordon synthesizes, following the EventBridge user guide
 * (content filtering in event patterns).
 *
 * Supported: exact values (string, number, boolean, null), a list of matchers as OR, `prefix`,
 * `suffix`, `equals-ignore-case`, `numeric` (`=`, `<`, `<=`, `>`, `>=`, one or two comparisons),
 * `exists`, `anything-but` (a value, a list of values, or `{prefix}` / `{suffix}`), nested objects,
 * and arrays in the event (a field matches when any element matches). Anything else throws, so a
 * pattern the matcher does not understand fails the test instead of silently not matching.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export class UnsupportedPatternError extends Error {
  override readonly name = 'UnsupportedPatternError';
}

const NUMERIC_OPERATORS = ['=', '<', '<=', '>', '>='] as const;
type NumericOperator = (typeof NUMERIC_OPERATORS)[number];
const isNumericOperator = (value: unknown): value is NumericOperator =>
  typeof value === 'string' && (NUMERIC_OPERATORS as readonly string[]).includes(value);

const compare = (op: NumericOperator, left: number, right: number): boolean => {
  switch (op) {
    case '=':
      return left === right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
  }
};

const numericMatches = (spec: JsonValue, value: JsonValue): boolean => {
  if (!Array.isArray(spec) || spec.length === 0 || spec.length % 2 !== 0 || spec.length > 4) {
    throw new UnsupportedPatternError(`numeric expects [op, number] or [op, number, op, number], received ${JSON.stringify(spec)}`);
  }
  // EventBridge compares JSON numbers only: the string "7.0" does not match numeric.
  if (typeof value !== 'number') return false;
  for (let i = 0; i < spec.length; i += 2) {
    const op = spec[i];
    const operand = spec[i + 1];
    if (!isNumericOperator(op) || typeof operand !== 'number') {
      throw new UnsupportedPatternError(`numeric expects an operator (=, <, <=, >, >=) and a number, received ${JSON.stringify(spec)}`);
    }
    if (!compare(op, value, operand)) return false;
  }
  return true;
};

const stringOperand = (operator: string, operand: JsonValue): string => {
  if (typeof operand !== 'string') throw new UnsupportedPatternError(`${operator} expects a string, received ${JSON.stringify(operand)}`);
  return operand;
};

const anythingButMatches = (spec: JsonValue, value: JsonValue): boolean => {
  if (isObject(spec)) {
    const keys = Object.keys(spec);
    const [key] = keys;
    if (keys.length !== 1 || (key !== 'prefix' && key !== 'suffix')) {
      throw new UnsupportedPatternError(`anything-but supports {prefix} or {suffix}, received ${JSON.stringify(spec)}`);
    }
    if (typeof value !== 'string') return false;
    const operand = stringOperand(`anything-but ${key}`, spec[key] ?? null);
    return key === 'prefix' ? !value.startsWith(operand) : !value.endsWith(operand);
  }
  const excluded = Array.isArray(spec) ? spec : [spec];
  for (const item of excluded) {
    if (isObject(item) || Array.isArray(item)) throw new UnsupportedPatternError(`anything-but expects values, received ${JSON.stringify(spec)}`);
  }
  return !excluded.includes(value);
};

/** One matcher (an element of a pattern's value list) against one present scalar event value. */
const matcherMatches = (matcher: JsonValue, value: JsonValue): boolean => {
  if (!isObject(matcher)) {
    if (Array.isArray(matcher)) throw new UnsupportedPatternError(`nested list in a matcher list: ${JSON.stringify(matcher)}`);
    return matcher === value;
  }
  const keys = Object.keys(matcher);
  const [operator] = keys;
  if (keys.length !== 1 || operator === undefined) {
    throw new UnsupportedPatternError(`a matcher has exactly one operator, received ${JSON.stringify(matcher)}`);
  }
  const operand = matcher[operator] ?? null;
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && value.startsWith(stringOperand(operator, operand));
    case 'suffix':
      return typeof value === 'string' && value.endsWith(stringOperand(operator, operand));
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === stringOperand(operator, operand).toLowerCase();
    case 'numeric':
      return numericMatches(operand, value);
    case 'anything-but':
      return anythingButMatches(operand, value);
    case 'exists':
      // Handled by fieldMatches: a present leaf satisfies exists:true, never exists:false.
      if (typeof operand !== 'boolean') throw new UnsupportedPatternError(`exists expects true or false, received ${JSON.stringify(operand)}`);
      return operand;
    default:
      throw new UnsupportedPatternError(`operator ${operator} is not supported by this matcher`);
  }
};

/** The leaf values of an event field: arrays are flattened (any element may match). */
const leaves = (value: JsonValue): JsonValue[] => (Array.isArray(value) ? value.flatMap(leaves) : [value]);

/**
 * Checks one matcher whatever the event holds, so an unsupported or malformed matcher fails even
 * when the field it names is absent from the event.
 */
const validateMatcher = (matcher: JsonValue): void => {
  if (Array.isArray(matcher)) throw new UnsupportedPatternError(`nested list in a matcher list: ${JSON.stringify(matcher)}`);
  if (!isObject(matcher)) return;
  const keys = Object.keys(matcher);
  const [operator] = keys;
  if (keys.length !== 1 || operator === undefined) {
    throw new UnsupportedPatternError(`a matcher has exactly one operator, received ${JSON.stringify(matcher)}`);
  }
  const operand = matcher[operator] ?? null;
  switch (operator) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      stringOperand(operator, operand);
      return;
    case 'exists':
      if (typeof operand !== 'boolean') throw new UnsupportedPatternError(`exists expects true or false, received ${JSON.stringify(operand)}`);
      return;
    case 'numeric':
      numericMatches(operand, 0);
      return;
    case 'anything-but':
      anythingButMatches(operand, '');
      return;
    default:
      throw new UnsupportedPatternError(`operator ${operator} is not supported by this matcher`);
  }
};

/** A pattern's value list against an event field that may be absent. */
const fieldMatches = (matchers: JsonValue[], value: JsonValue | undefined): boolean => {
  if (matchers.length === 0) throw new UnsupportedPatternError('an empty value list matches nothing');
  matchers.forEach(validateMatcher);
  return matchers.some((matcher) => {
    if (isObject(matcher) && 'exists' in matcher) {
      if (typeof matcher.exists !== 'boolean') throw new UnsupportedPatternError(`exists expects true or false, received ${JSON.stringify(matcher.exists)}`);
      const present = value !== undefined && leaves(value).some((v) => !isObject(v));
      return matcher.exists === present;
    }
    if (value === undefined) return false;
    return leaves(value).some((leaf) => !isObject(leaf) && matcherMatches(matcher, leaf));
  });
};

/** An object pattern against an event object: every key of the pattern must match (AND). */
const objectMatches = (pattern: JsonObject, event: JsonObject): boolean =>
  Object.entries(pattern).every(([key, sub]) => {
    const value = event[key];
    if (Array.isArray(sub)) return fieldMatches(sub, value);
    if (isObject(sub)) {
      if (value === undefined) return false;
      // A nested pattern matches an object, or any object element of an array.
      const candidates = leaves(value).filter(isObject);
      return candidates.some((candidate) => objectMatches(sub, candidate));
    }
    throw new UnsupportedPatternError(`pattern values are lists or objects, received ${JSON.stringify(sub)} at ${key}`);
  });

/**
 * True when EventBridge would deliver `event` to a rule with `pattern`. An event without the
 * envelope fields the pattern names (a bare finding, a CloudTrail record) never matches.
 */
export const matchesEventPattern = (pattern: unknown, event: unknown): boolean => {
  if (!isObject(pattern)) throw new UnsupportedPatternError(`a pattern is an object, received ${JSON.stringify(pattern)}`);
  if (Object.keys(pattern).length === 0) throw new UnsupportedPatternError('an empty pattern matches nothing useful');
  if (!isObject(event)) return false;
  return objectMatches(pattern, event);
};
