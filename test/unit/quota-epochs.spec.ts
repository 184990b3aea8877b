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

  it('clear: a dropped connection forgets every epoch', () => {
    const book = createEpochBook();
    book.saw('k', 'e1', 0);
    book.clear();
    expect(book.expected('k', 1, WINDOW)).toBe('');
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
