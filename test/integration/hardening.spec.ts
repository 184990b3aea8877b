import { configurationId, userStatusId } from '../../emulator/store';
import { AUTH, GET_QUERY, startGateway, startHarness } from '../helpers/harness';
import type { Gateway, Harness } from '../helpers/harness';

const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);
const fields = 'id status lastReportedDateTime userDisplayName userPrincipalName devicesCount';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());
beforeEach(() => harness.emulator.reset());

function aliased(count: number, selection = 'id'): string {
  return Array.from(
    { length: count },
    (_, index) =>
      `a${index}: deviceConfigurationUserStatus(deviceConfigurationId: "${c}", userStatusId: "${s}") { ${selection} }`,
  ).join('\n');
}

describe('hostile GraphQL is refused before execution, with nothing sent to Graph', () => {
  it('introspection has limits of its own, which explorers fit in', async () => {
    const ofTypes = `${'ofType { '.repeat(8)}name${' }'.repeat(8)}`;
    const deep = `{ __schema { types { fields { type { ${ofTypes} } } } } }`;
    const { status, body } = await harness.gateway.gql(deep);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
  });

  it('more than 50 aliases', async () => {
    const { status, body } = await harness.gateway.gql(`{ ${aliased(51)} }`, undefined, AUTH);
    expect(status).toBe(400);
    expect(body.errors?.[0]).toMatchObject({
      message: expect.stringContaining('more than 50 aliases') as unknown,
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('more than 200 fields', async () => {
    const { status, body } = await harness.gateway.gql(
      `{ ${aliased(40, fields)} }`,
      undefined,
      AUTH,
    );
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toContain('more than 200 fields');
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('50 aliases and 200 fields are still served', async () => {
    const { body } = await harness.gateway.gql(
      `{ ${aliased(50, 'id status userDisplayName')} }`,
      undefined,
      AUTH,
    );
    expect(body.errors).toBeUndefined();
  });

  it('a fragment spread many times counts every time', async () => {
    const spreads = Array.from(
      { length: 30 },
      (_, i) =>
        `b${i}: deviceConfigurationUserStatus(deviceConfigurationId: "${c}", userStatusId: "${s}") { ...F }`,
    ).join(' ');
    const { status, body } = await harness.gateway.gql(
      `{ ${spreads} } fragment F on DeviceConfigurationUserStatus { ${fields} }`,
      undefined,
      AUTH,
    );
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toContain('more than 200 fields');
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('a document over 50,000 characters', async () => {
    const padding = ' '.repeat(50_001);
    const { status, body } = await harness.gateway.gql(`${GET_QUERY}${padding}`, { c, s }, AUTH);
    expect(status).toBe(400);
    expect(body.errors?.[0]).toMatchObject({
      message: 'The document is longer than 50000 characters.',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('a document nested 3,000 levels deep: a clear 400, not a stack overflow in the parser', async () => {
    const deep = `{ ${'a { '.repeat(3000)}b${' }'.repeat(3000)} }`;
    const { status, body } = await harness.gateway.gql(deep, {}, AUTH);
    expect(status).toBe(400);
    expect(body.errors?.[0]).toMatchObject({
      message: 'The document is nested more than 200 levels deep.',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('a request body over 1 MB → HTTP 413', async () => {
    const { status, body } = await harness.gateway.post(
      { query: GET_QUERY, variables: { c, s, padding: 'x'.repeat(1024 * 1024) } },
      AUTH,
    );
    expect(status).toBe(413);
    expect(body.errors?.[0]?.extensions).toEqual({ code: 'PAYLOAD_TOO_LARGE' });
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('batched HTTP operations (a JSON array) are off', async () => {
    const { status, body } = await harness.gateway.post(
      [
        { query: GET_QUERY, variables: { c, s } },
        { query: GET_QUERY, variables: { c, s } },
      ],
      AUTH,
    );
    expect(status).toBe(400);
    expect(JSON.stringify(body)).toContain('batching');
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('CSRF prevention refuses a simple GET without a preflight header', async () => {
    const query = `{ deviceConfigurationUserStatus(deviceConfigurationId: "${c}", userStatusId: "${s}") { id } }`;
    const url = `${harness.gateway.url}?query=${encodeURIComponent(query)}`;
    const simple = await fetch(url, { headers: AUTH });
    expect(simple.status).toBe(400);
    expect(await simple.text()).toContain('CSRF');
    expect(harness.emulator.requests).toHaveLength(0);
    const preflighted = await fetch(url, {
      headers: { ...AUTH, 'apollo-require-preflight': 'true' },
    });
    expect(preflighted.status).toBe(200);
    expect(harness.emulator.requests).toHaveLength(1);
  });
});

describe('production mode', () => {
  let production: Gateway;
  beforeAll(async () => {
    production = await startGateway({
      GRAPH_BASE_URL: harness.emulator.baseUrl,
      NODE_ENV: 'production',
    });
  });
  afterAll(() => production.close());

  it('turns introspection off by default', async () => {
    const { status, body } = await production.gql('{ __schema { queryType { name } } }');
    expect(status).toBe(400);
    expect(body.errors?.[0]).toMatchObject({
      message:
        'Introspection is off (the default with NODE_ENV=production); set INTROSPECTION=true to turn it on.',
      extensions: {
        code: 'GRAPHQL_VALIDATION_FAILED',
        validationErrorCode: 'INTROSPECTION_DISABLED',
      },
    });
  });

  it('hides field suggestions', async () => {
    const { body } = await production.gql(
      '{ deviceConfigurationUserStatu(deviceConfigurationId: "a", userStatusId: "b") { id } }',
    );
    expect(body.errors?.[0]?.message).not.toContain('Did you mean');
  });

  it('still serves operations', async () => {
    const { body } = await production.gql(GET_QUERY, { c, s }, AUTH);
    expect(body.errors).toBeUndefined();
  });

  it('INTROSPECTION=true turns it back on', async () => {
    const explorer = await startGateway({
      GRAPH_BASE_URL: harness.emulator.baseUrl,
      NODE_ENV: 'production',
      INTROSPECTION: 'true',
    });
    try {
      const { body } = await explorer.gql('{ __schema { queryType { name } } }');
      expect(body.errors).toBeUndefined();
    } finally {
      await explorer.close();
    }
  });

  it('shows suggestions outside production', async () => {
    const { body } = await harness.gateway.gql(
      '{ deviceConfigurationUserStatu(deviceConfigurationId: "a", userStatusId: "b") { id } }',
    );
    expect(body.errors?.[0]?.message).toContain('Did you mean');
  });
});

describe('CORS', () => {
  const preflight = (url: string, origin: string) =>
    fetch(url, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization',
      },
    });

  it('sends no CORS headers by default', async () => {
    const response = await preflight(harness.gateway.url, 'https://app.example.com');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows only the origins in CORS_ORIGINS', async () => {
    const gateway = await startGateway({
      GRAPH_BASE_URL: harness.emulator.baseUrl,
      CORS_ORIGINS: 'https://app.example.com',
    });
    try {
      const allowed = await preflight(gateway.url, 'https://app.example.com');
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      const refused = await preflight(gateway.url, 'https://evil.example.com');
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await gateway.close();
    }
  });
});
