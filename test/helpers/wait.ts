/** Polls until `check` holds, or throws after `timeoutMs`: no fixed sleeps in tests. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 2000,
  intervalMs = 5,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`waitFor: still false after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
