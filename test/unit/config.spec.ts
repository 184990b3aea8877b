import { ConfigError, loadConfig } from '../../src/config';
import { MANIFEST } from '../helpers/manifest';

describe('loadConfig', () => {
  it('has production defaults', () => {
    expect(loadConfig({})).toEqual({
      port: 4000,
      host: '0.0.0.0',
      graphBaseUrl: 'https://graph.microsoft.com/beta',
      graphTimeoutMs: 10000,
      graphMaxResponseBytes: 5 * 1024 * 1024,
      graphMaxRetries: 3,
      graphMaxRetryDelayMs: 30000,
      graphRetryBaseDelayMs: 3000,
      graphDeadlineMs: 30000,
      graphTenantMaxInFlight: 64,
      graphProxy: { url: null, env: {} },
      logLevel: 'info',
      production: false,
      introspection: true,
      maxBulkInputs: 100,
      corsOrigins: [],
      shutdownTimeoutMs: 10000,
      otlpEndpoint: null,
      federation: false,
      quotas: {
        limits: {
          windowMs: 20000,
          appWrites: 100,
          tenantWrites: 200,
          appCalls: 1000,
          tenantCalls: 2000,
        },
        replicas: 1,
        redisTimeoutMs: 1000,
        marginMs: 500,
        maxHoldMs: 300_000,
      },
      redis: null,
      requestTimeoutMs: 10000,
      keepAliveTimeoutMs: 65000,
      metricsPort: null,
      queryLimits: {
        maxDepth: 10,
        maxAliases: 50,
        maxFields: 200,
        maxDocumentLength: 50000,
        maxTokens: 3000,
        maxIntrospectionDepth: 20,
        maxIntrospectionFields: 500,
      },
      persisted: {
        apq: { ttlSeconds: 3600, cacheCharacters: 5_000_000, redisTimeoutMs: 250 },
        trusted: null,
        trustedOnly: false,
      },
    });
  });

  it('reads the Graph quota settings and REDIS_URL', () => {
    const env = {
      GRAPH_QUOTA_WINDOW_MS: '3000',
      GRAPH_QUOTA_APP_WRITES: '10',
      GRAPH_QUOTA_TENANT_WRITES: '15',
      GRAPH_QUOTA_APP_CALLS: '50',
      GRAPH_QUOTA_TENANT_CALLS: '80',
      REDIS_URL: 'rediss://:s3cret@redis.internal:6380/2',
      GRAPH_QUOTA_REPLICAS: '10',
      GRAPH_QUOTA_REDIS_TIMEOUT_MS: '2500',
      GRAPH_QUOTA_MARGIN_MS: '0',
    };
    expect(loadConfig(env).quotas).toEqual({
      limits: { windowMs: 3000, appWrites: 10, tenantWrites: 15, appCalls: 50, tenantCalls: 80 },
      replicas: 10,
      redisTimeoutMs: 2500,
      marginMs: 0,
      maxHoldMs: 300_000,
    });
    expect(loadConfig({ ...env, GRAPH_QUOTAS: 'OFF' }).quotas.limits).toBeNull();
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).redis).toEqual({
      mode: 'single',
      url: 'redis://127.0.0.1:6379',
    });
  });

  it.each([
    ['', 1],
    ['1', 1],
    [' 3 ', 3],
    ['1000', 1000],
  ])('GRAPH_QUOTA_REPLICAS=%j: %i replicas share the limits', (value, replicas) => {
    expect(loadConfig({ GRAPH_QUOTA_REPLICAS: value }).quotas.replicas).toBe(replicas);
  });

  it.each<[Record<string, string>, number]>([
    [{}, 300_000],
    [{ GRAPH_QUOTA_MAX_HOLD_MS: '60000' }, 60_000],
    [{ GRAPH_QUOTA_MAX_HOLD_MS: '20000' }, 20_000],
    [{ GRAPH_QUOTA_WINDOW_MS: '3600000' }, 3_600_000],
  ])('GRAPH_QUOTA_MAX_HOLD_MS from %j: no 429 holds longer than %i ms', (env, maxHoldMs) => {
    expect(loadConfig(env).quotas.maxHoldMs).toBe(maxHoldMs);
  });

  it('GRAPH_QUOTA_MAX_HOLD_MS below the window stops start-up: a 429 without Retry-After holds a whole window', () => {
    const attempt = () =>
      loadConfig({ GRAPH_QUOTA_WINDOW_MS: '20000', GRAPH_QUOTA_MAX_HOLD_MS: '10000' });
    expect(attempt).toThrow(
      'GRAPH_QUOTA_MAX_HOLD_MS must be at least GRAPH_QUOTA_WINDOW_MS (20000), got 10000',
    );
  });

  it.each([
    'http://redis:6379',
    'redis-host:6379',
    'redis://:hunter2@',
    'redis://:hunter2@host:6379/db',
    'redis://:hunter2@host:6379/0?tls=1',
    'rediss://:hunter2@host:6379/0#x',
  ])('REDIS_URL=%j stops start-up without echoing the value', (value) => {
    const attempt = () => loadConfig({ REDIS_URL: value });
    expect(attempt).toThrow(/^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
    let message = '';
    try {
      attempt();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain(value);
  });

  it('reads every variable and trims a trailing slash', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      GRAPH_BASE_URL: 'https://graph.microsoft.us/beta/',
      GRAPH_TIMEOUT_MS: '2500',
      LOG_LEVEL: 'DEBUG',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      graphBaseUrl: 'https://graph.microsoft.us/beta',
      graphTimeoutMs: 2500,
      logLevel: 'debug',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('turns introspection off by default in production, unless INTROSPECTION says otherwise', () => {
    expect(loadConfig({ NODE_ENV: 'production' })).toMatchObject({
      production: true,
      introspection: false,
    });
    expect(loadConfig({ NODE_ENV: 'production', INTROSPECTION: 'true' }).introspection).toBe(true);
    expect(loadConfig({ INTROSPECTION: 'off' }).introspection).toBe(false);
  });

  it('reads a CORS allow-list of origins', () => {
    expect(
      loadConfig({ CORS_ORIGINS: 'https://a.example.com, http://localhost:3000' }).corsOrigins,
    ).toEqual(['https://a.example.com', 'http://localhost:3000']);
  });

  it.each([
    ['global', 'https://graph.microsoft.com/beta'],
    ['usgov', 'https://graph.microsoft.us/beta'],
    ['dod', 'https://dod-graph.microsoft.us/beta'],
    ['china', 'https://microsoftgraph.chinacloudapi.cn/beta'],
  ])('GRAPH_CLOUD=%s picks %s', (cloud, url) => {
    expect(loadConfig({ GRAPH_CLOUD: cloud }).graphBaseUrl).toBe(url);
  });

  it('an explicit GRAPH_BASE_URL wins over GRAPH_CLOUD', () => {
    expect(
      loadConfig({ GRAPH_CLOUD: 'china', GRAPH_BASE_URL: 'https://graph.microsoft.us/v1.0' })
        .graphBaseUrl,
    ).toBe('https://graph.microsoft.us/v1.0');
  });

  it.each([
    ['http://127.0.0.1:4010/beta', 'http://127.0.0.1:4010/beta'],
    ['http://localhost:4010/beta', 'http://localhost:4010/beta'],
    ['http://LOCALHOST:4010/beta', 'http://localhost:4010/beta'],
    ['http://127.255.0.9:4010/beta', 'http://127.255.0.9:4010/beta'],
    ['http://127.1:4010/beta', 'http://127.0.0.1:4010/beta'],
    ['http://[::1]:4010/beta', 'http://[::1]:4010/beta'],
    ['http://[0:0:0:0:0:0:0:1]:4010/beta', 'http://[::1]:4010/beta'],
  ])('allows plain http on literal loopback (the emulator): %s', (raw, url) => {
    expect(loadConfig({ GRAPH_BASE_URL: raw }).graphBaseUrl).toBe(url);
  });

  it.each([
    'http://127.evil.example/beta',
    'http://127.0.0.1.nip.io/beta',
    'http://localhost.evil.example/beta',
    'http://128.0.0.1/beta',
    'http://10.0.0.1/beta',
    'http://[::ffff:127.0.0.1]/beta',
    'http://0.0.0.0/beta',
  ])('refuses plain http to %s, which is not literal loopback', (raw) => {
    const attempt = () => loadConfig({ GRAPH_BASE_URL: raw });
    expect(attempt).toThrow(
      new ConfigError(
        'GRAPH_BASE_URL',
        `must use https (plain http only on localhost, 127.0.0.0/8 or [::1]), got "${raw}"`,
      ),
    );
  });

  it.each([
    ['production', true],
    ['Production', true],
    [' PRODUCTION ', true],
    ['development', false],
    ['Development', false],
    ['test', false],
    ['', false],
  ])('NODE_ENV=%j → production %s', (value, production) => {
    const config = loadConfig({ NODE_ENV: value });
    expect([config.production, config.introspection]).toEqual([production, !production]);
  });

  it.each([
    [{}, null],
    [{ METRICS_PORT: '9464' }, 9464],
    [{ METRICS_PORT: ' ' }, null],
  ])('METRICS_PORT from %j → %j', (env, port) => {
    expect(loadConfig(env).metricsPort).toBe(port);
  });

  it.each([
    ['', 3000],
    ['100', 100],
    ['20000', 20000],
  ])('GRAPHQL_MAX_TOKENS=%j → maxTokens %i', (value, maxTokens) => {
    expect(loadConfig({ GRAPHQL_MAX_TOKENS: value }).queryLimits.maxTokens).toBe(maxTokens);
  });

  it.each([
    [{ REQUEST_TIMEOUT_MS: '2500', KEEP_ALIVE_TIMEOUT_MS: '7000' }, [2500, 7000]],
    [{ REQUEST_TIMEOUT_MS: '100', KEEP_ALIVE_TIMEOUT_MS: '100' }, [100, 100]],
  ])('timeouts from %j → %j', (env, [requestTimeoutMs, keepAliveTimeoutMs]) => {
    expect(loadConfig(env)).toMatchObject({ requestTimeoutMs, keepAliveTimeoutMs });
  });

  it.each([
    ['1', 1],
    ['16', 16],
    // The whole pool: one tenant may hold every connection again (the cap is then off).
    ['256', 256],
  ])('GRAPH_TENANT_MAX_IN_FLIGHT=%s: %d calls of a tenant in flight', (value, cap) => {
    expect(loadConfig({ GRAPH_TENANT_MAX_IN_FLIGHT: value }).graphTenantMaxInFlight).toBe(cap);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['GRAPH_TIMEOUT_MS', '0'],
    ['GRAPH_TIMEOUT_MS', '1.5'],
    ['GRAPH_BASE_URL', 'not a url'],
    ['GRAPH_BASE_URL', 'http://graph.microsoft.com/beta'],
    ['GRAPH_BASE_URL', 'ftp://graph.microsoft.com/beta'],
    ['GRAPH_BASE_URL', 'https://user:pass@graph.microsoft.com/beta'],
    ['GRAPH_BASE_URL', 'https://graph.microsoft.com/beta?x=1'],
    ['LOG_LEVEL', 'verbose'],
    ['GRAPH_MAX_RETRIES', '11'],
    ['GRAPH_DEADLINE_MS', 'soon'],
    ['GRAPH_TENANT_MAX_IN_FLIGHT', '0'],
    ['GRAPH_TENANT_MAX_IN_FLIGHT', '257'],
    ['GRAPH_TENANT_MAX_IN_FLIGHT', 'half'],
    ['INTROSPECTION', 'maybe'],
    ['CORS_ORIGINS', '*'],
    ['GRAPH_CLOUD', 'mars'],
    ['SHUTDOWN_TIMEOUT_MS', 'x'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
    ['FEDERATION', 'perhaps'],
    ['CORS_ORIGINS', 'https://a.example.com/path'],
    ['GRAPH_QUOTAS', 'azure'],
    ['GRAPH_QUOTA_WINDOW_MS', '99'],
    ['GRAPH_QUOTA_WINDOW_MS', '20s'],
    ['GRAPH_QUOTA_APP_WRITES', '0'],
    ['GRAPH_QUOTA_TENANT_WRITES', '-5'],
    ['GRAPH_QUOTA_APP_CALLS', '1.5'],
    ['GRAPH_QUOTA_TENANT_CALLS', '1000001'],
    ['GRAPH_QUOTA_MAX_HOLD_MS', '999'],
    ['GRAPH_QUOTA_MAX_HOLD_MS', '3600001'],
    ['GRAPH_QUOTA_MAX_HOLD_MS', '1e20'],
    ['GRAPH_QUOTA_REPLICAS', '0'],
    ['GRAPH_QUOTA_REPLICAS', '-1'],
    ['GRAPH_QUOTA_REPLICAS', '1.5'],
    ['GRAPH_QUOTA_REPLICAS', 'abc'],
    ['GRAPH_QUOTA_REPLICAS', '1001'],
    ['GRAPH_QUOTA_REDIS_TIMEOUT_MS', '49'],
    ['GRAPH_QUOTA_REDIS_TIMEOUT_MS', '30001'],
    ['GRAPH_QUOTA_REDIS_TIMEOUT_MS', '1s'],
    ['GRAPH_QUOTA_MARGIN_MS', '-1'],
    ['GRAPH_QUOTA_MARGIN_MS', '60001'],
    ['NODE_ENV', 'staging'],
    ['NODE_ENV', 'prod'],
    ['REQUEST_TIMEOUT_MS', '0'],
    ['REQUEST_TIMEOUT_MS', '99'],
    ['KEEP_ALIVE_TIMEOUT_MS', 'forever'],
    ['METRICS_PORT', '0'],
    ['METRICS_PORT', '4000'],
    ['METRICS_PORT', '65536'],
    ['GRAPHQL_MAX_INTROSPECTION_DEPTH', '0'],
    ['GRAPHQL_MAX_INTROSPECTION_FIELDS', 'many'],
    ['GRAPHQL_MAX_TOKENS', '99'],
    ['GRAPHQL_MAX_TOKENS', 'lots'],
  ])('%s=%j stops start-up with a message naming it', (variable, value) => {
    const attempt = () => loadConfig({ [variable]: value });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(new RegExp(`^${variable} `));
  });

  it('reads the egress proxy: GRAPH_PROXY_URL (credentials allowed) and the proxy variables that are set', () => {
    const config = loadConfig({
      GRAPH_PROXY_URL: ' http://egress:p%40ss@proxy.corp:3128 ',
      HTTPS_PROXY: 'http://proxy.corp:3128',
      no_proxy: 'localhost,.corp',
      http_proxy: '',
      PATH: '/usr/bin',
    });
    expect(config.graphProxy).toEqual({
      url: 'http://egress:p%40ss@proxy.corp:3128',
      env: { HTTPS_PROXY: 'http://proxy.corp:3128', no_proxy: 'localhost,.corp', http_proxy: '' },
    });
  });

  it.each([
    ['GRAPH_PROXY_URL', 'proxy.corp:3128'],
    ['GRAPH_PROXY_URL', 'egress:s3cret@proxy.corp:3128'],
    ['GRAPH_PROXY_URL', 'socks5://egress:s3cret@proxy.corp:1080'],
    ['GRAPH_PROXY_URL', 'http://egress:s3cret@proxy.corp:3128/path'],
    ['HTTPS_PROXY', 'not a url s3cret'],
    ['http_proxy', 'ftp://egress:s3cret@proxy.corp'],
    // A password that does not percent-decode would fail every Graph call with a URIError.
    ['HTTPS_PROXY', 'https://egress:s3cret%ZZ@proxy.corp:3128'],
  ])('%s=%j stops start-up naming it, without repeating the value', (variable, value) => {
    const attempt = () => loadConfig({ [variable]: value });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(new RegExp(`^${variable} `));
    expect(attempt).not.toThrow(/s3cret|egress|proxy\.corp/);
  });

  describe('persisted operations', () => {
    it('reads the APQ settings, and the trusted documents manifest at start', () => {
      const config = loadConfig({
        GRAPHQL_APQ_TTL_SECONDS: '60',
        GRAPHQL_APQ_CACHE_CHARACTERS: '20000',
        GRAPHQL_APQ_REDIS_TIMEOUT_MS: '100',
        GRAPHQL_TRUSTED_DOCUMENTS: ` ${MANIFEST} `,
      });
      expect(config.persisted.apq).toEqual({
        ttlSeconds: 60,
        cacheCharacters: 20000,
        redisTimeoutMs: 100,
      });
      expect(config.persisted.trusted?.size).toBe(4);
      expect(config.persisted.trustedOnly).toBe(false);
    });

    it.each([
      [{ GRAPHQL_APQ: 'false' }, null, false],
      [{ GRAPHQL_TRUSTED_DOCUMENTS: MANIFEST, GRAPHQL_TRUSTED_DOCUMENTS_ONLY: 'true' }, null, true],
      [
        {
          GRAPHQL_TRUSTED_DOCUMENTS: MANIFEST,
          GRAPHQL_TRUSTED_DOCUMENTS_ONLY: 'true',
          GRAPHQL_APQ: 'false',
        },
        null,
        true,
      ],
    ])('%j: APQ %j, allowlist %j', (env, apq, trustedOnly) => {
      expect(loadConfig(env).persisted).toMatchObject({ apq, trustedOnly });
    });

    it.each<[Record<string, string>, string, RegExp]>([
      [
        { GRAPHQL_TRUSTED_DOCUMENTS: '/nonexistent/persisted-documents.json' },
        'GRAPHQL_TRUSTED_DOCUMENTS',
        /cannot be read \(ENOENT\): \/nonexistent\/persisted-documents\.json$/,
      ],
      [
        { GRAPHQL_TRUSTED_DOCUMENTS: __filename },
        'GRAPHQL_TRUSTED_DOCUMENTS',
        /config\.spec\.ts is not JSON/,
      ],
      [
        { GRAPHQL_TRUSTED_DOCUMENTS_ONLY: 'true' },
        'GRAPHQL_TRUSTED_DOCUMENTS_ONLY',
        /needs GRAPHQL_TRUSTED_DOCUMENTS/,
      ],
      [
        { GRAPHQL_TRUSTED_DOCUMENTS: MANIFEST, GRAPHQL_TRUSTED_DOCUMENTS_ONLY: 'yes please' },
        'GRAPHQL_TRUSTED_DOCUMENTS_ONLY',
        /must be true or false/,
      ],
      [
        {
          GRAPHQL_TRUSTED_DOCUMENTS: MANIFEST,
          GRAPHQL_TRUSTED_DOCUMENTS_ONLY: 'true',
          GRAPHQL_APQ: 'true',
        },
        'GRAPHQL_APQ',
        /must be false with GRAPHQL_TRUSTED_DOCUMENTS_ONLY=true/,
      ],
      [{ GRAPHQL_APQ_TTL_SECONDS: '0' }, 'GRAPHQL_APQ_TTL_SECONDS', /between 1 and 2592000/],
      [{ GRAPHQL_APQ_CACHE_CHARACTERS: '100' }, 'GRAPHQL_APQ_CACHE_CHARACTERS', /between/],
      [{ GRAPHQL_APQ_REDIS_TIMEOUT_MS: 'soon' }, 'GRAPHQL_APQ_REDIS_TIMEOUT_MS', /whole number/],
    ])('%j stops start-up naming %s', (env, variable, problem) => {
      let error: unknown;
      try {
        loadConfig(env);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe(variable);
      expect((error as ConfigError).message).toMatch(problem);
    });
  });
});
