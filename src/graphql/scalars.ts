import { GraphQLScalarType, Kind } from 'graphql';
import { badUserInput } from './errors/gateway-error';

// RFC 3339 date-time as .NET's DateTimeOffset writes it: an offset or `Z` is required, at most 7 fractional
// digits (100 ns ticks). Upper-case `T` and `Z` only, the form Graph itself sends.
// https://learn.microsoft.com/dotnet/standard/base-types/standard-date-and-time-format-strings#Roundtrip
const DATE_TIME_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,7})?(?:Z|([+-])(\d{2}):(\d{2}))$/;

const MAX_OFFSET_MINUTES = 14 * 60; // .NET's DateTimeOffset accepts offsets up to ±14:00

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Why a string is not a DateTimeOffset, or `undefined` when it is one. Pure arithmetic: no JS `Date`. */
export function dateTimeOffsetProblem(value: string): string | undefined {
  const match = DATE_TIME_OFFSET.exec(value);
  if (!match) return 'is not an RFC 3339 date-time with an offset or Z (up to 7 fractional digits)';
  const part = (group: number): number => Number(match[group] ?? 0);
  const [year, month, day] = [part(1), part(2), part(3)];
  if (year < 1) return 'has year 0000';
  if (month < 1 || month > 12) return 'has no such month';
  if (day < 1 || day > daysInMonth(year, month)) return 'has no such day in that month';
  if (part(4) > 23 || part(5) > 59 || part(6) > 59) return 'has no such time of day';
  if (part(8) > 23 || part(9) > 59 || part(8) * 60 + part(9) > MAX_OFFSET_MINUTES)
    return 'has an offset beyond ±14:00';
  return undefined;
}

function parseDateTimeOffset(value: unknown): string {
  if (typeof value !== 'string') throw badUserInput('DateTimeOffset must be a string.');
  const problem = dateTimeOffsetProblem(value);
  if (problem) throw badUserInput(`DateTimeOffset "${value.slice(0, 64)}" ${problem}.`);
  return value;
}

/**
 * Validates what clients send and returns the very same string; serializes Graph's string as it came. Never
 * through JS `Date`, which would drop the offset and all digits past milliseconds.
 */
export const DateTimeOffsetScalar = new GraphQLScalarType<string, string>({
  name: 'DateTimeOffset',
  // The same URL as the schema's @specifiedBy: this object replaces the SDL's scalar, directive included.
  specifiedByURL: 'https://www.rfc-editor.org/rfc/rfc3339#section-5.6',
  serialize(value) {
    if (typeof value !== 'string') throw new TypeError('DateTimeOffset values are strings');
    return value;
  },
  parseValue: parseDateTimeOffset,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw badUserInput('DateTimeOffset must be a string.');
    return parseDateTimeOffset(ast.value);
  },
});
