import { GZIP_MIN_BYTES, acceptsGzip, shouldGzip } from '../../emulator/compression';

describe("the emulator's Accept-Encoding (RFC 9110 §12.5.3)", () => {
  it.each([
    ['gzip', true],
    ['GZIP', true],
    ['x-gzip', true],
    ['gzip, deflate, br', true],
    ['br;q=1.0, gzip;q=0.8', true],
    ['*', true],
    ['br, *;q=0.5', true],
    [undefined, false],
    ['', false],
    ['identity', false],
    ['br, deflate', false],
    ['gzip;q=0', false],
    ['gzip; q=0.000', false],
    ['*, gzip;q=0', false],
    ['*;q=0', false],
  ])('%j: gzip %s', (header, accepted) => {
    expect(acceptsGzip(header)).toBe(accepted);
  });

  it(`gzips only bodies of ${GZIP_MIN_BYTES} bytes or more`, () => {
    expect(shouldGzip('x'.repeat(GZIP_MIN_BYTES - 1), 'gzip')).toBe(false);
    expect(shouldGzip('x'.repeat(GZIP_MIN_BYTES), 'gzip')).toBe(true);
    // Bytes, not characters: 512 × 'é' is 1024 bytes of UTF-8.
    expect(shouldGzip('é'.repeat(GZIP_MIN_BYTES / 2), 'gzip')).toBe(true);
    expect(shouldGzip('x'.repeat(GZIP_MIN_BYTES), undefined)).toBe(false);
  });
});
