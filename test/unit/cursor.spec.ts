import {
  decodeCursor,
  encodeCursor,
  normaliseListPath,
  pageParamsOf,
} from '../../src/graph/user-statuses/cursor';
import { GraphError, GraphInputError } from '../../src/graph/errors';
import {
  FILTER_RETRY_MS,
  createListSupport,
  positionAfter,
} from '../../src/graph/user-statuses/lists';

const GUID = '6c2b5c4e-1c8f-4ef0-9a5a-0a1f2e3d4c5b';
const LIST = `/deviceManagement/deviceConfigurations/${GUID}/userStatuses`;
const CAST = `/deviceManagement/deviceConfigurations/${GUID}/microsoft.graph.iosScepCertificateProfile/rootCertificate/userStatuses`;
const base = new URL('https://graph.microsoft.com/beta');

describe('normaliseListPath: the same list however Graph spells it', () => {
  it.each([
    [LIST, LIST],
    [LIST, LIST.toUpperCase()],
    [LIST, `/deviceManagement/deviceConfigurations('${GUID.toUpperCase()}')/userStatuses`],
    [LIST, `/deviceManagement/deviceConfigurations(${GUID})/userStatuses`],
    [
      CAST,
      `/deviceManagement/deviceConfigurations('${GUID}')/microsoft.graph.iosScepCertificateProfile/rootCertificate/userStatuses`,
    ],
  ])('%s ≡ %s', (ours, theirs) => {
    expect(normaliseListPath(theirs)).toBe(normaliseListPath(ours));
  });

  it.each([
    [LIST, `/deviceManagement/deviceConfigurations/other/userStatuses`],
    [LIST, CAST],
    [LIST, `${LIST}/extra`],
  ])('%s ≢ %s', (ours, theirs) => {
    expect(normaliseListPath(theirs)).not.toBe(normaliseListPath(ours));
  });
});

describe('pageParamsOf: only the paging token of a nextLink for this list', () => {
  it.each([
    [`https://graph.microsoft.com/beta${LIST}?$skiptoken=abc`, { skiptoken: 'abc' }],
    [
      `https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('${GUID.toUpperCase()}')/userStatuses?$skiptoken=skipCount%3d100`,
      { skiptoken: 'skipCount%3d100' },
    ],
    [`https://graph.microsoft.com/beta${LIST}?$top=5&$skip=10&$expand=*`, { skip: 10 }],
    [`https://graph.microsoft.com/BETA${LIST}?$skiptoken=a`, { skiptoken: 'a' }],
    // The token as it stands, never decoded and encoded again: a `+` stays what Graph wrote (it became %20 once).
    [`https://graph.microsoft.com/beta${LIST}?$skiptoken=ab+cd/ef==`, { skiptoken: 'ab+cd/ef==' }],
    [`https://graph.microsoft.com/beta${LIST}?$skiptoken=a%2Bb%20c`, { skiptoken: 'a%2Bb%20c' }],
    // What a URL parser escapes (a space, a quote) arrives escaped; a name that cannot be decoded is another one.
    [`https://graph.microsoft.com/beta${LIST}?$skiptoken=a b"c`, { skiptoken: 'a%20b%22c' }],
    [`https://graph.microsoft.com/beta${LIST}?%ZZ=1&$skiptoken=x`, { skiptoken: 'x' }],
    [`https://graph.microsoft.com/beta${LIST}?%24skiptoken=x&$skiptoken=y`, { skiptoken: 'x' }],
    [`https://graph.microsoft.com/beta${LIST}?$skiptoken=t#frag`, { skiptoken: 't' }],
  ])('%s → %j', (link, params) => {
    expect(pageParamsOf(link, base, LIST)).toEqual(params);
  });

  it.each([
    ['another origin', `https://graph.microsoft.us/beta${LIST}?$skiptoken=a`],
    ['credentials', `https://u:p@graph.microsoft.com/beta${LIST}?$skiptoken=a`],
    ['another version', `https://graph.microsoft.com/v1.0${LIST}?$skiptoken=a`],
    ['another list', `https://graph.microsoft.com/beta${CAST}?$skiptoken=a`],
    ['no token', `https://graph.microsoft.com/beta${LIST}?$top=5`],
    ['a bad $skip', `https://graph.microsoft.com/beta${LIST}?$skip=-1`],
    ['a broken escape in the token', `https://graph.microsoft.com/beta${LIST}?$skiptoken=%E0%A4%A`],
    ['a lone % in the token', `https://graph.microsoft.com/beta${LIST}?$skiptoken=50%`],
    ['an empty token', `https://graph.microsoft.com/beta${LIST}?$skiptoken`],
    ['not a URL', 'http://['],
  ])('%s is refused', (_name, link) => {
    expect(() => pageParamsOf(link, base, LIST)).toThrow(GraphError);
  });
});

