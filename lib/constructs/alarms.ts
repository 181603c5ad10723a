import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Namespace of the metrics Cordon derives from its own logs. */
export const METRIC_NAMESPACE = 'Cordon';

export interface AlarmsProps {
  /** Every alarm publishes here. */
  readonly topic: sns.ITopic;
  /** Functions whose Errors > 0 alarm, by a readable name. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** Dead-letter queues whose visible messages > 0 alarm, by a readable name. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  /** Responders: their log lines carry `breaker: "open"`, `modeEnforced: 0|1`, `mode`,
   * `decided` and `stepsFailed` (lambdas/guardrails/handle.ts). Each receives
   * `{"cordon": "heartbeat"}` every 5 minutes: the mode is logged without findings, and parked
   * events are re-driven. */
  readonly responders: readonly lambda.Function[];
  /** The checkpoint function when it copies checkpoints to an anchor: each failed copy alarms. */
  readonly anchorWriter?: lambda.Function;
  /** Dead-letter queue of the heartbeat rule. */
  readonly eventDlq: sqs.IQueue;
  /** @default 24 */
  readonly modeNotEnforcedHours?: number;
}

/**
 * Alarms that page through the topic:
 * - each function's Errors > 0 and each dead-letter queue's visible messages > 0 (5 minutes);
 * - breaker open: a metric filter on the responders' structured log field `breaker = "open"`
 *   (Cordon/BreakerOpen), any in 5 minutes;
 * - every silent failure: Lambda throttles and async event age (> 5 minutes) of each function; a
 *   containment with a failed step (`stepsFailed > 0`); any escalation (`decided = "escalate"`);
 *   a failed notification; the mode unreadable (`mode = "unreadable"`, within 5 minutes);
 * - mode not enforce: a metric filter turns each `modeEnforced` log field (1 = enforce, 0 = dry-run,
 *   off or unreadable; logged per invocation and by a 5-minute heartbeat, so it has data without
 *   findings) into Cordon/ModeEnforced; the alarm fires when its hourly maximum stayed below 1 for
 *   `modeNotEnforcedHours` hours. Missing data breaches: a silent responder is not proof of enforce.
 */
