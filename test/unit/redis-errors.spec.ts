import { redisErrorNode, redisErrorWords } from '../../src/redis/errors';
import type { RedisSettings } from '../../src/redis/settings';

const single: RedisSettings = { mode: 'single', url: 'rediss://:p%40ss%2Fw0rd@cache.example:6380' };
const sentinel: RedisSettings = {
  mode: 'sentinel',
  sentinels: [{ host: '10.0.0.11', port: 26379 }],
  name: 'mymaster',
  auth: { password: 'master-secret', tls: false },
  db: 0,
  sentinelPassword: 'sentinel-secret',
};

describe('redisErrorNode', () => {
  it.each([
    ['a socket error: its address and port', { address: '10.0.0.5', port: 6379 }, '10.0.0.5:6379'],
    ['an IPv6 address, in brackets', { address: '::1', port: 6380 }, '[::1]:6380'],
    [
      "a Cluster's error: its last node error's",
      { lastNodeError: { address: '10.0.0.6', port: 7000 } },
      '10.0.0.6:7000',
    ],
    ['none named (a reply error): the endpoint', new Error('OOM …'), 'cache.example:6380'],
  ])('%s', (_name, error, node) => {
    expect(redisErrorNode(error, single)).toBe(node);
  });

  it("with Sentinel and no address: the master group's name", () => {
    expect(redisErrorNode(new Error('x'), sentinel)).toBe('sentinel master "mymaster"');
  });
});

describe('redisErrorWords', () => {
  it('the first line, at most 200 characters', () => {
    expect(redisErrorWords(`first line\n    at stack (file.js:1:1)`, single)).toBe('first line');
    expect(redisErrorWords('x'.repeat(300), single)).toHaveLength(200);
  });

  it('any password of the settings masked, as given and URL-encoded, before the cut', () => {
    const text = 'failed rediss://:p%40ss%2Fw0rd@cache.example:6380 with p@ss/w0rd';
    expect(redisErrorWords(text, single)).toBe(
      'failed rediss://:[redacted]@cache.example:6380 with [redacted]',
    );
    const long = `${'y'.repeat(195)}p@ss/w0rd`;
    expect(redisErrorWords(long, single)).toBe(`${'y'.repeat(195)}[reda`);
  });

  it("Sentinel: the master's and the sentinels' passwords", () => {
    expect(redisErrorWords('master-secret and sentinel-secret', sentinel)).toBe(
      '[redacted] and [redacted]',
    );
  });
});
