import { CfnOutput } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * The stack outputs the runbooks read (`aws cloudformation describe-stacks --query ...`) instead of
 * guessing physical names. The keys are part of the runbooks' interface: renaming one breaks every
 * runbook that reads it (test/docs checks that each key a runbook reads is one of these). No
 * exports: nothing imports them, so they never pin a stack.
 */
export const RUNBOOK_OUTPUTS = {
  response: {
    isolateFunction: 'IsolateFunctionName',
    isolateLogGroup: 'IsolateLogGroupName',
    revokeFunction: 'RevokeFunctionName',
    revokeLogGroup: 'RevokeLogGroupName',
    checkpointFunction: 'CheckpointFunctionName',
    checkpointLogGroup: 'CheckpointLogGroupName',
    modeParameter: 'ModeParameterName',
  },
  evidence: {
    bucket: 'EvidenceBucketName',
    signingKey: 'SigningKeyArn',
    signingKeyAlias: 'SigningKeyAlias',
    dataKey: 'DataKeyArn',
    auditorRole: 'AuditorRoleArn',
  },
  /** On the response stack when member accounts or OUs are configured: the member stack's parameters. */
  memberRoles: {
    isolation: 'IsolateInstanceRoleArn',
    credentials: 'RevokeCredentialsRoleArn',
    sessionRevoker: 'SessionRevokerRoleArn',
  },
} as const;

type OutputValues<K extends keyof typeof RUNBOOK_OUTPUTS> = Record<keyof (typeof RUNBOOK_OUTPUTS)[K], { value: string; description: string }>;

/** Adds one CfnOutput per entry of `RUNBOOK_OUTPUTS[group]` to `scope` (a stack). */
export const addRunbookOutputs = <K extends keyof typeof RUNBOOK_OUTPUTS>(scope: Construct, group: K, values: OutputValues<K>): void => {
  const keys = RUNBOOK_OUTPUTS[group] as Record<string, string>;
  for (const [name, { value, description }] of Object.entries(values as Record<string, { value: string; description: string }>)) {
    const key = keys[name];
    if (key === undefined) throw new Error(`addRunbookOutputs: ${name} is not an output of ${group}`);
    new CfnOutput(scope, key, { value, description });
  }
};
