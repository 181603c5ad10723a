import type { AwsCredentialIdentity, InitializeMiddleware, MetadataBearer, MiddlewareStack } from '@aws-sdk/types';
import { serviceOfClient } from '../../authz/sdk-clients';

/**
 * The emulator drill's record of every AWS call Cordon's code sends to moto, with who signs it, for
 * the authorization check (authorize.ts). Each SDK client the harness builds says whose
 * credentials it signs with:
 * - `own`: the function's own credentials (the home clients: EC2 family, IAM, STS, S3, KMS,
 *   DynamoDB, SSM). The principal is the function whose invocation is running (`log.during`);
 *   outside an invocation the same clients serve the harness (building the vault, the checkpoint
 *   and verify after the scenarios) and those calls are counted as the harness's, not recorded;
 * - `assumed`: credentials an AssumeRole returned (clients for a member account): the principal is
 *   the role that AssumeRole named, found from the access key id when the calls are evaluated;
 * - a fixed principal: the stand-in for the session revoker state machine signs as its role (home)
 *   or as the member session writer it assumes (member account);
 * - `harness`: seeding the world and reading it back (`x-moto-account-id` clients): never Cordon's,
 *   only counted.
 * A record is taken at the `initialize` step, before retries: one per call the code sends, as the
 * handler tests' hook counts them, with the answer when the call succeeded.
 *
 * The same middleware injects faults (`log.fault`): a call of Cordon's (never the harness's) can be
 * failed there, before it reaches moto, as AWS fails a request; the SDK's own retries sit below
 * this step, so each failure is one call the code sees fail. Every injected call is kept in
 * `log.injected`, so a test can tell that an injection fired.
 */

export type Signer = 'own' | 'assumed' | 'harness' | { readonly principal: string; readonly account: string };

export interface RecordedCall {
  readonly service: string;
  /** Without `Command`: `ModifyNetworkInterfaceAttribute`. */
  readonly command: string;
  readonly input: Record<string, unknown>;
  output?: unknown;
  /** The error name, when the call failed. */
  error?: string;
  /** The failure was injected by `EmulatorCallLog.fault` (the call never reached moto). */
  injected?: boolean;
  readonly region: string;
  /** The function acting when the call was sent (own credentials), the fixed principal, or the access key id of assumed credentials. */
  readonly sender: { readonly own: string } | { readonly principal: string; readonly account: string } | { readonly accessKeyId: string };
}

export class EmulatorCallLog {
  private pending: RecordedCall[] = [];
  private actingAs: string | undefined;
  /** Access key id -> role ARN, from every AssumeRole answer recorded (credentials outlive a scenario's log). */
  readonly assumed = new Map<string, string>();
  /** Calls of the harness (seeding, reading state back, vault set-up, checkpoint, verify): not Cordon's responders'. */
  harnessCalls = 0;
  /**
   * Fault injection: the error to fail a call of Cordon's with instead of sending it to moto
   * (undefined: send it). The call is recorded with that error, as a call AWS failed.
   */
  fault?: (call: RecordedCall) => Error | undefined;
  /** The calls a fault was injected into, in the order they were sent. */
  readonly injected: RecordedCall[] = [];

  /** The function whose invocation is running, if any. */
  get acting(): string | undefined {
    return this.actingAs;
  }

  /** Runs one invocation of `principal` (a home function role: `isolation`, `credentials`). */
  async during<T>(principal: string, run: () => Promise<T>): Promise<T> {
    if (this.actingAs) throw new Error(`emulator: ${principal} invoked while ${this.actingAs} is running`);
    this.actingAs = principal;
    try {
      return await run();
    } finally {
      this.actingAs = undefined;
    }
  }

  /** The calls recorded since the last take (a fault injector may look at what came before). */
  get recorded(): readonly RecordedCall[] {
    return this.pending;
  }

  push(call: RecordedCall): void {
    this.pending.push(call);
  }

  /** The calls recorded since the last take, in the order they were sent. */
  take(): RecordedCall[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}

interface Host {
  readonly middlewareStack: unknown;
  readonly config: { readonly region: () => Promise<string>; readonly credentials: () => Promise<AwsCredentialIdentity> };
}

const errorName = (error: unknown): string => (error instanceof Error ? error.name : String(error));

/** Adds the recording middleware to `client`: its calls go to `log` as `signer`'s. */
export const recorded = <C extends Host>(client: C, log: EmulatorCallLog, signer: Signer): C => {
  const record: InitializeMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
    if (signer === 'harness' || (signer === 'own' && !log.acting)) {
      log.harnessCalls += 1;
      return next(args);
    }
    const [region, credentials] = await Promise.all([client.config.region(), signer === 'assumed' ? client.config.credentials() : undefined]);
    const sender: RecordedCall['sender'] =
      signer === 'own' ? { own: log.acting ?? '' } : signer === 'assumed' ? { accessKeyId: credentials?.accessKeyId ?? '' } : signer;
    const call: RecordedCall = {
      service: serviceOfClient(String(context.clientName)),
      command: String(context.commandName).replace(/Command$/, ''),
      input: { ...(args.input as Record<string, unknown>) },
      region,
      sender,
    };
    log.push(call);
    const fault = log.fault?.(call);
    if (fault) {
      call.error = errorName(fault);
      call.injected = true;
      log.injected.push(call);
      throw fault;
    }
    try {
      const result = await next(args);
      call.output = result.output;
      if (call.service === 'sts' && call.command === 'AssumeRole') {
        const key = (result.output as { Credentials?: { AccessKeyId?: string } }).Credentials?.AccessKeyId;
        if (key) log.assumed.set(key, String(call.input.RoleArn));
      }
      return result;
    } catch (error) {
      call.error = errorName(error);
      throw error;
    }
  };
  (client.middlewareStack as MiddlewareStack<object, MetadataBearer>).add(record, { step: 'initialize', name: 'cordonEmulatorRecord', priority: 'high' });
  return client;
};
