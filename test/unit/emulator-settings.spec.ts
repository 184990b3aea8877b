import { parseConfigurePatch } from '../../emulator/admin';
import { emulatorOptionsFromEnv } from '../../emulator/options';
import {
  MODE_PRESETS,
  createSettings,
  parseSettingsPatch,
  updateSettings,
} from '../../emulator/settings';

describe('emulator settings', () => {
  it('friendly by default; intune mode is the realistic preset', () => {
    expect(createSettings()).toEqual(MODE_PRESETS.friendly);
    expect(createSettings({ mode: 'intune' })).toEqual({
      mode: 'intune',
      patchResponse: 'no-content',
      top: 'ignore',
      pageSize: 3,
      filter: 'ignore',
      nextLinks: 'intune',
      errors: 'intune',
      navigation: 'metadata',
      throttleRetryAfter: true,
      retryAfterMissing: 0,
      retryAfterFormat: 'seconds',
      refusedCalls: 'counted',
      throttle: 'hold',
    });
    expect(createSettings({ mode: 'intune', filter: 'reject', pageSize: 5 })).toMatchObject({
      mode: 'intune',
      filter: 'reject',
      pageSize: 5,
      top: 'ignore',
    });
  });

  it('naming a mode starts from its preset; other changes keep the rest', () => {
    const settings = createSettings({ mode: 'intune', pageSize: 7 });
    updateSettings(settings, { filter: 'reject' });
    expect(settings).toMatchObject({ mode: 'intune', pageSize: 7, filter: 'reject' });
    updateSettings(settings, { mode: 'friendly', patchResponse: 'no-content' });
    expect(settings).toEqual({ ...MODE_PRESETS.friendly, patchResponse: 'no-content' });
  });

  it.each([
    [[], 'settings must be a JSON object'],
    [{ mode: 'strict' }, 'mode must be one of "friendly", "intune", got "strict"'],
    [{ pageSize: 0 }, 'pageSize must be a whole number from 1 to 999, got 0'],
    [{ pageSize: '3' }, 'pageSize must be a whole number from 1 to 999, got "3"'],
    [{ filter: 'maybe' }, 'filter must be one of "apply", "ignore", "reject"'],
    [{ throttleRetryAfter: 'yes' }, 'throttleRetryAfter must be one of true, false'],
    [{ retryAfterMissing: -0.1 }, 'retryAfterMissing must be a number from 0 to 1, got -0.1'],
    [{ retryAfterMissing: null }, 'retryAfterMissing must be a number from 0 to 1, got null'],
    [{ retryAfterFormat: 'minutes' }, 'retryAfterFormat must be one of "milliseconds", "seconds"'],
    [{ refusedCalls: 'charged' }, 'refusedCalls must be one of "free", "counted"'],
    [{ throttle: true }, 'throttle must be one of "window", "hold", got true'],
    [{ colour: 'blue' }, 'unknown setting "colour"'],
  ])('refuses %j', (input, message) => {
    expect(() => parseSettingsPatch(input)).toThrow(message);
  });

  it('reads settings and quotas together, as the admin API takes them', () => {
    expect(parseConfigurePatch({ mode: 'intune', quotas: { appWrites: 5 } })).toEqual({
      mode: 'intune',
      quotas: { appWrites: 5 },
    });
    expect(() => parseConfigurePatch({ quotas: { appWrites: -1 } })).toThrow('quotas.appWrites');
  });
});

describe('emulatorOptionsFromEnv', () => {
  it('has the demo defaults: friendly, port 4010, Intune quotas on', () => {
    expect(emulatorOptionsFromEnv({})).toEqual({
      port: 4010,
      host: '127.0.0.1',
      quotas: { enabled: true },
      faults: [],
    });
  });

  it('reads every setting', () => {
    expect(
      emulatorOptionsFromEnv(
        {
          EMULATOR_PORT: '0',
          EMULATOR_HOST: '0.0.0.0',
          EMULATOR_MODE: 'friendly',
          EMULATOR_PAGE_SIZE: '4',
          EMULATOR_FILTER: 'reject',
          EMULATOR_RETRY_AFTER_MISSING: '0.25',
          EMULATOR_QUOTAS: 'off',
          EMULATOR_QUOTA_WINDOW_MS: '3000',
          EMULATOR_QUOTA_APP_WRITES: '10',
          EMULATOR_QUOTA_TENANT_WRITES: '20',
          EMULATOR_QUOTA_APP_CALLS: '30',
          EMULATOR_QUOTA_TENANT_CALLS: '40',
        },
        ['--mode', 'intune', '--faults', 'PATCH /userStatuses/ status=429 times=1'],
      ),
    ).toEqual({
      port: 0,
      host: '0.0.0.0',
      mode: 'intune',
      pageSize: 4,
      filter: 'reject',
      retryAfterMissing: 0.25,
      quotas: {
        enabled: false,
        windowMs: 3000,
        appWrites: 10,
        tenantWrites: 20,
        appCalls: 30,
        tenantCalls: 40,
      },
      faults: [{ method: 'PATCH', path: '/userStatuses/', status: 429, times: 1 }],
    });
  });

  it.each([
    [{ EMULATOR_PORT: '70000' }, [], 'EMULATOR_PORT must be a port number, got "70000"'],
    [{ EMULATOR_MODE: 'real' }, [], 'emulator settings: mode must be one of'],
    [{}, ['--mode', 'real'], 'emulator settings: mode must be one of'],
    [{ EMULATOR_PAGE_SIZE: '1000' }, [], 'EMULATOR_PAGE_SIZE must be a whole number from 1 to 999'],
    [{ EMULATOR_FILTER: 'no' }, [], 'emulator settings: filter must be one of'],
    [
      { EMULATOR_RETRY_AFTER_MISSING: '1.5' },
      [],
      'emulator settings: retryAfterMissing must be a number from 0 to 1, got 1.5',
    ],
    [
      { EMULATOR_RETRY_AFTER_MISSING: 'half' },
      [],
      'emulator settings: retryAfterMissing must be a number from 0 to 1, got "half"',
    ],
    [{ EMULATOR_QUOTAS: 'on' }, [], 'EMULATOR_QUOTAS must be "intune" or "off", got "on"'],
    [{ EMULATOR_QUOTA_APP_WRITES: '0' }, [], 'EMULATOR_QUOTA_APP_WRITES must be a whole number'],
    [{ EMULATOR_QUOTA_WINDOW_MS: '2s' }, [], 'EMULATOR_QUOTA_WINDOW_MS must be a whole number'],
    [{}, ['--faults', 'GET * nonsense=1'], '--faults: unknown fault key "nonsense"'],
  ])('refuses %j %j', (env, argv, message) => {
    expect(() => emulatorOptionsFromEnv(env, argv)).toThrow(message);
  });
});
