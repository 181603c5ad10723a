import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFromContext, parseConfig } from '../../lib/config';
import { authorizationConfig } from '../../lib/drill/authorize';
import { AUTHZ_CONFIG } from '../../lib/authz/evaluate';
import { synthesized } from '../../lib/authz/synth';

/**
 * Jest globalSetup: synthesizes, once and before the workers start, the templates the
 * authorization checks evaluate against (cached under the temporary folder until lib/ changes),
 * so no test waits for a synthesis: the handler-test hook's config, and the drill's for the
 * default config and for the repository's cdk.json (what `cordon drill` uses here).
 */
export default async (): Promise<void> => {
  const { context } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  await synthesized(AUTHZ_CONFIG);
  await synthesized(authorizationConfig(parseConfig({})));
  await synthesized(authorizationConfig(configFromContext(context)));
};
