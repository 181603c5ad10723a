import { Logger } from '@aws-lambda-powertools/logger';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import * as z from 'zod';
import { evidenceFromEnv } from '../evidence/from-env';
import { ssmModeReader } from '../guardrails/mode';
import { parseEnv } from '../shared/responder-env';
import { respondTamper, type TamperResult } from '../tamper/respond';

/**
 * Tamper handler: a CloudTrail call that changed Cordon itself (lib/tamper.ts) becomes a signed
 * evidence record and a message on the incident topic. Thin: clients at module scope, the domain
 * in lambdas/tamper/respond.ts. Its role is an evidence writer (`/cordon/evidence-writer/`).
 */

const envSchema = z.object({
  AWS_REGION: z.string().min(1),
  NOTIFY_TOPIC_ARN: z.string().regex(/^arn:[\w-]+:sns:/, { error: 'NOTIFY_TOPIC_ARN must be an sns topic arn' }),
  MODE_PARAMETER: z.string().min(1),
});

const logger = new Logger({ serviceName: 'cordon-tamper' });
const env = parseEnv(envSchema, process.env);
const evidence = evidenceFromEnv();
const sns = new SNSClient({ region: env.AWS_REGION });
const mode = ssmModeReader({ ssm: new SSMClient({ region: env.AWS_REGION }), parameterName: env.MODE_PARAMETER, ttlMs: 0 });

export const handler = async (event: unknown, context: { invokedFunctionArn: string; awsRequestId: string }): Promise<TamperResult> => {
  logger.appendKeys({ requestId: context.awsRequestId });
  const result = await respondTamper(
    event,
    {
      evidence,
      mode,
      publish: async (Subject, Message) => {
        await sns.send(new PublishCommand({ TopicArn: env.NOTIFY_TOPIC_ARN, Subject, Message }));
      },
      actor: { arn: context.invokedFunctionArn, requestId: context.awsRequestId },
    },
    context.awsRequestId,
  );
  logger.warn('cordon tamper event recorded', { ...result });
  return result;
};
