import { clusterOptions, sentinelOptions, singleOptions } from '../../src/redis/connection';
import { describeRedis, parseNode, readRedisSettings } from '../../src/redis/settings';
import { firstTlsNode, handshakeProblem } from '../../src/redis/tls-check';
import type { RedisEnv } from '../../src/redis/settings';

const SECRET = 's3cr3t-pw';

describe('readRedisSettings: one Redis, a cluster, or Sentinel', () => {
  it.each<[string, RedisEnv, unknown]>([
    ['nothing set: no Redis', {}, null],
    [
      'a plain URL',
      { REDIS_URL: 'redis://cache:6379/2' },
      { mode: 'single', url: 'redis://cache:6379/2' },
    ],
    [
      'a cluster through a TLS seed with credentials',
      { REDIS_URL: `rediss://app:${SECRET}@node1:6380`, REDIS_CLUSTER: 'true' },
      {
        mode: 'cluster',
        seed: { host: 'node1', port: 6380 },
        auth: { username: 'app', password: SECRET, tls: true },
      },
    ],
    [
      'a cluster seed without a port: 6379',
      { REDIS_URL: 'redis://node1', REDIS_CLUSTER: 'TRUE' },
      { mode: 'cluster', seed: { host: 'node1', port: 6379 }, auth: { tls: false } },
    ],
    [
      'a percent-encoded password is decoded',
      { REDIS_URL: 'redis://:p%40ss@node1:7000', REDIS_CLUSTER: 'true' },
      {
        mode: 'cluster',
        seed: { host: 'node1', port: 7000 },
        auth: { password: 'p@ss', tls: false },
      },
    ],
    [
      'sentinels with every companion',
      {
        REDIS_SENTINELS: 's1:26379, s2:26379,[::1]:26380',
        REDIS_SENTINEL_NAME: 'mymaster',
        REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
        REDIS_USERNAME: 'app',
        REDIS_PASSWORD: SECRET,
        REDIS_TLS: 'true',
        REDIS_DB: '3',
      },
      {
        mode: 'sentinel',
        sentinels: [
          { host: 's1', port: 26379 },
          { host: 's2', port: 26379 },
          { host: '::1', port: 26380 },
        ],
        name: 'mymaster',
        auth: { username: 'app', password: SECRET, tls: true },
        db: 3,
        sentinelPassword: 'sentinel-pw',
      },
    ],
  ])('%s', (_name, env, settings) => {
    expect(readRedisSettings(env)).toEqual({ ok: true, settings });
  });

  it.each<[string, RedisEnv, string]>([
    [
      'a cluster flag with sentinels',
      { REDIS_CLUSTER: 'true', REDIS_SENTINELS: 's:1', REDIS_URL: 'redis://a' },
      'REDIS_SENTINELS',
    ],
    ['a sentinel list without a name', { REDIS_SENTINELS: 's1:26379' }, 'REDIS_SENTINEL_NAME'],
    ['a sentinel name without a list', { REDIS_SENTINEL_NAME: 'mymaster' }, 'REDIS_SENTINEL_NAME'],
    [
      'sentinels and a URL',
      { REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'm', REDIS_URL: 'redis://a' },
      'REDIS_URL',
    ],
    [
      'a sentinel without a port',
      { REDIS_SENTINELS: 's1', REDIS_SENTINEL_NAME: 'm' },
      'REDIS_SENTINELS',
    ],
    [
      'a sentinel port out of range',
      { REDIS_SENTINELS: 's1:70000', REDIS_SENTINEL_NAME: 'm' },
      'REDIS_SENTINELS',
    ],
    [
      'an empty entry in the list',
      { REDIS_SENTINELS: 's1:1,,s2:2', REDIS_SENTINEL_NAME: 'm' },
      'REDIS_SENTINELS',
    ],
    [
      'REDIS_TLS not a boolean',
      { REDIS_SENTINELS: 's1:1', REDIS_SENTINEL_NAME: 'm', REDIS_TLS: 'yes' },
      'REDIS_TLS',
    ],
    [
      'REDIS_DB not a number',
      { REDIS_SENTINELS: 's1:1', REDIS_SENTINEL_NAME: 'm', REDIS_DB: 'x' },
      'REDIS_DB',
    ],
    ['a cluster without a seed', { REDIS_CLUSTER: 'true' }, 'REDIS_CLUSTER'],
    [
      'REDIS_CLUSTER not a boolean',
      { REDIS_CLUSTER: '1', REDIS_URL: 'redis://a' },
      'REDIS_CLUSTER',
    ],
    [
      'a cluster seed naming database 2',
      { REDIS_CLUSTER: 'true', REDIS_URL: 'redis://a/2' },
      'REDIS_URL',
    ],
    [
      'a password variable without sentinels',
      { REDIS_URL: 'redis://a', REDIS_PASSWORD: SECRET },
      'REDIS_PASSWORD',
    ],
    ['TLS variable without sentinels', { REDIS_URL: 'redis://a', REDIS_TLS: 'true' }, 'REDIS_TLS'],
    ['an http URL', { REDIS_URL: `http://u:${SECRET}@a` }, 'REDIS_URL'],
    ['a URL with a query', { REDIS_URL: `redis://:${SECRET}@a?tls=1` }, 'REDIS_URL'],
    ['not a URL', { REDIS_URL: `${SECRET}@nowhere` }, 'REDIS_URL'],
  ])('refuses %s, naming %s, never echoing a password', (_name, env, variable) => {
    const result = readRedisSettings(env);
    expect(result).toMatchObject({ ok: false, variable });
    expect(JSON.stringify(result)).not.toContain(SECRET);
  });
});

