/**
 * The token check every test ends with (test/helpers/setup.ts), apart from the harness that registers gateways
 * with it: setup runs in every runner, and importing the harness there loaded the whole gateway (Apollo, Fastify,
 * graphql-js) into runners that only start gateway processes.
 */

/** A running test gateway: its log lines, the tokens sent to it, and how many of its lines were already checked. */
export interface WatchedLogs {
  readonly logs: string[];
  readonly tokens: Set<string>;
  checked: number;
}

const running = new Set<WatchedLogs>();

/** Checks this gateway's logs after every test, until `unwatch`. */
export function watchTokens(entry: WatchedLogs): void {
  running.add(entry);
}

export function unwatchTokens(entry: WatchedLogs): void {
  running.delete(entry);
}

/**
 * Token hygiene, run after every test (test/helpers/setup.ts): no log line written during the test, at any level,
 * holds a token sent to any running gateway. Throwing in `afterEach` fails the very test that leaked.
 */
export function checkTokenHygiene(): void {
  for (const gateway of running) {
    const fresh = gateway.logs.slice(gateway.checked);
    gateway.checked = gateway.logs.length;
    const leaked = [...gateway.tokens].filter((token) =>
      fresh.some((line) => line.includes(token)),
    );
    if (leaked.length > 0)
      throw new Error(`A bearer token was written to the logs: ${leaked.length} token(s)`);
  }
}
