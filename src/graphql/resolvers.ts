import {
  createUserStatus,
  deleteUserStatus,
  listUserStatuses,
  updateUserStatus,
  updateUserStatuses,
  userStatusesCollectionPath,
  userStatusPath,
} from '../graph';
import type { Resolvers } from '../generated/graphql';
import {
  toBulkResult,
  toComplianceStatus,
  toGraphStatus,
  toLocation,
  toNewUserStatus,
  toPreparedUpdates,
  toUserStatusChanges,
} from './mappers';
import { DateTimeOffsetScalar } from './scalars';
import { selectedFields } from './selection';
import { upstream } from './errors/from-graph';

/** Resolvers stay short: arguments → the Graph layer → mappers; `upstream` maps Graph's errors once. */
export const resolvers: Resolvers = {
  DateTimeOffset: DateTimeOffsetScalar,

  Query: {
    deviceConfigurationUserStatus: (_root, args, { loaders }, info) =>
      upstream(
        () =>
          loaders.userStatus.load({
            path: userStatusPath(toLocation(args)),
            userStatusId: args.userStatusId,
            fields: selectedFields(info),
          }),
        { variant: args.path },
      ),

    deviceConfigurationUserStatuses: (_root, args, { graph, graphBase, listSupport }, info) =>
      upstream(
        () =>
          listUserStatuses(graph, graphBase, listSupport, {
            collection: userStatusesCollectionPath(args.path, args.deviceConfigurationId),
            first: args.first,
            after: args.after,
            status: args.status ? toGraphStatus(args.status) : null,
            fields: selectedFields(info, ['nodes']),
          }),
        { variant: args.path },
      ),
  },

  Mutation: {
    updateDeviceConfigurationUserStatus: (_root, { input }, { graph }) =>
      upstream(() => updateUserStatus(graph, toLocation(input), toUserStatusChanges(input)), {
        variant: input.path,
      }),

    updateDeviceConfigurationUserStatuses: (_root, { inputs }, { graph, maxBulkInputs }) =>
      upstream(async () => {
        const updates = toPreparedUpdates(inputs, maxBulkInputs);
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
