/**
 * graphql-js parses recursively: a document nested about 2,000 levels deep overflows its stack and comes back as
 * "Maximum call stack size exceeded". Counting the nesting of the text first (one pass, strings and comments
 * skipped) refuses such a document with a message that says what is wrong, before the parser sees it.
 */
export const MAX_DOCUMENT_NESTING = 200;

/** What the scan stops at: strings and comments (skipped), and what opens or closes a nesting. */
const STRUCTURE = /["#{}()[\]]/g;

/** Where the string starting at `start` ends (its last quote), or the text's end when it is not closed. */
function skipString(text: string, start: number): number {
  const block = text.startsWith('"""', start);
  const end = block ? '"""' : '"';
  for (let index = start + end.length; index < text.length; index += 1) {
    const char = text[index];
    if (char === '\\') index += 1;
    else if (char === '"' && (!block || text.startsWith(end, index))) return index + end.length - 1;
  }
  return text.length;
}

/**
 * Whether `{`, `(` and `[` nest deeper than `limit` anywhere in the document text. The regular expression jumps
 * from one structural character to the next (twice as fast as reading every character: this runs over up to 50 KB
 * per request, hostile documents included, before anything else looks at them).
 */
export function documentNestingExceeds(text: string, limit = MAX_DOCUMENT_NESTING): boolean {
  let depth = 0;
  const pattern = new RegExp(STRUCTURE.source, 'g');
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    const char = match[0];
    if (char === '"') pattern.lastIndex = skipString(text, match.index) + 1;
    else if (char === '#') {
      const newline = text.indexOf('\n', match.index);
      if (newline === -1) return false;
      pattern.lastIndex = newline;
    } else if (char === '{' || char === '(' || char === '[') {
      depth += 1;
      if (depth > limit) return true;
    } else depth -= 1;
  }
  return false;
}
