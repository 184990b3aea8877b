import type { Redis } from 'ioredis';
import { createMemoryRoom, evicts, parseMemoryInfo } from '../../src/redis/memory-policy';

describe('the Redis memory policy: may it evict the quota windows?', () => {
  const info = (maxmemory: string, policy: string) =>
    `# Memory\r\nused_memory:1020376\r\nmaxmemory:${maxmemory}\r\nmaxmemory_human:64.00M\r\nmaxmemory_policy:${policy}\r\n`;

  it.each<[string, string, boolean]>([
    ['0', 'noeviction', false],
    ['0', 'allkeys-lru', false],
    ['67108864', 'noeviction', false],
    ['67108864', 'volatile-lru', true],
    ['67108864', 'volatile-ttl', true],
    ['67108864', 'allkeys-lfu', true],
    ['1', 'volatile-random', true],
  ])('maxmemory %s, %s: evicts %p', (maxmemory, policy, expected) => {
    const parsed = parseMemoryInfo(info(maxmemory, policy));
    expect(parsed).toEqual({ maxmemory: Number(maxmemory), policy, used: 1020376 });
    expect(evicts(parsed!)).toBe(expected);
  });

  it.each([
    ['no policy line', '# Memory\r\nmaxmemory:0\r\n'],
    ['no maxmemory line', '# Memory\r\nmaxmemory_policy:noeviction\r\n'],
    ['a maxmemory that is not a number', 'maxmemory:lots\nmaxmemory_policy:noeviction\n'],
    ['nothing', ''],
  ])('%s: nothing to say', (_, text) => {
    expect(parseMemoryInfo(text)).toBeUndefined();
  });
});

describe('createMemoryRoom: may a cache write one more entry into a Redis it shares?', () => {
  /** A Redis whose INFO memory says `used` of `max`, counting the readings; `fail` makes INFO refused. */
  function stubRedis() {
    const state = { used: 0, max: 1_000, readings: 0, fail: false };
    const connection = {
      info: () => {
        state.readings += 1;
        if (state.fail) return Promise.reject(new Error('NOPERM'));
        return Promise.resolve(
          `used_memory:${state.used}\r\nmaxmemory:${state.max}\r\nmaxmemory_policy:noeviction\r\n`,
        );
      },
    } as unknown as Redis;
    return { state, connection };
  }
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('room until a reading says half full; read again at most every everyMs; each change said once', async () => {
    const { state, connection } = stubRedis();
    let clock = 0;
    const changes: Array<[boolean, number]> = [];
    const room = createMemoryRoom(connection, {
      share: 0.5,
      everyMs: 250,
      now: () => clock,
      onChange: (next, info) => changes.push([next, info.used]),
    });
    state.used = 600;
    // No reading yet: room, and a reading starts.
    expect(room()).toBe(true);
    await settle();
    expect(room()).toBe(false);
    expect(state.readings).toBe(1);
    clock = 249;
    state.used = 100;
    expect(room()).toBe(false);
    expect(state.readings).toBe(1);
    clock = 250;
    room();
    await settle();
    expect(room()).toBe(true);
    expect(state.readings).toBe(2);
    expect(changes).toEqual([
      [false, 600],
      [true, 100],
    ]);
  });

  it.each<[string, Partial<{ used: number; max: number; fail: boolean }>, boolean]>([
    ['just under half', { used: 499 }, true],
    ['exactly half', { used: 500 }, false],
    ['no maxmemory: nothing to compare with', { used: 10_000, max: 0 }, true],
    ['INFO refused: the last answer (room) stands', { used: 900, fail: true }, true],
  ])('%s: room %p', async (_, set, expected) => {
    const { state, connection } = stubRedis();
    Object.assign(state, set);
    const room = createMemoryRoom(connection, { share: 0.5, everyMs: 250, now: () => 0 });
    room();
    await settle();
    expect(room()).toBe(expected);
  });
});
