import {
  describeProxy,
  hasProxy,
  proxyAuthorization,
  proxyFor,
  proxySettings,
  proxyUrlProblem,
} from '../../src/graph/http/proxy';
import type { ProxyEnv } from '../../src/graph/http/proxy';

const P = 'http://proxy.corp:3128';
const Q = 'http://other.corp:8080';

describe('proxyFor: which proxy a Graph call goes through (undici EnvHttpProxyAgent rules)', () => {
  it.each<[string, string | null, ProxyEnv, string, string | null]>([
    ['nothing set: direct', null, {}, 'https://graph.microsoft.com/beta', null],
    ['HTTPS_PROXY for an https target', null, { HTTPS_PROXY: P }, 'https://graph.microsoft.com', P],
    ['HTTPS_PROXY not for an http target', null, { HTTPS_PROXY: P }, 'http://127.0.0.1:9/x', null],
    ['HTTP_PROXY for an http target', null, { HTTP_PROXY: P }, 'http://127.0.0.1:9/x', P],
    [
      'HTTP_PROXY also for https when HTTPS_PROXY is unset',
      null,
      { HTTP_PROXY: P },
      'https://g.ms',
      P,
    ],
    ['HTTPS_PROXY wins for https', null, { HTTP_PROXY: Q, HTTPS_PROXY: P }, 'https://g.ms', P],
    ['lower case first', null, { https_proxy: P, HTTPS_PROXY: Q }, 'https://g.ms', P],
    [
      'an empty lower-case variable hides the upper-case one',
      null,
      { http_proxy: '', HTTP_PROXY: P },
      'http://a/',
      null,
    ],
    [
      'GRAPH_PROXY_URL replaces both variables',
      Q,
      { HTTPS_PROXY: P, HTTP_PROXY: P },
      'https://g.ms',
      Q,
    ],
    ['GRAPH_PROXY_URL for http targets too', Q, {}, 'http://127.0.0.1:9/', Q],
    ['NO_PROXY still applies to GRAPH_PROXY_URL', Q, { NO_PROXY: 'g.ms' }, 'https://g.ms', null],
    [
      'NO_PROXY host',
      null,
      { HTTPS_PROXY: P, NO_PROXY: 'graph.microsoft.com' },
      'https://graph.microsoft.com',
      null,
    ],
    [
      'NO_PROXY covers subdomains',
      null,
      { HTTPS_PROXY: P, NO_PROXY: 'microsoft.com' },
      'https://graph.microsoft.com',
      null,
    ],
    [
      'NO_PROXY with a leading dot',
      null,
      { HTTPS_PROXY: P, NO_PROXY: '.microsoft.com' },
      'https://graph.microsoft.com',
      null,
    ],
    [
      'NO_PROXY with a leading *.',
      null,
      { HTTPS_PROXY: P, NO_PROXY: '*.microsoft.com' },
      'https://graph.microsoft.com',
      null,
    ],
    [
      'NO_PROXY is not a substring match',
      null,
      { HTTPS_PROXY: P, NO_PROXY: 'soft.com' },
      'https://graph.microsoft.com',
      P,
    ],
    [
      'NO_PROXY list, commas and spaces',
      null,
      { HTTP_PROXY: P, NO_PROXY: 'a.b, localhost 127.0.0.1' },
      'http://127.0.0.1:9/',
      null,
    ],
    [
      'NO_PROXY port must match',
      null,
      { HTTP_PROXY: P, NO_PROXY: '127.0.0.1:8' },
      'http://127.0.0.1:9/',
      P,
    ],
    [
      'NO_PROXY port matches',
      null,
      { HTTP_PROXY: P, NO_PROXY: '127.0.0.1:9' },
      'http://127.0.0.1:9/',
      null,
    ],
    [
      'NO_PROXY default port',
      null,
      { HTTPS_PROXY: P, NO_PROXY: 'g.ms:443' },
      'https://g.ms/',
      null,
    ],
    [
      'NO_PROXY case-insensitive',
      null,
      { HTTPS_PROXY: P, NO_PROXY: 'Graph.Microsoft.COM' },
      'https://graph.microsoft.com',
      null,
    ],
    [
      'NO_PROXY=* bypasses everything',
      null,
      { HTTPS_PROXY: P, NO_PROXY: '*' },
      'https://g.ms',
      null,
    ],
    [
      'no_proxy lower case first',
      null,
      { HTTPS_PROXY: P, no_proxy: 'x.y', NO_PROXY: 'g.ms' },
      'https://g.ms',
      P,
    ],
    [
      'IPv6 in NO_PROXY keeps brackets',
      null,
      { HTTP_PROXY: P, NO_PROXY: '[::1]' },
      'http://[::1]:9/',
      null,
    ],
  ])('%s', (_name, explicit, env, target, expected) => {
    expect(proxyFor(proxySettings(explicit, env), new URL(target))).toBe(expected);
  });

  it.each<[ProxyEnv, boolean]>([
    [{}, false],
    [{ NO_PROXY: 'a' }, false],
    [{ HTTP_PROXY: P }, true],
    [{ https_proxy: P }, true],
  ])('hasProxy(%j) is %s', (env, expected) => {
    expect(hasProxy(proxySettings(null, env))).toBe(expected);
  });
});

describe('describeProxy: scheme, host and port, never credentials', () => {
  it.each([
    ['http://user:s3cret@proxy.corp:3128', 'http://proxy.corp:3128'],
    ['https://proxy.corp', 'https://proxy.corp'],
    ['not a url s3cret', 'the configured proxy'],
  ])('%s → %s', (raw, expected) => {
    expect(describeProxy(raw)).toBe(expected);
  });
});

describe('proxyAuthorization: Basic from the URL, percent-decoded, both parts or none (as undici)', () => {
  const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

  it.each([
    ['https://user:s3cret@proxy.corp:3129', basic('user:s3cret')],
    ['https://us%40er:p%3Ass@proxy.corp', basic('us@er:p:ss')],
    ['https://user@proxy.corp', null],
    ['https://proxy.corp', null],
  ])('%s', (raw, expected) => {
    expect(proxyAuthorization(new URL(raw))).toBe(expected);
  });
});

describe('proxyUrlProblem: what GRAPH_PROXY_URL may be', () => {
  it.each([
    ['http://proxy.corp:3128', null],
    ['https://proxy.corp', null],
    ['http://user:p%40ss@proxy.corp:3128/', null],
    ['proxy.corp:3128', 'must use http or https'],
    ['socks5://proxy.corp:1080', 'must use http or https'],
    ['user:s3cret@proxy.corp:3128', 'must use http or https'],
    ['http://proxy.corp:3128/path', 'without a path'],
    ['http://proxy.corp:3128/?q=1', 'without a path'],
    ['nonsense s3cret', 'must be an absolute http(s) URL'],
    ['http://user:s3cret%ZZ@proxy.corp:3128', 'not valid percent-encoding'],
    ['https://us%E0er:s3cret@proxy.corp', 'not valid percent-encoding'],
    ['http://user:s3cret%25@proxy.corp:3128', null],
  ])('%s', (raw, expected) => {
    const problem = proxyUrlProblem(raw);
    if (expected === null) return expect(problem).toBeNull();
    expect(problem).toContain(expected);
    expect(problem).not.toContain('s3cret');
    expect(problem).not.toContain('proxy.corp');
  });
});
