import type { EvidenceInput, EvidenceWriter, Mode } from '../../lambdas/evidence/types';
import type { Breaker, BreakerAdmission } from '../../lambdas/guardrails/types';
import type { IncidentDecision, Notifier } from '../../lambdas/notify/notifier';
import { NotificationError } from '../../lambdas/notify/notifier';
import { readMode, respondTo, type PipelineEnv } from '../../lambdas/pipeline/run';
import type { Decided, Responder, Stop, Summary } from '../../lambdas/pipeline/types';

/**
 * The pipeline's invariants, with a responder that only records what it is asked to do: no AWS
 * client, no mock. Every assertion is about order and records, which is what the pipeline owns.
 */

interface Target {
  readonly id: string;
  readonly person?: string;
  /** What `plan` answers. */
  readonly stop?: Stop<string>;
}

const admission = (admitted: boolean): BreakerAdmission => ({ admitted, count: admitted ? 1 : 3, max: 3, windowMinutes: 60, windowStart: '2026-12-01T16:00:00.000Z' });

const world = (options: { mode?: Mode | Error; breaker?: Breaker; failNotify?: boolean; failure?: Error } = {}) => {
  const order: string[] = [];
  const records: (EvidenceInput & { incidentId: string })[] = [];
  const evidence: EvidenceWriter = {
    append: async (incidentId, input) => {
      records.push({ incidentId, ...input });
      order.push(`record ${input.action}`);
      return { key: `records/${incidentId}/${String(records.length - 1).padStart(8, '0')}.json`, incidentId, seq: records.length - 1, hash: 'h' };
    },
  };
  const decisions: IncidentDecision[] = [];
  const notifier: Notifier = {
    notify: async (d) => {
      order.push(`notify ${d.decision}`);
      decisions.push(d);
      if (options.failNotify) throw new NotificationError(['sns: down']);
    },
  };
  const mode = options.mode ?? 'enforce';
  const env: PipelineEnv = {
    evidence,
    mode: readMode(async () => {
      if (mode instanceof Error) throw mode;
      return mode;
    }),
    ...(options.breaker ? { breaker: options.breaker } : {}),
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    notifier,
    actor: { arn: 'arn:aws:lambda:eu-west-1:111111111111:function:test' },
    findings: [],
  };
  const responder: Responder<Target, string, string, string[], Summary> = {
    name: 'test-responder',
    frame: (t) => ({ incidentId: `inc-${t.id}`, trigger: { source: 'manual' }, target: { type: 'thing', id: t.id }, actor: env.actor }),
    observe: async (t) => {
      order.push('observe');
      return `state of ${t.id}`;
    },
    plan: (t, observed) => t.stop ?? { go: `plan for ${observed}`, alongside: [{ kind: 'escalation', action: 'escalate:part', reason: 'a part a person must do' }] },
    breaker: {
      person: (t) => t.person,
      unavailable: (_, error) => ({ decision: 'escalate', reason: 'breaker-unavailable', records: [{ kind: 'escalation', action: 'escalate:breaker-unavailable', reason: error }] }),
      open: () => ({ decision: 'escalate', reason: 'breaker-open', records: [{ kind: 'escalation', action: 'escalate:breaker-open', reason: 'open' }] }),
    },
    execute: async (c, rec) => {
      order.push('execute');
      await rec.append(c.mode, { kind: 'step', action: 'thing:Change' });
      return ['changed'];
    },
    describe: {
      modeUnreadable: (_, error) => ({ decision: 'escalate', reason: 'mode-unreadable', records: [{ kind: 'escalation', action: 'escalate:mode-unreadable', reason: error }] }),
      modeOff: () => ({ decision: 'skip', reason: 'mode-off', records: [{ kind: 'skip', action: 'skip:mode-off', reason: 'off' }] }),
      intent: (c) => ({ kind: 'intent', action: 'change-thing', detail: { plan: c.plan, ...(c.breaker ? { breaker: { ...c.breaker } } : {}) } }),
      dryRunReason: 'dry-run: nothing changed',
      outcome: (_, executed) => ({
        decision: 'act',
        outcome: { kind: 'outcome', action: 'change-thing', detail: { executed } },
        after: [{ kind: 'escalation', action: 'escalate:after', reason: 'look at it' }],
        ...(options.failure ? { failure: options.failure } : {}),
      }),
    },
    summarise: (d: Decided<string, string[]>) => ({ decision: d.decision, ...(d.reason ? { reason: d.reason } : {}), incidentId: d.incidentId, steps: [], evidenceKeys: d.evidenceKeys }),
    notice: (t) => ({ trigger: { source: 'manual' }, target: { type: 'thing', id: t.id } }),
  };
  return { env, responder, order, records, decisions };
};

const counting = (admitted = true): Breaker & { asked: number } => {
  const b = {
    asked: 0,
    admit: async () => {
      b.asked += 1;
      return admission(admitted);
    },
  };
  return b;
};

