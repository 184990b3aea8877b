import { GraphQLError } from 'graphql';
import { GatewayError, GatewayErrorCode } from '../../src/graphql/errors/gateway-error';
import { mediaType } from '../../src/server/http-errors';
import { fastifyTimeouts } from '../../src/server/timeouts';
import {
  INTROSPECTION_OFF_MESSAGE,
  createErrorFormatter,
  tooManyTokensMessage,
} from '../../src/graphql/errors/format-error';

describe('fastifyTimeouts', () => {
  it.each([
    [10_000, 65_000, 2_500],
    [400, 300, 100],
    [100, 100, 50],
  ])(
    'REQUEST_TIMEOUT_MS %i, KEEP_ALIVE_TIMEOUT_MS %i → checked every %i ms',
    (request, idle, interval) => {
      expect(fastifyTimeouts({ requestTimeoutMs: request, keepAliveTimeoutMs: idle })).toEqual({
        requestTimeout: request,
        keepAliveTimeout: idle,
        http: {
          requestTimeout: request,
          headersTimeout: request,
          connectionsCheckingInterval: interval,
        },
      });
    },
  );
});

describe('mediaType', () => {
  it.each([
    [undefined, null],
    ['', null],
    ['application/json', 'application/json'],
    ['Application/JSON; charset=utf-8', 'application/json'],
    [' text/plain ;charset=UTF-8', 'text/plain'],
    ['; charset=utf-8', null],
  ])('%j → %j', (header, expected) => {
    expect(mediaType(header)).toBe(expected);
  });
});

describe('createErrorFormatter', () => {
  const suggestion =
    'Variable "$path" got invalid value "X"; Value "X" does not exist in "UserStatusPath" enum. Did you mean the enum value "DEVICE_CONFIGURATION"?';
  const request = (message: string, extensions: Record<string, unknown>) => {
    const error = new GraphQLError(message, { extensions });
    return [{ message, extensions }, error] as const;
  };

  it.each([
    [true, suggestion, { code: 'BAD_USER_INPUT' }, suggestion.replace(/ Did you mean.*$/, '')],
    [false, suggestion, { code: 'BAD_USER_INPUT' }, suggestion],
    [
      true,
      'Cannot query field "statu" on type "X". Did you mean "status"?',
      { code: 'GRAPHQL_VALIDATION_FAILED' },
      'Cannot query field "statu" on type "X".',
    ],
    [
      false,
      'GraphQL introspection is not allowed by Apollo Server … pass introspection: true to ApolloServer in production',
      { code: 'GRAPHQL_VALIDATION_FAILED', validationErrorCode: 'INTROSPECTION_DISABLED' },
      INTROSPECTION_OFF_MESSAGE,
    ],
    [
      false,
      'Syntax Error: Document contains more that 3000 tokens. Parsing aborted.',
      { code: 'GRAPHQL_PARSE_FAILED' },
      tooManyTokensMessage('3000'),
    ],
    [
      true,
      'Syntax Error: Document contains more than 120 tokens. Parsing aborted.',
      { code: 'GRAPHQL_PARSE_FAILED' },
      tooManyTokensMessage('120'),
    ],
    [
      false,
      'Syntax Error: Document contains more that 3000 tokens. Parsing aborted.',
      { code: 'BAD_USER_INPUT' },
      'Syntax Error: Document contains more that 3000 tokens. Parsing aborted.',
    ],
  ])('production %s: %j → %j', (production, message, extensions, expected) => {
    const [formatted, error] = request(message, extensions);
    const result = createErrorFormatter({ production })(formatted, error);
    expect(result).toEqual({ message: expected, extensions });
  });

  it('still masks what is not a request or gateway error', () => {
    const result = createErrorFormatter({ production: true })(
      { message: 'TypeError: x is undefined. Did you mean y?' },
      new TypeError('x is undefined'),
    );
    expect(result).toEqual({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });

  it('leaves gateway errors as they are', () => {
    const error = new GatewayError(
      GatewayErrorCode.NOT_FOUND,
      'Microsoft Graph has no such user status.',
    );
    const formatted = { message: error.message, extensions: { code: 'NOT_FOUND' } };
    expect(createErrorFormatter({ production: true })(formatted, error)).toEqual(formatted);
  });
});
