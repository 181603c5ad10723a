/**
 * The service name lib/authz/requests.ts keys its rows by, for each AWS SDK v3 client class (the
 * client's constructor name, which the SDK also passes to middleware as `clientName`).
 */
export const SERVICE_OF_CLIENT: Readonly<Record<string, string>> = {
  EC2Client: 'ec2',
  AutoScalingClient: 'autoscaling',
  ElasticLoadBalancingV2Client: 'elbv2',
  ElasticLoadBalancingClient: 'elb',
  GuardDutyClient: 'guardduty',
  IAMClient: 'iam',
  STSClient: 'sts',
  S3Client: 's3',
  KMSClient: 'kms',
  DynamoDBClient: 'dynamodb',
  SSMClient: 'ssm',
  SNSClient: 'sns',
  SecurityHubClient: 'securityhub',
  LambdaClient: 'lambda',
  SFNClient: 'sfn',
};

/** `EC2Client` -> `ec2`; an unknown client keeps its class name (requests.ts then names it unmapped). */
export const serviceOfClient = (clientName: string): string => SERVICE_OF_CLIENT[clientName] ?? clientName;
