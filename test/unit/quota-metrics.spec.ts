import { Registry } from 'prom-client';
import { createQuotaMetrics } from '../../src/observability/quota-metrics';

function setup() {
  const registry = new Registry();
  const lines: [string, string, Record<string, unknown> | undefined][] = [];
  const hooks = createQuotaMetrics(registry, (level, message, fields) =>
    lines.push([level, message, fields]),
  );
  const value = async (name: string, labels: Record<string, string> = {}) => {
    const metric = (await registry.getMetricsAsJSON()).find((entry) => entry.name === name);
    const sample = (metric?.values ?? []).find((entry) =>
      Object.entries(labels).every(([key, wanted]) => String(entry.labels[key]) === wanted),
    );
    return sample?.value;
  };
  return { registry, hooks, lines, value };
}

describe('createQuotaMetrics', () => {
  it('records waits by kind, with a debug line only over a second', async () => {
    const { hooks, lines, value } = setup();
    hooks.waited!(0, 'read');
    hooks.waited!(1_000, 'write');
    hooks.waited!(1_500, 'write');
    expect(await value('intune_gateway_quota_wait_seconds', { kind: 'write', le: '1' })).toBe(1);
    expect(await value('intune_gateway_quota_wait_seconds', { kind: 'write', le: '2.5' })).toBe(2);
    expect(await value('intune_gateway_quota_wait_seconds', { kind: 'read', le: '0.001' })).toBe(1);
    expect(lines).toEqual([
      ['debug', 'graph call waited for quota budget', { waitedMs: 1_500, kind: 'write' }],
    ]);
  });

  it('counts refusals by kind and store errors', async () => {
    const { hooks, value } = setup();
    hooks.refused!('write');
    hooks.refused!('write');
    hooks.refused!('read');
    hooks.storeError!(new Error('x'));
    expect(await value('intune_gateway_quota_refused_total', { kind: 'write' })).toBe(2);
    expect(await value('intune_gateway_quota_refused_total', { kind: 'read' })).toBe(1);
    expect(await value('intune_gateway_quota_store_errors_total')).toBe(1);
  });

  it('one warning with the last error (type, code, message only) on fallback, one line on recovery', async () => {
    const { hooks, lines, value } = setup();
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), {
      code: 'ECONNREFUSED',
      command: { name: 'auth', args: ['hunter2'] },
    });
    hooks.storeError!(error);
    hooks.fallback!(true);
    expect(await value('intune_gateway_quota_fallback_active')).toBe(1);
    hooks.fallback!(false);
    expect(await value('intune_gateway_quota_fallback_active')).toBe(0);
    expect(lines).toEqual([
      [
        'warn',
        "quota store unreachable: pacing Graph calls in-process, to this replica's share of the limits, until it is back",
        {
          error: {
            type: 'Error',
            message: 'connect ECONNREFUSED 127.0.0.1:6379',
            code: 'ECONNREFUSED',
          },
        },
      ],
      [
        'info',
        'quota store reachable again: pacing Graph calls shared with other replicas',
        undefined,
      ],
    ]);
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  it('the warning says the share of the limits the replica now paces to', () => {
    const lines: unknown[][] = [];
    const limits = {
      windowMs: 20_500,
      appWrites: 33,
      tenantWrites: 66,
      appCalls: 333,
      tenantCalls: 666,
    };
    const hooks = createQuotaMetrics(new Registry(), (...line) => lines.push(line), {
      replicas: 3,
      limits,
    });
    hooks.fallback!(true);
    expect(lines[0]![2]).toEqual({
      error: { type: 'undefined' },
      replicas: 3,
      share: { appWrites: 33, tenantWrites: 66, appCalls: 333, tenantCalls: 666 },
    });
  });

  it('exposes the four metrics in the Prometheus text format', async () => {
    const { registry } = setup();
    const text = await registry.metrics();
    for (const name of [
      'intune_gateway_quota_wait_seconds',
      'intune_gateway_quota_refused_total',
      'intune_gateway_quota_store_errors_total',
      'intune_gateway_quota_fallback_active',
    ])
      expect(text).toContain(`# TYPE ${name} `);
  });

  it('the adaptive limit: the lowest in force, how many are lowered, each decrease; a line per change', async () => {
    const { hooks, lines, value } = setup();
    const change = { tenant: 't', app: 'a', kind: 'write' as const, base: 100 };
    hooks.limitChanged!({ ...change, limit: 50, cause: 'throttled', lowest: 50, lowered: 1 });
    hooks.limitChanged!({ ...change, app: 'b', limit: 50, cause: 'block', lowest: 50, lowered: 2 });
    expect(await value('intune_gateway_quota_effective_limit', { kind: 'write' })).toBe(50);
    expect(await value('intune_gateway_quota_lowered_limits', { kind: 'write' })).toBe(2);
    hooks.limitChanged!({ ...change, limit: 55, cause: 'raised', lowest: 50, lowered: 2 });
    hooks.limitChanged!({ ...change, limit: 100, cause: 'raised', lowest: 50, lowered: 1 });
    expect(await value('intune_gateway_quota_lowered_limits', { kind: 'write' })).toBe(1);
    expect(
      await value('intune_gateway_quota_limit_decreases_total', {
        kind: 'write',
        cause: 'throttled',
      }),
    ).toBe(1);
    expect(
      await value('intune_gateway_quota_limit_decreases_total', { kind: 'write', cause: 'block' }),
    ).toBe(1);
    const fields = (limit: number, cause: string, app = 'a') => ({
      tenant: 't',
      app,
      kind: 'write',
      limit,
      configured: 100,
      cause,
    });
    const lowering =
      "Graph throttled below the gateway's limit: lowering it for this tenant and app";
    expect(lines).toEqual([
      ['warn', lowering, fields(50, 'throttled')],
      ['warn', lowering, fields(50, 'block', 'b')],
      ['debug', 'quota limit raised after a window without 429', fields(55, 'raised')],
      ['info', 'quota limit back to the configured one', fields(100, 'raised')],
    ]);
  });
});
