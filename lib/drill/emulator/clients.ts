import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, BuildMiddleware, InitializeMiddleware, MetadataBearer, MiddlewareStack } from '@aws-sdk/types';
import type { Ec2Clients } from '../../../lambdas/isolation/types';
import { EmulatorCallLog, recorded, type Signer } from './record';

/**
 * SDK clients pointed at the emulator: its endpoint, dummy credentials, one region. Which account a
 * request acts in is moto's decision: the home clients send `x-moto-account-id` (moto's header for
 * "this request is made in account N"); clients built with credentials from AssumeRole carry no
 * header, and moto maps their access key to the account of the assumed role — so the member
 * account is reached exactly as in AWS, through STS. The fix-ups for what moto 5.2.1 gets wrong
 * live here and in signer.ts, never in lambdas/. Every client records its calls in `log` with whose
 * credentials it signs (record.ts), for the authorization check.
 */

/** Dummy credentials: moto accepts any key (it does not check signatures unless asked to). */
export const DUMMY_CREDENTIALS: AwsCredentialIdentity = { accessKeyId: 'AKIAEMULATORDRILL001', secretAccessKey: 'emulator-drill-dummy-secret' };

/** Any SDK v3 client: its middleware stack, seen with the input/output types every client shares. */
interface Host {
  readonly middlewareStack: unknown;
  destroy(): void;
}
const stackOf = (client: Host): MiddlewareStack<object, MetadataBearer> => client.middlewareStack as MiddlewareStack<object, MetadataBearer>;

const inAccount = <C extends Host>(client: C, account: string): C => {
  const header: BuildMiddleware<object, MetadataBearer> = (next) => (args) => {
    const request = args.request as { headers?: Record<string, string> } | undefined;
    if (request?.headers) request.headers['x-moto-account-id'] = account;
    return next(args);
  };
  stackOf(client).add(header, { step: 'build', name: 'cordonMotoAccount' });
  return client;
};

/**
 * moto's threaded server does not make DynamoDB conditional writes atomic (lost updates under
 * parallel writers). Every DynamoDB request sent to one moto server passes through one queue (per
 * endpoint, shared by every set of clients built for it), so moto serves them one at a time and
 * the chain heads' conditional writes mean what they mean in AWS.
 */
const dynamoQueues = new Map<string, { tail: Promise<unknown> }>();
const dynamoQueueOf = (endpoint: string): { tail: Promise<unknown> } => {
  let queue = dynamoQueues.get(endpoint);
  if (!queue) {
    queue = { tail: Promise.resolve() };
    dynamoQueues.set(endpoint, queue);
  }
  return queue;
};

const serialised = <C extends Host>(client: C, queue: { tail: Promise<unknown> }): C => {
  const oneAtATime: InitializeMiddleware<object, MetadataBearer> = (next) => (args) => {
    const run = queue.tail.then(
      () => next(args),
      () => next(args),
    );
    queue.tail = run.catch(() => undefined);
    return run;
  };
  stackOf(client).add(oneAtATime, { step: 'initialize', name: 'cordonMotoSerialDynamo', priority: 'high' });
  return client;
};

/**
 * moto 5.2.1 does not implement GetObjectRetention (it answers with the object's body). The
 * harness answers it from HeadObject, whose lock headers moto does return; verify's S3 mode only
 * asks when GetObject carried no lock headers, so on moto this path is a safety net.
 */
const retentionFromHead = (client: S3Client): S3Client => {
  const answer: InitializeMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
    if (context.commandName !== 'GetObjectRetentionCommand') return next(args);
    const input = args.input as { Bucket?: string; Key?: string; VersionId?: string };
    const head = await client.send(new HeadObjectCommand({ Bucket: input.Bucket, Key: input.Key, VersionId: input.VersionId }));
    if (!head.ObjectLockMode) {
      throw Object.assign(new Error('the object has no retention (answered from HeadObject)'), { name: 'NoSuchObjectLockConfiguration' });
    }
    const output = { Retention: { Mode: head.ObjectLockMode, RetainUntilDate: head.ObjectLockRetainUntilDate }, $metadata: head.$metadata };
    return { output, response: undefined };
  };
  stackOf(client).add(answer, { step: 'initialize', name: 'cordonMotoGetObjectRetention', priority: 'high' });
  return client;
};

