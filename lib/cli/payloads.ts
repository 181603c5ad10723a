import { CliInputError, checkId, checkOptionalId } from './ids';

/**
 * The manual payloads `cordon isolate | release | revoke | restore` send, built from the flags and
 * checked (lib/cli/ids.ts) before any AWS call: exactly what the responders' parsers accept
 * (lambdas/findings/ec2-manual.ts, lambdas/findings/credential-manual.ts).
 */

export const REQUESTED_BY_ENV = 'CORDON_REQUESTED_BY';

export interface CommonFlags {
  readonly function?: string;
  readonly url?: string;
  readonly stack?: string;
  readonly profile?: string;
  readonly region?: string;
  readonly json?: boolean;
  readonly reason: string;
  readonly requestedBy?: string;
  readonly ticket?: string;
}

export interface IsolateFlags extends CommonFlags {
  readonly account?: string;
  readonly instanceRegion?: string;
  readonly force?: boolean;
  readonly findingId?: string;
  readonly detectorId?: string;
}

export interface ReleaseFlags extends CommonFlags {
  readonly account?: string;
  readonly instanceRegion?: string;
  readonly incidentId?: string;
  readonly reattachAsg?: boolean;
}

export interface RevokeFlags extends CommonFlags {
  readonly account?: string;
  readonly accessKeyId?: string;
  readonly userName?: string;
  readonly roleName?: string;
  readonly force?: boolean;
  readonly pathPrefix?: string;
  readonly tag?: string;
  readonly olderThanDays?: number;
  readonly preview?: boolean;
  readonly confirm?: string;
}

export const nonNegativeInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliInputError(`expected --older-than-days to be a whole number, received ${value}`);
  return n;
};

const requester = (flags: CommonFlags, env: NodeJS.ProcessEnv): string => {
  const who = flags.requestedBy ?? env[REQUESTED_BY_ENV];
  if (!who) throw new CliInputError(`expected --requested-by WHO (or ${REQUESTED_BY_ENV}): every manual action names its requester`);
  return who;
};

export const opt = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
  value === undefined ? {} : ({ [key]: value } as Record<K, V>);

const common = (flags: CommonFlags, env: NodeJS.ProcessEnv) => ({
  ...checkCommon(flags),
  reason: flags.reason,
  requestedBy: requester(flags, env),
  ...opt('ticket', flags.ticket),
});

/** Flags every command shares: --region is checked here, before anything else. */
export const checkCommon = (flags: { region?: string }): Record<string, never> => {
  checkOptionalId('region', '--region', flags.region);
  return {};
};

/** The target's place: --account and --instance-region, checked. */
const targetPlace = (flags: { account?: string; instanceRegion?: string }) => ({
  ...opt('account', checkOptionalId('account', '--account', flags.account)),
  ...opt('region', checkOptionalId('region', '--instance-region', flags.instanceRegion)),
});

/** `{action: 'isolate', instanceId | findingId+detectorId, account?, region?, reason, requestedBy, ticket?, force?}` */
export const isolatePayload = (instanceId: string | undefined, flags: IsolateFlags, env: NodeJS.ProcessEnv): Record<string, unknown> => {
  const byFinding = flags.findingId !== undefined || flags.detectorId !== undefined;
  if (byFinding === (instanceId !== undefined)) {
    throw new CliInputError('expected an instance id, or --finding-id with --detector-id (not both)');
  }
  if (byFinding && (!flags.findingId || !flags.detectorId)) throw new CliInputError('expected both --finding-id and --detector-id');
  return {
    action: 'isolate',
    ...opt('instanceId', checkOptionalId('instanceId', 'the instance id', instanceId)),
    ...opt('findingId', checkOptionalId('guardDutyId', '--finding-id', flags.findingId)),
    ...opt('detectorId', checkOptionalId('guardDutyId', '--detector-id', flags.detectorId)),
    ...targetPlace(flags),
    ...common(flags, env),
    ...(flags.force ? { force: true } : {}),
  };
};

/** `{action: 'release', instanceId, incidentId?, reattachAsg?, account?, region?, reason, requestedBy, ticket?}` */
export const releasePayload = (instanceId: string, flags: ReleaseFlags, env: NodeJS.ProcessEnv): Record<string, unknown> => ({
  action: 'release',
  instanceId: checkId('instanceId', 'the instance id', instanceId),
  ...opt('incidentId', checkOptionalId('incidentId', '--incident-id', flags.incidentId)),
  ...(flags.reattachAsg ? { reattachAsg: true } : {}),
  ...targetPlace(flags),
  ...common(flags, env),
});

/**
 * A direct revoke `{action: 'revoke', accessKeyId? userName? | roleName, ...}`, or a pattern
 * `{action: 'revoke', pattern: {...}, preview? | confirm?, ...}` when --preview, --confirm,
 * --path-prefix, --tag or --older-than-days is given.
 */
export const revokePayload = (flags: RevokeFlags, env: NodeJS.ProcessEnv): Record<string, unknown> => {
  checkOptionalId('accessKeyId', '--access-key-id', flags.accessKeyId);
  checkOptionalId('userName', '--user-name', flags.userName);
  checkOptionalId('roleName', '--role-name', flags.roleName);
  checkOptionalId('account', '--account', flags.account);
  checkOptionalId('pathPrefix', '--path-prefix', flags.pathPrefix);
  checkOptionalId('digest', '--confirm', flags.confirm);
  const isPattern =
    flags.preview === true || flags.confirm !== undefined || flags.pathPrefix !== undefined || flags.tag !== undefined || flags.olderThanDays !== undefined;
  if (!isPattern) {
    if (flags.accessKeyId === undefined && flags.userName === undefined && flags.roleName === undefined) {
      throw new CliInputError('expected --access-key-id, --user-name or --role-name (or a pattern with --preview)');
    }
    return {
      action: 'revoke',
      ...opt('accessKeyId', flags.accessKeyId),
      ...opt('userName', flags.userName),
      ...opt('roleName', flags.roleName),
      ...opt('account', flags.account),
      ...common(flags, env),
      ...(flags.force ? { force: true } : {}),
    };
  }
  if (flags.roleName !== undefined || flags.force) throw new CliInputError('a pattern revokes user access keys: --role-name and --force do not apply');
  if (flags.preview && flags.confirm !== undefined) throw new CliInputError('expected --preview first, then --confirm DIGEST: not both');
  let tag: { key: string; value: string } | undefined;
  if (flags.tag !== undefined) {
    const eq = flags.tag.indexOf('=');
    if (eq <= 0) throw new CliInputError(`expected --tag KEY=VALUE, received ${flags.tag}`);
    tag = { key: flags.tag.slice(0, eq), value: flags.tag.slice(eq + 1) };
  }
  return {
    action: 'revoke',
    pattern: {
      ...opt('accessKeyId', flags.accessKeyId),
      ...opt('userName', flags.userName),
      ...opt('pathPrefix', flags.pathPrefix),
      ...opt('tag', tag),
      ...opt('olderThanDays', flags.olderThanDays),
    },
    ...(flags.preview ? { preview: true } : {}),
    ...opt('confirm', flags.confirm),
    ...opt('account', flags.account),
    ...common(flags, env),
  };
};

/** `{action: 'restore', incidentId, reason, requestedBy, ticket?}` */
export const restorePayload = (incidentId: string, flags: CommonFlags, env: NodeJS.ProcessEnv): Record<string, unknown> => ({
  action: 'restore',
  incidentId: checkId('incidentId', 'the incident id', incidentId),
  ...common(flags, env),
});