describe('describeRedis: addresses only', () => {
  it.each<[string, RedisEnv, string]>([
    ['one Redis', { REDIS_URL: `redis://app:${SECRET}@cache:6379/2` }, 'redis://cache:6379/2'],
    [
      'TLS',
      { REDIS_URL: `rediss://:${SECRET}@cache.redis.cache.windows.net:6380` },
      'rediss://cache.redis.cache.windows.net:6380',
    ],
    [
      'a cluster',
      { REDIS_URL: `rediss://:${SECRET}@n1:7000`, REDIS_CLUSTER: 'true' },
      'cluster via rediss://n1:7000',
    ],
    [
      'Sentinel',
      {
        REDIS_SENTINELS: 's1:26379,[::1]:26380',
        REDIS_SENTINEL_NAME: 'mymaster',
        REDIS_PASSWORD: SECRET,
      },
      'sentinel master "mymaster" via s1:26379,[::1]:26380',
    ],
  ])('%s', (_name, env, text) => {
    const result = readRedisSettings(env);
    if (!result.ok || !result.settings) throw new Error('expected settings');
    expect(describeRedis(result.settings)).toBe(text);
  });
});

describe('parseNode', () => {
  it.each([
    ['127.0.0.1:26379', { host: '127.0.0.1', port: 26379 }],
    ['[::1]:1', { host: '::1', port: 1 }],
    ['redis-0.redis.svc:6379', { host: 'redis-0.redis.svc', port: 6379 }],
    ['host:0', null],
    ['host', null],
    ['host:6379:1', null],
    ['ho st:1', null],
  ])('%s', (text, node) => {
    expect(parseNode(text)).toEqual(node);
  });
});

describe('clusterOptions: a TLS cluster seed keeps its name, for its certificate', () => {
  const seedOf = (url: string) => {
    const result = readRedisSettings({ REDIS_CLUSTER: 'true', REDIS_URL: url });
    if (!result.ok || result.settings?.mode !== 'cluster') throw new Error('not a cluster');
    return clusterOptions(result.settings, { commandTimeoutMs: 1_000 });
  };

  it('rediss://: the lookup hands the hostname back as it is (Node resolves it, and checks the certificate)', () => {
    const options = seedOf('rediss://:pw@clustercfg.example.cache.amazonaws.com:6379');
    expect(options.redisOptions?.tls).toEqual({});
    const found: unknown[] = [];
    options.dnsLookup!('clustercfg.example.cache.amazonaws.com', (error, address) =>
      found.push(error, address),
    );
    expect(found).toEqual([null, 'clustercfg.example.cache.amazonaws.com']);
  });

  it("redis://: ioredis's own lookup (the address is as good as the name)", () => {
    const options = seedOf('redis://10.0.0.5:6379');
    expect(options.dnsLookup).toBeUndefined();
    expect(options.redisOptions?.tls).toBeUndefined();
  });
});

