import { configurationId, userStatusId } from '../../emulator/store';
import { AUTH, GET_QUERY, SELECT_ALL, UPDATE_MUTATION, startHarness } from '../helpers/harness';
import type { Harness } from '../helpers/harness';

const c = configurationId('windows10-general');
const s = userStatusId('windows10-general', 0);

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());
beforeEach(() => harness.emulator.reset());

const BAD_IDS: ReadonlyArray<readonly [string, string]> = [
  ['empty', ''],
  ['a slash', 'abc/def'],
  ['a dot-dot traversal', '../../users'],
  ['a backslash', 'abc\\def'],
  ['a question mark', 'abc?$select=id'],
  ['a hash', 'abc#frag'],
  ['a percent escape', 'abc%2Fdef'],
  ['a space', 'abc def'],
  ['a tab', 'abc\tdef'],
  ['a newline', 'abc\ndef'],
  ['a NUL', 'abc\u0000def'],
  ['a DEL', 'abc\u007fdef'],
  ['a no-break space', 'abc\u00a0def'],
  ['a line separator', 'abc\u2028def'],
  ['"."', '.'],
  ['".."', '..'],
  ['an OData system segment', '$count'],
  ['an OData reference segment', '$ref'],
  ['an OData type cast', 'microsoft.graph.deviceConfigurationUserStatus'],
  ['an OData type cast through the alias', 'graph.windows10VpnConfiguration'],
  ['257 characters', 'a'.repeat(257)],
];

describe('ids that could change the URL are refused before any request leaves', () => {
  it.each(BAD_IDS)('deviceConfigurationId with %s', async (_name, id) => {
    const { body } = await harness.gateway.gql(
      UPDATE_MUTATION,
      { input: { deviceConfigurationId: id, userStatusId: s, status: 'COMPLIANT' } },
      AUTH,
    );
    expect(body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^deviceConfigurationId /) as unknown,
      extensions: { code: 'BAD_USER_INPUT', argument: 'deviceConfigurationId' },
    });
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it.each(BAD_IDS)('userStatusId with %s (query)', async (_name, id) => {
    const { body } = await harness.gateway.gql(GET_QUERY, { c, s: id }, AUTH);
    expect(body.data).toEqual({ deviceConfigurationUserStatus: null });
    expect(body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^userStatusId /) as unknown,
      extensions: { code: 'BAD_USER_INPUT', argument: 'userStatusId' },
    });
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('accepts 256 characters and characters that need percent-encoding, as exactly one segment', async () => {
    const long = 'a'.repeat(256);
    const odd = "user:ü'+&=@(1)";
    await harness.gateway.gql(GET_QUERY, { c: long, s: odd }, AUTH);
    expect(harness.emulator.requests.map((r) => r.url)).toEqual([
      `/beta/deviceManagement/deviceConfigurations/${long}/userStatuses/${encodeURIComponent(odd)}?${SELECT_ALL}`,
    ]);
  });
});

