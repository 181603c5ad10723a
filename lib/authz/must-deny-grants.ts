import { ADMIN_POLICY, ec2, iamArn, PROTECTED, type MustDeny } from './corpus-context';

/**
 * Must-deny entries about the accounts Cordon acts in: no Cordon role may grant a permission
 * (write or attach a policy of its choosing), open an existing security group as one of
 * Cordon's, change what an instance runs, or touch a resource carrying the protected tag.
 */
export const GRANT_ENTRIES: readonly MustDeny[] = [
  {
    id: 'inline-policy-on-admin-role',
    documentOfChoice: true,
    what: 'write an inline policy (any document) on an arbitrary role: administrator access',
    audience: 'cordon',
    request: (c) => ({ action: 'iam:PutRolePolicy', resource: iamArn(c, 'role', 'Admin') }),
  },
  {
    id: 'inline-policy-on-org-access-role',
    documentOfChoice: true,
    what: 'write an inline policy on OrganizationAccountAccessRole',
    audience: 'cordon',
    request: (c) => ({ action: 'iam:PutRolePolicy', resource: iamArn(c, 'role', 'OrganizationAccountAccessRole') }),
  },
  {
    id: 'inline-policy-on-user',
    documentOfChoice: true,
    what: 'write an inline policy (any document) on an arbitrary user',
    audience: 'cordon',
    request: (c) => ({ action: 'iam:PutUserPolicy', resource: iamArn(c, 'user', 'alice') }),
  },
  {
    id: 'attach-admin-to-role',
    what: 'attach AdministratorAccess to an arbitrary role',
    audience: 'cordon',
    request: (c) => ({ action: 'iam:AttachRolePolicy', resource: iamArn(c, 'role', 'Admin'), context: { 'iam:PolicyARN': ADMIN_POLICY(c) } }),
  },
  {
    id: 'attach-admin-to-org-access-role',
    what: 'attach AdministratorAccess to OrganizationAccountAccessRole',
    audience: 'cordon',
    request: (c) => ({
      action: 'iam:AttachRolePolicy',
      resource: iamArn(c, 'role', 'OrganizationAccountAccessRole'),
      context: { 'iam:PolicyARN': ADMIN_POLICY(c) },
    }),
  },
  {
    id: 'attach-admin-to-user',
    what: 'attach AdministratorAccess to an arbitrary user',
    audience: 'cordon',
    request: (c) => ({ action: 'iam:AttachUserPolicy', resource: iamArn(c, 'user', 'alice'), context: { 'iam:PolicyARN': ADMIN_POLICY(c) } }),
  },
  {
    id: 'isolation-tag-on-existing-group',
    what: 'add Cordon’s isolation tag to an existing security group (then open it to the world as a Cordon group)',
    audience: 'cordon',
    request: (c) => ({
      action: 'ec2:CreateTags',
      resource: ec2(c, 'security-group', 'sg-0application0000'),
      context: { 'aws:TagKeys': ['cordon:isolation'], 'aws:RequestTag/cordon:isolation': 'isolation' },
    }),
  },
  {
    id: 'change-user-data',
    what: 'change the userData of an instance (code that runs as root at next boot)',
    audience: 'cordon',
    request: (c) => ({ action: 'ec2:ModifyInstanceAttribute', resource: ec2(c, 'instance', 'i-0application00000'), context: { 'ec2:Attribute': 'userData' } }),
  },
  {
    id: 'protected-instance-attribute',
    what: 'modify an attribute of an instance carrying the protected tag',
    audience: 'cordon',
    request: (c) => ({
      action: 'ec2:ModifyInstanceAttribute',
      resource: ec2(c, 'instance', 'i-0protected000000'),
      context: { ...PROTECTED, 'ec2:ResourceTag/cordon:protected': 'true', 'ec2:Attribute': 'disableApiTermination' },
    }),
  },
  {
    id: 'protected-instance-network',
    what: 'swap the security groups of an ENI of an instance carrying the protected tag',
    audience: 'cordon',
    request: (c) => ({
      action: 'ec2:ModifyNetworkInterfaceAttribute',
      resource: ec2(c, 'instance', 'i-0protected000000'),
      context: { ...PROTECTED, 'ec2:ResourceTag/cordon:protected': 'true' },
    }),
  },
  {
    id: 'protected-instance-snapshot',
    what: 'snapshot the volumes of an instance carrying the protected tag',
    audience: 'cordon',
    request: (c) => ({
      action: 'ec2:CreateSnapshots',
      resource: ec2(c, 'instance', 'i-0protected000000'),
      context: { ...PROTECTED, 'ec2:ResourceTag/cordon:protected': 'true' },
    }),
  },
  {
    id: 'protected-user-key',
    what: 'deactivate a key of a user carrying the protected tag',
    audience: 'cordon',
    request: (c) => ({ action: 'iam:UpdateAccessKey', resource: iamArn(c, 'user', 'breakglass'), context: { ...PROTECTED, 'iam:ResourceTag/cordon:protected': 'true' } }),
  },
  {
    id: 'protected-user-policy-delete',
    what: 'delete an inline policy of a user carrying the protected tag',
    audience: 'cordon',
    request: (c) => ({ action: 'iam:DeleteUserPolicy', resource: iamArn(c, 'user', 'breakglass'), context: { ...PROTECTED, 'iam:ResourceTag/cordon:protected': 'true' } }),
  },
  {
    id: 'protected-role-policy',
    what: 'write an inline policy on a role carrying the protected tag',
    audience: 'cordon',
    request: (c) => ({ action: 'iam:PutRolePolicy', resource: iamArn(c, 'role', 'BreakGlass'), context: { ...PROTECTED, 'iam:ResourceTag/cordon:protected': 'true' } }),
  },
  {
    id: 'protected-role-policy-delete',
    what: 'delete an inline policy of a role carrying the protected tag',
    audience: 'cordon',
    request: (c) => ({ action: 'iam:DeleteRolePolicy', resource: iamArn(c, 'role', 'BreakGlass'), context: { ...PROTECTED, 'iam:ResourceTag/cordon:protected': 'true' } }),
  },
];
