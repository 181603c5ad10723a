import { ConfigError, configFromContext, parseConfig } from '../../lib/config';

const messageOf = (input: unknown): string => {
  try {
    parseConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected parseConfig to throw');
};

describe('config', () => {
  it('defaults to a conservative deploy: dry-run, 7-year COMPLIANCE vault, high severity, every detector on', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      mode: 'dry-run',
      evidenceRetentionDays: 2555,
      minimumSeverity: 7,
      protectedTag: { key: 'cordon:protected', value: 'true' },
      allowlistedPrincipals: [],
      breaker: { maxContainments: 10, windowMinutes: 60 },
      memberRoleNames: { isolation: 'CordonMemberIsolation', credentials: 'CordonMemberCredentials' },
      vault: {},
      notifications: { emails: [] },
      guardDuty: {
        enabled: true,
        publishingFrequency: 'FIFTEEN_MINUTES',
        features: {
          s3DataEvents: true,
          eksAuditLogs: true,
          ebsMalwareProtection: true,
          rdsLoginEvents: true,
          runtimeMonitoring: true,
          lambdaNetworkLogs: true,
        },
      },
      securityHub: {
        enabled: true,
        consolidatedControlFindings: true,
        standards: ['aws-foundational-security-best-practices/v/1.0.0', 'cis-aws-foundations-benchmark/v/3.0.0'],
      },
      cloudTrail: { enabled: true, trailName: 'cordon-trail' },
    });
    expect(config.organizationId).toBeUndefined();
  });

  it('treats a missing cordon key as the defaults', () => {
    expect(parseConfig(undefined)).toEqual(parseConfig({}));
  });

  it('keeps defaults for the keys a partial object leaves out', () => {
    const config = parseConfig({ guardDuty: { features: { lambdaNetworkLogs: false } }, mode: 'enforce' });
    expect(config.mode).toBe('enforce');
    expect(config.guardDuty.features).toMatchObject({ lambdaNetworkLogs: false, s3DataEvents: true });
    expect(config.guardDuty.publishingFrequency).toBe('FIFTEEN_MINUTES');
  });

  it('rejects a retention that is not a whole number of days', () => {
    expect(messageOf({ evidenceRetentionDays: '7y' })).toBe(
      'cordon.evidenceRetentionDays must be an integer >= 1, received "7y"',
    );
    expect(messageOf({ evidenceRetentionDays: 0 })).toBe('cordon.evidenceRetentionDays must be an integer >= 1, received 0');
  });

  it('rejects one role name for both member responders, and a break-glass principal that is not a principal ARN', () => {
    expect(messageOf({ memberRoleNames: { isolation: 'CordonMember', credentials: 'CordonMember' } })).toBe(
      'cordon.memberRoleNames must name two different roles, received {"isolation":"CordonMember","credentials":"CordonMember"}',
    );
    expect(messageOf({ vault: { breakGlassPrincipalArn: '*' } })).toBe('cordon.vault.breakGlassPrincipalArn must be an IAM principal ARN, received "*"');
    expect(messageOf({ memberRoleName: 'CordonMemberResponder' })).toBe('cordon.memberRoleName is not a known setting');
  });

  it('rejects an anchor without its security account or organization, in the security account itself, or half-configured', () => {
    expect(messageOf({ anchor: { account: '444455556666' } })).toBe(
      'cordon.anchor.securityAccount must be set with cordon.anchor.account: the account whose checkpoint writer puts the copies, received nothing; ' +
        'cordon.organizationId must be set with cordon.anchor.account: the anchor bucket admits its writer only from the organization (aws:PrincipalOrgID), received nothing',
    );
    expect(messageOf({ organizationId: 'o-abc1234567', anchor: { account: '111122223333', securityAccount: '111122223333' } })).toBe(
      'cordon.anchor.account must be another account than cordon.anchor.securityAccount: an anchor in the security account is rewritable by its administrators, received "111122223333"',
    );
    expect(messageOf({ anchor: { bucketName: 'my-anchor' } })).toBe('cordon.anchor.bucketName is only used with cordon.anchor.account (the log-archive account), received "my-anchor"');
    expect(messageOf({ organizationId: 'o-abc1234567', anchor: { account: '4444', securityAccount: '111122223333', retentionDays: 0 } })).toBe(
      'cordon.anchor.account must be a 12-digit account id, received "4444"; cordon.anchor.retentionDays must be an integer >= 1, received 0',
    );
  });

  it('keeps no anchor by default, and the configured one as given', () => {
    expect(parseConfig({}).anchor).toEqual({});
    expect(parseConfig({ organizationId: 'o-abc1234567', anchor: { account: '444455556666', securityAccount: '111122223333', region: 'eu-west-1' } }).anchor).toEqual({
      account: '444455556666',
      securityAccount: '111122223333',
      region: 'eu-west-1',
    });
  });

  it('rejects an unknown mode', () => {
    expect(messageOf({ mode: 'yolo' })).toBe('cordon.mode must be one of enforce, dry-run, off, received "yolo"');
  });

  it('rejects a severity outside 0-10', () => {
    expect(messageOf({ minimumSeverity: 11 })).toBe('cordon.minimumSeverity must be a number between 0 and 10, received 11');
  });

  it('rejects a malformed organization id', () => {
    expect(messageOf({ organizationId: 'org-1' })).toBe(
      'cordon.organizationId must be an organization id like o-abc1234567, received "org-1"',
    );
  });

  it('rejects an unknown publishing frequency', () => {
    expect(messageOf({ guardDuty: { publishingFrequency: 'HOURLY' } })).toBe(
      'cordon.guardDuty.publishingFrequency must be one of FIFTEEN_MINUTES, ONE_HOUR, SIX_HOURS, received "HOURLY"',
    );
  });

  it('rejects a feature switch that is not a boolean', () => {
    expect(messageOf({ guardDuty: { features: { s3DataEvents: 'yes' } } })).toBe(
      'cordon.guardDuty.features.s3DataEvents must be true or false, received "yes"',
    );
  });

  it('rejects an unknown Security Hub standard, naming its position', () => {
    expect(messageOf({ securityHub: { standards: ['aws-foundational-security-best-practices/v/1.0.0', 'pci'] } })).toMatch(
      /^cordon\.securityHub\.standards\[1\] must be one of aws-foundational-security-best-practices\/v\/1\.0\.0, .*, received "pci"$/,
    );
  });

  it('rejects a notification address that is not an email', () => {
    expect(messageOf({ notifications: { emails: ['soc@example.com', 'soc'] } })).toBe(
      'cordon.notifications.emails[1] must be an email address, received "soc"',
    );
  });

  it('rejects a misspelt key instead of ignoring it', () => {
    expect(messageOf({ evidenceRetentionDay: 30 })).toBe('cordon.evidenceRetentionDay is not a known setting');
  });

  it('rejects a non-object cordon value', () => {
    expect(messageOf('enforce')).toBe('cordon must be an object, received "enforce"');
  });

  it('reports every bad key at once', () => {
    expect(messageOf({ mode: 'on', cloudTrail: { trailName: 'x' } })).toBe(
      'cordon.mode must be one of enforce, dry-run, off, received "on"; ' +
        'cordon.cloudTrail.trailName must be a trail name of 3-128 letters, digits, ".", "_" or "-", received "x"',
    );
  });
});

