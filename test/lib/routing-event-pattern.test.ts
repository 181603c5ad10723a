import { matchesEventPattern, UnsupportedPatternError } from '../../lib/event-pattern';

const finding = {
  source: 'aws.guardduty',
  'detail-type': 'GuardDuty Finding',
  resources: [],
  detail: {
    type: 'Backdoor:EC2/Spambot',
    severity: 5,
    resource: { resourceType: 'Instance', instanceDetails: { tags: [{ key: 'env', value: 'prod' }, { key: 'team', value: 'web' }] } },
    service: { additionalInfo: { sample: true } },
  },
};

describe('event pattern matcher', () => {
  describe('exact values', () => {
    it('matches a value in the list (OR)', () => {
      expect(matchesEventPattern({ source: ['aws.health', 'aws.guardduty'] }, finding)).toBe(true);
    });
    it('rejects a value not in the list, and is case-sensitive', () => {
      expect(matchesEventPattern({ source: ['aws.health'] }, finding)).toBe(false);
      expect(matchesEventPattern({ source: ['AWS.GuardDuty'] }, finding)).toBe(false);
    });
    it('requires every key (AND) and compares numbers and booleans by value', () => {
      expect(matchesEventPattern({ source: ['aws.guardduty'], detail: { severity: [5], service: { additionalInfo: { sample: [true] } } } }, finding)).toBe(true);
      expect(matchesEventPattern({ source: ['aws.guardduty'], 'detail-type': ['AWS API Call via CloudTrail'] }, finding)).toBe(false);
      expect(matchesEventPattern({ detail: { severity: ['5'] } }, finding)).toBe(false);
    });
    it('rejects a missing field', () => {
      expect(matchesEventPattern({ detail: { title: ['x'] } }, finding)).toBe(false);
    });
  });

  describe('prefix', () => {
    it('matches the start of a string', () => {
      expect(matchesEventPattern({ detail: { type: [{ prefix: 'Backdoor:EC2/' }] } }, finding)).toBe(true);
    });
    it('rejects another start, a substring in the middle, and non-strings', () => {
      expect(matchesEventPattern({ detail: { type: [{ prefix: 'Backdoor:Lambda/' }] } }, finding)).toBe(false);
      expect(matchesEventPattern({ detail: { type: [{ prefix: 'EC2/' }] } }, finding)).toBe(false);
      expect(matchesEventPattern({ detail: { severity: [{ prefix: '5' }] } }, finding)).toBe(false);
    });
  });

  describe('numeric', () => {
    it.each([
      [['>=', 5], true],
      [['>=', 5.1], false],
      [['>', 4.9], true],
      [['>', 5], false],
      [['<', 5.1], true],
      [['<', 5], false],
      [['<=', 5], true],
      [['<=', 4], false],
      [['=', 5], true],
      [['=', 5.5], false],
      [['>', 0, '<=', 5], true],
      [['>', 0, '<', 5], false],
    ])('%j on severity 5 is %s', (spec, expected) => {
      expect(matchesEventPattern({ detail: { severity: [{ numeric: spec }] } }, finding)).toBe(expected);
    });
    it('rejects a numeric string (EventBridge compares JSON numbers only)', () => {
      expect(matchesEventPattern({ detail: { severity: [{ numeric: ['>=', 1] }] } }, { detail: { severity: '8.0' } })).toBe(false);
    });
    it('rejects a malformed numeric matcher', () => {
      expect(() => matchesEventPattern({ detail: { severity: [{ numeric: ['>='] }] } }, finding)).toThrow(UnsupportedPatternError);
      expect(() => matchesEventPattern({ detail: { severity: [{ numeric: ['~', 1] }] } }, finding)).toThrow(UnsupportedPatternError);
    });
  });

  describe('exists', () => {
    it('exists:true matches a present leaf only', () => {
      expect(matchesEventPattern({ detail: { type: [{ exists: true }] } }, finding)).toBe(true);
      expect(matchesEventPattern({ detail: { title: [{ exists: true }] } }, finding)).toBe(false);
    });
    it('exists:false matches an absent field only', () => {
      expect(matchesEventPattern({ detail: { title: [{ exists: false }] } }, finding)).toBe(true);
      expect(matchesEventPattern({ detail: { type: [{ exists: false }] } }, finding)).toBe(false);
    });
    it('exists:true does not match an object (intermediate node)', () => {
      expect(matchesEventPattern({ detail: { resource: [{ exists: true }] } }, finding)).toBe(false);
    });
  });

  describe('anything-but', () => {
    it('matches a present value outside the list', () => {
      expect(matchesEventPattern({ 'detail-type': [{ 'anything-but': ['AWS API Call via CloudTrail'] }] }, finding)).toBe(true);
      expect(matchesEventPattern({ detail: { severity: [{ 'anything-but': 8 }] } }, finding)).toBe(true);
    });
    it('rejects a listed value and a missing field', () => {
      expect(matchesEventPattern({ 'detail-type': [{ 'anything-but': ['GuardDuty Finding'] }] }, finding)).toBe(false);
      expect(matchesEventPattern({ detail: { title: [{ 'anything-but': ['x'] }] } }, finding)).toBe(false);
    });
    it('supports a prefix exclusion', () => {
      expect(matchesEventPattern({ detail: { type: [{ 'anything-but': { prefix: 'Recon:' } }] } }, finding)).toBe(true);
      expect(matchesEventPattern({ detail: { type: [{ 'anything-but': { prefix: 'Backdoor:' } }] } }, finding)).toBe(false);
    });
  });

  describe('nested objects and arrays', () => {
    it('matches when any element of an array in the event matches', () => {
      expect(matchesEventPattern({ resources: ['arn:b'] }, { resources: ['arn:a', 'arn:b'] })).toBe(true);
      expect(matchesEventPattern({ resources: ['arn:c'] }, { resources: ['arn:a', 'arn:b'] })).toBe(false);
      expect(matchesEventPattern({ resources: ['arn:a'] }, { resources: [] })).toBe(false);
    });
    it('descends into arrays of objects', () => {
      const pattern = { detail: { resource: { instanceDetails: { tags: { key: ['team'], value: ['web'] } } } } };
      expect(matchesEventPattern(pattern, finding)).toBe(true);
      const wrong = { detail: { resource: { instanceDetails: { tags: { key: ['owner'] } } } } };
      expect(matchesEventPattern(wrong, finding)).toBe(false);
    });
    it('rejects a nested pattern against a scalar', () => {
      expect(matchesEventPattern({ source: { name: ['aws.guardduty'] } }, finding)).toBe(false);
    });
  });

  describe('events without an envelope', () => {
    it('skips a bare finding: it has no source or detail-type', () => {
      expect(matchesEventPattern({ source: ['aws.guardduty'], detail: { type: [{ prefix: 'Backdoor:' }] } }, finding.detail)).toBe(false);
    });
    it('skips values that are not objects', () => {
      expect(matchesEventPattern({ source: ['aws.guardduty'] }, null)).toBe(false);
      expect(matchesEventPattern({ source: ['aws.guardduty'] }, [finding])).toBe(false);
    });
  });

  it('rejects what it does not understand instead of guessing', () => {
    expect(() => matchesEventPattern({ source: 'aws.guardduty' }, finding)).toThrow(UnsupportedPatternError);
    expect(() => matchesEventPattern({ source: [{ cidr: '10.0.0.0/8' }] }, finding)).toThrow(UnsupportedPatternError);
    expect(() => matchesEventPattern({ source: [{ prefix: 'a', suffix: 'b' }] }, finding)).toThrow(UnsupportedPatternError);
    expect(() => matchesEventPattern({}, finding)).toThrow(UnsupportedPatternError);
  });
});
