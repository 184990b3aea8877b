import { searchOf } from '../../src/server/apollo-handler';

describe('searchOf: the query string as URL.search gives it, without building a URL', () => {
  it.each([
    ['/graphql', ''],
    ['/graphql?', ''],
    ['/graphql?query=%7B__typename%7D', '?query=%7B__typename%7D'],
    ['/graphql?query={a}&operationName=A', '?query={a}&operationName=A'],
    ['/graphql?a=1?b=2', '?a=1?b=2'],
    ['/graphql?extensions=%7B%7D&variables=', '?extensions=%7B%7D&variables='],
    // A fragment is no part of it (a hand-written request line can carry one).
    ['/graphql?query={a}#x', '?query={a}'],
    ['/graphql?#x', ''],
    ['/graphql#x?query={a}', ''],
  ])('%s → %j', (url, search) => {
    expect(searchOf(url)).toBe(search);
    // What Apollo reads from it is the same as from URL.search (which percent-encodes a few characters).
    const params = (value: string) => [...new URLSearchParams(value).entries()];
    expect(params(searchOf(url))).toEqual(params(new URL(url, 'http://localhost/').search));
  });
});
