import { createHash } from 'node:crypto';
import {
  createIdentityCache,
  createTokenProofs,
  hashedQuotaKey,
  provesToken,
  quotaIdentity,
  tokenKey,
} from '../../src/graph/quota';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const APP = 'de8bc8b5-d9f9-48b1-a8ad-b748da725064';
const OTHER_APP = '14d82eec-204b-4c2f-b7e8-296a70dab67e';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: unknown) =>
  `${encode({ typ: 'JWT', alg: 'RS256' })}.${encode(claims)}.c2lnbmF0dXJl`;
const sha = (token: string) => `sha256:${createHash('sha256').update(token).digest('hex')}`;

describe('quotaIdentity', () => {
  it.each<[string, unknown, { tenant: string; app: string }]>([
    [
      'v1 token: tid and appid',
      { ver: '1.0', tid: TENANT, appid: APP, azp: OTHER_APP },
      { tenant: TENANT, app: APP },
    ],
    [
      'v2 token: tid and azp',
      { ver: '2.0', tid: TENANT, azp: APP, appid: OTHER_APP },
      { tenant: TENANT, app: APP },
    ],
    [
      'no ver: appid first',
      { tid: TENANT, appid: APP, azp: OTHER_APP },
      { tenant: TENANT, app: APP },
    ],
    ['no ver: azp when no appid', { tid: TENANT, azp: APP }, { tenant: TENANT, app: APP }],
    [
      'GUIDs are lower-cased',
      { tid: TENANT.toUpperCase(), appid: APP.toUpperCase() },
      { tenant: TENANT, app: APP },
    ],
  ])('%s', (_name, claims, expected) => {
    expect(quotaIdentity(`Bearer ${jwt(claims)}`)).toEqual(expected);
  });

  it('accepts any casing and spacing of the Bearer scheme', () => {
    const token = jwt({ tid: TENANT, appid: APP });
    expect(quotaIdentity(`bearer   ${token}`)).toEqual({ tenant: TENANT, app: APP });
  });

  // Claims an attacker could forge to reach into keys: each must give way to a hash of the whole token.
  it.each<[string, unknown, 'tenant' | 'app' | 'both']>([
    ['tid not a GUID', { tid: 'contoso', appid: APP }, 'tenant'],
    ['tid with a Redis hash tag', { tid: `{${TENANT}}`, appid: APP }, 'tenant'],
    ['tid with a key separator', { tid: `${TENANT}:w`, appid: APP }, 'tenant'],
    ['tid a GUID with trailing text', { tid: `${TENANT}\n`, appid: APP }, 'tenant'],
    ['tid a number', { tid: 42, appid: APP }, 'tenant'],
    ['tid an object', { tid: { toString: TENANT }, appid: APP }, 'tenant'],
    ['appid too long', { ver: '1.0', tid: TENANT, appid: `${APP}${APP}` }, 'app'],
    ['v2 token without azp', { ver: '2.0', tid: TENANT, appid: APP }, 'app'],
    ['no claims at all', {}, 'both'],
    ['claims an array', [TENANT, APP], 'both'],
    ['claims a string', TENANT, 'both'],
  ])('%s: hashed, never copied', (_name, claims, hashed) => {
    const token = jwt(claims);
    const identity = quotaIdentity(`Bearer ${token}`);
    expect(identity).toEqual({
      tenant: hashed === 'app' ? TENANT : sha(token),
      app: hashed === 'tenant' ? APP : sha(token),
    });
  });

  it.each<[string, string]>([
    ['an opaque token', 'EwBwA8l6BAAU7p9QDpi/D7xJLwsTgCg3TskyTaQAAQ'],
    ['a JWE (five parts)', 'a.b.c.d.e'],
    [
      'a payload that is not base64url',
      `${encode({})}.${encode({ tid: TENANT }).slice(0, 5)}+/=.sig`,
    ],
    [
      'a payload that is not JSON',
      `${encode({})}.${Buffer.from('tid=x').toString('base64url')}.sig`,
    ],
    ['an empty payload', 'a..c'],
    [
      'a huge token',
      `${encode({})}.${encode({ tid: TENANT, appid: APP, pad: 'x'.repeat(20_000) })}.sig`,
    ],
  ])('%s: both keys are the token hash', (_name, token) => {
    expect(quotaIdentity(`Bearer ${token}`)).toEqual({ tenant: sha(token), app: sha(token) });
  });

  it('a value without the Bearer scheme is hashed as it is', () => {
    expect(quotaIdentity('Basic dXNlcjpwYXNz')).toEqual({
      tenant: sha('Basic dXNlcjpwYXNz'),
      app: sha('Basic dXNlcjpwYXNz'),
    });
    expect(quotaIdentity('')).toEqual({ tenant: sha(''), app: sha('') });
  });

  it('the hash key is stable, 64 hex digits, and holds no part of the token', () => {
    const token = 'secret-opaque-token-value';
    const key = hashedQuotaKey(token);
    expect(key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(hashedQuotaKey(token)).toBe(key);
    expect(key).not.toContain('secret');
    expect(hashedQuotaKey(`${token}x`)).not.toBe(key);
  });
});

describe('createIdentityCache', () => {
  const bearer = (tid: string) => `Bearer ${jwt({ tid, appid: APP, ver: '1.0' })}`;

  it('gives the same identity object for the same header, equal to quotaIdentity', () => {
    const identityOf = createIdentityCache(10);
    const header = bearer(TENANT);
    const first = identityOf(header);
    expect(first).toEqual(quotaIdentity(header));
    expect(identityOf(header)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it.each([
    // [cache size, headers seen, is the first one still remembered]
    [2, 2, true],
    [2, 3, false],
    [1000, 1000, true],
    [1000, 1001, false],
  ])('size %i, %i distinct headers seen: first still remembered: %s', (size, count, kept) => {
    const identityOf = createIdentityCache(size);
    const headers = Array.from({ length: count }, (_, n) => `Bearer opaque-${n}`);
    const first = identityOf(headers[0]!);
    for (const header of headers.slice(1)) identityOf(header);
    expect(identityOf(headers[0]!) === first).toBe(kept);
  });

  it('a key given with the header (tokenKey, worked out once per operation) finds what the header alone finds', () => {
    const identityOf = createIdentityCache(10);
    const header = bearer(TENANT);
    const first = identityOf(header);
    expect(identityOf(header, tokenKey(header))).toBe(first);
    const other = bearer('22222222-2222-2222-2222-222222222222');
    expect(identityOf(other, tokenKey(other))).toBe(identityOf(other));
    expect(tokenKey(header)).not.toContain(header.slice(7, 40));
  });

  it('each cache is its own: what one service remembered, another has not', () => {
    const header = bearer(TENANT);
    const first = createIdentityCache(10);
    const second = createIdentityCache(10);
    expect(second(header)).not.toBe(first(header));
    expect(second(header)).toEqual(first(header));
  });
});

describe('provesToken: answers only a token Graph accepted gets', () => {
  it.each<[number | null, boolean]>([
    [200, true],
    [204, true],
    [404, true],
    [409, true],
    [401, false],
    [403, false],
    // Throttling and Graph's own failures can come before it has looked at the token.
    [429, false],
    // So can a front end's answers about the request's size or shape (headers over 16 KB: http.sys's 400).
    [400, false],
    [408, false],
    [411, false],
    [413, false],
    [414, false],
    [431, false],
    [500, false],
    [503, false],
    // No answer at all (timeout, connection).
    [null, false],
  ])('%p proves the token: %p', (status, proves) => {
    expect(provesToken(status)).toBe(proves);
  });
});

describe('createTokenProofs', () => {
  const bearer = (n: number) => `Bearer ${jwt({ tid: TENANT, appid: APP, n })}`;

  it('a token is unproven until proven; another token with the same claims is not', () => {
    const proofs = createTokenProofs(10);
    expect(proofs.isProven(bearer(1))).toBe(false);
    proofs.prove(bearer(1));
    expect(proofs.isProven(bearer(1))).toBe(true);
    expect(proofs.isProven(bearer(2))).toBe(false);
  });

  it('a key given with the header (tokenKey) proves and finds the same token as the header alone', () => {
    const proofs = createTokenProofs(10);
    proofs.prove(bearer(1), tokenKey(bearer(1)));
    expect(proofs.isProven(bearer(1))).toBe(true);
    proofs.prove(bearer(2));
    expect(proofs.isProven(bearer(2), tokenKey(bearer(2)))).toBe(true);
    expect(proofs.isProven(bearer(3), tokenKey(bearer(3)))).toBe(false);
  });

  it.each([
    // [size, other tokens proven after the first, the first proven again in between, still proven]
    [3, 2, false, true],
    [3, 3, false, false],
    [3, 3, true, true],
  ])(
    'size %i, %i proven after it (refreshed: %s): still proven %s',
    (size, after, refreshed, kept) => {
      const proofs = createTokenProofs(size);
      proofs.prove(bearer(0));
      for (let n = 1; n <= after; n += 1) {
        proofs.prove(bearer(n));
        if (refreshed && n === after - 1) proofs.prove(bearer(0));
      }
      expect(proofs.isProven(bearer(0))).toBe(kept);
    },
  );

  it('unproven tokens, however many, push none out: only proving adds', () => {
    const proofs = createTokenProofs(2);
    proofs.prove(bearer(0));
    for (let n = 1; n < 100; n += 1) expect(proofs.isProven(bearer(n))).toBe(false);
    expect(proofs.isProven(bearer(0))).toBe(true);
  });
});
