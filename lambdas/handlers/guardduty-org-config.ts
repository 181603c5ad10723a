import { Logger } from '@aws-lambda-powertools/logger';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { onEvent, type OnEventRequest, type OnEventResponse } from '../org/guardduty-org-config';

/**
 * onEvent handler of the GuardDuty organization configuration custom resource (see
 * lambdas/org/guardduty-org-config.ts). Runs in the delegated administrator's home region.
 */
const logger = new Logger({ serviceName: 'cordon-guardduty-org-config' });
const guardDuty = new GuardDutyClient({});

export const handler = (event: OnEventRequest): Promise<OnEventResponse> => onEvent(event, guardDuty, logger);
