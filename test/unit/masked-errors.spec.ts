import { GraphQLError } from 'graphql';
import type { GraphQLRequestContextDidEncounterErrors } from '@apollo/server';
import { GatewayError, GatewayErrorCode } from '../../src/graphql/errors/gateway-error';
import type { GatewayContext } from '../../src/graphql/context';
import { createMetrics } from '../../src/observability/metrics';
import { createObservabilityPlugin } from '../../src/observability/operation-plugin';

/**
 * An error the client sees only as `Internal server error` is logged for the operator, once, without the error
 * object (it may carry an upstream request, and in it the caller's token); the client's own mistakes and the
 * gateway's typed errors are not logged as faults.
 */
const TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOi-secret-token';

function resolverError(original: Error, path: ReadonlyArray<string | number>) {
  return new GraphQLError(original.message, { path, originalError: original });
}

async function logged(errors: readonly GraphQLError[]) {
  const calls: Array<[unknown, string]> = [];
  const log = { error: (object: unknown, message: string) => void calls.push([object, message]) };
  const metrics = createMetrics();
  try {
    const listener = await createObservabilityPlugin(metrics).requestDidStart!({} as never);
    await listener!.didEncounterErrors!({
      contextValue: { log } as unknown as GatewayContext,
      errors,
    } as unknown as GraphQLRequestContextDidEncounterErrors<GatewayContext>);
  } finally {
    metrics.close();
  }
  return calls;
}

it('a thrown TypeError is logged with its type, message, path and stack frames, never its properties', async () => {
  const bug = Object.assign(new TypeError("Cannot read properties of undefined (reading 'id')"), {
    config: { headers: { Authorization: `Bearer ${TOKEN}` } },
  });
  const calls = await logged([resolverError(bug, ['deviceConfigurationUserStatus', 'id'])]);
  expect(calls).toHaveLength(1);
  const [object, message] = calls[0]!;
  expect(message).toBe('error answered as INTERNAL_SERVER_ERROR');
  expect(object).toMatchObject({
    err: { type: 'TypeError', message: "Cannot read properties of undefined (reading 'id')" },
    path: ['deviceConfigurationUserStatus', 'id'],
  });
  const frames = (object as { frames: string[] }).frames;
  expect(frames.length).toBeGreaterThan(0);
  expect(frames.every((frame) => frame.startsWith('at '))).toBe(true);
  expect(JSON.stringify(object)).not.toContain(TOKEN);
});

it.each([
  ['a gateway error', new GatewayError(GatewayErrorCode.NOT_FOUND, 'No such user status.')],
  [
    'a validation error',
    new GraphQLError('Cannot query field "x".', {
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    }),
  ],
  [
    'a variable the caller got wrong',
    new GraphQLError('Variable "$c" of required type "ID!" was not provided.', {
      extensions: { code: 'BAD_USER_INPUT' },
    }),
  ],
])('%s is not logged as a fault', async (_name, error) => {
  expect(await logged([error])).toEqual([]);
});

it('each masked error of an answer is logged once, the others not at all', async () => {
  const errors = [
    resolverError(new RangeError('Maximum call stack size exceeded'), ['a']),
    new GatewayError(GatewayErrorCode.BAD_USER_INPUT, 'bad'),
    resolverError(new Error('boom'), ['b', 0]),
  ];
  const calls = await logged(errors);
  expect(calls.map(([object]) => (object as { path: unknown }).path)).toEqual([['a'], ['b', 0]]);
});
