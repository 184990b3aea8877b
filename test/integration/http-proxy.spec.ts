import { createHttpTransport } from '../../src/graph/http/transport';
import type { HttpOutcome, HttpTransportOptions } from '../../src/graph/http/transport';
import { selfSignedCertificate, startProxy } from '../helpers/proxyProcess';
import type { ProxyProcess } from '../helpers/proxyProcess';
import { startTestServer } from '../helpers/upstreamServer';
import type { TestServer } from '../helpers/upstreamServer';
import { operationScope } from '../helpers/operation';

// Graph calls through a real HTTP proxy (the `proxy` package, in its own process): absolute-form for an http
// target, CONNECT for https; NO_PROXY; proxy credentials; proxies that refuse; https proxies (TLS to the proxy
// itself), trusted or not.

const TOKEN = 'Bearer eyJ0eXAi.proxy-test-token';
const CREDENTIALS = 'graph-egress:s3cret-pa55';

let openProxy: ProxyProcess;
let authProxy: ProxyProcess;
let tlsProxy: ProxyProcess;
let tlsAuthProxy: ProxyProcess;
let upstream: TestServer;
let tlsUpstream: TestServer;
/** Trusts Graph's (the https upstream's) certificate only. */
let ca: string;
/** Trusts Graph's certificate and the https proxies' own, a second self-signed one. */
let caWithProxy: string[];

beforeAll(async () => {
  const certificate = selfSignedCertificate();
  // The proxies' certificate names their address only: a check against Graph's host name would fail.
  const proxyCertificate = selfSignedCertificate('IP:127.0.0.1', 'egress-proxy');
  ca = certificate.cert;
  caWithProxy = [ca, proxyCertificate.cert];
  [openProxy, authProxy, tlsProxy, tlsAuthProxy, upstream, tlsUpstream] = await Promise.all([
    startProxy(),
    startProxy({ credentials: CREDENTIALS }),
    startProxy({ tls: proxyCertificate }),
    startProxy({ credentials: CREDENTIALS, tls: proxyCertificate }),
    startTestServer((_request, response) => response.end('{"via":"http"}')),
    startTestServer((_request, response) => response.end('{"via":"https"}'), certificate),
  ]);
});
afterAll(() =>
  Promise.all([
    ...[openProxy, authProxy, tlsProxy, tlsAuthProxy].map((proxy) => proxy.stop()),
    upstream.close(),
    tlsUpstream.close(),
  ]),
);
beforeEach(() => {
  upstream.requests.length = 0;
  tlsUpstream.requests.length = 0;
});

/** One GET to `origin` with the given proxy settings; the transport is closed afterwards. */
async function call(origin: string, options: Partial<HttpTransportOptions>): Promise<HttpOutcome> {
  const transport = createHttpTransport({ maxResponseBytes: 4096, ca, ...options });
  try {
    return await transport.send({
      method: 'GET',
      url: new URL('/beta/deviceManagement/deviceConfigurations?$top=1', origin),
      headers: { Authorization: TOKEN, Accept: 'application/json' },
      timeoutMs: 3000,
      watcher: operationScope(),
    });
  } finally {
    await transport.close();
  }
}

const withCredentials = (proxy: ProxyProcess, credentials: string) =>
  proxy.origin.replace('://', `://${credentials}@`);

