import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

/** The last record of one chain. */
export interface ChainHead {
  readonly seq: number;
  /** Hex SHA-256 of the head record's canonical payload. */
  readonly hash: string;
  /** The head record's `time` (ISO): the next record's time is never earlier. */
  readonly time: string;
}

/** What `advance` stores: the new head, and its canonical payload so a crashed write can be repaired. */
export interface NextHead extends ChainHead {
  readonly payload?: string;
}

export interface HeadEntry extends ChainHead {
  readonly chainId: string;
  /** Epoch ms of the last advance. */
  readonly updatedAt: number;
}

export type AdvanceResult =
  | { readonly ok: true; readonly previous?: NextHead }
  | { readonly ok: false; readonly current?: ChainHead };

/**
 * Sequence allocation for hash chains. `advance` is one atomic compare-and-set: it moves the head
 * from `expected` (undefined = empty chain) to `next`, so two writers can neither take the same seq
 * (fork) nor skip one (gap), and `next.hash` is stored in the same write as the seq.
 */
export interface ChainHeads {
  /** The head, with its canonical payload when the store kept it. */
  read(chainId: string): Promise<NextHead | undefined>;
  advance(chainId: string, expected: ChainHead | undefined, next: NextHead): Promise<AdvanceResult>;
  /** Heads whose last advance happened in (fromMs, toMs]. */
  changedBetween(fromMs: number, toMs: number): Promise<HeadEntry[]>;
}

/** DynamoDB item size limit is 400 KB; larger payloads are not kept for repair. */
const MAX_PAYLOAD_IN_ITEM = 300_000;

const str = (item: Record<string, AttributeValue> | undefined, name: string): string | undefined => {
  const v = item?.[name];
  return v && 'S' in v ? v.S : undefined;
};
const num = (item: Record<string, AttributeValue> | undefined, name: string): number | undefined => {
  const v = item?.[name];
  return v && 'N' in v && v.N !== undefined ? Number(v.N) : undefined;
};

const headFromItem = (item: Record<string, AttributeValue> | undefined): NextHead | undefined => {
  const seq = num(item, 'seq');
  const hash = str(item, 'headHash');
  const time = str(item, 'headTime');
  if (seq === undefined || hash === undefined || time === undefined) return undefined;
  const payload = str(item, 'payload');
  return payload === undefined ? { seq, hash, time } : { seq, hash, time, payload };
};

export interface DynamoChainHeadsOptions {
  readonly tableName: string;
  readonly clock?: () => Date;
}

/**
 * Table with partition key `pk` (S). Item: `{ pk, seq, headHash, headTime, updatedAt, payload? }`.
 * `changedBetween` scans with a filter on `updatedAt`: fine for thousands of incidents; add a
 * sparse GSI if the table ever grows large.
 */
