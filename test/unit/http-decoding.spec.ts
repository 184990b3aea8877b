import { gzipSync } from 'node:zlib';
import { GzipBody, contentCodingOf } from '../../src/graph/http/decoding';
import type { Inflated } from '../../src/graph/http/decoding';

describe('contentCodingOf (RFC 9110 §8.4)', () => {
  it.each([
    ['gzip', 'gzip'],
    ['GZIP', 'gzip'],
    [' gzip\t', 'gzip'],
    ['x-gzip', 'gzip'],
    ['X-Gzip', 'gzip'],
    ['identity', 'identity'],
    ['Identity', 'identity'],
    ['', 'identity'],
    ['br', null],
    ['deflate', null],
    ['compress', null],
    ['zstd', null],
    ['gzip, gzip', null],
    ['gzip, br', null],
    ['gzipped', null],
  ])('%j is %s', (value, coding) => {
    expect(contentCodingOf(value)).toBe(coding);
  });
});

describe('GzipBody', () => {
  /** Inflates `chunks` with the cap, resolving with what `done` reported. */
  function inflate(chunks: readonly Buffer[], maxBytes: number): Promise<Inflated> {
    return new Promise((resolve) => {
      const body = new GzipBody(maxBytes, { done: resolve, drain: () => undefined });
      for (const chunk of chunks) body.write(chunk);
      body.end();
    });
  }

  it('inflates a body split anywhere, multi-byte characters included', async () => {
    const text = JSON.stringify({ name: 'Zoë Ångström', n: [1, 2, 3] });
    const bytes = gzipSync(text);
    const pieces = [...bytes].map((byte) => Buffer.from([byte]));
    expect(await inflate(pieces, 1024)).toEqual({ ok: true, body: text });
  });

  it('no bytes at all is an empty body', async () => {
    expect(await inflate([], 1024)).toEqual({ ok: true, body: '' });
  });

  it('past the cap: too-large; corrupt: corrupt', async () => {
    expect(await inflate([gzipSync('x'.repeat(101))], 100)).toEqual({
      ok: false,
      problem: 'too-large',
    });
    expect(await inflate([Buffer.from('plain text')], 100)).toEqual({
      ok: false,
      problem: 'corrupt',
    });
  });
});
