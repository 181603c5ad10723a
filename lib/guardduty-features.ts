import type { CordonConfig } from './config';

/**
 * GuardDuty's names for the features Cordon's config switches on, shared by the detector of each
 * account (lib/detection-stack.ts) and the organization's auto-enable (lib/constructs/org-guardduty.ts).
 */

export type GuardDutyFeatures = CordonConfig['guardDuty']['features'];

/** GuardDuty feature names (CloudFormation and API `Features[].Name`) for each config switch. */
export const FEATURE_NAMES: Record<keyof GuardDutyFeatures, string> = {
  s3DataEvents: 'S3_DATA_EVENTS',
  eksAuditLogs: 'EKS_AUDIT_LOGS',
  ebsMalwareProtection: 'EBS_MALWARE_PROTECTION',
  rdsLoginEvents: 'RDS_LOGIN_EVENTS',
  runtimeMonitoring: 'RUNTIME_MONITORING',
  lambdaNetworkLogs: 'LAMBDA_NETWORK_LOGS',
};

/** Runtime Monitoring agents GuardDuty manages itself when the feature is on. */
export const RUNTIME_AGENTS = ['EKS_ADDON_MANAGEMENT', 'ECS_FARGATE_AGENT_MANAGEMENT', 'EC2_AGENT_MANAGEMENT'];
