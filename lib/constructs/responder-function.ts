import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVIDENCE_WRITER_PATH } from '../evidence-stack';
import { acknowledge, acknowledgeGrants } from '../nag';

export interface ResponderFunctionProps {
  /** File under `lambdas/handlers/`, without extension, e.g. `isolate-instance`. */
  readonly handler: string;
  readonly description: string;
  /** Encrypts the log group and the dead-letter queue. */
  readonly key: kms.IKey;
  readonly environment?: Record<string, string>;
  /** @default Duration.minutes(2) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /**
   * Caps how many copies run at once: a containment storm cannot exhaust account concurrency,
   * and the breaker sees a bounded rate. @default 5
   */
  readonly reservedConcurrentExecutions?: number;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
}

const HANDLERS = path.join(__dirname, '..', '..', 'lambdas', 'handlers');

/**
 * ESM, tree-shaken and minified: the bundle format decides cold start (TOOLCHAIN.md). The SDK is
 * bundled: the pinned, tested clients are what runs (not whichever SDK the runtime ships), and
 * only what is imported is loaded. bench/bundles.ts builds with exactly these options.
 */
export const ESM_BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  bundleAwsSDK: true,
  mainFields: ['module', 'main'],
  target: 'node24',
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // CommonJS dependencies bundled into an ESM file still call require().
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
};

/** NODE_OPTIONS of every function (bench/bundles.ts runs the bundles with it). */
export const RESPONDER_NODE_OPTIONS = '--enable-source-maps';

/**
 * Every Lambda default in one place (STYLE.md #4): Node.js 24 on ARM64, ESM bundle (tree-shaken,
 * for cold start), X-Ray tracing, a KMS-encrypted log group with retention, an encrypted SQS
 * dead-letter queue that also receives failed async invocations, reserved concurrency, and a role
 * under the evidence-writer path with no managed policies: every permission is granted explicitly.
 */
export class ResponderFunction extends NodejsFunction {
  /** Receives failed async invocations after retries. */
  readonly dlq: sqs.IQueue;

  constructor(scope: Construct, id: string, props: ResponderFunctionProps) {
    const stack = Stack.of(scope);
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      path: EVIDENCE_WRITER_PATH,
      description: `Cordon: execution role of ${props.handler}`,
    });
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const deadLetterQueue = new sqs.Queue(scope, `${id}Dlq`, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    super(scope, id, {
      entry: path.join(HANDLERS, `${props.handler}.ts`),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.minutes(2),
      tracing: lambda.Tracing.ACTIVE,
      role,
      logGroup,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions ?? 5,
      deadLetterQueue,
      onFailure: new SqsDestination(deadLetterQueue),
      retryAttempts: 2,
      environment: {
        NODE_OPTIONS: RESPONDER_NODE_OPTIONS,
        POWERTOOLS_SERVICE_NAME: 'cordon',
        POWERTOOLS_LOGGER_LOG_EVENT: 'false',
        ...props.environment,
      },
      bundling: ESM_BUNDLING,
    });
    this.dlq = deadLetterQueue;

    // Explicit logging permission in place of AWSLambdaBasicExecutionRole.
    logGroup.grantWrite(role);
    acknowledgeGrants(role, [
      { resource: '*', actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], reason: 'X-Ray supports no resource-level permissions' },
      {
        resource: `<${stack.getLogicalId(logGroup.node.defaultChild as logs.CfnLogGroup)}.Arn>:*`,
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        reason: 'log streams of this function’s own log group, whose names Lambda generates',
      },
    ]);
    acknowledge(role, [
      ['AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', 'generated by the dead-letter queue grant: encrypt messages to this function’s own DLQ with the response key only'],
      ['AwsSolutions-IAM5[Action::kms:ReEncrypt*]', 'generated by the dead-letter queue grant: encrypt messages to this function’s own DLQ with the response key only'],
      [
        'NIST.800.53.R5-IAMNoInlinePolicy',
        'the inline policy holds the grants of this one function, scoped to its own resources; a managed policy could be attached to other principals',
      ],
    ]);
    acknowledge(this, [
      [
        'NIST.800.53.R5-LambdaInsideVPC',
        'responders call only AWS APIs (SigV4 over TLS) and reach no VPC resource; a VPC would add NAT or endpoints without isolating anything',
      ],
    ]);
    acknowledge(deadLetterQueue, [
      ['AwsSolutions-SQS3', 'this queue is itself the dead-letter queue of the function'],
      ['Serverless-SQSRedrivePolicy', 'this queue is itself the dead-letter queue of the function'],
    ]);
  }
}
