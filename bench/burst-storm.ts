/**
 * The burst bench's DynamoDB (dynalite, with the guardrails table's parked index) and the storm's
 * second act after the burst (bench/burst.ts).
 */
import type { AddressInfo } from 'node:net';
import { type AttributeValue, CreateTableCommand, DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { windowStartOf } from '../lambdas/guardrails/breaker';
import { HEARTBEAT_EVENT } from '../lambdas/guardrails/handle';
import { PARKED_INDEX } from '../lambdas/guardrails/park';
import type { Handler, Traffic, World } from './burst-world';

/** dynalite with the tables; the guardrails table has the sparse index of parked events (park.ts). */
export const startDynalite = async (tables: string[]): Promise<{ endpoint: string; ddb: DynamoDBClient; stop: () => Promise<void> }> => {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ddb = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  for (const TableName of tables) {
    await ddb.send(
      new CreateTableCommand({
        TableName,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'parkedBy', AttributeType: 'S' },
          { AttributeName: 'parkedAt', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: PARKED_INDEX,
            KeySchema: [
              { AttributeName: 'parkedBy', KeyType: 'HASH' },
              { AttributeName: 'parkedAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  }
  return {
    endpoint,
    ddb,
    stop: () => {
      ddb.destroy();
      return new Promise<void>((done) => server.close(() => done()));
    },
  };
};

/** Parked events of a responder (the sparse index the heartbeat reads). */
const parkedCount = async (ddb: DynamoDBClient, responder: string): Promise<number> => {
  let count = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await ddb.send(
      new QueryCommand({
        TableName: 'burst-guardrails',
        IndexName: PARKED_INDEX,
        KeyConditionExpression: 'parkedBy = :r',
        ExpressionAttributeValues: { ':r': { S: responder } },
        Select: 'COUNT',
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
};

export interface Storm {
  /** SNS messages while the burst ran (containments, escalations, storm digests). */
  readonly notificationsInBurst: number;
  readonly parkedAtDrain: number;
  /** Targets first contained by the heartbeats of the next breaker window. */
  readonly redrivenContained: number;
  readonly parkedAfterWindow: number;
  readonly notificationsInWindow: number;
}

/**
 * The storm's second act: the clock moves to the next breaker window, where the scheduled heartbeat
 * (every 5 minutes, both responders) re-drives parked findings under the breaker and publishes the
 * final digest of the burst's window. Two heartbeats of each responder, 5 minutes apart.
 */
export const afterTheWindow = async (input: {
  handlers: Record<'isolate' | 'revoke', Handler>;
  traffic: Traffic;
  world: World;
  ddb: DynamoDBClient;
  windowMinutes: number;
  home: string;
  /** Sets the clock the guardrails read to this instant (epoch ms). */
  setClock: (at: number) => void;
}): Promise<Storm> => {
  const parked = async () => (await parkedCount(input.ddb, 'isolate-instance')) + (await parkedCount(input.ddb, 'revoke-credentials'));
  const notificationsInBurst = input.traffic.calls.get('SNS:Publish') ?? 0;
  const parkedAtDrain = await parked();
  const containedAtDrain = input.world.containments.size;
  // Heartbeats 1 and 6 minutes into the next breaker window (windows are aligned as the breaker aligns them).
  const nextWindow = windowStartOf(Date.now(), input.windowMinutes) + input.windowMinutes * 60_000;
  for (const beat of [0, 1]) {
    input.setClock(nextWindow + (1 + 5 * beat) * 60_000);
    for (const h of ['isolate', 'revoke'] as const) {
      await input.handlers[h](HEARTBEAT_EVENT, {
        invokedFunctionArn: `arn:aws:lambda:us-east-1:${input.home}:function:cordon-${h}`,
        awsRequestId: `heartbeat-${h}-${beat}`,
        getRemainingTimeInMillis: () => 120_000,
      });
    }
  }
  return {
    notificationsInBurst,
    parkedAtDrain,
    redrivenContained: input.world.containments.size - containedAtDrain,
    parkedAfterWindow: await parked(),
    notificationsInWindow: (input.traffic.calls.get('SNS:Publish') ?? 0) - notificationsInBurst,
  };
};
