import { AUTH, GET_QUERY, startGateway, startHarness } from '../helpers/harness';
import type { Gateway, Harness } from '../helpers/harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

/** What a browser sends before a cross-origin POST with JSON and a bearer token. */
const preflight = (url: string, origin: string) =>
  fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type',
    },
  });

/** The request the browser sends once the preflight allowed it. */
const crossOriginPost = (url: string, origin: string) =>
  fetch(url, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json', ...AUTH },
    body: JSON.stringify({
      query: GET_QUERY,
      variables: {
        c: 'fb2e09f7-878d-4440-aa28-935f7a56e498',
        s: '2f2248c2-757e-4cb8-ac40-d957f8896c4f',
      },
    }),
  });

/** A preflight the browser treats as a refusal: answered, but without Access-Control-Allow-Origin. */
async function expectPlainRefusal(response: Response): Promise<void> {
  expect(response.status).toBe(204);
  expect(response.headers.get('access-control-allow-origin')).toBeNull();
  expect(await response.text()).toBe(''); // not Apollo's CSRF error
}

async function withGateway(env: Record<string, string>, run: (gateway: Gateway) => Promise<void>) {
  const gateway = await startGateway({ GRAPH_BASE_URL: harness.emulator.baseUrl, ...env });
  try {
    await run(gateway);
  } finally {
    await gateway.close();
  }
}

describe('CORS in development (and the demo): any loopback port', () => {
  it.each(['http://localhost:3000', 'http://localhost:5173', 'http://127.0.0.1:8080'])(
    'a page on %s gets its preflight allowed, then its answer',
    async (origin) => {
      const allowed = await preflight(harness.gateway.url, origin);
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(origin);
      expect(allowed.headers.get('access-control-allow-methods')).toBe('GET, POST');
      expect(allowed.headers.get('access-control-allow-headers')).toBe(
        'authorization,content-type',
      );
      expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
      expect(allowed.headers.get('vary')).toContain('Origin');

      const answer = await crossOriginPost(harness.gateway.url, origin);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
      const body = (await answer.json()) as { data: { deviceConfigurationUserStatus: unknown } };
      expect(body.data.deviceConfigurationUserStatus).toMatchObject({
        id: '2f2248c2-757e-4cb8-ac40-d957f8896c4f',
      });
    },
  );

  it('a page elsewhere gets a plain CORS refusal, not a CSRF error, and Graph is never called', async () => {
    const sent = harness.emulator.requests.length;
    await expectPlainRefusal(await preflight(harness.gateway.url, 'https://evil.example.com'));
    await expectPlainRefusal(await preflight(harness.gateway.url, 'http://localhost.evil.example'));
    expect(harness.emulator.requests.length).toBe(sent);
  });

  it('keeps CSRF prevention: simple cross-site requests (no preflight) are refused before Graph', async () => {
    const sent = harness.emulator.requests.length;
    const evil = { origin: 'https://evil.example.com', ...AUTH };
    const get = await fetch(
      `${harness.gateway.url}?query=${encodeURIComponent('{ __typename }')}`,
      {
        headers: evil,
      },
    );
    expect(get.status).toBe(400);
    expect(await get.text()).toContain('Cross-Site Request Forgery');
    const post = await fetch(harness.gateway.url, {
      method: 'POST',
      headers: { ...evil, 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(post.status).toBe(415);
    for (const response of [get, post])
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(harness.emulator.requests.length).toBe(sent);
  });
});

describe('CORS in production', () => {
  it('is closed without CORS_ORIGINS: even localhost gets a plain refusal', async () => {
    await withGateway({ NODE_ENV: 'production' }, async (gateway) => {
      await expectPlainRefusal(await preflight(gateway.url, 'http://localhost:3000'));
      const answer = await crossOriginPost(gateway.url, 'http://localhost:3000');
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  it('allows exactly the origins in CORS_ORIGINS', async () => {
    const env = { NODE_ENV: 'production', CORS_ORIGINS: 'https://app.example.com' };
    await withGateway(env, async (gateway) => {
      const allowed = await preflight(gateway.url, 'https://app.example.com');
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      const answer = await crossOriginPost(gateway.url, 'https://app.example.com');
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      await expectPlainRefusal(await preflight(gateway.url, 'https://evil.example.com'));
      await expectPlainRefusal(await preflight(gateway.url, 'http://localhost:3000'));
    });
  });
});

describe('CORS_ORIGINS in development', () => {
  it('replaces the loopback default', async () => {
    await withGateway({ CORS_ORIGINS: 'https://app.example.com' }, async (gateway) => {
      await expectPlainRefusal(await preflight(gateway.url, 'http://localhost:5173'));
      const allowed = await preflight(gateway.url, 'https://app.example.com');
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    });
  });
});
