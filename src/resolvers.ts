import type { Resolvers } from './generated/graphql';
import { toComplianceStatus, toLocation, toUserStatusChanges } from './mappers';
import { DateTimeOffsetScalar } from './scalars';
import { getUserStatus, updateUserStatus } from './graph/userStatuses';

export const resolvers: Resolvers = {
  DateTimeOffset: DateTimeOffsetScalar,

  Query: {
    deviceConfigurationUserStatus: (_root, args, { graph }) =>
      getUserStatus(graph, toLocation(args)),
  },

  Mutation: {
    updateDeviceConfigurationUserStatus: (_root, { input }, { graph }) =>
      updateUserStatus(graph, toLocation(input), toUserStatusChanges(input)),
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
