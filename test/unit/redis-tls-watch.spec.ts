import { EventEmitter } from 'node:events';
import { watchTlsOutages } from '../../src/redis/tls-watch';
import type { TlsStart } from '../../src/redis/tls-watch';
import type { RedisSettings } from '../../src/redis/settings';

/**
 * When the gateway names the TLS cause of a later outage (src/redis/tls-watch.ts): on a stand-in with ioredis's
 * events and status, a fake clock and an injected diagnosis. ioredis retries every 500 ms at most, each attempt a
 * 'error' and a 'close'; the diagnoses and the reports must not follow them.
 */
const TLS: RedisSettings = { mode: 'single', url: 'rediss://:secret@127.0.0.1:6380' };

class StandIn extends EventEmitter {
  status = 'ready';
  /** The connection is lost, and ioredis starts retrying. */
  lose() {
    this.status = 'reconnecting';
    this.emit('close');
  }
  /** One failed attempt, as ioredis says it. */
  attempt() {
    this.status = 'connecting';
    this.emit('error', new Error('Connection is closed.'));
    this.status = 'reconnecting';
    this.emit('close');
  }
  /** Ready, and Redis answered on it (src/redis/answering.ts). */
  ready() {
    this.status = 'ready';
    this.emit('ready');
    this.emit('answering');
  }
  /** What ioredis does when the server refuses the client's certificate after the handshake (TLS 1.3). */
  readyThenRefused() {
    this.status = 'ready';
    this.emit('ready');
    this.emit('error', new Error('tlsv13 alert certificate required'));
    this.status = 'reconnecting';
    this.emit('close');
  }
}

function watched(answers: Array<string | undefined>, atStart: TlsStart = { ready: true }) {
  const connection = new StandIn();
  if (!atStart.ready) connection.status = 'reconnecting';
  const diagnosedAt: number[] = [];
  const reports: Array<[number, string]> = [];
  const stop = watchTlsOutages(connection as never, TLS, {
    atStart,
    diagnose: () => {
      diagnosedAt.push(Date.now());
      return Promise.resolve(answers.shift());
    },
    report: (cause) => reports.push([Date.now(), cause]),
  });
  return { connection, diagnosedAt, reports, stop };
}

/** ioredis's retries for `ms`: one failed attempt every 500 ms. */
async function retriesFor(connection: StandIn, ms: number) {
  for (let t = 0; t < ms; t += 500) {
    connection.attempt();
    await jest.advanceTimersByTimeAsync(500);
  }
}

const UNTRUSTED = 'TLS certificate of 127.0.0.1:6380 not trusted (SELF_SIGNED_CERT_IN_CHAIN: x)';

beforeEach(() => {
  jest.useFakeTimers({ now: 0 });
});
afterEach(() => jest.useRealTimers());

describe('watchTlsOutages', () => {
  it('a lost connection that does not come back: one handshake a second in, one report, none per retry', async () => {
    const { connection, diagnosedAt, reports } = watched([UNTRUSTED]);
    connection.lose();
    await retriesFor(connection, 20_000);
    expect(diagnosedAt).toEqual([1_000]);
    expect(reports).toEqual([[1_000, UNTRUSTED]]);
  });

  it('nothing found (Redis down): again after 2, 4, 8… seconds, at most a minute apart, until a cause shows', async () => {
    const answers = [...Array<undefined>(8), UNTRUSTED];
    const { connection, diagnosedAt, reports } = watched(answers);
    connection.lose();
    await retriesFor(connection, 400_000);
    expect(diagnosedAt).toEqual([
      1_000, 3_000, 7_000, 15_000, 31_000, 63_000, 123_000, 183_000, 243_000,
    ]);
    expect(reports).toEqual([[243_000, UNTRUSTED]]);
  });

  it('back before the second is up: no handshake; each outage is reported once', async () => {
    const { connection, diagnosedAt, reports } = watched([UNTRUSTED, UNTRUSTED]);
    connection.lose();
    await jest.advanceTimersByTimeAsync(999);
    connection.ready();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(diagnosedAt).toEqual([]);
    connection.lose();
    await retriesFor(connection, 5_000);
    connection.ready();
    connection.lose();
    await retriesFor(connection, 5_000);
    expect(reports.map(([at]) => at)).toEqual([11_999, 16_999]);
  });

  it("a 'ready' that the server then refuses (no answer came) does not end the outage", async () => {
    const { connection, diagnosedAt, reports } = watched([UNTRUSTED]);
    connection.lose();
    for (let t = 0; t < 5_000; t += 500) {
      connection.readyThenRefused();
      await jest.advanceTimersByTimeAsync(500);
    }
    expect(diagnosedAt).toEqual([1_000]);
    expect(reports).toEqual([[1_000, UNTRUSTED]]);
  });

  it('start-up named the cause: not again for that outage; the next one is', async () => {
    const { connection, diagnosedAt, reports } = watched([UNTRUSTED], {
      ready: false,
      cause: UNTRUSTED,
    });
    await retriesFor(connection, 10_000);
    expect(diagnosedAt).toEqual([]);
    connection.ready();
    connection.lose();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(reports).toEqual([[11_000, UNTRUSTED]]);
  });

  it('start-up found nothing: its handshake was the first, the next comes 2 s later', async () => {
    const { connection, diagnosedAt, reports } = watched([UNTRUSTED], { ready: false });
    await retriesFor(connection, 5_000);
    expect(diagnosedAt).toEqual([2_000]);
    expect(reports).toEqual([[2_000, UNTRUSTED]]);
  });

  it('closed by the gateway (stop, or the connection ended): no more handshakes', async () => {
    const one = watched([UNTRUSTED]);
    one.connection.lose();
    one.stop();
    const two = watched([UNTRUSTED]);
    two.connection.lose();
    two.connection.status = 'end';
    await jest.advanceTimersByTimeAsync(10_000);
    expect([one.diagnosedAt, two.diagnosedAt]).toEqual([[], []]);
  });

  it('without TLS: nothing to diagnose', async () => {
    const connection = new StandIn();
    const diagnose = jest.fn(() => Promise.resolve(UNTRUSTED));
    watchTlsOutages(
      connection as never,
      { mode: 'single', url: 'redis://127.0.0.1:6379' },
      {
        atStart: { ready: true },
        diagnose,
        report: () => undefined,
      },
    );
    connection.lose();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(diagnose).not.toHaveBeenCalled();
  });
});
