import type { CordonConfig } from './config';
import { CHECKPOINT_WRITER_ROLE_NAME, EVIDENCE_WRITER_PATH } from '../lambdas/shared/names';

/**
 * Names both sides of the anchor agree on (lib/anchor-stack.ts in the log-archive account,
 * lib/response-stack.ts in the security account). Two accounts cannot share a CloudFormation
 * reference, so the bucket and the one role that writes into it have fixed, configured names.
 */

export interface AnchorNames {
  /** The log-archive account. */
  readonly account: string;
  readonly securityAccount: string;
  readonly bucketName: string;
  readonly retentionDays: number;
  /** Undefined: the region CordonAnchor is deployed to. */
  readonly region?: string;
}

/** The anchor of `config`, or undefined when none is configured (`cordon.anchor.account` unset). */
export const anchorNames = (config: CordonConfig): AnchorNames | undefined => {
  const { account, securityAccount, bucketName, retentionDays, region } = config.anchor;
  if (account === undefined || securityAccount === undefined) return undefined;
  return {
    account,
    securityAccount,
    bucketName: bucketName ?? `cordon-anchor-${account}`,
    retentionDays: retentionDays ?? config.evidenceRetentionDays,
    ...(region ? { region } : {}),
  };
};

/** ARN of the checkpoint writer role in the security account. */
export const checkpointWriterArn = (partition: string, securityAccount: string): string =>
  `arn:${partition}:iam::${securityAccount}:role${EVIDENCE_WRITER_PATH}${CHECKPOINT_WRITER_ROLE_NAME}`;