export class DynamoChainHeads implements ChainHeads {
  private readonly clock: () => Date;

  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly options: DynamoChainHeadsOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  async read(chainId: string): Promise<NextHead | undefined> {
    const out = await this.ddb.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: { pk: { S: chainId } }, ConsistentRead: true }),
    );
    return headFromItem(out.Item);
  }

  async advance(chainId: string, expected: ChainHead | undefined, next: NextHead): Promise<AdvanceResult> {
    const keepPayload = next.payload !== undefined && next.payload.length <= MAX_PAYLOAD_IN_ITEM;
    const values: Record<string, AttributeValue> = {
      ':seq': { N: String(next.seq) },
      ':hash': { S: next.hash },
      ':time': { S: next.time },
      ':now': { N: String(this.clock().getTime()) },
    };
    if (keepPayload && next.payload !== undefined) values[':payload'] = { S: next.payload };
    if (expected) values[':prev'] = { N: String(expected.seq) };
    const set = 'SET #seq = :seq, headHash = :hash, headTime = :time, updatedAt = :now';
    try {
      const out = await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: { pk: { S: chainId } },
          UpdateExpression: keepPayload ? `${set}, payload = :payload` : `${set} REMOVE payload`,
          ConditionExpression: expected ? '#seq = :prev' : 'attribute_not_exists(pk)',
          ExpressionAttributeNames: { '#seq': 'seq' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const previous = headFromItem(out.Attributes);
      return previous ? { ok: true, previous } : { ok: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // DynamoDB returns the current item with the failure; older emulators do not: read it.
      const current = error.Item ? headFromItem(error.Item) : await this.read(chainId);
      return current ? { ok: false, current: { seq: current.seq, hash: current.hash, time: current.time } } : { ok: false };
    }
  }

  async changedBetween(fromMs: number, toMs: number): Promise<HeadEntry[]> {
    const entries: HeadEntry[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.ddb.send(
        new ScanCommand({
          TableName: this.options.tableName,
          ConsistentRead: true,
          FilterExpression: 'updatedAt > :from AND updatedAt <= :to',
          ProjectionExpression: 'pk, #seq, headHash, headTime, updatedAt',
          ExpressionAttributeNames: { '#seq': 'seq' },
          ExpressionAttributeValues: { ':from': { N: String(fromMs) }, ':to': { N: String(toMs) } },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) {
        const head = headFromItem(item);
        const chainId = str(item, 'pk');
        const updatedAt = num(item, 'updatedAt');
        if (head && chainId !== undefined && updatedAt !== undefined) {
          entries.push({ chainId, seq: head.seq, hash: head.hash, time: head.time, updatedAt });
        }
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return entries;
  }
}

interface StoredHead extends NextHead {
  readonly updatedAt: number;
}

const withoutUpdatedAt = (h: StoredHead): NextHead =>
  h.payload === undefined ? { seq: h.seq, hash: h.hash, time: h.time } : { seq: h.seq, hash: h.hash, time: h.time, payload: h.payload };

/**
 * In-process heads for the drill and tests; with `file`, persisted as an append-only journal: one
 * JSON line per advance (O(1) per append, so a drill stays linear), replayed on open — the last
 * line of a chain wins, a torn last line from a crash is ignored. Single process only: the file
 * is not locked.
 */
export class MemoryChainHeads implements ChainHeads {
  private readonly heads = new Map<string, StoredHead>();
  private readonly clock: () => Date;

  constructor(private readonly options: { readonly file?: string; readonly clock?: () => Date } = {}) {
    this.clock = options.clock ?? (() => new Date());
    if (options.file && existsSync(options.file)) {
      const text = readFileSync(options.file, 'utf8');
      // End a torn last line, so the next advance starts a line of its own.
      if (text !== '' && !text.endsWith('\n')) appendFileSync(options.file, '\n');
      for (const line of text.split('\n')) {
        if (line === '') continue;
        let entry: { chainId?: unknown; head?: StoredHead };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          continue; // a line torn by a crash: the advance it recorded never returned
        }
        if (typeof entry.chainId === 'string' && entry.head) this.heads.set(entry.chainId, entry.head);
      }
    }
  }

  read(chainId: string): Promise<NextHead | undefined> {
    const head = this.heads.get(chainId);
    return Promise.resolve(head && withoutUpdatedAt(head));
  }

  advance(chainId: string, expected: ChainHead | undefined, next: NextHead): Promise<AdvanceResult> {
    const current = this.heads.get(chainId);
    if (current?.seq !== expected?.seq) {
      return Promise.resolve({ ok: false, current: current && { seq: current.seq, hash: current.hash, time: current.time } });
    }
    const head: StoredHead = { ...next, updatedAt: this.clock().getTime() };
    if (this.options.file) appendFileSync(this.options.file, `${JSON.stringify({ chainId, head })}\n`);
    this.heads.set(chainId, head);
    return Promise.resolve(current ? { ok: true, previous: withoutUpdatedAt(current) } : { ok: true });
  }

  changedBetween(fromMs: number, toMs: number): Promise<HeadEntry[]> {
    const entries: HeadEntry[] = [];
    for (const [chainId, h] of this.heads) {
      if (h.updatedAt > fromMs && h.updatedAt <= toMs) {
        entries.push({ chainId, seq: h.seq, hash: h.hash, time: h.time, updatedAt: h.updatedAt });
      }
    }
    return Promise.resolve(entries);
  }
}
