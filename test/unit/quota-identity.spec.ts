import { createHash } from 'node:crypto';
import { createIdentityCache, hashedQuotaKey, quotaIdentity } from '../../src/graph/quota';

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

  it('each cache is its own: what one service remembered, another has not', () => {
    const header = bearer(TENANT);
    const first = createIdentityCache(10);
    const second = createIdentityCache(10);
    expect(second(header)).not.toBe(first(header));
    expect(second(header)).toEqual(first(header));
  });
});
