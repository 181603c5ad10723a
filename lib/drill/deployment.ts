import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultCredentialsConfig, type CredentialsConfig } from '../../lambdas/credentials/types';
import type { IsolationConfig } from '../../lambdas/isolation/types';
import { ConfigError, configFromContext, parseConfig, type CordonConfig } from '../config';
import { deliver, deliveryRules, type DeliveryRule } from '../delivery';
import type { Responder } from './dispatch';
import { DrillInputError, type DrillInput } from './inputs';

/**
 * The deployment the drill imitates: the routing rules of the active config (lib/delivery.ts, the
 * very rules the response stack creates) and the functions' own configuration, as
 * lib/response-stack.ts passes it to them (minimum severity, protected tag, allowlist, quarantine).
 */
export interface DrillDeployment {
  /** Where the config came from: a file, or the defaults. */
  readonly source: string;
  readonly config: CordonConfig;
  readonly rules: readonly DeliveryRule[];
  readonly isolation: IsolationConfig;
  readonly credentials: CredentialsConfig;
}

export const deploymentOf = (config: CordonConfig, source: string, home: { account: string; region: string }): DrillDeployment => ({
  source,
  config,
  rules: deliveryRules(config, (id) => `arn:aws:securityhub:${config.homeRegion ?? home.region}:${home.account}:action/custom/${id}`),
  isolation: {
    protectedTag: config.protectedTag,
    minimumSeverity: config.minimumSeverity,
    ...(config.isolation.quarantineProfileArn ? { quarantineProfileArn: config.isolation.quarantineProfileArn } : {}),
  },
  credentials: {
    ...defaultCredentialsConfig,
    protectedTag: config.protectedTag,
    allowlist: config.allowlistedPrincipals,
    quarantineUser: config.credentials.quarantineUser,
  },
});

/**
 * The config to drill with: `file` (a cdk.json, whose `context` holds `cordon`, or a bare cordon
 * object), else ./cdk.json when there is one, else the defaults.
 */
export const loadDrillConfig = (file: string | undefined, cwd = process.cwd()): { config: CordonConfig; source: string } => {
  const path = file ?? (existsSync(resolve(cwd, 'cdk.json')) ? resolve(cwd, 'cdk.json') : undefined);
  if (path === undefined) return { config: parseConfig({}), source: 'the defaults (no cdk.json here; --config FILE to choose one)' };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new DrillInputError(`cannot read the config ${path}: ${(error as Error).message}`);
  }
  const context = typeof raw === 'object' && raw !== null && 'context' in raw ? (raw as { context: Record<string, unknown> }).context : { cordon: raw };
  try {
    return { config: configFromContext(context), source: path };
  } catch (error) {
    if (error instanceof ConfigError) throw new DrillInputError(`invalid config in ${path}: ${error.problems.join('; ')}`);
    throw error;
  }
};

const RESPONDER: Readonly<Record<'isolate' | 'revoke', Responder>> = { isolate: 'isolation', revoke: 'credentials' };

export type Route = { readonly responders: readonly Responder[]; readonly rules: readonly string[] } | { readonly dropped: string };

/** Which functions the deployment hands `input` to, or why it never reaches one. */
export const routeInput = (input: DrillInput, d: DrillDeployment): Route => {
  if (input.kind === 'manual') {
    const action = (input.event as { action: unknown }).action;
    if (action === 'isolate' || action === 'release') return { responders: ['isolation'], rules: ['manual request to the isolation function'] };
    if (action === 'revoke' || action === 'restore') return { responders: ['credentials'], rules: ['manual request to the credentials function'] };
    return { dropped: `manual action ${JSON.stringify(action)} is not one a function accepts (isolate, release, revoke, restore)` };
  }
  const region = (input.event as { region?: unknown }).region;
  const home = d.config.homeRegion;
  if (home !== undefined && typeof region === 'string' && region !== '' && region !== home && !d.config.regions.includes(region)) {
    return { dropped: `region ${region} is neither the home region ${home} nor forwarded (cordon.regions)` };
  }
  const delivery = deliver(input.event, d.rules);
  if (delivery.dropped !== undefined) return { dropped: delivery.dropped };
  return { responders: delivery.responders.map((r) => RESPONDER[r]), rules: delivery.rules };
};
