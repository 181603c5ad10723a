import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SNSClient } from '@aws-sdk/client-sns';
import { AwsNotifier, type Notifier } from './notifier';

/**
 * The notifier of a deployed responder: SNS topic NOTIFY_TOPIC_ARN, Security Hub write-back when
 * SECURITY_HUB_WRITEBACK=true (clients per finding region, reused; findings marked RESOLVED on
 * full containment only with SECURITY_HUB_RESOLVE_CONTAINED=true). Undefined when neither is set.
 */
export const notifierFromEnv = (env: NodeJS.ProcessEnv = process.env): Notifier | undefined => {
  const topicArn = env.NOTIFY_TOPIC_ARN || undefined;
  const writeBack = env.SECURITY_HUB_WRITEBACK === 'true';
  if (!topicArn && !writeBack) return undefined;
  const hubs = new Map<string, SecurityHubClient>();
  return new AwsNotifier({
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
