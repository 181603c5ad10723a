import { isDeepStrictEqual } from 'node:util';
import type { State } from './state';

/**
 * Judging a scenario's effect: every difference between the before- and after-state must be
 * claimed by a rule, and every required outcome must hold. A difference no rule claims is
 * reported as an unexpected change ("nothing else changed"), a required outcome that does not
 * hold as a failed check. Rules are exact for what a responder must do (groups, ASG, targets, key
 * status, deny policy) and tolerant only where a responder may legitimately add something the
 * drill does not pin (its own `cordon:*` tags, its own security groups).
 */

export interface Change {
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

/** A required outcome: `ok` false is a failed check with `message`. */
export interface Check {
  readonly what: string;
  readonly ok: boolean;
  readonly detail?: string;
}

/** Claims a change when it returns a short reason; undefined leaves it to the next rule. */
export type Rule = (change: Change) => string | undefined;

export interface Judgement {
  readonly checks: readonly Check[];
  readonly claimed: readonly (Change & { readonly reason: string })[];
  readonly unexpected: readonly Change[];
  readonly ok: boolean;
}

export const diff = (before: State, after: State): Change[] => {
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  return paths.filter((p) => !isDeepStrictEqual(before.get(p), after.get(p))).map((path) => ({ path, before: before.get(path), after: after.get(path) }));
};

export const judge = (changes: readonly Change[], rules: readonly Rule[], checks: readonly Check[]): Judgement => {
  const claimed: (Change & { reason: string })[] = [];
  const unexpected: Change[] = [];
  for (const change of changes) {
    let reason: string | undefined;
    for (const rule of rules) {
      reason = rule(change);
      if (reason) break;
    }
    if (reason) claimed.push({ ...change, reason });
    else unexpected.push(change);
  }
  return { checks, claimed, unexpected, ok: unexpected.length === 0 && checks.every((c) => c.ok) };
};

export const check = (what: string, ok: boolean, detail?: unknown): Check => ({
  what,
  ok,
  ...(ok || detail === undefined ? {} : { detail: typeof detail === 'string' ? detail : JSON.stringify(detail) }),
});

/** A check that `actual` deep-equals `expected`, with both in the detail when not. */
export const equals = (what: string, actual: unknown, expected: unknown): Check =>
  check(what, isDeepStrictEqual(actual, expected), `expected ${JSON.stringify(expected)}, found ${JSON.stringify(actual)}`);

/** Claims a change of exactly `path` (its outcome is pinned by a check). */
export const pinned =
  (path: string, reason: string): Rule =>
  (c) =>
    c.path === path ? reason : undefined;

/** Claims a change of any path that matches. */
export const matching =
  (pattern: RegExp, reason: string): Rule =>
  (c) =>
    pattern.test(c.path) ? reason : undefined;
