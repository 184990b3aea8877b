import type { Redis } from 'ioredis';
import {
  createMemoryRoom,
  roomAfter,
  STALE_AFTER_MS,
  storedBytes,
  wellBelow,
} from '../../src/redis/memory-room';
import type { RoomState } from '../../src/redis/memory-room';

const MB = 1_000_000;
const node = (used: number, maxmemory = 100 * MB) => ({ used, maxmemory, policy: 'noeviction' });

describe('roomAfter: what one INFO reading lets a replica write into a Redis it shares', () => {
  it.each<[string, ReturnType<typeof node>[] | undefined, number, RoomState, number, boolean]>([
    // name, masters, replicas → state, allowance (bytes until the next reading), well below half (say "room")
    ['a fifth full, one replica', [node(20 * MB)], 1, 'room', 30 * MB, true],
    ['a fifth full, three replicas: a third each', [node(20 * MB)], 3, 'room', 10 * MB, true],
    ['just under half: room, but not well below', [node(47 * MB)], 1, 'room', 3 * MB, false],
    ['at half', [node(50 * MB)], 1, 'full', 0, false],
    ['past half', [node(70 * MB)], 2, 'full', 0, false],
    [
      'a cluster: the fullest master decides',
      [node(10 * MB), node(40 * MB)],
      1,
      'room',
      10 * MB,
      true,
    ],
    ['no maxmemory: no bound to keep to', [node(1 * MB, 0)], 1, 'unknown', 0, false],
    ['INFO refused or failed', undefined, 1, 'unknown', 0, false],
    ['no master answered', [], 1, 'unknown', 0, false],
  ])('%s', (_, infos, replicas, state, allowance, below) => {
    const reading = roomAfter(infos, 0.5, replicas);
    expect(reading).toMatchObject({ state, allowance });
    expect(wellBelow(reading, 0.5)).toBe(below);
  });
});

describe("storedBytes: what Redis spends on a document, counted against a replica's part", () => {
  it.each<[number, number]>([
    // a document's value and key in UTF-8 → bytes counted
    [0, 100],
    [1_000, 1_350],
    [33_000, 41_350],
    [149_700, 187_225],
  ])('%i bytes count as %i', (bytes, counted) => expect(storedBytes(bytes)).toBe(counted));
});

describe('createMemoryRoom: a write waits for a reading when the last one is older than everyMs', () => {
  /** A Redis whose INFO memory says `used` of `max`, counting the readings; `fail` makes INFO refused. */
  function stubRedis() {
    const state = { used: 0, max: 1_000, readings: 0, fail: false, unreachable: false };
    const refused = Object.assign(new Error('NOPERM this user has no permissions'), {
      name: 'ReplyError',
    });
    const connection = {
      info: () => {
        state.readings += 1;
        if (state.unreachable) return Promise.reject(new Error('Connection is closed.'));
        if (state.fail) return Promise.reject(refused);
        return Promise.resolve(
          `used_memory:${state.used}\r\nmaxmemory:${state.max}\r\nmaxmemory_policy:noeviction\r\n`,
        );
      },
    } as unknown as Redis;
    return { state, connection };
  }
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('an allowance per reading; read again at most every everyMs; what is said changes once each time', async () => {
    const { state, connection } = stubRedis();
    let clock = 0;
    const said: string[] = [];
    const room = createMemoryRoom(connection, {
      share: 0.5,
      replicas: 2,
      everyMs: 250,
      now: () => clock,
      onChange: (next, info) => said.push(`${next} ${info?.used ?? '-'}`),
    });
    state.used = 100;
    // The first write waits for the first reading: (500 - 100) / 2 replicas = 200 bytes until the next one.
    expect(await room.take(150)).toBe(true);
    expect([await room.take(60), await room.take(50)]).toEqual([false, true]);
    expect(state.readings).toBe(1);
    clock = 250;
    state.used = 480;
    // Room for 10 bytes, not well below half: held back, said once (before, its part used up well below half: silent).
    expect([await room.take(11), await room.take(10)]).toEqual([false, true]);
    clock = 500;
    state.used = 300;
    expect(await room.take(1)).toBe(true);
    // A failed reading keeps the last answer for STALE_AFTER_MS, and is tried again at each write meanwhile.
    state.fail = true;
    clock = 750;
    const readings = state.readings;
    expect([await room.take(1), await room.take(1)]).toEqual([true, true]);
    expect(state.readings).toBe(readings + 2);
    clock = 500 + STALE_AFTER_MS;
    expect(await room.take(1)).toBe(false);
    expect(said).toEqual(['full 480', 'room 300', 'unknown -']);
  });

  it('refresh reads at once (at each connection), and not twice at a time', async () => {
    const { state, connection } = stubRedis();
    const room = createMemoryRoom(connection, {
      share: 0.5,
      replicas: 1,
      everyMs: 250,
      now: () => 0,
    });
    room.refresh();
    room.refresh();
    await settle();
    expect(state.readings).toBe(1);
    expect(await room.take(400)).toBe(true);
    expect(state.readings).toBe(1);
  });

  it('Redis not reachable: no room, and nothing said (the cache warns of its outage itself)', async () => {
    const { state, connection } = stubRedis();
    const said: string[] = [];
    const room = createMemoryRoom(connection, {
      share: 0.5,
      replicas: 1,
      everyMs: 250,
      now: () => 0,
      onChange: (next) => said.push(next),
    });
    state.unreachable = true;
    expect(await room.take(1)).toBe(false);
    expect(said).toEqual([]);
    state.unreachable = false;
    // A failed reading is tried again at the next write.
    expect(await room.take(1)).toBe(true);
  });
});
