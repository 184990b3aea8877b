/**
 * Graph's `Retry-After` in seconds: a (possibly fractional) number of seconds, or an HTTP date. `undefined` when
 * absent or unreadable. Pure: the clock is a parameter.
 * https://learn.microsoft.com/graph/throttling#best-practices-to-handle-throttling
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  if (!/[a-z]/i.test(text)) return undefined; // not a date either: "-1", "1e3", ""
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, (at - nowMs) / 1000);
}