describe('response pipeline', () => {
  it('writes the intent before the only mutating code runs, then the outcome, then notifies', async () => {
    const w = world({ breaker: counting() });
    const result = await respondTo(w.responder, { id: 'a' }, w.env);

    expect(w.order).toEqual([
      'observe',
      'record escalate:part',
      'record change-thing',
      'execute',
      'record thing:Change',
      'record change-thing',
      'record escalate:after',
      'notify act',
    ]);
    expect(w.records.map((r) => [r.kind, r.mode, r.incidentId])).toEqual([
      ['escalation', 'enforce', 'inc-a'],
      ['intent', 'enforce', 'inc-a'],
      ['step', 'enforce', 'inc-a'],
      ['outcome', 'enforce', 'inc-a'],
      ['escalation', 'enforce', 'inc-a'],
    ]);
    expect(w.records[1]?.detail).toEqual({ plan: 'plan for state of a', breaker: admission(true) });
    expect(result).toMatchObject({ decision: 'act', incidentId: 'inc-a' });
    expect(result.evidenceKeys).toHaveLength(5);
  });

  it('records the intent in dry-run and never executes', async () => {
    const breaker = counting();
    const w = world({ mode: 'dry-run', breaker });
    const result = await respondTo(w.responder, { id: 'b' }, w.env);

    expect(w.order).not.toContain('execute');
    expect(w.records.map((r) => [r.kind, r.action, r.mode])).toEqual([
      ['escalation', 'escalate:part', 'dry-run'],
      ['intent', 'change-thing', 'dry-run'],
    ]);
    expect(breaker.asked).toBe(0);
    expect(result).toMatchObject({ decision: 'dry-run', reason: 'dry-run: nothing changed' });
    expect(w.decisions.map((d) => [d.decision, d.mode])).toEqual([['dry-run', 'dry-run']]);
  });

  it('skips with mode off and escalates with the mode unreadable, recorded as mode off', async () => {
    const off = world({ mode: 'off' });
    await expect(respondTo(off.responder, { id: 'c' }, off.env)).resolves.toMatchObject({ decision: 'skip', reason: 'mode-off' });
    expect(off.order).toEqual(['observe', 'record skip:mode-off', 'notify skip']);

    const unreadable = world({ mode: new Error('parameter /cordon/mode is "on"') });
    await expect(respondTo(unreadable.responder, { id: 'd' }, unreadable.env)).resolves.toMatchObject({ decision: 'escalate', reason: 'mode-unreadable' });
    expect(unreadable.records).toEqual([expect.objectContaining({ kind: 'escalation', mode: 'off', reason: 'Error: parameter /cordon/mode is "on"' })]);
    expect(unreadable.decisions.map((d) => d.mode)).toEqual(['unreadable']);
  });

  it('stops on the plan with its records only, in the incident the stop names', async () => {
    const w = world({ breaker: counting() });
    const stop: Stop<string> = { decision: 'skip', reason: 'protected', records: [{ kind: 'skip', action: 'skip:protected', reason: 'tagged' }], incidentId: 'inc-other' };
    const result = await respondTo(w.responder, { id: 'e', stop }, w.env);

    expect(w.order).toEqual(['observe', 'record skip:protected', 'notify skip']);
    expect(w.records[0]).toMatchObject({ incidentId: 'inc-other', mode: 'enforce', target: { type: 'thing', id: 'e' } });
    expect(result).toMatchObject({ decision: 'skip', reason: 'protected', incidentId: 'inc-other' });
  });

  it('rejects after writing the records of a stop that asks for a retry, and notifies nothing', async () => {
    const w = world();
    const retry = new Error('throttled');
    await expect(respondTo(w.responder, { id: 'f', stop: { decision: 'escalate', records: [{ kind: 'error', action: 'error:observe', reason: 'throttled' }], retry } }, w.env)).rejects.toBe(retry);
    expect(w.order).toEqual(['observe', 'record error:observe']);
  });

  it('escalates when the breaker is open or cannot count, before any intent', async () => {
    const open = world({ breaker: counting(false) });
    await expect(respondTo(open.responder, { id: 'g' }, open.env)).resolves.toMatchObject({ decision: 'escalate', reason: 'breaker-open' });
    expect(open.order).toEqual(['observe', 'record escalate:breaker-open', 'notify escalate']);

    const down = world({ breaker: { admit: () => Promise.reject(new Error('dynamodb down')) } });
    await expect(respondTo(down.responder, { id: 'h' }, down.env)).resolves.toMatchObject({ decision: 'escalate', reason: 'breaker-unavailable' });
    expect(down.records.map((r) => [r.action, r.reason])).toEqual([['escalate:breaker-unavailable', 'Error: dynamodb down']]);
  });

  it('lets a person through the breaker without counting, and says so in the intent', async () => {
    const breaker = counting(false);
    const w = world({ breaker });
    await expect(respondTo(w.responder, { id: 'i', person: 'manual request by alice' }, w.env)).resolves.toMatchObject({ decision: 'act' });
    expect(breaker.asked).toBe(0);
    expect(w.records.find((r) => r.kind === 'intent')?.detail).toMatchObject({ breaker: { bypassed: 'manual request by alice' } });
  });

  it('throws the execution failure after the outcome record, before the records that follow it', async () => {
    const failure = new Error('evidence: 1 step record(s) could not be appended for inc-j');
    const w = world({ failure });
    await expect(respondTo(w.responder, { id: 'j' }, w.env)).rejects.toBe(failure);
    expect(w.order.slice(-2)).toEqual(['record thing:Change', 'record change-thing']);
    expect(w.order).not.toContain('notify act');
  });

  it('records a failed notification as error:notify and keeps the decision', async () => {
    const w = world({ failNotify: true });
    const result = await respondTo(w.responder, { id: 'k' }, w.env);
    expect(result.decision).toBe('act');
    expect(w.records.at(-1)).toMatchObject({ kind: 'error', action: 'error:notify', incidentId: 'inc-k' });
    expect(result.evidenceKeys).toHaveLength(6);
  });

  it('does not notify a preview: it answers the person who asked', async () => {
    const w = world();
    const preview: Stop<string> = { decision: 'preview', reason: '2 keys match', records: [{ kind: 'outcome', action: 'preview', reason: '2 keys match' }] };
    await expect(respondTo(w.responder, { id: 'l', stop: preview }, w.env)).resolves.toMatchObject({ decision: 'preview' });
    expect(w.decisions).toEqual([]);
  });
});
