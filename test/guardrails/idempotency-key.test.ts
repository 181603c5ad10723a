import { idempotencySubjectOf } from '../../lambdas/guardrails/idempotency';
import { copyOf, fixture } from '../support/fixtures';

describe('idempotency subject', () => {
  it('keys a GuardDuty finding on account and finding id, whatever the update', () => {
    const event = copyOf(fixture('guardduty-ec2-backdoor-spambot-1.json')) as { id: string; detail: { updatedAt: string; service: { count: number } } };
    const first = idempotencySubjectOf(event);
    event.id = 'another-delivery';
    event.detail.updatedAt = '2030-01-01T00:00:00.000Z';
    event.detail.service.count = 42;
    expect(idempotencySubjectOf(event)).toEqual(first);
    expect(first).toEqual({ source: 'aws.guardduty', subject: '303697492861/7ebc050b71c556086b524045c9067feb' });
  });

  it('keys each click of a Security Hub custom action on its event id: a redelivery is the same click, a second click a new request', () => {
    const event = copyOf(fixture('securityhub-custom-action-afsbp-multi-1.json')) as { id: string; detail: { findings: unknown[] } };
    const first = idempotencySubjectOf(event);
    expect(first).toEqual({ source: 'aws.securityhub', subject: `click/${event.id}` });
    event.detail.findings.reverse();
    expect(idempotencySubjectOf(event)).toEqual(first);
    event.id = 'second-click';
    expect(idempotencySubjectOf(event)).toEqual({ source: 'aws.securityhub', subject: 'click/second-click' });
  });

  it('keys an imported Security Hub finding on its finding ids, in any order', () => {
    const event = copyOf(fixture('securityhub-custom-action-afsbp-multi-1.json')) as { id: string; 'detail-type': string; detail: { findings: unknown[] } };
    event['detail-type'] = 'Security Hub Findings - Imported';
    const first = idempotencySubjectOf(event);
    event.detail.findings.reverse();
    event.id = 'x';
    expect(idempotencySubjectOf(event)).toEqual(first);
    expect(first?.subject).not.toMatch(/^click\//);
  });

  it('keys a manual request on its content, and never a preview', () => {
    const a = idempotencySubjectOf({ action: 'isolate', instanceId: 'i-0123456789abcdef0', reason: 'miner', requestedBy: 'alice' });
    const b = idempotencySubjectOf({ requestedBy: 'alice', reason: 'miner', instanceId: 'i-0123456789abcdef0', action: 'isolate' });
    const c = idempotencySubjectOf({ action: 'isolate', instanceId: 'i-0123456789abcdef0', reason: 'miner', requestedBy: 'bob' });
    expect(a).toEqual(b);
    expect(a?.source).toBe('manual');
    expect(c).not.toEqual(a);
    expect(idempotencySubjectOf({ action: 'revoke', pattern: { olderThanDays: 90 }, preview: true, reason: 'r', requestedBy: 'a' })).toBeUndefined();
  });

  it('keys a Health event on its ARN and anything else on its event id', () => {
    expect(idempotencySubjectOf(fixture('health-credentials-exposed-1.json'))?.subject).toMatch(/\/arn:aws:health:/);
    expect(idempotencySubjectOf({ source: 'aws.s3', id: 'e-1', detail: {} })).toEqual({ source: 'aws.s3', subject: 'event/e-1' });
  });
});
