import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SNSClient } from '@aws-sdk/client-sns';
import { guardrailsDynamoClient, positiveInt } from '../guardrails/env-shared';
import { AwsNotifier, type Notifier } from './notifier';
import { PARKED_INDEX } from '../guardrails/park';
import { DynamoStormDigest } from './storm';
import { DynamoWriteBackQueue } from './write-back';

/**
 * The notifier of a deployed responder: SNS topic NOTIFY_TOPIC_ARN, Security Hub write-back when
 * SECURITY_HUB_WRITEBACK=true (clients per finding region, reused; findings marked RESOLVED on
 * full containment only with SECURITY_HUB_RESOLVE_CONTAINED=true). Undefined when neither is set.
 * With GUARDRAILS_TABLE, escalations by the open breaker go into the storm digest (storm.ts), at
 * most one message every STORM_DIGEST_MINUTES (default 5) per breaker window, and write-backs
 * that meet a finding not yet imported wait in the same table for the heartbeat (write-back.ts).
 */
export const notifierFromEnv = (env: NodeJS.ProcessEnv = process.env): Notifier | undefined => {
  const topicArn = env.NOTIFY_TOPIC_ARN || undefined;
  const writeBack = env.SECURITY_HUB_WRITEBACK === 'true';
  if (!topicArn && !writeBack) return undefined;
  const hubs = new Map<string, SecurityHubClient>();
  const windowMinutes = positiveInt(env.BREAKER_WINDOW_MINUTES, 60);
  const maxContainments = positiveInt(env.BREAKER_MAX_CONTAINMENTS, 10);
  const digestMinutes = positiveInt(env.STORM_DIGEST_MINUTES, 5);
  const storm =
    topicArn && env.GUARDRAILS_TABLE && ![windowMinutes, maxContainments, digestMinutes].some(Number.isNaN)
      ? new DynamoStormDigest({ ddb: guardrailsDynamoClient(), tableName: env.GUARDRAILS_TABLE, windowMinutes, maxContainments, digestMinutes })
      : undefined;
  return new AwsNotifier({
    ...(storm ? { storm } : {}),
    ...(writeBack && env.GUARDRAILS_TABLE
      ? { writeBackQueue: new DynamoWriteBackQueue({ ddb: guardrailsDynamoClient(), tableName: env.GUARDRAILS_TABLE, indexName: PARKED_INDEX }) }
      : {}),
    resolveContained: env.SECURITY_HUB_RESOLVE_CONTAINED === 'true',
    ...(topicArn ? { sns: new SNSClient({}), topicArn } : {}),
    ...(writeBack
      ? {
          securityHubFor: (region: string) => {
            let client = hubs.get(region);
            if (!client) {
              client = new SecurityHubClient({ region });
              hubs.set(region, client);
            }
            return client;
          },
        }
      : {}),
  });
};
