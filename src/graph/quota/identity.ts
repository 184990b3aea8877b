import { createHash } from 'node:crypto';
import type { QuotaIdentity } from './limits';

/**
 * Entra ID puts the tenant in `tid` and the client app in `appid` (v1 tokens) or `azp` (v2 tokens); Intune's
 * limits are counted per app per tenant and per tenant.
 * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
 *
 * The payload is decoded for this only, never verified and never trusted for anything else: a caller can forge
 * any claim. So only GUIDs are accepted as they are; anything else is replaced by a SHA-256 of the whole token,
 * which names no part of it.
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Entra tokens are a few KB; decoding is skipped for anything much larger (it is then hashed). */
const MAX_DECODED_TOKEN_LENGTH = 16 * 1024;

/** `sha256:<hex>` of the token: the same token always gets the same key, and the key reveals nothing of it. */
export function hashedQuotaKey(token: string): string {
  return `sha256:${createHash('sha256').update(token).digest('hex')}`;
}

function bearerToken(authorization: string): string {
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1] ?? authorization.trim();
}

function payloadClaims(token: string): Record<string, unknown> | undefined {
  if (token.length > MAX_DECODED_TOKEN_LENGTH) return undefined;
  const parts = token.split('.');
  const payload = parts[1];
  if (parts.length !== 3 || !payload || !BASE64URL.test(payload)) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return undefined;
    return claims as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function guidClaim(value: unknown): string | undefined {
  return typeof value === 'string' && GUID.test(value) ? value.toLowerCase() : undefined;
}

/** v1 tokens name the client in `appid`, v2 tokens in `azp`; without `ver`, whichever is there. */
function appClaim(claims: Record<string, unknown>): string | undefined {
  if (claims.ver === '2.0') return guidClaim(claims.azp);
  if (claims.ver === '1.0') return guidClaim(claims.appid);
  return guidClaim(claims.appid) ?? guidClaim(claims.azp);
}

/** Whose budget a call spends, from the caller's `Authorization` value (`Bearer …`). */
export function quotaIdentity(authorization: string): QuotaIdentity {
  const token = bearerToken(authorization);
  const claims = payloadClaims(token);
  const tenant = claims ? guidClaim(claims.tid) : undefined;
  const app = claims ? appClaim(claims) : undefined;
  if (tenant && app) return { tenant, app };
  const hashed = hashedQuotaKey(token);
  return { tenant: tenant ?? hashed, app: app ?? hashed };
}

/** Identities of the tokens seen last, FIFO; a caller's token is the same on each request for about an hour. */
export const IDENTITY_CACHE_SIZE = 1_000;

/**
 * What the identity and the proof of one `Authorization` value are remembered under: its SHA-256, never the value.
 * The Graph client works it out once per operation (`CallContext.tokenKey`) and hands it to both; each SHA-256 was
 * a share of the gateway's CPU per request when each lookup made its own.
 */
export function tokenKey(authorization: string): string {
  return createHash('sha256').update(authorization).digest('base64');
}

/**
 * `quotaIdentity`, remembered for the last IDENTITY_CACHE_SIZE tokens: each request of a caller would otherwise
 * decode its token again, and its identity being the same object lets the stores keep its keys (`quotaKeys`)
 * instead of building them per request. One cache per Graph service (built in `createGraphService`), gone with it.
 * It keeps no token: entries are keyed by the SHA-256 of the `Authorization` value and hold only the tenant and app
 * GUIDs read from it (or hashes), evicted first in, first out once IDENTITY_CACHE_SIZE others came after them.
 */
export function createIdentityCache(size = IDENTITY_CACHE_SIZE) {
  const known = new Map<string, QuotaIdentity>();
  return (authorization: string, key = tokenKey(authorization)): QuotaIdentity => {
    let identity = known.get(key);
    if (identity) return identity;
    identity = Object.freeze(quotaIdentity(authorization));
    known.set(key, identity);
    if (known.size > size) known.delete(known.keys().next().value!);
    return identity;
  };
}

/** Tokens remembered as accepted by Graph; a few MB at most (a hash and a map entry each). */
export const TOKEN_PROOFS_SIZE = 10_000;

/** Whether Graph has accepted a caller's token (issue 23, point 5): see `createTokenProofs`. */
export interface TokenProofs {
  /** `key`: `tokenKey(authorization)`, when the caller has it already. */
  isProven(authorization: string, key?: string): boolean;
  /** Graph answered a call of this token with a status that only a genuine token gets (`provesToken`). */
  prove(authorization: string, key?: string): void;
}

/**
 * Whether an answer shows that Graph accepted the token: any status but 401 and 403 (Graph refused the token), 429
 * and 5xx (they can come before Graph has looked at the token), or none. A 400 or 404 comes after Graph
 * authenticated the caller. https://learn.microsoft.com/graph/errors
 */
export function provesToken(status: number | null): boolean {
  return status !== null && status < 500 && status !== 401 && status !== 403 && status !== 429;
}

/**
 * The tokens Graph has accepted, remembered by the SHA-256 of the `Authorization` value (never the value), the
 * last `size` of them, least recently proven first out. Only Graph's acceptance adds one, so forged tokens, however
 * many, cannot push genuine ones out. One per Graph service (built in `createGraphService`), gone with it; each
 * replica learns on its own, from the answers to its own calls.
 */
export function createTokenProofs(size = TOKEN_PROOFS_SIZE): TokenProofs {
  const proven = new Set<string>();
  return {
    isProven: (authorization, key = tokenKey(authorization)) => proven.has(key),
    prove(authorization, key = tokenKey(authorization)) {
      proven.delete(key);
      proven.add(key);
      if (proven.size > size) proven.delete(proven.values().next().value!);
    },
  };
}
