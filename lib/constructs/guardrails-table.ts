import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { acknowledge } from '../nag';

export interface GuardrailsTableProps {
  /** The response stack's key. */
  readonly key: kms.IKey;
}

/** TTL attribute (epoch seconds) of every item: Powertools idempotency's `expiration`. */
export const GUARDRAILS_TTL_ATTRIBUTE = 'expiration';

/**
 * Working state of the guardrails, one table: blast-radius breaker windows
 * (`pk = breaker#{windowStart}`) and idempotency records (`pk = idempotency#{responder}#{hash}`),
 * both expiring through TTL. Stateless in the sense that matters: losing it forgets which findings
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
    this.key = props.key;
    acknowledge(this, [
      [
        'NIST.800.53.R5-DynamoDBInBackupPlan',
        'short-lived working state (breaker windows, idempotency records, all with a TTL); point-in-time recovery covers it, and nothing here is evidence',
      ],
    ]);
  }

  /** Exactly what the breaker and Powertools idempotency use: item reads and conditional writes. */
  grantGuardrails(grantee: iam.IGrantable): void {
    this.grant(grantee, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
    this.key.grantEncryptDecrypt(grantee);
  }
}
