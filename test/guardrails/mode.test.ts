import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { ModeUnavailableError, ssmModeReader } from '../../lambdas/guardrails/mode';
import { authorizeAs } from '../support/authz';

authorizeAs('isolation', 'credentials');

const ssm = mockClient(SSMClient);
const reader = (now: () => number) => ssmModeReader({ ssm: new SSMClient({}), parameterName: '/cordon/mode', ttlMs: 30_000, now });

describe('mode (kill switch)', () => {
  beforeEach(() => ssm.reset());

  it('reads the mode from the SSM parameter', async () => {
    ssm.on(GetParameterCommand, { Name: '/cordon/mode' }).resolves({ Parameter: { Value: 'enforce' } });
    await expect(reader(() => 0)()).resolves.toBe('enforce');
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: '/cordon/mode' });
  });

  it('caches a read value for the ttl, then reads again', async () => {
    ssm.on(GetParameterCommand).resolvesOnce({ Parameter: { Value: 'enforce' } }).resolves({ Parameter: { Value: 'off' } });
    let t = 0;
    const mode = reader(() => t);
    await expect(mode()).resolves.toBe('enforce');
    t = 29_999;
    await expect(mode()).resolves.toBe('enforce');
    t = 30_000;
    await expect(mode()).resolves.toBe('off');
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 2);
  });

  it('rejects an unknown value instead of defaulting (fails closed)', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'ENFORCE!' } });
    await expect(reader(() => 0)()).rejects.toThrow(
      new ModeUnavailableError('mode parameter /cordon/mode must be one of enforce, dry-run, off, received "ENFORCE!": acting on nothing'),
    );
  });

  it('rejects when the parameter cannot be read, and does not cache the failure', async () => {
    ssm.on(GetParameterCommand).rejectsOnce(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' })).resolves({
      Parameter: { Value: 'dry-run' },
    });
    const mode = reader(() => 0);
    await expect(mode()).rejects.toThrow(
      'mode parameter /cordon/mode is unreadable (AccessDeniedException: User is not authorized): acting on nothing',
    );
    await expect(mode()).resolves.toBe('dry-run');
  });

  it('rejects a missing value', async () => {
    ssm.on(GetParameterCommand).resolves({});
    await expect(reader(() => 0)()).rejects.toThrow('received null: acting on nothing');
  });
});
