import type { HttpOutcome, HttpRequest, HttpTransport } from '../../src/graph/http/transport';

/** The `jti` of a request's bearer token: the tests name each caller by it. */
export const whoOf = (request: HttpRequest): string =>
  (
    JSON.parse(
      Buffer.from(request.headers.Authorization!.split('.')[1]!, 'base64url').toString(),
    ) as { jti: string }
  ).jti;

/**
 * A Graph stand-in transport for specs on Jest's fake clock. `sent` lists `<who> at <ms from t0>` as each request
 * arrives (`<who> ×n at …` for a `$batch` of n); `answerTo` says what Graph answers. Requests of the callers in
 * `holding` are held until `answer(who)`; `release()` answers every held request and holds no more.
 */
export function createHeldTransport(
  t0: number,
  answerTo: (request: HttpRequest, who: string) => HttpOutcome,
) {
  const sent: string[] = [];
  const holding = new Set<string>();
  const held: Array<{ who: string; answer: () => void }> = [];
  const transport: HttpTransport = {
    send: (request) => {
      const who = whoOf(request);
      const batch = request.url.pathname.endsWith('/$batch');
      const items = batch ? (JSON.parse(request.body!) as { requests: [] }).requests.length : 0;
      sent.push(`${who}${batch ? ` ×${items}` : ''} at ${Date.now() - t0}`);
      const outcome = answerTo(request, who);
      if (!holding.has(who)) return Promise.resolve(outcome);
      return new Promise((resolve) => held.push({ who, answer: () => resolve(outcome) }));
    },
    close: () => Promise.resolve(),
  };
  /** Answers the requests of `who` held so far (its later ones are held too). */
  const answer = async (who: string) => {
    for (const entry of held.filter((entry) => entry.who === who)) {
      held.splice(held.indexOf(entry), 1);
      entry.answer();
    }
    await jest.advanceTimersByTimeAsync(0);
  };
  const release = async () => {
    holding.clear();
    for (const entry of held.splice(0)) entry.answer();
    await jest.advanceTimersByTimeAsync(0);
  };
  return { transport, sent, holding, answer, release };
}
