import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { acknowledge } from '../nag';
import { PARKED_INDEX } from '../../lambdas/guardrails/park';

export interface GuardrailsTableProps {
  /** The response stack's key. */
  readonly key: kms.IKey;
}

/** TTL attribute (epoch seconds) of every item: Powertools idempotency's `expiration`. */
export const GUARDRAILS_TTL_ATTRIBUTE = 'expiration';

/**
 * Working state of the guardrails, one table: blast-radius breaker windows
 * (`pk = breaker#{windowStart}`), idempotency records (`pk = idempotency#{responder}#{hash}`) and
 * events parked for re-drive (`pk = park#{responder}#{hash}`, listed through the sparse index
 * `parked`: partition `parkedBy`, sort `parkedAt`), all expiring through TTL. Stateless in the sense that matters: losing it forgets which findings
 * were handled (a redelivery would then be decided again, and evidenced) but proves nothing, so it
 * lives in the response stack, not the evidence stack.
 */
export class GuardrailsTable extends dynamodb.Table {
  private readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: GuardrailsTableProps) {
    super(scope, id, {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: GUARDRAILS_TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.addGlobalSecondaryIndex({
      indexName: PARKED_INDEX,
      partitionKey: { name: 'parkedBy', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'parkedAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    this.key = props.key;
    acknowledge(this, [
      [
        'NIST.800.53.R5-DynamoDBInBackupPlan',
        'short-lived working state (breaker windows, idempotency records, all with a TTL); point-in-time recovery covers it, and nothing here is evidence',
      ],
    ]);
  }

  /** Exactly what the breaker, Powertools idempotency and parking use: item reads and conditional
   * writes on the table, and Query on the parked index only. */
  grantGuardrails(grantee: iam.IGrantable): void {
    // Not `this.grant`: with an index it also grants the item actions on `index/*`.
    iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], resourceArns: [this.tableArn] });
    iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [`${this.tableArn}/index/${PARKED_INDEX}`] });
    this.key.grantEncryptDecrypt(grantee);
  }
}
