import {
  createUserStatus,
  deleteUserStatus,
  listUserStatuses,
  updateUserStatus,
  updateUserStatuses,
  userStatusKey,
} from '../graph';
import type { GraphQLResolveInfo } from 'graphql';
import type { GraphUserStatus } from '../graph';
import type { Resolvers } from '../generated/graphql';
import type { GatewayContext } from './context';
import {
  toBulkResult,
  toComplianceStatus,
  toGraphStatus,
  toLocation,
  toNewUserStatus,
  toPreparedUpdates,
  toReferenceLocation,
  toUserStatusChanges,
  REFERENCE_ID_NAMES,
} from './mappers';
import { toEdges } from './page-info';
import { DateTimeOffsetScalar } from './scalars';
import { selectedFields } from './selection';
import { upstream } from './errors/from-graph';

/** Resolvers stay short: arguments → the Graph layer → mappers; `upstream` maps Graph's errors once. */
export const resolvers: Resolvers = {
  DateTimeOffset: DateTimeOffsetScalar,

  Query: {
    deviceConfigurationUserStatus: (_root, args, { loaders }, info) =>
      upstream(
        () => loaders.userStatus.load(userStatusKey(toLocation(args), selectedFields(info))),
        { variant: args.path },
      ),

    deviceConfigurationUserStatuses: (_root, args, { graph, graphBase, listSupport }, info) =>
      upstream(
        () =>
          listUserStatuses(graph, graphBase, listSupport, {
            origin: { path: args.path, deviceConfigurationId: args.deviceConfigurationId },
            first: args.first,
            after: args.after,
            status: args.status ? toGraphStatus(args.status) : null,
            // The same nodes are under `nodes` and `edges { node }`: Graph is asked for what either selects.
            fields: [
              ...selectedFields(info, ['nodes']),
              ...selectedFields(info, ['edges', 'node']),
            ],
          }),
        { variant: args.path },
      ),
  },

  Mutation: {
    updateDeviceConfigurationUserStatus: (_root, { input }, { graph }) =>
      upstream(() => updateUserStatus(graph, toLocation(input), toUserStatusChanges(input)), {
        variant: input.path,
      }),

    updateDeviceConfigurationUserStatuses: (_root, { inputs }, { graph }) =>
      upstream(async () => {
        const updates = toPreparedUpdates(inputs);
        const outcomes = await updateUserStatuses(graph, updates);
        return outcomes.map((outcome, index) =>
          toBulkResult(outcome, updates[index]!.path.variant),
        );
      }),

    createDeviceConfigurationUserStatus: (_root, { input }, { graph }) =>
      upstream(() => createUserStatus(graph, toNewUserStatus(input)), {
        variant: input.path,
      }),

    deleteDeviceConfigurationUserStatus: (_root, args, { graph }) =>
      upstream(() => deleteUserStatus(graph, toLocation(args)), { variant: args.path }),
  },

  DeviceConfigurationUserStatusConnection: {
    edges: (page) => toEdges(page),
  },

  DeviceConfigurationUserStatusEdge: {
    cursor: ({ page, index }) => page.cursorAt(index),
  },

  DeviceConfigurationUserStatus: {
    status: (userStatus, _args, { log }) =>
      toComplianceStatus(userStatus.status, (value) =>
        log.warn(
          { graphStatus: value },
          'Graph sent a complianceStatus this schema does not know; answered UNKNOWN',
        ),
      ),
  },
};

/**
 * Federation only (added to the subgraph schema by federation.ts; the plain schema has no entities): a neighbour's
 * reference to a user status, by its key `path deviceConfigurationId id`, read like `deviceConfigurationUserStatus`
 * through the request's DataLoader, so the references of one `_entities` call go to Graph as one `$batch`. Async, so
 * that a bad reference fails alone (a synchronous throw would fail every entity of the call).
 * https://www.apollographql.com/docs/graphos/schema-design/federated-schemas/entities/intro
 */
export const entityResolvers = {
  DeviceConfigurationUserStatus: {
    __resolveReference: async (
      reference: Readonly<Record<string, unknown>>,
      { loaders }: GatewayContext,
      info: GraphQLResolveInfo,
    ): Promise<GraphUserStatus> => {
      const location = toReferenceLocation(reference);
      return upstream(
        () =>
          loaders.userStatus.load(
            userStatusKey(location, selectedFields(info), REFERENCE_ID_NAMES),
          ),
        { variant: location.path },
      );
    },
  },
};