describe('the PATCH body', () => {
  it.each([
    ['status', { status: null }],
    ['lastReportedDateTime', { lastReportedDateTime: null }],
    ['userDisplayName', { userDisplayName: null }],
    ['userPrincipalName', { userPrincipalName: null }],
    ['devicesCount', { devicesCount: null }],
  ])('an explicit null %s is BAD_USER_INPUT', async (field, change) => {
    const { body } = await harness.gateway.gql(
      UPDATE_MUTATION,
      { input: { deviceConfigurationId: c, userStatusId: s, status: 'COMPLIANT', ...change } },
      AUTH,
    );
    expect(body.errors?.[0]).toMatchObject({
      message: expect.stringContaining(`input.${field} cannot be null`) as unknown,
      extensions: { code: 'BAD_USER_INPUT', argument: field },
    });
    expect(harness.emulator.requests).toHaveLength(0);
  });

  // `path: UserStatusPath! = DEVICE_CONFIGURATION`: graphql-js refuses the null while coercing the variables (400).
  it('an explicit null path is BAD_USER_INPUT, before anything runs', async () => {
    const { status, body } = await harness.gateway.gql(
      UPDATE_MUTATION,
      { input: { path: null, deviceConfigurationId: c, userStatusId: s, status: 'COMPLIANT' } },
      AUTH,
    );
    expect(status).toBe(400);
    expect(body.errors?.[0]).toMatchObject({
      message: expect.stringContaining('at "input.path"') as unknown,
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('an input with nothing to change is BAD_USER_INPUT', async () => {
    const { body } = await harness.gateway.gql(
      UPDATE_MUTATION,
      { input: { deviceConfigurationId: c, userStatusId: s } },
      AUTH,
    );
    expect(body.errors?.[0]).toMatchObject({
      message: expect.stringContaining('nothing to change') as unknown,
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it.each([
    ['UNKNOWN', 'unknown'],
    ['NOT_APPLICABLE', 'notApplicable'],
    ['COMPLIANT', 'compliant'],
    ['REMEDIATED', 'remediated'],
    ['NON_COMPLIANT', 'nonCompliant'],
    ['ERROR', 'error'],
    ['CONFLICT', 'conflict'],
    ['NOT_ASSIGNED', 'notAssigned'],
  ])('status %s reaches Graph as "%s" and comes back as %s', async (value, graphValue) => {
    const { body } = await harness.gateway.gql(
      UPDATE_MUTATION,
      { input: { deviceConfigurationId: c, userStatusId: s, status: value } },
      AUTH,
    );
    expect(harness.emulator.requests[0]?.body).toBe(JSON.stringify({ status: graphValue }));
    expect(body.data?.updateDeviceConfigurationUserStatus).toMatchObject({
      userStatus: { status: value },
    });
  });

  it('sends only the given fields, with Graph names', async () => {
    await harness.gateway.gql(
      UPDATE_MUTATION,
      {
        input: {
          deviceConfigurationId: c,
          userStatusId: s,
          userPrincipalName: 'adele@contoso.com',
          devicesCount: 0,
          lastReportedDateTime: '2026-01-31T23:59:59Z',
        },
      },
      AUTH,
    );
    expect(JSON.parse(harness.emulator.requests[0]?.body ?? '')).toEqual({
      userPrincipalName: 'adele@contoso.com',
      devicesCount: 0,
      lastReportedDateTime: '2026-01-31T23:59:59Z',
    });
  });
});

describe('DateTimeOffset', () => {
  it('passes 2017-01-01T00:00:17.7769392-08:00 through byte for byte, both ways', async () => {
    const value = '2017-01-01T00:00:17.7769392-08:00';
    const { body } = await harness.gateway.gql(
      UPDATE_MUTATION,
      { input: { deviceConfigurationId: c, userStatusId: s, lastReportedDateTime: value } },
      AUTH,
    );
    expect(harness.emulator.requests[0]?.body).toBe(`{"lastReportedDateTime":"${value}"}`);
    expect(body.data?.updateDeviceConfigurationUserStatus).toMatchObject({
      userStatus: { lastReportedDateTime: value },
    });
    const read = await harness.gateway.gql(GET_QUERY, { c, s }, AUTH);
    expect(read.body.data?.deviceConfigurationUserStatus).toMatchObject({
      lastReportedDateTime: value,
    });
  });

  it.each([
    ['no offset', '2017-01-01T00:00:17'],
    ['a date only', '2017-01-01'],
    ['8 fractional digits', '2017-01-01T00:00:17.123456789Z'],
    ['February 30', '2017-02-30T00:00:00Z'],
    ['February 29 in a common year', '2023-02-29T00:00:00Z'],
    ['month 13', '2017-13-01T00:00:00Z'],
    ['day 0', '2017-01-00T00:00:00Z'],
    ['hour 24', '2017-01-01T24:00:00Z'],
    ['minute 60', '2017-01-01T00:60:00Z'],
    ['second 60', '2017-01-01T00:00:60Z'],
    ['offset +15:00', '2017-01-01T00:00:00+15:00'],
    ['offset minutes 60', '2017-01-01T00:00:00+01:60'],
    ['a space instead of T', '2017-01-01 00:00:00Z'],
    ['lower-case z', '2017-01-01T00:00:00z'],
    ['year 0000', '0000-01-01T00:00:00Z'],
    ['trailing text', '2017-01-01T00:00:00Z junk'],
    ['a number', 1483228817],
  ])('refuses %s as a variable with BAD_USER_INPUT', async (_name, value) => {
    const { status, body } = await harness.gateway.gql(
      UPDATE_MUTATION,
      { input: { deviceConfigurationId: c, userStatusId: s, lastReportedDateTime: value } },
      AUTH,
    );
    expect(status).toBe(400);
    expect(body.errors?.[0]).toMatchObject({
      message: expect.stringContaining('DateTimeOffset') as unknown,
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('refuses a bad date written inline in the document before execution', async () => {
    const { status, body } = await harness.gateway.gql(
      `mutation { updateDeviceConfigurationUserStatus(input: { deviceConfigurationId: "${c}", userStatusId: "${s}", lastReportedDateTime: "2017-02-30T00:00:00Z" }) { requestId } }`,
      undefined,
      AUTH,
    );
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toContain('has no such day in that month');
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('accepts leap days, ±14:00 offsets and 7 fractional digits', async () => {
    for (const value of [
      '2024-02-29T12:00:00+14:00',
      '2000-02-29T00:00:00.1234567-14:00',
      '9999-12-31T23:59:59.9999999Z',
    ]) {
      const { body } = await harness.gateway.gql(
        UPDATE_MUTATION,
        { input: { deviceConfigurationId: c, userStatusId: s, lastReportedDateTime: value } },
        AUTH,
      );
      expect(body.errors).toBeUndefined();
    }
    expect(harness.emulator.requests).toHaveLength(3);
  });
});

describe('answers Graph sends', () => {
  it('a status value the schema does not know becomes UNKNOWN and is logged', async () => {
    harness.emulator.store.put(c, {
      id: 'future',
      status: 'quantumCompliant',
      userDisplayName: 'Nestor Wilke',
    });
    const { body } = await harness.gateway.gql(GET_QUERY, { c, s: 'future' }, AUTH);
    expect(body.errors).toBeUndefined();
    expect(body.data?.deviceConfigurationUserStatus).toMatchObject({
      id: 'future',
      status: 'UNKNOWN',
      userDisplayName: 'Nestor Wilke',
    });
    const warning = harness.gateway.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => entry.graphStatus === 'quantumCompliant');
    expect(warning).toMatchObject({
      level: 40,
      msg: expect.stringContaining('UNKNOWN') as unknown,
    });
  });

  it('properties Graph leaves out come back null', async () => {
    harness.emulator.store.put(c, { id: 'sparse' });
    const { body } = await harness.gateway.gql(GET_QUERY, { c, s: 'sparse' }, AUTH);
    expect(body.data?.deviceConfigurationUserStatus).toEqual({
      id: 'sparse',
      status: null,
      lastReportedDateTime: null,
      userDisplayName: null,
      userPrincipalName: null,
      devicesCount: null,
    });
  });
});
