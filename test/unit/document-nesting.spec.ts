import { documentNestingExceeds } from '../../src/server/document-nesting';

describe('documentNestingExceeds', () => {
  it.each([
    ['{ a { b } }', 2, false],
    ['{ a { b { c } } }', 2, true],
    ['{ a(x: [[1]]) }', 4, false],
    ['{ a(x: [[[1]]]) }', 4, true],
    ['{ a(x: "{{{{{{") }', 2, false],
    ['{ a(x: "\\"{{{{") }', 2, false],
    ['{ a(x: """ {{{{ \\""" {{{ """) }', 2, false],
    ['# {{{{{{\n{ a }', 1, false],
    ['{ a } # {{{{{{ (a last comment, no newline)', 1, false],
    ['{ a(x: "unclosed {{{{{{ ) }', 2, false],
    ['{ a(x: """ a "quote" {{{{ """) { b { c } } }', 3, false],
    ['{ a(x: """ a "quote" {{{{ """) { b { c } } }', 2, true],
    [`${'{a'.repeat(5000)}${'}'.repeat(5000)}`, 200, true],
  ])('%j over %i: %s', (text, limit, expected) => {
    expect(documentNestingExceeds(text, limit)).toBe(expected);
  });
});
