import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

/** A real DynamoDB (dynalite) on 127.0.0.1 holding one table keyed by string `pk` (the heads and guardrails tables both are). */
export interface LocalTable {
  readonly ddb: DynamoDBClient;
  readonly tableName: string;
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** The guardrails table's sparse index of parked events (lib/constructs/guardrails-table.ts). */
export interface LocalIndex {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

export const startLocalTable = async (tableName: string, index?: LocalIndex): Promise<LocalTable> => {
  const server: Server = dynalite({ createTableMs: 0 });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const ddb = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'dummy', secretAccessKey: 'dummy' },
    maxAttempts: 1,
  });
  await ddb.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        ...(index
          ? [
              { AttributeName: index.partitionKey, AttributeType: 'S' as const },
              { AttributeName: index.sortKey, AttributeType: 'S' as const },
            ]
          : []),
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      ...(index
        ? {
            GlobalSecondaryIndexes: [
              {
                IndexName: index.name,
                KeySchema: [
                  { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
                  { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
                ],
                Projection: { ProjectionType: 'ALL' as const },
              },
            ],
          }
        : {}),
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return {
    ddb,
    tableName,
    endpoint,
    stop: async () => {
      ddb.destroy();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
};
