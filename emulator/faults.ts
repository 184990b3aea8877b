/**
 * Fault switches: rules that make the emulator answer as a broken or busy Graph would. The first rule that
 * matches a request decides; a rule with `times` is used that many times and then drops out.
 */
export interface FaultRule {
  /** HTTP method to match (any when left out). */
  readonly method?: string;
  /** Matches the request path after the version root (`/deviceManagement/...`): substring or RegExp. */
  readonly path?: string | RegExp;
  /** Answer with this status and Graph's error body for it (unless `body` says otherwise). */
  readonly status?: number;
  /** `Retry-After` header value, seconds (`"2.5"`) or an HTTP date. */
  readonly retryAfter?: string;
  /** Wait this long before answering (or before the other fault). */
  readonly delayMs?: number;
  /** Never answer: keep the socket open until the client gives up. */
  readonly hang?: boolean;
  /** Destroy the socket before any header, or after sending half of a 200 body. */
  readonly reset?: 'before-headers' | 'mid-body';
  /** Replace the body: an empty one, a proxy's HTML page, cut-off JSON, a JSON array, or `size` bytes of JSON. */
  readonly body?: 'empty' | 'html' | 'truncated' | 'array' | 'oversized';
  /** With `body: 'oversized'`: how many bytes. */
  readonly size?: number;
  /** Extra response headers, e.g. `Location` for a redirect. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Apply this many times, then let requests through (N failures before success). */
  readonly times?: number;
  /** Apply to this share of matching requests, from 0 to 1 (chaos and soak runs). */
  readonly probability?: number;
}

interface ActiveRule {
  readonly rule: FaultRule;
  remaining: number;
}

export class FaultSwitches {
  private rules: ActiveRule[] = [];

  add(rule: FaultRule): void {
    this.rules.push({ rule, remaining: rule.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.rules = [];
  }

  get active(): readonly FaultRule[] {
    return this.rules.map((active) => active.rule);
  }

  /** The rule for this request, if any, counting one use of it. */
  take(method: string, path: string, random: () => number = Math.random): FaultRule | undefined {
    const active = this.rules.find(
      ({ rule, remaining }) =>
        remaining > 0 &&
        matches(rule, method, path) &&
        (rule.probability === undefined || random() < rule.probability),
    );
    if (!active) return undefined;
    active.remaining -= 1;
    return active.rule;
  }
}

function matches(rule: FaultRule, method: string, path: string): boolean {
  if (rule.method && rule.method.toUpperCase() !== method) return false;
  if (rule.path === undefined) return true;
  return typeof rule.path === 'string' ? path.includes(rule.path) : rule.path.test(path);
}

const FAULT_KEYS: Readonly<Record<string, (rule: Record<string, unknown>, value: string) => void>> =
  {
    status: (rule, value) => (rule.status = wholeNumber('status', value)),
    // An HTTP date has spaces, which separate settings here: write them as `_`.
    retryAfter: (rule, value) => (rule.retryAfter = value.replace(/_/g, ' ')),
    delayMs: (rule, value) => (rule.delayMs = wholeNumber('delayMs', value)),
    hang: (rule, value) => (rule.hang = value !== 'false'),
    reset: (rule, value) => (rule.reset = oneOf('reset', value, ['before-headers', 'mid-body'])),
    body: (rule, value) =>
      (rule.body = oneOf('body', value, ['empty', 'html', 'truncated', 'array', 'oversized'])),
    size: (rule, value) => (rule.size = wholeNumber('size', value)),
    times: (rule, value) => (rule.times = wholeNumber('times', value)),
    location: (rule, value) => (rule.headers = { Location: value }),
    probability: (rule, value) => (rule.probability = share(value)),
  };

function wholeNumber(key: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`fault ${key} must be a whole number, got "${value}"`);
  return Number(value);
}

function share(value: string): number {
  const number = Number(value);
  if (!/^(0|1|0?\.\d+)$/.test(value) || number > 1)
    throw new Error(`fault probability must be from 0 to 1, got "${value}"`);
  return number;
}

function oneOf(key: string, value: string, allowed: readonly string[]): string {
  if (!allowed.includes(value))
    throw new Error(`fault ${key} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value;
}

/**
 * Parses `--faults`: rules separated by `;`, each `METHOD PATH key=value …`. METHOD and PATH may be `*`; PATH
 * matches as a substring of the path after `/beta`. Example:
 * `PATCH /userStatuses/ status=429 retryAfter=2 times=3; GET * delayMs=500`.
 */
export function parseFaultSpec(spec: string): FaultRule[] {
  return spec
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [method, path, ...settings] = part.split(/\s+/);
      if (!method || !path || settings.length === 0)
        throw new Error(`fault "${part}" must read METHOD PATH key=value …`);
      const rule: Record<string, unknown> = {};
      if (method !== '*') rule.method = method.toUpperCase();
      if (path !== '*') rule.path = path;
      for (const setting of settings) {
        const [key = '', value = ''] = setting.split(/=(.*)/s);
        const apply = FAULT_KEYS[key];
        if (!apply)
          throw new Error(
            `unknown fault key "${key}" (known: ${Object.keys(FAULT_KEYS).join(', ')})`,
          );
        apply(rule, value);
      }
      return rule;
    });
}
