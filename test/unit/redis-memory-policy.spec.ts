import { evicts, parseMemoryInfo } from '../../src/redis/memory-policy';

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
