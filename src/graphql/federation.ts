import { Kind, parse } from 'graphql';
import type {
  ConstDirectiveNode,
  DefinitionNode,
  DocumentNode,
  GraphQLSchema,
  ObjectTypeDefinitionNode,
} from 'graphql';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { buildSubgraphSchema as BuildSubgraphSchema } from '@apollo/subgraph';
import { entityResolvers } from './resolvers';

// Federation 2: the schema becomes a subgraph that composes into an Apollo Router supergraph.
// https://www.apollographql.com/docs/graphos/schema-design/federated-schemas/federation
export const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])';

/** The entity: a user status is found again by the three ids of where it is (see docs/federation.md). */
export const USER_STATUS_ENTITY = 'DeviceConfigurationUserStatus';
export const USER_STATUS_KEY = 'path deviceConfigurationId id';

const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

/** The resolver map `buildSubgraphSchema` takes, from its public signature (not from the package's dist/). */
type SubgraphResolvers = NonNullable<
  Extract<Parameters<typeof BuildSubgraphSchema>[0], { resolvers?: unknown }>['resolvers']
>;

const directive = (name: string, fields?: string): ConstDirectiveNode => ({
  kind: Kind.DIRECTIVE,
  name: { kind: Kind.NAME, value: name },
  arguments: fields
    ? [
        {
          kind: Kind.ARGUMENT,
          name: { kind: Kind.NAME, value: 'fields' },
          value: { kind: Kind.STRING, value: fields },
        },
      ]
    : [],
});

const SHAREABLE = directive('shareable');
const KEY = directive('key', USER_STATUS_KEY);

function isValueType(definition: DefinitionNode): definition is ObjectTypeDefinitionNode {
  return definition.kind === Kind.OBJECT_TYPE_DEFINITION && !ROOT_TYPES.has(definition.name.value);
}

/** `@shareable` on every object type but the roots; `@key` too on the user status. */
function subgraphDirectives(definition: ObjectTypeDefinitionNode): ConstDirectiveNode[] {
  const own = [...(definition.directives ?? []), SHAREABLE];
  return definition.name.value === USER_STATUS_ENTITY ? [KEY, ...own] : own;
}

/**
 * The schema's SDL as a subgraph: the federation link, the user status as an entity (`@key`), and every object type
 * but the roots marked `@shareable`. A neighbour may define the same value types, Relay's `PageInfo` first of all;
 * without `@shareable` on both sides composition fails with INVALID_FIELD_SHARING. The user status stays
 * `@shareable` as it was before it became an entity, so a neighbour that defined it as a value type still composes.
 * https://www.apollographql.com/docs/graphos/schema-design/federated-schemas/sharing-types
 */
export function subgraphTypeDefs(typeDefs: readonly string[]): DocumentNode {
  const document = parse([FEDERATION_LINK, ...typeDefs].join('\n'));
  return {
    ...document,
    definitions: document.definitions.map((definition) =>
      isValueType(definition)
        ? { ...definition, directives: subgraphDirectives(definition) }
        : definition,
    ),
  };
}

/** The resolvers with the entity's `__resolveReference` (resolvers.ts) merged into the user status's own. */
function withEntityResolvers(resolvers: object): object {
  const own = (resolvers as Record<string, object | undefined>)[USER_STATUS_ENTITY];
  return {
    ...resolvers,
    [USER_STATUS_ENTITY]: { ...own, ...entityResolvers[USER_STATUS_ENTITY] },
  };
}

/** The executable subgraph schema (`_service { sdl }` and `_entities` included). Loads the federation libraries on first use. */
export async function buildSubgraph(
  typeDefs: readonly string[],
  resolvers: object,
): Promise<GraphQLSchema> {
  // Loaded only in this mode: the federation libraries weigh several MB of memory.
  const { buildSubgraphSchema } = await import('@apollo/subgraph');
  return buildSubgraphSchema([
    {
      typeDefs: subgraphTypeDefs(typeDefs),
      resolvers: withEntityResolvers(resolvers) as SubgraphResolvers,
    },
  ]);
}

const JSON_TYPE = 'application/json';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json';
type ResponseType = typeof JSON_TYPE | typeof GRAPHQL_RESPONSE_TYPE;
/** Apollo's candidates, in its order, each with the parameters it offers them with. */
const CANDIDATES: readonly ResponseType[] = [JSON_TYPE, GRAPHQL_RESPONSE_TYPE];
const CANDIDATE_PARAMS: ReadonlyMap<string, string> = new Map([['charset', 'utf-8']]);

interface AcceptRange {
  readonly type: string;
  readonly params: ReadonlyMap<string, string>;
  readonly q: number;
  readonly order: number;
}

interface Priority {
  readonly q: number;
  readonly s: number;
  readonly order: number;
}

