import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoBreaker, windowStartOf } from '../../lambdas/guardrails/breaker';
import { BreakerUnavailableError, breakerOpenReason } from '../../lambdas/guardrails/types';
import { startLocalTable, type LocalTable } from '../support/dynalite';

describe('blast-radius breaker (real dynalite DynamoDB)', () => {
  let local: LocalTable;
  beforeAll(async () => {
    local = await startLocalTable('cordon-guardrails');
  });
  afterAll(() => local.stop());

  const T0 = Date.parse('2026-03-01T12:00:00.000Z');
  const breaker = (now: number, max = 3, windowMinutes = 60) =>
    new DynamoBreaker({ ddb: local.ddb, tableName: local.tableName, maxContainments: max, windowMinutes, now: () => now });

  it('admits N containments in a window and refuses the N+1th, naming the count and the window', async () => {
    const b = breaker(T0 + 5 * 60_000);
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push(await b.admit({ incidentId: `inc-${i}`, action: 'isolate-instance' }));

    expect(answers.map((a) => [a.admitted, a.count])).toEqual([
      [true, 1],
      [true, 2],
      [true, 3],
      [false, 3],
    ]);
    const open = answers[3];
    expect(open).toEqual({ admitted: false, count: 3, max: 3, windowMinutes: 60, windowStart: '2026-03-01T12:00:00.000Z' });
    expect(breakerOpenReason(open!)).toBe(
      'blast-radius breaker open: 3 of 3 automatic containments already made in the 60-minute window from 2026-03-01T12:00:00.000Z; escalating instead of acting (a manual request bypasses the breaker)',
    );

    const item = await local.ddb.send(
      new GetItemCommand({ TableName: local.tableName, Key: { pk: { S: 'breaker#2026-03-01T12:00:00.000Z' } }, ConsistentRead: true }),
    );
    expect(item.Item?.count).toEqual({ N: '3' });
    // TTL: a day after the window ends, in epoch seconds.
    expect(item.Item?.expiration).toEqual({ N: String((T0 + 3_600_000) / 1000 + 86_400) });
    expect(item.Item?.incidents?.SS?.sort()).toEqual(['inc-0 isolate-instance', 'inc-1 isolate-instance', 'inc-2 isolate-instance']);
  });

  it('starts counting again in the next window', async () => {
    await breaker(T0 + 2 * 3_600_000).admit({ incidentId: 'a', action: 'x' });
    const next = await breaker(T0 + 3 * 3_600_000, 1).admit({ incidentId: 'b', action: 'x' });
    expect(next).toMatchObject({ admitted: true, count: 1, windowStart: '2026-03-01T15:00:00.000Z' });
  });

  it('never admits more than N of many concurrent callers (conditional write)', async () => {
    const now = T0 + 24 * 3_600_000;
    // 25 independent containers, one table.
    const answers = await Promise.all(
      Array.from({ length: 25 }, (_, i) => breaker(now, 7).admit({ incidentId: `inc-c${i}`, action: 'revoke-credentials' })),
    );
    const admitted = answers.filter((a) => a.admitted);
    expect(admitted).toHaveLength(7);
    expect(admitted.map((a) => a.count).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(answers.filter((a) => !a.admitted)).toHaveLength(18);
  });

  it('rejects when the table cannot be written: fail closed', async () => {
    const missing = new DynamoBreaker({ ddb: local.ddb, tableName: 'no-such-table', maxContainments: 1, windowMinutes: 5 });
    await expect(missing.admit({ incidentId: 'i', action: 'a' })).rejects.toThrow(BreakerUnavailableError);
    await expect(missing.admit({ incidentId: 'i', action: 'a' })).rejects.toThrow(/^blast-radius breaker unavailable \(ResourceNotFoundException/);
  });

  it('aligns windows to the epoch', () => {
    expect(new Date(windowStartOf(Date.parse('2026-03-01T12:59:59.999Z'), 30)).toISOString()).toBe('2026-03-01T12:30:00.000Z');
    expect(() => breaker(0, 0)).toThrow('breaker: expected maxContainments to be an integer >= 1, received 0');
  });
});
