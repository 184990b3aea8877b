/**
 * graphql-js parses recursively: a document nested about 2,000 levels deep overflows its stack and comes back as
 * "Maximum call stack size exceeded". Counting the nesting of the text first (one pass, strings and comments
 * skipped) refuses such a document with a message that says what is wrong, before the parser sees it.
 */
export const MAX_DOCUMENT_NESTING = 200;

function skipString(text: string, start: number): number {
  const block = text.startsWith('"""', start);
  const end = block ? '"""' : '"';
  for (let index = start + end.length; index < text.length; index += 1) {
    if (text[index] === '\\') index += 1;
    else if (text.startsWith(end, index)) return index + end.length - 1;
  }
  return text.length;
}

/** Whether `{`, `(` and `[` nest deeper than `limit` anywhere in the document text. */
export function documentNestingExceeds(text: string, limit = MAX_DOCUMENT_NESTING): boolean {
  let depth = 0;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (char === '"') index = skipString(text, index);
    else if (char === '#') {
      const newline = text.indexOf('\n', index);
      index = newline === -1 ? text.length : newline;
    } else if (char === '{' || char === '(' || char === '[') {
      depth += 1;
      if (depth > limit) return true;
    } else if (char === '}' || char === ')' || char === ']') depth -= 1;
  }
  return false;
}
