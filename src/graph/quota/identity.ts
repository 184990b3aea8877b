import { createHash } from 'node:crypto';
import type { QuotaIdentity } from './limits';
import { holdFor } from './throttle-policy';
import type { QuotaTake } from './types';

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
 * Statuses an HTTP front end gives about a request's size or shape before anything reads the token: http.sys and
 * IIS answer 400 "Request Header Too Long" to headers over 16 KB, and a caller chooses its token's size (up to the
 * 16 KB decoded here) and the ids' length in the path. A forged token proven by one would skip the gate and its
 * 429s would hold the tenant it claims.
 */
const BEFORE_THE_TOKEN: ReadonlySet<number> = new Set([400, 408, 411, 413, 414, 431]);

/** Whether a front end may give this status before anything reads the token (`BEFORE_THE_TOKEN`). */
export const answeredBeforeTheToken = (status: number | null): boolean =>
  status !== null && BEFORE_THE_TOKEN.has(status);

/**
 * Whether an answer shows that Graph accepted the token: any status but 401 and 403 (Graph refused the token), 429
 * and 5xx (they can come before Graph has looked at the token), those of `BEFORE_THE_TOKEN`, or none. A 404 or 409
 * comes after Graph authenticated the caller. https://learn.microsoft.com/graph/errors
 */
export function provesToken(status: number | null): boolean {
  return (
    status !== null &&
    status < 500 &&
    status !== 401 &&
    status !== 403 &&
    status !== 429 &&
    !BEFORE_THE_TOKEN.has(status)
  );
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

/**
 * What a 429 changes. Only a token Graph has accepted (`trusted`: proven before the call, or by another answer to
 * it) says anything of the tenant and app its claims name: its 429 holds them on every replica and may lower their
 * limit (`throttle.ts`). An unproven token's claims may be forged, and Graph (or its front door) can answer 429
 * before it looks at the token, so its 429 holds that token alone, in this replica, for the same time: a genuine
 * caller still backs off as Graph asked, and a forger cannot stall the tenant it names.
 * https://learn.microsoft.com/graph/throttling
 */
export interface ThrottleEffect {
  readonly holds: 'tenant' | 'token';
  readonly holdMs: number;
  readonly lowersLimit: boolean;
}

export function throttleEffect(
  trusted: boolean,
  retryAfterMs: number | undefined,
  windowMs: number,
  maxHoldMs: number,
): ThrottleEffect {
  const holdMs = holdFor(retryAfterMs, windowMs, maxHoldMs);
  return { holds: trusted ? 'tenant' : 'token', holdMs, lowersLimit: trusted };
}

/** Tokens held at once: a forger can mint any number of tokens, so beyond this the oldest hold goes first. */
export const TOKEN_HOLDS_SIZE = 10_000;

type TokenWait = Pick<QuotaTake, 'token' | 'deadline' | 'cancellation'>;

/**
 * The tokens an unproven 429 holds, by `tokenKey` (a SHA-256, never the token), in this replica only: nothing per
 * token goes to the shared store. At most `size` of them; an entry goes once its hold has passed (swept from the
 * oldest as holds are set) or once `size` later holds came after it.
 */
export class TokenHolds {
  private readonly until = new Map<string, number>();

  private readonly now: () => number;

  constructor(
    private readonly options: {
      readonly now: () => number;
      /** Resolves `true` after `ms`, `false` as soon as `signal` aborts. */
      readonly sleep: (ms: number, signal?: AbortSignal) => Promise<boolean>;
      readonly size?: number;
    },
  ) {
    this.now = options.now;
  }

  get count(): number {
    return this.until.size;
  }

  /** When this token's hold ends, 0 when it has none: one lookup, none at all while no token is held. */
  heldUntil(token: string | undefined): number {
    if (token === undefined || this.until.size === 0) return 0;
    const until = this.until.get(token);
    if (until === undefined) return 0;
    if (until > this.now()) return until;
    this.until.delete(token);
    return 0;
  }

  /** Holds a token for `ms` from now, unless it is held longer already. */
  hold(token: string | undefined, ms: number): void {
    if (token === undefined || !(ms > 0)) return;
    const now = this.now();
    const until = now + ms;
    if ((this.until.get(token) ?? 0) >= until) return;
    // Set last, out last: the map's order is the order holds were set.
    this.until.delete(token);
    this.until.set(token, until);
    for (const [key, end] of this.until) {
      if (end > now && this.until.size <= (this.options.size ?? TOKEN_HOLDS_SIZE)) break;
      this.until.delete(key);
    }
  }

  /**
   * Waits out a take's token hold (and a later one set meanwhile): 0 once none is left; when one ends at or past
   * the take's deadline, or the gateway drains (its waits end at once), the ms until it ends (the take is refused);
   * `null` when the take was cancelled.
   */
  async wait(take: TokenWait): Promise<number | null> {
    const { cancellation } = take;
    for (let end = this.heldUntil(take.token); end > 0; end = this.heldUntil(take.token)) {
      if (end >= take.deadline || cancellation?.draining) return end - this.now();
      const slept = await this.options.sleep(end - this.now(), cancellation?.signal());
      if (!slept && (cancellation?.stopped || !cancellation?.draining)) return null;
    }
    return cancellation?.stopped ? null : 0;
  }
}
