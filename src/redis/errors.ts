import { nodeText, redisEndpoint } from './settings';
import type { RedisSettings } from './settings';

/** Redis answered with an error of its own (OOM, READONLY, NOPERM…), as ioredis names it: not a lost connection. */
export const isReplyError = (error: unknown): error is Error =>
  error instanceof Error && error.name === 'ReplyError';

/**
 * Where a Redis error happened, as `host:port`: the node a socket error names (a Cluster's last node error), else
 * the deployment's endpoint (the one Redis, the Cluster's seed, the Sentinel master's name). Never credentials.
 */
export function redisErrorNode(error: unknown, settings: RedisSettings): string {
  const { address, port, lastNodeError } = (error ?? {}) as {
    address?: unknown;
    port?: unknown;
    lastNodeError?: unknown;
  };
  if (lastNodeError) return redisErrorNode(lastNodeError, settings);
  if (typeof address === 'string' && typeof port === 'number')
    return nodeText({ host: address, port });
  return redisEndpoint(settings);
}

/** The passwords the settings hold, as given and URL-encoded (as a URL would show them). */
function secretsOf(settings: RedisSettings): string[] {
  const given: Array<string | undefined> = [];
  if (settings.mode === 'single') {
    const url = new URL(settings.url);
    given.push(url.password, safeDecode(url.password));
  } else given.push(settings.auth.password);
  if (settings.mode === 'sentinel') given.push(settings.sentinelPassword);
  const secrets = given.filter((secret): secret is string => Boolean(secret));
  return [...new Set([...secrets, ...secrets.map(encodeURIComponent)])];
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * An error's words as a log line may hold them: the first line, at most 200 characters, and any password of the
 * settings replaced. Redis's and Node's messages do not quote one; this is for the day one does (a URL in a
 * message), since a REDIS_URL holds the password.
 */
export function redisErrorWords(message: string, settings: RedisSettings): string {
  let words = message.split('\n')[0]!;
  // Before the cut: a password cut in two would not be found.
  for (const secret of secretsOf(settings)) words = words.split(secret).join('[redacted]');
  return words.slice(0, 200);
}
