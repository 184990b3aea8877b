import { Kind } from 'graphql';
import { DateTimeOffsetScalar, dateTimeOffsetProblem } from '../../src/graphql/scalars';

describe('dateTimeOffsetProblem', () => {
  it.each([
    '2017-01-01T00:00:17.7769392-08:00',
    '2017-01-01T00:00:17Z',
    '2017-01-01T00:00:17.1Z',
    '2024-02-29T00:00:00+00:00',
    '2000-02-29T23:59:59.9999999+14:00',
    '0001-01-01T00:00:00-14:00',
    '9999-12-31T23:59:59Z',
  ])('accepts %s', (value) => {
    expect(dateTimeOffsetProblem(value)).toBeUndefined();
  });

  it.each([
    ['2017-01-01T00:00:17', 'is not an RFC 3339'],
    ['2017-01-01T00:00:17.12345678Z', 'is not an RFC 3339'],
    ['2017-1-01T00:00:17Z', 'is not an RFC 3339'],
    ['2017-01-01T00:00:17.Z', 'is not an RFC 3339'],
    ['2017-01-01t00:00:17Z', 'is not an RFC 3339'],
    ['2017-01-01T00:00:17+0800', 'is not an RFC 3339'],
    ['0000-01-01T00:00:00Z', 'year 0000'],
    ['2017-00-01T00:00:00Z', 'no such month'],
    ['2017-04-31T00:00:00Z', 'no such day'],
    ['1900-02-29T00:00:00Z', 'no such day'],
    ['2017-01-01T23:59:60Z', 'no such time'],
    ['2017-01-01T00:00:00+14:01', 'beyond ±14:00'],
    ['2017-01-01T00:00:00-24:00', 'beyond ±14:00'],
  ])('refuses %s (%s)', (value, problem) => {
    expect(dateTimeOffsetProblem(value)).toContain(problem);
  });
});

describe('DateTimeOffsetScalar', () => {
  it('returns the very string it was given, both ways', () => {
    const value = '2017-01-01T00:00:17.7769392-08:00';
    expect(DateTimeOffsetScalar.parseValue(value)).toBe(value);
    expect(DateTimeOffsetScalar.parseLiteral({ kind: Kind.STRING, value }, {})).toBe(value);
    expect(DateTimeOffsetScalar.serialize(value)).toBe(value);
  });

  it('refuses non-strings with BAD_USER_INPUT', () => {
    expect(() => DateTimeOffsetScalar.parseValue(42)).toThrow('DateTimeOffset must be a string.');
    expect(() => DateTimeOffsetScalar.parseLiteral({ kind: Kind.INT, value: '42' }, {})).toThrow(
      'DateTimeOffset must be a string.',
    );
  });
});
