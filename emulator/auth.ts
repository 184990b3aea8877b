import type { CallerIdentity } from './quota';

/** What a request may do, as the emulator reads its bearer token (decoded, never verified). */
export type Access = 'read' | 'write';

export interface AuthFailure {
  readonly status: 401 | 403;
  readonly code: string;
  readonly message: string;
}

const READ_SCOPES = [
  'DeviceManagementConfiguration.Read.All',
  'DeviceManagementConfiguration.ReadWrite.All',
];
const WRITE_SCOPES = ['DeviceManagementConfiguration.ReadWrite.All'];

interface TokenClaims {
  readonly scp?: unknown;
  readonly roles?: unknown;
  readonly exp?: unknown;
  readonly tid?: unknown;
  readonly appid?: unknown;
  readonly azp?: unknown;
}

/** The payload of a JWT-shaped token, or `undefined` for an opaque one. */
function jwtClaims(token: string): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null ? payload : undefined;
  } catch {
    return undefined;
  }
}

/** The caller of opaque (non-JWT) tokens: all of them share one tenant and one app. */
export const OPAQUE_CALLER: CallerIdentity = { tenant: '(opaque)', app: '(opaque)' };

const claim = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/**
 * Who a call is charged to for Intune's quotas: the token's `tid`, and `appid` (v1 tokens) or `azp` (v2).
 * A JWT without them is charged to `(none)`. https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
 */
export function callerIdentity(authorization: string | undefined): CallerIdentity {
  const token = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
  const claims = token ? jwtClaims(token) : undefined;
  if (!claims) return OPAQUE_CALLER;
  return {
    tenant: claim(claims.tid) ?? '(none)',
    app: claim(claims.appid) ?? claim(claims.azp) ?? '(none)',
  };
}

function grantedPermissions(claims: TokenClaims): string[] {
  const delegated = typeof claims.scp === 'string' ? claims.scp.split(' ') : [];
  const application = Array.isArray(claims.roles)
    ? claims.roles.filter((role): role is string => typeof role === 'string')
    : [];
  return [...delegated, ...application];
}

/**
 * Graph's rules, emulated: 401 without a bearer token or with an expired JWT; 403 when a JWT's `scp` or
 * `roles` lacks the permission. Opaque (non-JWT) tokens are trusted with full access, for demos and tests.
 * https://learn.microsoft.com/graph/auth/auth-concepts#access-tokens
 */
export function checkAccess(
  authorization: string | undefined,
  access: Access,
  nowMs: number,
): AuthFailure | undefined {
  const match = /^Bearer (\S+)$/i.exec(authorization ?? '');
  if (!match?.[1])
    return { status: 401, code: 'InvalidAuthenticationToken', message: 'Access token is empty.' };
  const claims = jwtClaims(match[1]);
  if (!claims) return undefined;
  if (typeof claims.exp === 'number' && claims.exp * 1000 < nowMs)
    return {
      status: 401,
      code: 'InvalidAuthenticationToken',
      message: 'Lifetime validation failed, the token is expired.',
    };
  if (claims.scp === undefined && claims.roles === undefined) return undefined;
  const needed = access === 'write' ? WRITE_SCOPES : READ_SCOPES;
  const granted = grantedPermissions(claims);
  if (needed.some((scope) => granted.includes(scope))) return undefined;
  return {
    status: 403,
    code: 'Authorization_RequestDenied',
    message: 'Insufficient privileges to complete the operation.',
  };
}

/** An unsigned JWT-shaped token with the given delegated scopes, as the demo and tests hand out. */
export function createEmulatorToken(
  scopes: readonly string[],
  extraClaims: Record<string, unknown> = {},
): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = encode({ typ: 'JWT', alg: 'none' });
  const payload = encode({
    aud: 'https://graph.microsoft.com',
    iss: 'https://emulator.invalid/intune-graphql-gateway/',
    name: 'Demo Admin',
    upn: 'admin@contoso.onmicrosoft.com',
    scp: scopes.join(' '),
    ...extraClaims,
  });
  return `${header}.${payload}.emulator`;
}

export const DEMO_TOKEN = createEmulatorToken(['DeviceManagementConfiguration.ReadWrite.All']);
