import { AUTHZ_CONFIG } from '../../lib/authz/evaluate';
import { synthesized } from '../../lib/authz/synth';

/**
 * Jest globalSetup: synthesizes the templates the authorization hook evaluates against once, before
 * the workers start (cached under the temporary folder until lib/ changes), so no test waits for it.
 */
export default async (): Promise<void> => {
  await synthesized(AUTHZ_CONFIG);
};
