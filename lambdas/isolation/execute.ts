import { ModifyNetworkInterfaceAttributeCommand } from '@aws-sdk/client-ec2';
import { errorMessage } from '../shared/errors';
import { run, type Sent } from './calls';
import type { Ec2Clients, GroupRef, Step, StepResult } from './types';

/**
 * Runs a plan: every step starts as soon as the steps it waits for have settled (`after`) or
 * succeeded (`needs`), so independent steps run in parallel and a failed step stops only the steps
 * that need it (those are reported `not-run`, never silently dropped). `softAfter` steps are
 * waited for at most `softWaitMs` once the rest has settled (the console capture before the cut).
 * Never throws.
 *
 * Fail closed: the isolation step of an ENI is retried; if it still fails, the ENI is put back on
 * its original groups (also retried), so an ENI is never left on the allow-all group. The step is
 * then `failed`, its `after` says where the ENI ended (`reverted` or `revertFailed`) with every
 * attempt, and respond.ts escalates.
 */

export interface ExecuteOptions {
  /** Extra attempts of a failed isolation (and of its revert). @default 2 */
  readonly retries?: number;
  /** Delay before the n-th retry: n x this. @default 200 */
  readonly retryDelayMs?: number;
  /** The longest a step waits for its `softAfter` steps once its other waits are over. @default 1500 */
  readonly softWaitMs?: number;
  /** A console capture that takes longer fails. @default 10000 */
  readonly captureTimeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Attempt {
  readonly groups: readonly string[];
  readonly error?: string;
  readonly requestId?: string;
}

const requestIdOf = (error: unknown): string | undefined =>
  (error as { $metadata?: { requestId?: string } } | undefined)?.$metadata?.requestId;

/** Sets an ENI's groups, retrying; every attempt is kept for the evidence. */
const setGroups = async (
  clients: Ec2Clients,
  eniId: string,
  groups: readonly string[],
  options: Required<ExecuteOptions>,
  attempts: Attempt[],
): Promise<string | undefined> => {
  for (let n = 0; n <= options.retries; n += 1) {
    if (n > 0) await options.sleep(n * options.retryDelayMs);
    try {
      const out = await clients.ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: [...groups] }));
      attempts.push({ groups, ...(out.$metadata?.requestId ? { requestId: out.$metadata.requestId } : {}) });
      return out.$metadata?.requestId ?? '';
    } catch (error) {
      const requestId = requestIdOf(error);
      attempts.push({ groups, error: errorMessage(error), ...(requestId ? { requestId } : {}) });
    }
  }
  return undefined;
};

/** The isolation of one ENI: isolate (retried), else back to the original groups (retried). */
const isolateEni = async (
  step: Extract<Step, { kind: 'eni-isolate' }>,
  clients: Ec2Clients,
  group: (ref: GroupRef) => string,
  options: Required<ExecuteOptions>,
): Promise<Sent> => {
  const attempts: Attempt[] = [];
  let isolation: string | undefined;
  try {
    isolation = group(step.group);
  } catch (error) {
    attempts.push({ groups: [], error: errorMessage(error) });
  }
  if (isolation !== undefined && (await setGroups(clients, step.eniId, [isolation], options, attempts)) !== undefined) {
    return { requestIds: ids(attempts), before: { groups: step.before }, after: { groups: [isolation], attempts } };
  }
  const last = attempts.at(-1)?.error ?? 'unknown error';
  if (step.before.length === 0) {
    throw Object.assign(new Error(`isolating ${step.eniId} failed (${last}); its original groups are unknown, so it was not reverted`), { attempts });
  }
  const reverted = (await setGroups(clients, step.eniId, step.before, options, attempts)) !== undefined;
  throw Object.assign(
    new Error(
      reverted
        ? `isolating ${step.eniId} failed after ${options.retries + 1} attempts (${last}); the ENI is back on its original groups ${step.before.join(', ')}`
        : `isolating ${step.eniId} failed (${last}) and so did putting back its original groups ${step.before.join(', ')}: the ENI may be on the allow-all group`,
    ),
    { attempts, reverted, revertTo: step.before },
  );
};

/**
 * The steps that make the isolation groups ready are retried like an ENI's isolation: a transient
 * failure, or EC2's eventual consistency right after CreateSecurityGroup (InvalidGroup.NotFound on
 * the next call), must not leave the instance uncut. Each is idempotent on a retry: a duplicate
 * group or rule, or a rule already gone, counts as done (calls.ts).
 */
const GROUP_SETUP: ReadonlySet<Step['kind']> = new Set(['create-security-group', 'authorize-allow-all', 'revoke-rules', 'verify-groups']);

interface FailedAttempt {
  readonly error: string;
  readonly requestId?: string;
}

/** A group step, retried; the attempts that failed are kept for the evidence (`after.failedAttempts`). */
const setUpGroup = async (step: Step, clients: Ec2Clients, group: (ref: GroupRef) => string, options: Required<ExecuteOptions>): Promise<Sent> => {
  const failed: FailedAttempt[] = [];
  for (let n = 0; ; n += 1) {
    if (n > 0) await options.sleep(n * options.retryDelayMs);
    try {
      const sent = await run(step, clients, group, options.captureTimeoutMs);
      if (failed.length === 0) return sent;
      return { ...sent, requestIds: [...ids(failed), ...sent.requestIds], after: { ...(sent.after as object | undefined), failedAttempts: failed } };
    } catch (error) {
      const requestId = requestIdOf(error);
      failed.push({ error: errorMessage(error), ...(requestId ? { requestId } : {}) });
      // The last error as it was (its text is the step's reason); every attempt is in failedAttempts.
      if (n >= options.retries) throw Object.assign(typeof error === 'object' && error !== null ? error : new Error(errorMessage(error)), { failedAttempts: failed });
    }
  }
};

