import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { EvidenceVault } from './evidence-vault';
import { tamperRules, type TamperRule, type TamperTargets } from '../tamper';
import { acknowledgeGrants } from '../nag';
import { ResponderFunction } from './responder-function';

export interface TamperAlarmsProps {
  readonly key: kms.IKey;
  readonly topic: sns.ITopic;
  readonly modeParameter: ssm.IStringParameter;
  /** The kill switch's literal name (CloudTrail records the name, not the parameter's Ref). */
  readonly modeParameterName: string;
  readonly evidence: EvidenceVault;
  readonly deadLetterQueue: sqs.IQueue;
}

/** The data pattern as CDK's EventPattern spells it (`detailType` for `detail-type`). */
const eventPatternOf = (pattern: TamperRule['pattern']): events.EventPattern => {
  const { source, 'detail-type': detailType, detail } = pattern as { source: string[]; 'detail-type': string[]; detail: Record<string, unknown> };
  return { source, detailType, detail };
};

/**
 * Tamper alarms on Cordon itself (lib/tamper.ts): one EventBridge rule per kind of change, each
 * with two targets, the incident topic (the raw CloudTrail event, so the alarm goes out even when
 * the handler is what was tampered with) and the tamper handler, which writes a signed evidence
 * record and a readable message. Create it last in the stack: it watches every function, role,
 * managed policy and rule the stack holds at that point, itself included.
 */
export class TamperAlarms extends Construct {
  readonly handler: ResponderFunction;
  readonly rules: Readonly<Record<string, events.Rule>>;

  constructor(scope: Construct, id: string, props: TamperAlarmsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { evidence } = props;
    this.handler = new ResponderFunction(this, 'Handler', {
      handler: 'tamper',
      description: 'Cordon: records and announces a change to Cordon itself (tamper alarm)',
      key: props.key,
      environment: {
        EVIDENCE_BUCKET: evidence.bucket.bucketName,
        SIGNING_KEY_ID: evidence.signingKey.keyArn,
        HEADS_TABLE: evidence.chainHeads.tableName,
        RETENTION_DAYS: String(evidence.retention.toDays()),
        NOTIFY_TOPIC_ARN: props.topic.topicArn,
        MODE_PARAMETER: props.modeParameter.parameterName,
      },
      timeout: Duration.seconds(30),
    });
    evidence.grantAppend(this.handler);
    acknowledgeGrants(this.handler.role!, [
      {
        resource: `${evidence.bucketArnExportName}/records/*`,
        actions: ['s3:PutObject', 's3:PutObjectRetention', 's3:GetObject'],
        reason: 'tamper records are keyed records/tamper-{eventId}/{seq}.json under this prefix only',
      },
    ]);
    props.topic.grantPublish(this.handler);
    props.modeParameter.grantRead(this.handler);

    const watched = stack.node.findAll();
    const functions = watched.filter((c): c is lambda.Function => c instanceof lambda.Function);
    const tamperTargets: TamperTargets = {
      modeParameterName: props.modeParameterName,
      functions: functions.flatMap((fn) => [fn.functionName, fn.functionArn]),
      rulePrefix: `${stack.stackName}-`,
      roleNames: [...watched.filter((c): c is iam.Role => c instanceof iam.Role).map((r) => r.roleName), evidence.auditorRole.roleName],
      policyArns: watched.filter((c): c is iam.ManagedPolicy => c instanceof iam.ManagedPolicy).map((p) => p.managedPolicyArn),
      vaultKeyArns: [evidence.signingKey.keyArn, evidence.dataKey.keyArn],
      bucketNames: [evidence.bucket.bucketName],
      stateMachineArns: watched.filter((c): c is sfn.StateMachine => c instanceof sfn.StateMachine).map((m) => m.stateMachineArn),
    };
    const rules: Record<string, events.Rule> = {};
    for (const [name, rule] of Object.entries(tamperRules(tamperTargets))) {
      rules[name] = new events.Rule(this, name, {
        description: rule.description,
        eventPattern: eventPatternOf(rule.pattern),
        targets: [
          new targets.SnsTopic(props.topic, { retryAttempts: 2, maxEventAge: Duration.minutes(10), deadLetterQueue: props.deadLetterQueue }),
          new targets.LambdaFunction(this.handler, { retryAttempts: 2, maxEventAge: Duration.minutes(10), deadLetterQueue: props.deadLetterQueue }),
        ],
      });
    }
    this.rules = rules;
  }
}
