import { createHash } from 'node:crypto';
import { createApqCache } from '../../src/graphql/persisted/apq-cache';

/**
 * The in-process APQ cache's bound (GRAPHQL_APQ_CACHE_CHARACTERS) counts each entry's key (`apq:` and 64 hex
 * digits, 68 characters) and a fixed 150 for the cache's bookkeeping besides the document: 218 per entry. Counting
 * documents alone, a 10,000-character cache kept 3,333 three-character documents, each costing some 230 bytes.
 */
const key = (text: string) => `apq:${createHash('sha256').update(text).digest('hex')}`;

/** `count` distinct documents of exactly `length` characters (base 36 numbers, padded). */
const documents = (count: number, length: number) =>
  Array.from({ length: count }, (_, index) => index.toString(36).padStart(length, '_'));

async function kept(maxCharacters: number, texts: readonly string[]): Promise<number> {
  const cache = createApqCache({ maxCharacters, maxDocumentLength: 50_000, ttlSeconds: 60 });
  for (const text of texts) await cache.set(key(text), text);
  const found = await Promise.all(texts.map((text) => cache.get(key(text))));
  return found.filter((text) => text !== undefined).length;
}

describe('the in-process bound counts every entry’s key and bookkeeping', () => {
  it.each<[string, number, number, number]>([
    // what, cache characters, document length, entries kept
    ['tiny documents: the overhead dominates', 10_000, 3, 45], // 10,000 / (3 + 218)
    ['small documents', 10_000, 100, 31], // 10,000 / 318
    ['documents of 1,000 characters', 10_000, 1_000, 8], // 10,000 / 1,218
    ['one document filling the bound with its overhead', 10_000, 9_782, 1],
    ['one character more: bigger than the whole cache, never kept', 10_000, 9_783, 0],
    ['a bound ten times larger, tiny documents', 100_000, 3, 452], // 100,000 / 221
  ])('%s: %d characters keep %d-character documents ×%d', async (_what, max, length, count) => {
    const texts = documents(count + 50, length);
    expect(texts.every((text) => text.length === length)).toBe(true);
    expect(await kept(max, texts)).toBe(count);
  });
});