const NONE: readonly string[] = [];
const NO_RESULTS: readonly Promise<StepResult>[] = [];
const NO_SETTLED: readonly StepResult[] = [];

const ids = (attempts: readonly { readonly requestId?: string }[]): string[] => attempts.flatMap((a) => (a.requestId ? [a.requestId] : []));

/**
 * Executes `steps` and calls `onSettled` as each one settles (the caller appends its evidence
 * record there, concurrently with the steps still running). Resolves with every result, in plan order.
 */
export const executePlan = async (
  steps: readonly Step[],
  clients: Ec2Clients,
  onSettled: (result: StepResult) => void = () => undefined,
  executeOptions: ExecuteOptions = {},
): Promise<StepResult[]> => {
  const options: Required<ExecuteOptions> = {
    retries: executeOptions.retries ?? 2,
    retryDelayMs: executeOptions.retryDelayMs ?? 200,
    softWaitMs: executeOptions.softWaitMs ?? 1500,
    captureTimeoutMs: executeOptions.captureTimeoutMs ?? 10_000,
    sleep: executeOptions.sleep ?? defaultSleep,
  };
  const started = new Map<string, Promise<StepResult>>();
  const groupIds = new Map<string, string>();
  const group = (ref: GroupRef): string => {
    if ('groupId' in ref) return ref.groupId;
    const id = groupIds.get(ref.createdBy);
    if (!id) throw new Error(`security group of step ${ref.createdBy} is unknown`);
    return id;
  };
  const start = (step: Step): Promise<StepResult> => {
    // Most steps wait for nothing: no arrays or extra promises for them (a finding runs ~20 steps).
    const waitFor = step.after || step.needs ? [...(step.after ?? []), ...(step.needs ?? [])] : NONE;
    const deps = waitFor.length ? waitFor.map((id) => started.get(id)).filter((p): p is Promise<StepResult> => p !== undefined) : NO_RESULTS;
    const soft = step.softAfter?.length ? step.softAfter.map((id) => started.get(id)).filter((p): p is Promise<StepResult> => p !== undefined) : NO_RESULTS;
    const missing = waitFor.length ? waitFor.filter((id) => !started.has(id)) : NONE;
    const go = async (): Promise<StepResult> => {
      const settled = deps.length ? await Promise.all(deps) : NO_SETTLED;
      if (soft.length) {
        let timer: NodeJS.Timeout | undefined;
        const cap = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, options.softWaitMs);
        });
        await Promise.race([Promise.all(soft), cap]);
        clearTimeout(timer);
      }
      const failedNeed = settled.find((r) => (step.needs ?? []).includes(r.step.id) && r.status !== 'succeeded');
      if (failedNeed || missing.length > 0) {
        return {
          step,
          status: 'not-run',
          requestIds: [],
          error: failedNeed
            ? `not run: step ${failedNeed.step.id} it needs ${failedNeed.status === 'failed' ? 'failed' : 'did not run'}`
            : `not run: unknown dependency ${missing.join(', ')}`,
        };
      }
      try {
        const sent =
          step.kind === 'eni-isolate'
            ? await isolateEni(step, clients, group, options)
            : GROUP_SETUP.has(step.kind)
              ? await setUpGroup(step, clients, group, options)
              : await run(step, clients, group, options.captureTimeoutMs);
        if (sent.groupId) groupIds.set(step.id, sent.groupId);
        return {
          step,
          status: 'succeeded',
          requestIds: sent.requestIds,
          ...(sent.before !== undefined ? { before: sent.before } : {}),
          ...(sent.after !== undefined ? { after: sent.after } : {}),
          ...(sent.groupId ? { groupId: sent.groupId } : {}),
          ...(sent.artifact ? { artifact: sent.artifact } : {}),
        };
      } catch (error) {
        const e = error as { attempts?: Attempt[]; reverted?: boolean; revertTo?: readonly string[]; failedAttempts?: FailedAttempt[] };
        const requestId = requestIdOf(error);
        return {
          step,
          status: 'failed',
          requestIds: e.attempts ? ids(e.attempts) : e.failedAttempts ? ids(e.failedAttempts) : requestId ? [requestId] : [],
          ...(e.attempts
            ? { after: { ...(e.reverted ? { groups: e.revertTo, reverted: true } : { revertFailed: e.reverted === false }), attempts: e.attempts } }
            : e.failedAttempts
              ? { after: { failedAttempts: e.failedAttempts } }
              : {}),
          error: errorMessage(error),
        };
      }
    };
    return go().then((result) => {
      onSettled(result);
      return result;
    });
  };
  // Plans list a step after the steps it waits for; `start` is synchronous up to the first await,
  // so every dependency is registered before its dependants look it up.
  for (const step of steps) started.set(step.id, start(step));
  return Promise.all(steps.map((s) => started.get(s.id) as Promise<StepResult>));
};