describe('cursors', () => {
  it.each([
    [{ params: {}, offset: 3 }],
    [{ params: { skiptoken: 'skipCount=100' }, offset: 0 }],
    [{ params: { skip: 200 }, offset: 7 }],
    [{ params: { skiptoken: 'skipCount=3' }, offset: 1, filter: 'nonCompliant' }],
    [{ params: { skip: 4 }, offset: 0, filter: null }],
  ])('round-trips %j', (position) => {
    expect(decodeCursor(encodeCursor(LIST, position), LIST)).toEqual(position);
  });

  it('a cursor without a filter is written as before it could carry one', () => {
    const cursor = encodeCursor(LIST, { params: { skip: 3 }, offset: 1 });
    expect(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))).toEqual({
      l: LIST.toLowerCase(),
      s: 3,
      o: 1,
    });
  });

  it.each([
    ['a number', 7],
    ['an empty string', ''],
    ['a quote, which would break out of $filter', "x' or status eq 'y"],
    ['a very long string', 'a'.repeat(65)],
  ])('a forged filter (%s) is refused', (_name, filter) => {
    const payload = { l: LIST.toLowerCase(), t: 'a', o: 0, f: filter };
    const cursor = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    expect(() => decodeCursor(cursor, LIST)).toThrow(GraphInputError);
  });

  it.each([
    ['an ampersand', 'a&$expand=*'],
    ['a hash', 'a#b'],
    ['a space', 'a b'],
    ['a broken escape', 'a%2'],
    ['not a string', 7],
  ])('a token as it stands (r) with %s is refused', (_name, raw) => {
    const payload = { l: LIST.toLowerCase(), r: raw, o: 0 };
    const cursor = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    expect(() => decodeCursor(cursor, LIST)).toThrow(GraphInputError);
  });

  it('a cursor of a gateway before `r` (its token decoded, in t) goes on, encoded as those gateways sent it', () => {
    const payload = { l: LIST.toLowerCase(), t: "skipCount=3&x'", o: 1 };
    const cursor = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    expect(decodeCursor(cursor, LIST)).toEqual({
      params: { skiptoken: "skipCount%3D3%26x'" },
      offset: 1,
    });
    const both = { ...payload, r: 'a' };
    expect(() =>
      decodeCursor(Buffer.from(JSON.stringify(both)).toString('base64url'), LIST),
    ).toThrow(GraphInputError);
  });

  it('a cursor of one list is refused on another', () => {
    const cursor = encodeCursor(LIST, { params: { skiptoken: 'a' }, offset: 0 });
    expect(() => decodeCursor(cursor, CAST)).toThrow(GraphInputError);
  });
});

describe('positionAfter: where an edge cursor goes on', () => {
  const here = { skiptoken: 'skipCount=3' };
  const next = { skiptoken: 'skipCount=6' };
  const items = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
  it.each([
    [
      'a matching item follows in the page: right after the edge',
      next,
      2,
      1,
      { params: here, offset: 1 },
    ],
    [
      "the edge is the page's last match: the next Graph page",
      next,
      0,
      1,
      { params: next, offset: 0 },
    ],
    ["the page's last item: the next Graph page", next, 2, 3, { params: next, offset: 0 }],
    [
      "the last page's last item: right after it, for what Graph adds later",
      null,
      2,
      3,
      { params: here, offset: 3 },
    ],
    ["the last page's last match: right after it", null, 0, 1, { params: here, offset: 1 }],
  ])('%s', (_name, nextParams, lastMatch, position, expected) => {
    const page = { items, next: nextParams };
    expect(positionAfter(page, here, lastMatch, position)).toEqual(expected);
    // A page asked for with $filter hands its filter on to both kinds of position.
    const filtered = { items, next: nextParams, filter: 'compliant' };
    expect(positionAfter(filtered, here, lastMatch, position)).toEqual({
      ...expected,
      filter: 'compliant',
    });
  });
});

describe('ListSupport: what one 400 to $filter teaches, for how long', () => {
  const HOUR = FILTER_RETRY_MS;
  it.each([
    ['the variant that refused, at once', 'DEVICE_CONFIGURATION', 0, false],
    ['the variant that refused, a moment before the hour', 'DEVICE_CONFIGURATION', HOUR - 1, false],
    ['the variant that refused, once the hour is up', 'DEVICE_CONFIGURATION', HOUR, true],
    ['another variant, at once', 'IOS_SCEP_ROOT_CERTIFICATE', 0, true],
  ] as const)('%s (%s): filters → %s', (_name, variant, later, expected) => {
    let now = 1_000;
    const support = createListSupport({ now: () => now });
    support.rejectFilter('DEVICE_CONFIGURATION');
    now += later;
    expect(support.filters(variant)).toBe(expected);
  });

  it('a variant tried again and refused again waits another hour', () => {
    let now = 0;
    const support = createListSupport({ now: () => now });
    support.rejectFilter('DEVICE_CONFIGURATION');
    now = HOUR;
    expect(support.filters('DEVICE_CONFIGURATION')).toBe(true);
    support.rejectFilter('DEVICE_CONFIGURATION');
    now = 2 * HOUR - 1;
    expect(support.filters('DEVICE_CONFIGURATION')).toBe(false);
  });
});
