import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** An integer >= 1 from the environment, the fallback when unset, NaN when malformed. */
export const positiveInt = (value: string | undefined, fallback: number): number => {
  const n = Number(value ?? fallback);
  return Number.isInteger(n) && n >= 1 ? n : Number.NaN;
};

let ddb: DynamoDBClient | undefined;
/** One DynamoDB client per container, shared by the breaker and idempotency. */
export const guardrailsDynamoClient = (): DynamoDBClient => (ddb ??= new DynamoDBClient({}));