describe('firstTlsNode and handshakeProblem: why a TLS connection fails, which ioredis does not say', () => {
  it.each<[string, RedisEnv, unknown]>([
    ['rediss://', { REDIS_URL: `rediss://:${SECRET}@[::1]:6380/2` }, { host: '::1', port: 6380 }],
    ['redis://', { REDIS_URL: 'redis://redis:6379' }, undefined],
    [
      'a TLS cluster: its seed',
      { REDIS_CLUSTER: 'true', REDIS_URL: 'rediss://node-0.example:7000' },
      { host: 'node-0.example', port: 7000 },
    ],
    ['a cluster', { REDIS_CLUSTER: 'true', REDIS_URL: 'redis://node-0:7000' }, undefined],
    [
      'Sentinel with REDIS_TLS: the first sentinel',
      { REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'm', REDIS_TLS: 'true' },
      { host: 's1', port: 26379 },
    ],
    ['Sentinel', { REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'm' }, undefined],
  ])('%s', (_, env, node) => {
    const result = readRedisSettings(env);
    if (!result.ok || !result.settings) throw new Error('no settings');
    expect(firstTlsNode(result.settings)).toEqual(node);
  });

  const failure = (code: string | undefined, message: string) =>
    Object.assign(new Error(message), code ? { code } : {});

  it.each([
    [
      failure('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'),
      'TLS certificate of r:6380 not trusted (SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain): is its CA in NODE_EXTRA_CA_CERTS?',
    ],
    [
      failure('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'),
      'TLS certificate of r:6380 not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate): is its CA in NODE_EXTRA_CA_CERTS?',
    ],
    [
      failure('CERT_HAS_EXPIRED', 'certificate has expired'),
      'TLS certificate of r:6380 refused (CERT_HAS_EXPIRED: certificate has expired)',
    ],
    [
      failure('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"),
      "TLS certificate of r:6380 refused (ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames)",
    ],
    [
      failure(undefined, 'socket hang up'),
      'TLS handshake with r:6380 failed (no code: socket hang up)',
    ],
    [
      failure('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', '80:error:0A00045C:SSL routines:…'),
      'TLS client certificate required by r:6380 (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED): set REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE',
    ],
    [
      failure('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', '80:error:0A000418:SSL routines:…'),
      'TLS client certificate refused by r:6380 (ERR_SSL_TLSV1_ALERT_UNKNOWN_CA): is it valid, and signed by a CA the server trusts (its tls-ca-cert-file)?',
    ],
    [
      failure('ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', '80:error:0A000415:SSL routines:…'),
      'TLS client certificate refused by r:6380 (ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED): is it valid, and signed by a CA the server trusts (its tls-ca-cert-file)?',
    ],
  ])('%s', (error, words) => {
    expect(handshakeProblem(error, 'r:6380')).toBe(words);
  });
});

describe('a client certificate (REDIS_TLS_CERT_FILE, REDIS_TLS_KEY_FILE): on every TLS connection', () => {
  const clientCertificate = { cert: 'CERT PEM', key: 'KEY PEM' };
  const settingsOf = (env: RedisEnv) => {
    const result = readRedisSettings(env);
    if (!result.ok || !result.settings) throw new Error('no settings');
    return { ...result.settings, clientCertificate };
  };
  const options = { commandTimeoutMs: 1_000 };

  it('one Redis over rediss://: presented; over redis://, no TLS at all', () => {
    const tls = settingsOf({ REDIS_URL: 'rediss://r:6380' });
    if (tls.mode !== 'single') throw new Error('not single');
    expect(singleOptions(tls, options).tls).toEqual({ cert: 'CERT PEM', key: 'KEY PEM' });
    expect(singleOptions({ mode: 'single', url: 'redis://r:6379' }, options).tls).toBeUndefined();
  });

  it("a Cluster's nodes, every one of them", () => {
    const settings = settingsOf({ REDIS_CLUSTER: 'true', REDIS_URL: 'rediss://node-0:7000' });
    if (settings.mode !== 'cluster') throw new Error('not a cluster');
    expect(clusterOptions(settings, options).redisOptions?.tls).toEqual(clientCertificate);
  });

  it('Sentinel with REDIS_TLS: the master and the sentinels', () => {
    const settings = settingsOf({
      REDIS_SENTINELS: 's1:26379',
      REDIS_SENTINEL_NAME: 'm',
      REDIS_TLS: 'true',
    });
    if (settings.mode !== 'sentinel') throw new Error('not sentinel');
    const sentinel = sentinelOptions(settings, options);
    expect([sentinel.tls, sentinel.sentinelTLS]).toEqual([clientCertificate, clientCertificate]);
  });

  it.each<[string, RedisEnv]>([
    ['Sentinel without REDIS_TLS', { REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'm' }],
    ['redis://', { REDIS_URL: 'redis://r:6379' }],
    ['no Redis at all', {}],
  ])('%s: refused before any file is read, naming REDIS_TLS_CERT_FILE', (_name, env) => {
    const result = readRedisSettings({
      ...env,
      REDIS_TLS_CERT_FILE: '/does/not/matter.pem',
      REDIS_TLS_KEY_FILE: '/does/not/matter.key',
    });
    expect(result).toEqual({
      ok: false,
      variable: 'REDIS_TLS_CERT_FILE',
      problem:
        'is only read with TLS to Redis: a rediss:// REDIS_URL, or REDIS_TLS=true with REDIS_SENTINELS',
    });
  });
});