describe('through the proxy', () => {
  it('HTTP_PROXY: an http Graph call goes through the proxy in absolute form', async () => {
    const outcome = await call(upstream.origin, { env: { HTTP_PROXY: openProxy.origin } });

    expect(outcome).toMatchObject({ ok: true, status: 200, body: '{"via":"http"}' });
    const target = `${upstream.origin}/beta/deviceManagement/deviceConfigurations?$top=1`;
    expect(await openProxy.recordsSoFar()).toContainEqual(
      expect.objectContaining({ method: 'GET', url: target, authorized: true }),
    );
    expect(upstream.requests[0]?.headers.via).toMatch(/proxy\//);
  });

  it('HTTPS_PROXY: an https Graph call goes through a CONNECT tunnel; the proxy never sees the token', async () => {
    const before = (await openProxy.recordsSoFar()).length;
    const outcome = await call(tlsUpstream.origin, { env: { https_proxy: openProxy.origin } });

    expect(outcome).toMatchObject({ ok: true, status: 200, body: '{"via":"https"}' });
    const records = (await openProxy.recordsSoFar()).slice(before);
    expect(records).toEqual([
      {
        method: 'CONNECT',
        url: `127.0.0.1:${tlsUpstream.port}`,
        authorized: true,
        tls: false,
        sawAuthorization: false,
      },
    ]);
    expect(tlsUpstream.requests[0]?.headers.authorization).toBe(TOKEN);
  });

  it('GRAPH_PROXY_URL with credentials: sent as Proxy-Authorization, not passed on to Graph', async () => {
    const before = (await authProxy.recordsSoFar()).length;
    const outcome = await call(upstream.origin, {
      proxyUrl: withCredentials(authProxy, CREDENTIALS),
      env: { HTTP_PROXY: openProxy.origin },
    });

    expect(outcome).toMatchObject({ ok: true, status: 200 });
    expect((await authProxy.recordsSoFar()).slice(before)).toEqual([
      expect.objectContaining({ method: 'GET', authorized: true }),
    ]);
    expect(upstream.requests[0]?.headers['proxy-authorization']).toBeUndefined();
    expect(upstream.requests[0]?.headers.authorization).toBe(TOKEN);
  });

  it('credentials through a CONNECT tunnel too', async () => {
    const before = (await authProxy.recordsSoFar()).length;
    const outcome = await call(tlsUpstream.origin, {
      proxyUrl: withCredentials(authProxy, CREDENTIALS),
    });

    expect(outcome).toMatchObject({ ok: true, status: 200, body: '{"via":"https"}' });
    expect((await authProxy.recordsSoFar()).slice(before)).toEqual([
      expect.objectContaining({ method: 'CONNECT', authorized: true, sawAuthorization: false }),
    ]);
  });

  it('NO_PROXY: a matching host bypasses the proxy', async () => {
    const before = (await openProxy.recordsSoFar()).length;
    const outcome = await call(upstream.origin, {
      env: { HTTP_PROXY: openProxy.origin, NO_PROXY: 'localhost, 127.0.0.1' },
    });

    expect(outcome).toMatchObject({ ok: true, status: 200 });
    expect(upstream.requests[0]?.headers.via).toBeUndefined();
    expect((await openProxy.recordsSoFar()).slice(before)).toEqual([]);
  });
});

describe('a proxy that refuses: connection, not sent, a clear reason without the credentials', () => {
  const refused = 'the egress proxy refused the connection (407 Proxy Authentication Required)';

  it.each([
    ['wrong credentials, http target', 'graph-egress:wrong', () => upstream.origin],
    ['no credentials, http target', null, () => upstream.origin],
    ['wrong credentials, CONNECT', 'graph-egress:wrong', () => tlsUpstream.origin],
    ['no credentials, CONNECT', null, () => tlsUpstream.origin],
  ])('%s → 407', async (_name, credentials, target) => {
    const proxyUrl = credentials ? withCredentials(authProxy, credentials) : authProxy.origin;
    const outcome = await call(target(), { proxyUrl });

    // Permanent: trying again with the same credentials cannot help, so the gateway does not retry it.
    expect(outcome).toEqual({
      ok: false,
      failure: 'connection',
      sent: false,
      reason: refused,
      permanent: true,
    });
    expect(upstream.requests).toHaveLength(0);
    expect(tlsUpstream.requests).toHaveLength(0);
  });

  it('nothing listening on the proxy port', async () => {
    const gone = await startTestServer(() => undefined);
    await gone.close();
    const outcome = await call(tlsUpstream.origin, {
      proxyUrl: gone.origin.replace('http://', `http://${CREDENTIALS}@`),
    });

    expect(outcome).toEqual({
      ok: false,
      failure: 'connection',
      sent: false,
      reason: `the egress proxy ${gone.origin} could not be reached or could not reach Graph (connection refused)`,
    });
    expect(JSON.stringify(outcome)).not.toContain('s3cret');
    expect(tlsUpstream.requests).toHaveLength(0);
  });

  // Config refuses such a URL at start; a transport built without config must still return, never throw.
  it.each(['http', 'https'])(
    'a %s proxy URL whose password does not percent-decode: not sent, nothing thrown',
    async (scheme) => {
      const outcome = await call(tlsUpstream.origin, {
        proxyUrl: `${scheme}://graph-egress:s3cret%ZZ@127.0.0.1:${openProxy.port}`,
      });

      expect(outcome).toEqual({
        ok: false,
        failure: 'connection',
        sent: false,
        reason: 'the request could not be prepared',
      });
      expect(tlsUpstream.requests).toHaveLength(0);
    },
  );
});

describe("an https proxy: TLS to the proxy itself, its certificate trusted like Graph's (`ca`)", () => {
  const target = (origin: string) => `${origin}/beta/deviceManagement/deviceConfigurations?$top=1`;

  it('an https Graph call: CONNECT inside TLS to the proxy, TLS to Graph inside the tunnel; the proxy never sees the token', async () => {
    const before = (await tlsProxy.recordsSoFar()).length;
    const outcome = await call(tlsUpstream.origin, {
      env: { HTTPS_PROXY: tlsProxy.origin },
      ca: caWithProxy,
    });

    expect(outcome).toMatchObject({ ok: true, status: 200, body: '{"via":"https"}' });
    expect((await tlsProxy.recordsSoFar()).slice(before)).toEqual([
      {
        method: 'CONNECT',
        url: `127.0.0.1:${tlsUpstream.port}`,
        authorized: true,
        tls: true,
        sawAuthorization: false,
      },
    ]);
    // The upstream speaks only TLS: the request it got came through a second TLS session, inside the tunnel.
    expect(tlsUpstream.requests).toHaveLength(1);
    expect(tlsUpstream.requests[0]?.url).toBe('/beta/deviceManagement/deviceConfigurations?$top=1');
    expect(tlsUpstream.requests[0]?.headers.authorization).toBe(TOKEN);
  });

  it('an http Graph call: absolute form inside TLS to the proxy', async () => {
    const before = (await tlsProxy.recordsSoFar()).length;
    const outcome = await call(upstream.origin, {
      env: { HTTP_PROXY: tlsProxy.origin },
      ca: caWithProxy,
    });

    expect(outcome).toMatchObject({ ok: true, status: 200, body: '{"via":"http"}' });
    // A plain-http target has no TLS of its own: the proxy reads the request, token included.
    expect((await tlsProxy.recordsSoFar()).slice(before)).toEqual([
      {
        method: 'GET',
        url: target(upstream.origin),
        authorized: true,
        tls: true,
        sawAuthorization: true,
      },
    ]);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]?.headers.via).toMatch(/proxy\//);
    expect(upstream.requests[0]?.headers.authorization).toBe(TOKEN);
  });

  it("an http Graph call by host name: the proxy's certificate is checked against the proxy's name, not Graph's", async () => {
    const byName = `http://localhost:${upstream.port}`;
    const outcome = await call(byName, { env: { HTTP_PROXY: tlsProxy.origin }, ca: caWithProxy });

    expect(outcome).toMatchObject({ ok: true, status: 200, body: '{"via":"http"}' });
    expect(upstream.requests[0]?.headers.host).toBe(`localhost:${upstream.port}`);
  });

  it.each([
    ['https target (CONNECT)', () => tlsUpstream, 'CONNECT'],
    ['http target (absolute form)', () => upstream, 'GET'],
  ])(
    'credentials in the proxy URL reach it as Proxy-Authorization, never the outcome: %s',
    async (_name, server, method) => {
      const before = (await tlsAuthProxy.recordsSoFar()).length;
      const outcome = await call(server().origin, {
        proxyUrl: withCredentials(tlsAuthProxy, CREDENTIALS),
        ca: caWithProxy,
      });

      expect(outcome).toMatchObject({ ok: true, status: 200 });
      expect(JSON.stringify(outcome)).not.toContain('s3cret');
      expect((await tlsAuthProxy.recordsSoFar()).slice(before)).toEqual([
        expect.objectContaining({ method, authorized: true, tls: true }),
      ]);
      expect(server().requests).toHaveLength(1);
      expect(server().requests[0]?.headers['proxy-authorization']).toBeUndefined();
    },
  );

  it.each([
    ['https target (CONNECT)', () => tlsUpstream.origin],
    ['http target (absolute form)', () => upstream.origin],
  ])('wrong credentials → 407 over TLS too: %s', async (_name, origin) => {
    const outcome = await call(origin(), {
      proxyUrl: withCredentials(tlsAuthProxy, 'graph-egress:wrong'),
      ca: caWithProxy,
    });

    expect(outcome).toEqual({
      ok: false,
      failure: 'connection',
      sent: false,
      reason: 'the egress proxy refused the connection (407 Proxy Authentication Required)',
      permanent: true,
    });
    expect(upstream.requests).toHaveLength(0);
    expect(tlsUpstream.requests).toHaveLength(0);
  });

  it.each([
    ['https target (CONNECT)', () => tlsUpstream.origin],
    ['http target (absolute form)', () => upstream.origin],
  ])(
    "a proxy certificate not trusted (only Graph's is): not sent, named, permanent; nothing reaches the proxy or Graph: %s",
    async (_name, origin) => {
      const before = (await tlsAuthProxy.recordsSoFar()).length;
      const outcome = await call(origin(), {
        proxyUrl: withCredentials(tlsAuthProxy, CREDENTIALS),
        ca,
      });

      // Permanent: the process's trust store does not change, so a retry would meet the same refusal.
      expect(outcome).toEqual({
        ok: false,
        failure: 'connection',
        sent: false,
        reason: `the TLS certificate of the egress proxy ${tlsAuthProxy.origin} is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)`,
        permanent: true,
      });
      expect(JSON.stringify(outcome)).not.toMatch(/s3cret|graph-egress/);
      expect((await tlsAuthProxy.recordsSoFar()).slice(before)).toEqual([]);
      expect(upstream.requests).toHaveLength(0);
      expect(tlsUpstream.requests).toHaveLength(0);
    },
  );
});
