import { quotaKeys } from '../../src/graph/quota/store';
import {
  createEpochRule,
  GLOBAL_EPOCH_KEY,
  isCrossSlot,
} from '../../src/graph/quota/stores/epoch-rule';
import { createEpochBook } from '../../src/graph/quota/stores/epochs';

describe("createEpochBook: the tenant epoch a replica's take expects", () => {
  const WINDOW = 1_000;

  it.each<[string, number, string]>([
    // what the take expects `ms` after the epoch was last seen (at 10,000)
    ['seen this moment', 0, 'e1'],
    ['seen just within a window', WINDOW - 1, 'e1'],
    ['seen a window ago: the store may have let it expire', WINDOW, ''],
    ['seen long ago', 10 * WINDOW, ''],
  ])('%s: %p ms later expects %p', (_, later, expected) => {
    const book = createEpochBook();
    book.saw('k', 'e1', 10_000);
    expect(book.expected('k', 10_000 + later, WINDOW)).toBe(expected);
  });

  it('never seen: expects nothing; each key on its own; the latest sighting wins', () => {
    const book = createEpochBook();
    expect(book.expected('k', 0, WINDOW)).toBe('');
    book.saw('k', 'e1', 0);
    book.saw('other', 'x', 0);
    book.saw('k', 'e2', 500);
    expect([book.expected('k', 600, WINDOW), book.expected('other', 600, WINDOW)]).toEqual([
      'e2',
      'x',
    ]);
  });

  it('clear: a dropped connection forgets every epoch, and counts a generation', () => {
    const book = createEpochBook();
    book.saw('k', 'e1', 0);
    const generation = book.generation;
    book.clear();
    expect(book.expected('k', 1, WINDOW)).toBe('');
    expect(book.generation).toBe(generation + 1);
  });

  it('many tenants: stale ones are swept, live ones kept', () => {
    const book = createEpochBook();
    expect(book.expected('probe', 0, WINDOW)).toBe('');
    for (let i = 0; i < 10_000; i += 1) book.saw(`old${i}`, 'e', 0);
    book.saw('live', 'e', 5_000);
    // The 10,001st key swept the 10,000 seen more than a window before; 'live' was kept.
    expect(book.size).toBe(1);
    for (let i = 0; i < 10_000; i += 1) book.saw(`new${i}`, 'n', 5_500);
    // All live: no sweep until twice as many as the last one left.
    expect(book.size).toBe(10_001);
    expect(book.expected('live', 5_900, WINDOW)).toBe('e');
    expect(book.expected('old1', 5_900, WINDOW)).toBe('');
    expect(book.expected('new9999', 5_900, WINDOW)).toBe('n');
  });
});

describe('createEpochRule: the key for all only on a standalone Redis', () => {
  const KEYS = quotaKeys({ tenant: '11111111-1111-4111-8111-111111111111', app: 'a' });
  const info = (mode: string, cluster: string) =>
    `# Server\r\nredis_version:7.0.15\r\nredis_mode:${mode}\r\n# Cluster\r\ncluster_enabled:${cluster}\r\n`;

  it.each<[string, boolean, string | undefined, boolean]>([
    ['a standalone Redis (or a Sentinel master)', false, info('standalone', '0'), true],
    ['a cluster node behind one endpoint', false, info('cluster', '1'), false],
    ['standalone mode but cluster enabled', false, info('standalone', '1'), false],
    ['a proxy that refuses INFO', false, undefined, false],
    ['a proxy whose INFO says nothing of either', false, '# Server\r\nproxy:1\r\n', false],
    ['a Cluster connection, whatever INFO says', true, info('standalone', '0'), false],
  ])('%s: key for all %p', (_, cluster, text, global) => {
    const rule = createEpochRule(cluster);
    expect(rule.global).toBe(false);
    rule.decide(text);
    expect(rule.global).toBe(global);
    expect(rule.of(KEYS, 1_000)).toEqual(
      global
        ? { key: GLOBAL_EPOCH_KEY, life: 0, freshMs: Number.POSITIVE_INFINITY }
        : { key: KEYS.epoch, life: 2_000, freshMs: 1_000 },
    );
  });

  it('a CROSSSLOT refusal turns it off for good, a later connection too', () => {
    const rule = createEpochRule(false);
    rule.decide(info('standalone', '0'));
    rule.refuse();
    expect(rule.global).toBe(false);
    rule.decide(info('standalone', '0'));
    expect(rule.global).toBe(false);
    expect(isCrossSlot(new Error("CROSSSLOT Keys in request don't hash to the same slot"))).toBe(
      true,
    );
    expect(isCrossSlot(new Error('OOM command not allowed'))).toBe(false);
  });
});
