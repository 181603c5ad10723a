/**
 * Prices and quotas of the burst bench (bench/burst.ts). Prices: AWS list prices, us-east-1, as
 * published on the services' pricing pages and read for this bench on PRICES.date; KMS asymmetric
 * requests are taken at 5x the symmetric $0.03 per 10,000 (the higher figure sources give for
 * ECC_NIST_P256 Sign): a conservative bound. Free tiers are ignored.
 */
export const PRICES = {
  date: '2026-12-01',
  /** Lambda arm64, per GB-second (first 7.5 billion GB-s per month). */
  lambdaArmGbSecond: 0.0000133334,
  /** Lambda, per request. */
  lambdaRequest: 0.2 / 1e6,
  /** KMS asymmetric (ECC Sign, GetPublicKey), per request. */
  kmsAsymmetricRequest: 0.15 / 1e4,
  /** S3 Standard PUT, COPY, POST, LIST, per request. */
  s3Put: 0.005 / 1e3,
  /** S3 Standard GET and all other requests, per request. */
  s3Get: 0.0004 / 1e3,
  /** DynamoDB on-demand, per write request unit (<= 1 KB). */
  dynamoWrite: 0.625 / 1e6,
  /** DynamoDB on-demand, per read request unit (strongly consistent, <= 4 KB). */
  dynamoRead: 0.125 / 1e6,
  /** SNS, per Publish (64 KB chunk). */
  snsPublish: 0.5 / 1e6,
  /** Step Functions Express, per request (the session revoker, StartSyncExecution). */
  sfnExpressRequest: 1.0 / 1e6,
  /** Step Functions Express duration: 64 MB for 1 s per execution (a bound: it runs one IAM call), at $0.00001667 per GB-second. */
  sfnExpressExecution: 0.00001667 * (64 / 1024),
} as const;

/**
 * Default request quotas per second, per account and Region, of the APIs the burst drives hardest
 * (service documentation, read 2026-12-01): KMS "Cryptographic operations (ECC) request rate"
 * (docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html; older versions of the
 * page give 300); EC2 request token buckets, refill rate per second (mutating actions 5,
 * non-mutating 20: docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html); STS 600
 * requests per second per account (IAM and STS quotas). IAM publishes no request-rate quota
 * (throttling is undocumented): IAM rows carry no goal.
 */
export const QUOTAS: Record<string, { perSecond: number; scope: string }> = {
  'KMS:Sign': { perSecond: 1000, scope: 'home account, ECC keys, shared' },
  'STS:AssumeRole': { perSecond: 600, scope: 'home account' },
  // EC2 quotas are per member account: peak in flight is over all accounts, calls per second per account.
  'EC2:DescribeInstances': { perSecond: 20, scope: 'per member account, non-mutating refill' },
  'EC2:ModifyNetworkInterfaceAttribute': { perSecond: 5, scope: 'per member account, mutating refill' },
  'EC2:CreateSnapshots': { perSecond: 5, scope: 'per member account, mutating refill' },
};

/** Item size in DynamoDB units of 1 KB (writes) from the request's attribute values. */
const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));

export interface Usage {
  readonly calls: ReadonlyMap<string, number>;
  /** Billed duration of every invocation, ms. */
  readonly durationsMs: readonly number[];
  readonly memoryMb: number;
  /** Bytes written per DynamoDB write call, when known (else 1 unit each). */
  readonly dynamoWriteBytes?: readonly number[];
}

export const costOf = (u: Usage): { total: number; parts: Record<string, number> } => {
  const n = (api: string) => u.calls.get(api) ?? 0;
  const gbSeconds = u.durationsMs.reduce((sum, ms) => sum + (Math.ceil(ms) / 1000) * (u.memoryMb / 1024), 0);
  const dynamoWrites = ['DynamoDB:PutItem', 'DynamoDB:UpdateItem', 'DynamoDB:DeleteItem'].reduce((s, api) => s + n(api), 0);
  const writeUnitsTotal = u.dynamoWriteBytes ? u.dynamoWriteBytes.reduce((s, b) => s + writeUnits(b), 0) : dynamoWrites;
  const parts = {
    lambda: gbSeconds * PRICES.lambdaArmGbSecond + u.durationsMs.length * PRICES.lambdaRequest,
    kms: (n('KMS:Sign') + n('KMS:GetPublicKey')) * PRICES.kmsAsymmetricRequest,
    s3: n('S3:PutObject') * PRICES.s3Put + (n('S3:GetObject') + n('S3:HeadObject')) * PRICES.s3Get,
    dynamodb: writeUnitsTotal * PRICES.dynamoWrite + (n('DynamoDB:GetItem') + n('DynamoDB:Query') + n('DynamoDB:Scan')) * PRICES.dynamoRead,
    sns: n('SNS:Publish') * PRICES.snsPublish,
    stepFunctions: n('SFN:StartSyncExecution') * (PRICES.sfnExpressRequest + PRICES.sfnExpressExecution),
  };
  return { total: Object.values(parts).reduce((a, b) => a + b, 0), parts };
};
