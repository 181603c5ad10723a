import {
  GetAccessKeyLastUsedCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  NoSuchEntityException,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import type { SessionWriter } from '../../lambdas/credentials/sessions';

/**
 * A fleet of `size` IAM users under `/fleet/`, one active key each, answered by a mocked IAMClient
 * and a session writer that both count the calls in flight: what a pattern revocation's
 * concurrency limit must bound (test/credentials/patterns.test.ts, bench/credentials.ts).
 */
export interface FleetWorld {
  readonly sessions: SessionWriter;
  /** Most IAM calls + session writes in flight at once. */
  peak(): number;
  calls(): number;
  restore(): void;
}

export const fleetUser = (i: number): string => `fleet-${String(i).padStart(4, '0')}`;
export const fleetKey = (i: number): string => `AKIAFLEET${String(i).padStart(11, '0')}`;

export const fleetWorld = (size: number, options: { latencyMs?: number; account?: string } = {}): FleetWorld => {
  const account = options.account ?? '111122223333';
  const iam = mockClient(IAMClient);
  let inFlight = 0;
  let peak = 0;
  let calls = 0;
  const tracked =
    <I, O>(answer: (input: I) => O) =>
    async (input: I): Promise<O> => {
      inFlight += 1;
      calls += 1;
      peak = Math.max(peak, inFlight);
      try {
        await new Promise<void>((resolve) => setTimeout(resolve, options.latencyMs ?? 1));
        return answer(input);
      } finally {
        inFlight -= 1;
      }
    };
  const index = (name: string | undefined): number => Number((name ?? '').slice('fleet-'.length));
  const users = Array.from({ length: size }, (_, i) => ({ UserName: fleetUser(i), Path: '/fleet/', UserId: `AIDAFLEET${i}`, Arn: `arn:aws:iam::${account}:user/fleet/${fleetUser(i)}`, CreateDate: new Date(0) }));
  iam.on(ListUsersCommand).callsFake(
    tracked((input: { Marker?: string }) => {
      const start = Number(input.Marker ?? '0');
      const page = users.slice(start, start + 100);
      return { Users: page, IsTruncated: start + 100 < users.length, ...(start + 100 < users.length ? { Marker: String(start + 100) } : {}) };
    }),
  );
  iam.on(GetUserCommand).callsFake(tracked((input: { UserName?: string }) => ({ User: users[index(input.UserName)] })));
  iam.on(ListUserTagsCommand).callsFake(tracked(() => ({ Tags: [], IsTruncated: false })));
  iam.on(ListAccessKeysCommand).callsFake(
    tracked((input: { UserName?: string }) => ({
      AccessKeyMetadata: [{ UserName: input.UserName, AccessKeyId: fleetKey(index(input.UserName)), Status: 'Active', CreateDate: new Date('2025-01-01T00:00:00Z') }],
      IsTruncated: false,
    })),
  );
  const missing = (what: string) => () => {
    throw new NoSuchEntityException({ message: `${what} not found`, $metadata: {} });
  };
  iam.on(GetLoginProfileCommand).callsFake(tracked(missing('login profile')));
  iam.on(GetUserPolicyCommand).callsFake(tracked(missing('policy cordon-revoke-sessions')));
  iam.on(GetAccessKeyLastUsedCommand).callsFake(tracked((input: { AccessKeyId?: string }) => ({ UserName: fleetUser(Number((input.AccessKeyId ?? '').slice(9))) })));
  iam.on(UpdateAccessKeyCommand).callsFake(tracked(() => ({ $metadata: { requestId: 'rid-update' } })));
  const sessions: SessionWriter = {
    write: tracked((request) => ({ policyName: 'cordon-revoke-sessions', document: JSON.stringify(request), requestId: 'rid-sfn' })),
  };
  return { sessions, peak: () => peak, calls: () => calls, restore: () => iam.restore() };
};
