import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { Mode } from '../evidence/types';

const MODES: readonly Mode[] = ['enforce', 'dry-run', 'off'];

/** The kill switch could not be read, or holds something other than a known mode. */
export class ModeUnavailableError extends Error {
  override readonly name = 'ModeUnavailableError';
}

export interface ModeReaderOptions {
  readonly ssm: Pick<SSMClient, 'send'>;
  /** SSM parameter name, e.g. `/cordon/mode`. */
  readonly parameterName: string;
  /** How long a read value is trusted. @default 30 seconds */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/**
 * Reads the mode per event with a short cache. Fails closed: an unreadable parameter or an
 * unknown value throws (never falls back to a default), and the failure is not cached, so the next
 * event reads again.
 */
export const ssmModeReader = (options: ModeReaderOptions): (() => Promise<Mode>) => {
  const ttl = options.ttlMs ?? 30_000;
  const now = options.now ?? Date.now;
  let cached: { mode: Mode; until: number } | undefined;
  return async () => {
    if (cached && now() < cached.until) return cached.mode;
    let value: string | undefined;
    try {
      const out = await options.ssm.send(new GetParameterCommand({ Name: options.parameterName }));
      value = out.Parameter?.Value;
    } catch (error) {
      const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new ModeUnavailableError(`mode parameter ${options.parameterName} is unreadable (${text}): acting on nothing`);
    }
    const mode = MODES.find((m) => m === value?.trim());
    if (!mode) {
      throw new ModeUnavailableError(
        `mode parameter ${options.parameterName} must be one of ${MODES.join(', ')}, received ${JSON.stringify(value ?? null)}: acting on nothing`,
      );
    }
    cached = { mode, until: now() + ttl };
    return mode;
  };
};
