import { missingTokenError } from './graph/client';
import { updateUserStatuses } from './graph/bulk';
import { listUserStatuses } from './graph/lists';
import { toGraphStatus } from './graph/model';
import { userStatusPath, userStatusesCollectionPath } from './graph/paths';
import { createUserStatus, deleteUserStatus, updateUserStatus } from './graph/userStatuses';
import type { Resolvers } from './generated/graphql';
import {
  toBulkResult,
  toComplianceStatus,
  toLocation,
  toNewUserStatus,
  toPath,
  toPreparedUpdates,
  toUserStatusChanges,
} from './mappers';
import { DateTimeOffsetScalar } from './scalars';
import { selectedFields } from './selection';

export const resolvers: Resolvers = {
  DateTimeOffset: DateTimeOffsetScalar,

  Query: {
    deviceConfigurationUserStatus: (_root, args, { loaders }, info) =>
      loaders.userStatus.load({
        path: userStatusPath(toLocation(args)),
        userStatusId: args.userStatusId,
        fields: selectedFields(info),
      }),

    deviceConfigurationUserStatuses: (_root, args, { graph }, info) =>
      listUserStatuses(graph, {
        collectionPath: userStatusesCollectionPath(toPath(args.path), args.deviceConfigurationId),
        first: args.first,
        after: args.after,
        status: args.status ? toGraphStatus(args.status) : null,
        fields: selectedFields(info, ['nodes']),
      }),
  },

  Mutation: {
    updateDeviceConfigurationUserStatus: (_root, { input }, { graph }) =>
      updateUserStatus(graph, toLocation(input), toUserStatusChanges(input)),

    updateDeviceConfigurationUserStatuses: async (_root, { inputs }, { graph, maxBulkInputs }) => {
      const updates = toPreparedUpdates(inputs, maxBulkInputs);
      if (!graph.hasToken) throw missingTokenError();
      return (await updateUserStatuses(graph, updates)).map(toBulkResult);
    },

    createDeviceConfigurationUserStatus: (_root, { input }, { graph }) =>
      createUserStatus(graph, toNewUserStatus(input)),

    deleteDeviceConfigurationUserStatus: (_root, args, { graph }) =>
      deleteUserStatus(graph, toLocation(args)),
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