export interface EmulatorAws {
  readonly endpoint: string;
  /** Every call Cordon's code sent through these clients, with its signer (record.ts). */
  readonly log: EmulatorCallLog;
  readonly region: string;
  readonly homeAccount: string;
  readonly sts: STSClient;
  readonly iam: IAMClient;
  readonly s3: S3Client;
  readonly kms: KMSClient;
  readonly ddb: DynamoDBClient;
  readonly ssm: SSMClient;
  /** The EC2 family in the home account, or signed with `credentials` (the account is the role's). */
  ec2Family(region: string, credentials?: AwsCredentialIdentity): Ec2Clients;
  iamWith(credentials?: AwsCredentialIdentity): IAMClient;
  /** IAM acting in `account`, signed as a Cordon principal other than a function (the session revoker's stand-in). */
  iamAs(principal: string, account: string): IAMClient;
  /** Clients acting directly in `account`: for seeding and reading state back, never for Cordon's calls. */
  seeder(account: string, region?: string): { ec2: Ec2Clients; iam: IAMClient; sts: STSClient };
  /** S3 acting in `account` (the log-archive account of the anchor). */
  s3In(account: string): S3Client;
  destroy(): void;
}

export const emulatorAws = (endpoint: string, homeAccount: string, region: string, log = new EmulatorCallLog()): EmulatorAws => {
  const built: Host[] = [];
  const make = <C extends Host & Parameters<typeof recorded>[0]>(client: C, account: string | undefined, signer: Signer): C => {
    built.push(client);
    recorded(client, log, signer);
    return account ? inAccount(client, account) : client;
  };
  const options = (r: string, credentials?: AwsCredentialIdentity) => ({ endpoint, region: r, credentials: credentials ?? DUMMY_CREDENTIALS, maxAttempts: 2 });
  const family = (r: string, signer: Signer, credentials?: AwsCredentialIdentity, account?: string): Ec2Clients => ({
    ec2: make(new EC2Client(options(r, credentials)), account, signer),
    autoScaling: make(new AutoScalingClient(options(r, credentials)), account, signer),
    elbv2: make(new ElasticLoadBalancingV2Client(options(r, credentials)), account, signer),
    elb: make(new ElasticLoadBalancingClient(options(r, credentials)), account, signer),
  });
  const homeFamilies = new Map<string, Ec2Clients>();
  const queue = dynamoQueueOf(endpoint);
  const iam = make(new IAMClient(options(region)), homeAccount, 'own');
  return {
    endpoint,
    log,
    region,
    homeAccount,
    sts: make(new STSClient(options(region)), homeAccount, 'own'),
    iam,
    s3: retentionFromHead(make(new S3Client({ ...options(region), forcePathStyle: true }), homeAccount, 'own')),
    kms: make(new KMSClient(options(region)), homeAccount, 'own'),
    ddb: serialised(make(new DynamoDBClient(options(region)), homeAccount, 'own'), queue),
    ssm: make(new SSMClient(options(region)), homeAccount, 'own'),
    ec2Family: (r, credentials) => {
      if (credentials) return family(r, 'assumed', credentials);
      let f = homeFamilies.get(r);
      if (!f) {
        f = family(r, 'own', undefined, homeAccount);
        homeFamilies.set(r, f);
      }
      return f;
    },
    iamWith: (credentials) => (credentials ? make(new IAMClient(options(region, credentials)), undefined, 'assumed') : iam),
    iamAs: (principal, account) => make(new IAMClient(options(region)), account, { principal, account }),
    seeder: (account, r = region) => ({
      ec2: family(r, 'harness', undefined, account),
      iam: make(new IAMClient(options(region)), account, 'harness'),
      sts: make(new STSClient(options(region)), account, 'harness'),
    }),
    s3In: (account) => retentionFromHead(make(new S3Client({ ...options(region), forcePathStyle: true }), account, 'own')),
    destroy: () => {
      for (const c of built) c.destroy();
    },
  };
};
