import type { IAMClient } from '@aws-sdk/client-iam';
import type { SessionWriter } from './sessions';

/**
 * At most `limit` calls in flight, the rest queued in order: a pattern that matches 300 users
 * makes 300 x (observe + deactivate + session deny) calls, which IAM would throttle (and the
 * SDK's adaptive retry would then slow everything down). `peak` is what the bench reports.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** The most calls ever in flight at once. */
  peak = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`expected a concurrency limit >= 1, received ${limit}`);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    // A finishing call hands its slot to the next waiter, so no newcomer can slip in between.
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    this.peak = Math.max(this.peak, this.active);
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}

/** The same client, every `send` through the limiter. */
export const limitedIam = (iam: IAMClient, limiter: Limiter): IAMClient => {
  const wrapper = Object.create(iam) as IAMClient;
  const send = iam.send.bind(iam) as (...args: unknown[]) => Promise<unknown>;
  wrapper.send = ((...args: unknown[]) => limiter.run(() => send(...args))) as IAMClient['send'];
  return wrapper;
};

export const limitedSessions = (sessions: SessionWriter, limiter: Limiter): SessionWriter => ({
  write: (request) => limiter.run(() => sessions.write(request)),
});
