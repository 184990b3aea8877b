import type { GraphQLFormattedError } from 'graphql';
import { formatGatewayError } from './gateway-error';

export interface ErrorFormatterOptions {
  /** Hide schema details (suggestions) from every error, as Apollo does for validation errors only. */
  readonly production: boolean;
}

export const INTROSPECTION_OFF_MESSAGE =
  'Introspection is off (the default with NODE_ENV=production); set INTROSPECTION=true to turn it on.';

// graphql-js 16's words when `maxLexicalTokens` stops the parser ("more that", sic), and possibly mended.
const TOO_MANY_TOKENS = /^Syntax Error: Document contains more tha[nt] (\d+) tokens\./;

/** The parser's refusal of a long document, in the gateway's words: what counts, and the setting. */
export function tooManyTokensMessage(limit: string): string {
  return `The document has more than ${limit} tokens (names, punctuation and values; comments do not count): GRAPHQL_MAX_TOKENS.`;
}

// graphql-js appends suggestions as the last sentence: ` Did you mean "x"?`, ` Did you mean the enum value "X"?`.
// The same expression as Apollo's ApolloServerPluginDisableSuggestions.
const SUGGESTION = / ?Did you mean(.+?)\?$/;

/**
 * Apollo's `formatError`: the gateway's masking (formatGatewayError), then messages that speak of this gateway's
 * settings rather than Apollo's constructor or graphql-js's parser options, and in production no suggestions anywhere. Apollo hides them from
 * validation errors only; variable coercion errors ("Value "X" does not exist in "UserStatusPath" enum. Did you
 * mean the enum value …?") would still list the schema's enum values to anyone.
 */
export function createErrorFormatter(
  options: ErrorFormatterOptions,
): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  return (formatted, error) => {
    const result = formatGatewayError(formatted, error);
    if (result.extensions?.validationErrorCode === 'INTROSPECTION_DISABLED')
      return { ...result, message: INTROSPECTION_OFF_MESSAGE };
    const tokens = TOO_MANY_TOKENS.exec(result.message);
    if (tokens && result.extensions?.code === 'GRAPHQL_PARSE_FAILED')
      return { ...result, message: tooManyTokensMessage(tokens[1]!) };
    if (options.production && SUGGESTION.test(result.message))
      return { ...result, message: result.message.replace(SUGGESTION, '') };
    return result;
  };
}
