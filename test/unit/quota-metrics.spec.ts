import { Registry } from 'prom-client';
import { QuotaStoreTimeoutError } from '../../src/graph/quota';
import { QuotaStoreError } from '../../src/graph/quota/store';
import { createQuotaMetrics, storeFailure } from '../../src/observability/quota-metrics';

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

  it('one warning naming the cause on fallback, one line with the time spent on recovery', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const { hooks, lines, value } = setup();
      const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), {
        code: 'ECONNREFUSED',
        command: { name: 'auth', args: ['hunter2'] },
      });
      hooks.storeError!(
        new QuotaStoreError('connection refused to 127.0.0.1:6379', 'unreachable', { cause }),
      );
      hooks.fallback!(true);
      expect(await value('intune_gateway_quota_fallback_active')).toBe(1);
      jest.advanceTimersByTime(2_500);
      hooks.fallback!(false);
      expect(await value('intune_gateway_quota_fallback_active')).toBe(0);
      expect(lines).toEqual([
        [
          'warn',
          "quota store unreachable: pacing Graph calls in-process, to this replica's share of what is left, until it is back",
          { cause: 'connection refused to 127.0.0.1:6379', reason: 'unreachable' },
        ],
        [
          'info',
          'quota store reachable again: its grants written back, pacing Graph calls shared with other replicas',
          { fallbackSeconds: 2.5 },
        ],
      ]);
      expect(JSON.stringify(lines)).not.toContain('hunter2');
      expect(await value('intune_gateway_quota_fallback_seconds_total')).toBe(2.5);
    } finally {
      jest.useRealTimers();
    }
  });

  it.each<[string, unknown, string, string]>([
    // name, what the store reported, the cause logged, the reason counted
    ['a timeout', new QuotaStoreTimeoutError(1_000), 'timeout after 1000 ms', 'timeout'],
    [
      'a refused connection',
      new QuotaStoreError('connection refused to redis:6379', 'unreachable'),
      'connection refused to redis:6379',
      'unreachable',
    ],
    ['an error of another kind: its type only', new TypeError('secret text'), 'TypeError', 'error'],
    ['an object: never [object Object]', { password: 'hunter2' }, 'object', 'error'],
    ['nothing reported', undefined, 'unknown', 'error'],
  ])('the cause of %s', async (_name, error, cause, reason) => {
    const { hooks, lines, value } = setup();
    hooks.storeError!(error);
    hooks.fallback!(true);
    expect(lines[0]![2]).toEqual({ cause, reason });
    expect(await value('intune_gateway_quota_fallbacks_total', { reason })).toBe(1);
    expect(storeFailure(error)).toEqual({ cause, reason });
  });

  it('the store state: absent without Redis; shared, then fallback, then shared again with Redis', async () => {
    const { value } = setup();
    expect(await value('intune_gateway_quota_store_state', { state: 'shared' })).toBeUndefined();
    const registry = new Registry();
    const limits = { windowMs: 1_000, appWrites: 1, tenantWrites: 1, appCalls: 1, tenantCalls: 1 };
    const hooks = createQuotaMetrics(registry, () => {}, { replicas: 1, limits });
    const state = async (): Promise<Record<string, number>> => {
      const metric = (await registry.getMetricsAsJSON()).find(
        (entry) => entry.name === 'intune_gateway_quota_store_state',
      );
      const samples = (metric?.values ?? []) as Array<{
        labels: { state?: unknown };
        value: number;
      }>;
      return Object.fromEntries(
        samples.map((sample) => [String(sample.labels.state), sample.value]),
      );
    };
    expect(await state()).toEqual({ shared: 1, fallback: 0 });
    hooks.fallback!(true);
    expect(await state()).toEqual({ shared: 0, fallback: 1 });
    hooks.fallback!(false);
    expect(await state()).toEqual({ shared: 1, fallback: 0 });
  });

  it('the seconds spent falling back are counted up to the scrape, not only when it ends', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const { hooks, value } = setup();
      hooks.fallback!(true);
      jest.advanceTimersByTime(1_500);
      expect(await value('intune_gateway_quota_fallback_seconds_total')).toBe(1.5);
      jest.advanceTimersByTime(1_000);
      hooks.fallback!(false);
      jest.advanceTimersByTime(5_000);
      expect(await value('intune_gateway_quota_fallback_seconds_total')).toBe(2.5);
    } finally {
      jest.useRealTimers();
    }
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
      cause: 'unknown',
      reason: 'error',
      replicas: 3,
      share: { appWrites: 33, tenantWrites: 66, appCalls: 333, tenantCalls: 666 },
    });
  });

  it('exposes the quota metrics in the Prometheus text format', async () => {
    const { registry } = setup();
    const text = await registry.metrics();
    for (const name of [
      'intune_gateway_quota_wait_seconds',
      'intune_gateway_quota_refused_total',
      'intune_gateway_quota_store_errors_total',
      'intune_gateway_quota_fallback_active',
      'intune_gateway_quota_store_state',
      'intune_gateway_quota_fallbacks_total',
      'intune_gateway_quota_fallback_seconds_total',
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
