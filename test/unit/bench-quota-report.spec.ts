import { quotaGoalMet, renderQuotaReport } from '../../bench/quota-report';
import type { QuotaResult } from '../../bench/quota-report';
import { QUOTA_SCENARIO, minimumMs } from '../../bench/quota-scenario';

// The bench's quota scenario (issue 23): its minimum, its goal and its line in BENCHMARKS.md, from given results.

const result = (overrides: Partial<QuotaResult> = {}): QuotaResult => ({
  settings: {
    writes: 120,
    windowMs: 2000,
    appWrites: 20,
    marginMs: 500,
    tenantWrites: 40,
    appCalls: 200,
    tenantCalls: 400,
    replicas: 3,
  },
  minimumMs: 10_000,
  wallMs: 10_600,
  spanMs: 10_200,
  done: 120,
  failed: {},
  accepted: 120,
  refused: 0,
  overLimit: 0,
  maxInWindow: 20,
  warnings: {},
  ...overrides,
});

it.each<[string, Parameters<typeof minimumMs>[0], number]>([
  [
    'six windows of writes: five windows between the first and the last',
    QUOTA_SCENARIO.full,
    10_000,
  ],
  [
    'one write more needs one window more',
    { writes: 121, windowMs: 2000, appWrites: 20, marginMs: 500 },
    12_000,
  ],
  [
    'what fits in one window takes no time',
    { writes: 20, windowMs: 2000, appWrites: 20, marginMs: 500 },
    0,
  ],
])('minimumMs: %s', (_name, settings, expected) => {
  expect(minimumMs(settings)).toBe(expected);
});

it.each<[string, Partial<QuotaResult>, boolean]>([
  ['all done within 1.1× the minimum, nothing over', {}, true],
  ['exactly 1.1× the minimum', { spanMs: 11_000 }, true],
  ['slower than 1.1× the minimum', { spanMs: 11_001 }, false],
  ['one call over the limit', { overLimit: 1 }, false],
  ['one write failed', { done: 119, failed: { THROTTLED: 1 } }, false],
])('the goal: %s → %s', (_name, overrides, met) => {
  expect(quotaGoalMet(result(overrides))).toBe(met);
});

it('renders the run as one row with its ratios, failures, warnings and verdict', () => {
  const report = renderQuotaReport(
    result({
      spanMs: 14_800,
      wallMs: 15_300,
      done: 118,
      failed: { THROTTLED: 2 },
      refused: 7,
      overLimit: 9,
      maxInWindow: 20,
      warnings: { 'quota store unreachable': 2 },
    }),
    '2026-12-04T00:00:00.000Z',
  );
  expect(report).toContain('Run 2026-12-04T00:00:00.000Z: 3 gateway replicas');
  expect(report).toContain('60 single updates spread over the replicas and 60 in one bulk');
  // Five windows of 2.5 s (2 s and the 500 ms margin): 12.5 s at the gateway's own pace.
  expect(report).toContain('so its own least time is 12.5 s: first → last write 1.18× of that.');
  expect(report).toContain(
    '| 120 | 118 | 2 THROTTLED | 10.0 s | 14.8 s | 1.48× | 15.3 s | 1.53× | 20 of 20 | 7 | 9 | 2 quota store unreachable |',
  );
  expect(report).toContain(
    "0 calls over the limit: **not met** at this scaled window, where the margin alone takes 1.25× (the goal is Intune's: see the run at its own window); within 1.1× the gateway's own least time: **not met**.",
  );
});

it.each<[string, Partial<QuotaResult>, string]>([
  [
    "a scaled window within 1.1× the gateway's own least time (12.5 s)",
    { spanMs: 13_750 },
    "calls over the limit: **not met** at this scaled window, where the margin alone takes 1.25× (the goal is Intune's: see the run at its own window); within 1.1× the gateway's own least time: met.",
  ],
  [
    'a scaled window with one call over the limit',
    { spanMs: 12_600, overLimit: 1 },
    "within 1.1× the gateway's own least time: **not met**.",
  ],
  [
    "Intune's own window: the goal alone",
    {
      settings: { ...result().settings, windowMs: 20_000, appWrites: 100, writes: 600 },
      minimumMs: 100_000,
      spanMs: 102_900,
      done: 600,
    },
    '0 calls over the limit: met.',
  ],
])('the verdict line: %s', (_name, overrides, expected) => {
  expect(renderQuotaReport(result(overrides), '2026-12-04T00:00:00.000Z')).toContain(expected);
});