export class Alarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly breakerOpen: cloudwatch.Alarm;
  readonly modeNotEnforced: cloudwatch.Alarm;
  /** Present with `anchorWriter`. */
  readonly anchorFailed?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const action = new actions.SnsAction(props.topic);
    const add = (alarm: cloudwatch.Alarm): cloudwatch.Alarm => {
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
      return alarm;
    };

    for (const [name, fn] of Object.entries(props.functions)) {
      add(
        new cloudwatch.Alarm(this, `${name}Errors`, {
          alarmDescription: `Cordon: ${name} failed (an invocation threw; see its logs and dead-letter queue)`,
          metric: fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      add(
        new cloudwatch.Alarm(this, `${name}Throttles`, {
          alarmDescription: `Cordon: ${name} was throttled (events wait or are retried; raise its reserved concurrency or the account limit)`,
          metric: fn.metricThrottles({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      add(
        new cloudwatch.Alarm(this, `${name}EventAge`, {
          alarmDescription: `Cordon: events wait more than 5 minutes before ${name} handles them (throttling or retries)`,
          metric: fn.metric('AsyncEventAge', { period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
          threshold: 300_000,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      add(
        new cloudwatch.Alarm(this, `${name}Messages`, {
          alarmDescription: `Cordon: ${name} holds events that were never handled`,
          metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    const logged = (id: string, metricName: string, pattern: logs.IFilterPattern, description: string, sources: readonly lambda.Function[] = props.responders): cloudwatch.Alarm => {
      sources.forEach((fn, i) => {
        new logs.MetricFilter(this, `${id}Filter${i}`, { logGroup: fn.logGroup, filterPattern: pattern, metricNamespace: METRIC_NAMESPACE, metricName, metricValue: '1' });
      });
      return add(
        new cloudwatch.Alarm(this, id, {
          alarmDescription: description,
          metric: new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName, period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    };
    logged(
      'ContainmentStepFailed',
      'ContainmentStepFailed',
      logs.FilterPattern.numberValue('$.stepsFailed', '>', 0),
      'Cordon: a containment step failed (partly contained); the incident evidence names the step and the error',
    );
    logged('Escalated', 'Escalations', logs.FilterPattern.stringValue('$.decided', '=', 'escalate'), 'Cordon: a finding was escalated to a person instead of being contained');
    logged(
      'NotificationFailed',
      'NotificationFailed',
      logs.FilterPattern.stringValue('$.message', '=', 'notification failed: the decision stands'),
      'Cordon: a decision could not be notified (it stands and is evidenced as error:notify)',
    );
    logged(
      'ModeUnreadable',
      'ModeUnreadable',
      logs.FilterPattern.stringValue('$.mode', '=', 'unreadable'),
      'Cordon: the kill switch cannot be read: responders act on nothing and escalate until it is',
    );

    props.responders.forEach((fn, i) => {
      new logs.MetricFilter(this, `BreakerOpenFilter${i}`, {
        logGroup: fn.logGroup,
        filterPattern: logs.FilterPattern.stringValue('$.breaker', '=', 'open'),
        metricNamespace: METRIC_NAMESPACE,
        metricName: 'BreakerOpen',
        metricValue: '1',
      });
      new logs.MetricFilter(this, `ModeFilter${i}`, {
        logGroup: fn.logGroup,
        filterPattern: logs.FilterPattern.any(
          logs.FilterPattern.numberValue('$.modeEnforced', '=', 0),
          logs.FilterPattern.numberValue('$.modeEnforced', '=', 1),
        ),
        metricNamespace: METRIC_NAMESPACE,
        metricName: 'ModeEnforced',
        metricValue: '$.modeEnforced',
      });
    });

    this.breakerOpen = add(
      new cloudwatch.Alarm(this, 'BreakerOpen', {
        alarmDescription: 'Cordon: the blast-radius breaker is open: automatic containments are escalated, not made',
        metric: new cloudwatch.Metric({
          namespace: METRIC_NAMESPACE,
          metricName: 'BreakerOpen',
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.SUM,
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );

    const hours = props.modeNotEnforcedHours ?? 24;
    this.modeNotEnforced = add(
      new cloudwatch.Alarm(this, 'ModeNotEnforced', {
        alarmDescription: `Cordon: the kill switch has not been enforce for ${hours} hours (dry-run, off, or unreadable)`,
        metric: new cloudwatch.Metric({
          namespace: METRIC_NAMESPACE,
          metricName: 'ModeEnforced',
          period: Duration.hours(1),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: hours,
        datapointsToAlarm: hours,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
    );

    if (props.anchorWriter) {
      // The handler logs this message when a copy, or the evidence of it, failed (lambdas/handlers/checkpoint.ts).
      this.anchorFailed = logged(
        'AnchorFailed',
        'AnchorFailed',
        logs.FilterPattern.stringValue('$.message', '=', 'checkpoint anchor failed'),
        'Cordon: a checkpoint was not copied to the anchor in the log-archive account (the checkpoint itself is stored; the evidence names the error)',
        [props.anchorWriter],
      );
    }

    new events.Rule(this, 'Heartbeat', {
      description: 'Cordon: every 5 minutes each responder reads and logs the kill switch (mode alarms) and re-drives parked events',
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: props.responders.map(
        (fn) =>
          new targets.LambdaFunction(fn, {
            event: events.RuleTargetInput.fromObject({ cordon: 'heartbeat' }),
            retryAttempts: 2,
            maxEventAge: Duration.minutes(4),
            deadLetterQueue: props.eventDlq,
          }),
      ),
    });
  }
}
