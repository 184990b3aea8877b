import { GraphQLError } from 'graphql';
import {
  GatewayError,
  GatewayErrorCode,
  formatGatewayError,
} from '../../src/graphql/errors/gateway-error';

const located = (original: Error) =>
  new GraphQLError(original.message, { path: ['field'], originalError: original });

describe('formatGatewayError', () => {
  it('keeps gateway errors and drops any stacktrace', () => {
    const error = new GatewayError(GatewayErrorCode.NOT_FOUND, 'gone');
    const formatted = formatGatewayError(
      { message: 'gone', path: ['field'], extensions: { code: 'NOT_FOUND', stacktrace: ['at x'] } },
      located(error),
    );
    expect(formatted).toEqual({
      message: 'gone',
      path: ['field'],
      extensions: { code: 'NOT_FOUND' },
    });
  });

  it('masks an unexpected error thrown in a resolver', () => {
    const formatted = formatGatewayError(
      {
        message: 'Cannot read properties of undefined (reading token)',
        path: ['field'],
        extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] },
      },
      located(new TypeError('Cannot read properties of undefined (reading token)')),
    );
    expect(formatted).toEqual({
      message: 'Internal server error',
      path: ['field'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });

  it('keeps request errors such as validation failures', () => {
    const error = new GraphQLError('Cannot query field "nope" on type "Query".', {
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    const formatted = formatGatewayError(
      { message: error.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
      error,
    );
    expect(formatted.message).toBe(error.message);
  });

  it('always sets extensions.code on a GatewayError', () => {
    for (const code of Object.values(GatewayErrorCode)) {
      expect(new GatewayError(code, 'x').extensions.code).toBe(code);
    }
  });
});