function acceptRanges(accept: string): AcceptRange[] {
  return accept.split(',').flatMap((part, order) => {
    const [type = '', ...rest] = part.split(';').map((item) => item.trim());
    const params = new Map<string, string>();
    for (const param of rest) {
      const at = param.indexOf('=');
      if (at > 0)
        params.set(
          param.slice(0, at).trim().toLowerCase(),
          param
            .slice(at + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1'),
        );
    }
    const q = params.has('q') ? Number.parseFloat(params.get('q')!) : 1;
    params.delete('q');
    return type.includes('/') ? [{ type: type.toLowerCase(), params, q, order }] : [];
  });
}

/** How a range matches a type: 4 for the type, 2 for the subtype, 1 for its parameters; null when it does not. */
function specificity(range: AcceptRange, candidate: ResponseType): number | null {
  const [type, subtype] = range.type.split('/');
  const [wantedType, wantedSubtype] = candidate.split('/');
  let s = 0;
  if (type === wantedType) s |= 4;
  else if (type !== '*') return null;
  if (subtype === wantedSubtype) s |= 2;
  else if (subtype !== '*') return null;
  if (range.params.size === 0) return s;
  const matches = [...range.params].every(
    ([name, value]) => value === '*' || value.toLowerCase() === CANDIDATE_PARAMS.get(name),
  );
  return matches ? s | 1 : null;
}

/** The range that decides for a candidate: the most specific, then the highest quality, then the last. */
function priorityOf(candidate: ResponseType, ranges: readonly AcceptRange[]): Priority {
  let best: Priority = { q: 0, s: 0, order: -1 };
  for (const range of ranges) {
    const s = specificity(range, candidate);
    if (s !== null && (best.s - s || best.q - range.q || best.order - range.order) < 0)
      best = { q: range.q, s, order: range.order };
  }
  return best;
}

/**
 * The JSON type Apollo Server answers a single result with, for an `Accept` header: no header is
 * `application/json`; otherwise the candidate with the highest quality, then the most specific range, then the
 * earlier range, then `application/json`; `null` when neither is acceptable (Apollo answers 406). The same rules as
 * Apollo's own choice (`chooseContentTypeForSingleResultResponse`, through `negotiator`), which it does not export.
 */
export function responseTypeFor(accept: string | undefined): ResponseType | null {
  if (!accept) return JSON_TYPE;
  const ranges = acceptRanges(accept);
  const [first] = CANDIDATES.map((type, index) => ({ type, index, ...priorityOf(type, ranges) }))
    .filter((candidate) => candidate.q > 0)
    .sort((a, b) => b.q - a.q || b.s - a.s || a.order - b.order || a.index - b.index);
  return first?.type ?? null;
}

/**
 * Variables that do not coerce, answered as a router can pass them on. Apollo Server 5 answers them with HTTP 400
 * whatever the client accepts (`status400ForVariableCoercionErrors` is always on), and a router treats a subgraph's
 * 4xx as a failed fetch: `@apollo/gateway` throws "400: Bad Request" with INTERNAL_SERVER_ERROR and the subgraph's
 * errors buried in `extensions.response.body` (RemoteGraphQLDataSource.errorFromResponse); Apollo Router adds a
 * SUBREQUEST_HTTP_ERROR. GraphQL over HTTP says an `application/json` answer to a well-formed request SHOULD be 200
 * whatever its request errors, 4xx being for `application/graphql-response+json`. Routers ask for `application/json`
 * (`@apollo/gateway` sends no Accept; Apollo Router sends `application/json` first), so in subgraph mode those
 * answers are 200 with their BAD_USER_INPUT errors, which a router passes on like any subgraph error. A client that
 * prefers `application/graphql-response+json` (Apollo Client, urql, graphql-request) still gets its 400.
 * https://graphql.github.io/graphql-over-http/draft/#sec-application-json
 * https://www.apollographql.com/docs/apollo-server/migration (status400ForVariableCoercionErrors)
 */
export function createRouterErrorsPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    requestDidStart: () =>
      Promise.resolve({
        willSendResponse({ request, response }) {
          const { body, http } = response;
          if (http.status !== 400 || body.kind !== 'single') return Promise.resolve();
          const { data, errors } = body.singleResult;
          const coercion =
            data === undefined &&
            Boolean(errors?.length) &&
            errors!.every((error) => error.extensions?.code === 'BAD_USER_INPUT');
          if (!coercion || responseTypeFor(request.http?.headers.get('accept')) !== JSON_TYPE)
            return Promise.resolve();
          // Set here, Apollo keeps it rather than negotiating again: the status and the type agree.
          http.headers.set('content-type', `${JSON_TYPE}; charset=utf-8`);
          http.status = 200;
          return Promise.resolve();
        },
      }),
  };
}