describe('config from the CDK context', () => {
  const problemsOf = (context: Record<string, unknown>): readonly string[] => {
    try {
      configFromContext(context);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    }
    throw new Error('expected configFromContext to throw');
  };

  it('reads the cdk.json object as it is', () => {
    expect(configFromContext({ cordon: { mode: 'enforce' } }).mode).toBe('enforce');
  });

  it('parses the JSON string the CDK CLI passes for -c cordon=\'{...}\'', () => {
    const config = configFromContext({ cordon: '{"mode":"enforce","minimumSeverity":4}' });
    expect(config.mode).toBe('enforce');
    expect(config.minimumSeverity).toBe(4);
  });

  it('applies -c cordon.KEY=VALUE over the object, as JSON when it parses and as a string otherwise', () => {
    const config = configFromContext({
      cordon: { mode: 'dry-run', breaker: { windowMinutes: 30 } },
      'cordon.mode': 'enforce',
      'cordon.minimumSeverity': '5',
      'cordon.breaker.maxContainments': '3',
      'cordon.regions': '["eu-west-1"]',
    });
    expect(config).toMatchObject({ mode: 'enforce', minimumSeverity: 5, breaker: { maxContainments: 3, windowMinutes: 30 }, regions: ['eu-west-1'] });
  });

  it('leaves unrelated context keys alone', () => {
    expect(configFromContext({ 'aws:cdk:bundling-stacks': [], cordonx: 'y', cordon: {} }).mode).toBe('dry-run');
  });

  it('rejects JSON that does not parse, saying how to write it', () => {
    const [problem] = problemsOf({ cordon: "{mode:'enforce'}" });
    expect(problem).toMatch(/^cordon must be a JSON object \(-c cordon='\{"mode":"enforce"\}'\), received "\{mode:'enforce'\}": /);
  });

  it('rejects a dotted key under a value that is not an object', () => {
    expect(problemsOf({ cordon: { mode: 'enforce' }, 'cordon.mode.x': '1' })).toEqual([
      'cordon.mode.x cannot be set: cordon.mode is not an object, received "enforce"',
    ]);
  });

  it('reports every problem of the merged value as one list', () => {
    expect(problemsOf({ cordon: '{"mode":"on"}', 'cordon.minimumSeverity': '11', 'cordon.colour': 'red' })).toEqual([
      'cordon.mode must be one of enforce, dry-run, off, received "on"',
      'cordon.minimumSeverity must be a number between 0 and 10, received 11',
      'cordon.colour is not a known setting',
    ]);
  });
});
