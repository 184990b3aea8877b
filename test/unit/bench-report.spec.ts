import { PortTakenMeanwhile, exitReason } from '../../bench/lib';
import { renderReport } from '../../bench/report';
import type { BenchResults, LoadResult } from '../../bench/report';

// The bench's report: the round-by-round spread of gateway ÷ bare at c=64, from the rounds in their order.

function load(target: string, latencyMs: number, connections: number, rps: number): LoadResult {
  return {
    target,
    connections,
    latencyMs,
    requests: rps * 5,
    seconds: 5,
    p50: 1,
    p99: 2,
    cpuMsPerRequest: 0.5,
    errors: 0,
  };
}

/** Rounds in the bench's order (gateway, bare, apollo per round), with the gateway's and bare's req/s given. */
function results(rounds: Record<number, Array<[number, number]>>): BenchResults {
  const loads: LoadResult[] = [];
  for (const [latency, pairs] of Object.entries(rounds))
    for (const connections of [1, 64])
      for (const [gateway, bare] of connections === 64 ? pairs : [[100, 200] as [number, number]])
        loads.push(
          load('gateway', Number(latency), connections, gateway),
          load('bare', Number(latency), connections, bare),
          load('apollo', Number(latency), connections, 100),
        );
  return {
    date: '2026-11-29T00:00:00.000Z',
    mode: 'full',
    machine: { cores: 2, cpu: 'test', node: 'v20', platform: 'linux' },
    settings: { gatewayLogLevel: 'info' },
    loads,
    batches: [],
    memory: { rssIdleMb: 90, rssAfterLoadMb: 150 },
  };
}

it.each<[string, Record<number, Array<[number, number]>>, string | null]>([
  [
    'median, lowest and highest of the rounds, per latency',
    {
      0: [
        [400, 1000],
        [300, 1000],
        [500, 1000],
      ],
      20: [
        [1500, 2500],
        [1600, 2000],
        [1200, 2400],
      ],
    },
    'Gateway ÷ bare round by round at c=64: 0 ms: median 0.40× (0.30–0.50×, 3 rounds); 20 ms: median 0.60× (0.50–0.80×, 3 rounds).',
  ],
  [
    'an even count: the mean of the middle two',
    {
      20: [
        [500, 1000],
        [700, 1000],
      ],
    },
    'Gateway ÷ bare round by round at c=64: 20 ms: median 0.60× (0.50–0.70×, 2 rounds).',
  ],
  ['one round says nothing of the spread', { 0: [[400, 1000]] }, null],
])('%s', (_name, rounds, expected) => {
  const report = renderReport(results(rounds));
  const line =
    report.split('\n').find((text) => text.startsWith('Gateway ÷ bare round by round')) ?? null;

  expect(line).toBe(expected);
});

describe('exitReason: why a gateway process exited before serving', () => {
  const exited = new Error('process exited with 1 before serving');
  const inUse =
    'Gateway failed to start: port 41234 (PORT, the gateway) is already in use, perhaps by another gateway. Pick a free port with PORT, for example PORT=41334.';
  it.each([
    ['nothing logged', [], 'process exited with 1 before serving', false],
    [
      'its port taken meanwhile: started again elsewhere',
      [
        { level: 30, msg: 'draining' },
        { level: 60, msg: inUse },
      ],
      `process exited with 1 before serving: ${inUse}`,
      true,
    ],
    [
      'another fatal line: reported, not retried',
      [{ level: 60, msg: 'REDIS_TLS_KEY_FILE does not match REDIS_TLS_CERT_FILE' }],
      'process exited with 1 before serving: REDIS_TLS_KEY_FILE does not match REDIS_TLS_CERT_FILE',
      false,
    ],
    [
      'a line that is not JSON',
      [{ msg: 'Error: Cannot find module' }],
      'process exited with 1 before serving: Error: Cannot find module',
      false,
    ],
  ])('%s', (_name, logs, message, retried) => {
    const reason = exitReason(exited, logs);
    expect(reason.message).toBe(message);
    expect(reason instanceof PortTakenMeanwhile).toBe(retried);
  });
});
