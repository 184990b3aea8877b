/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation UpdateUserStatuses($inputs: [UpdateDeviceConfigurationUserStatusInput!]!) {\n  updateDeviceConfigurationUserStatuses(inputs: $inputs) {\n    userStatus {\n      id\n      status\n    }\n    error {\n      code\n      message\n      status\n      retryAfterSeconds\n    }\n  }\n}": typeof types.UpdateUserStatusesDocument,
    "query GetUserStatus($path: UserStatusPath! = DEVICE_CONFIGURATION, $deviceConfigurationId: ID!, $userStatusId: ID!) {\n  deviceConfigurationUserStatus(\n    path: $path\n    deviceConfigurationId: $deviceConfigurationId\n    userStatusId: $userStatusId\n  ) {\n    id\n    status\n    lastReportedDateTime\n    userDisplayName\n    userPrincipalName\n    devicesCount\n  }\n}": typeof types.GetUserStatusDocument,
    "query ListUserStatuses($deviceConfigurationId: ID!, $first: Int, $after: String, $status: ComplianceStatus) {\n  deviceConfigurationUserStatuses(\n    deviceConfigurationId: $deviceConfigurationId\n    first: $first\n    after: $after\n    status: $status\n  ) {\n    nodes {\n      id\n      status\n      userPrincipalName\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.ListUserStatusesDocument,
    "mutation UpdateUserStatus($input: UpdateDeviceConfigurationUserStatusInput!) {\n  updateDeviceConfigurationUserStatus(input: $input) {\n    userStatus {\n      id\n      status\n      lastReportedDateTime\n      userDisplayName\n      userPrincipalName\n      devicesCount\n    }\n    requestId\n    clientRequestId\n  }\n}": typeof types.UpdateUserStatusDocument,
};
const documents: Documents = {
    "mutation UpdateUserStatuses($inputs: [UpdateDeviceConfigurationUserStatusInput!]!) {\n  updateDeviceConfigurationUserStatuses(inputs: $inputs) {\n    userStatus {\n      id\n      status\n    }\n    error {\n      code\n      message\n      status\n      retryAfterSeconds\n    }\n  }\n}": types.UpdateUserStatusesDocument,
    "query GetUserStatus($path: UserStatusPath! = DEVICE_CONFIGURATION, $deviceConfigurationId: ID!, $userStatusId: ID!) {\n  deviceConfigurationUserStatus(\n    path: $path\n    deviceConfigurationId: $deviceConfigurationId\n    userStatusId: $userStatusId\n  ) {\n    id\n    status\n    lastReportedDateTime\n    userDisplayName\n    userPrincipalName\n    devicesCount\n  }\n}": types.GetUserStatusDocument,
    "query ListUserStatuses($deviceConfigurationId: ID!, $first: Int, $after: String, $status: ComplianceStatus) {\n  deviceConfigurationUserStatuses(\n    deviceConfigurationId: $deviceConfigurationId\n    first: $first\n    after: $after\n    status: $status\n  ) {\n    nodes {\n      id\n      status\n      userPrincipalName\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.ListUserStatusesDocument,
    "mutation UpdateUserStatus($input: UpdateDeviceConfigurationUserStatusInput!) {\n  updateDeviceConfigurationUserStatus(input: $input) {\n    userStatus {\n      id\n      status\n      lastReportedDateTime\n      userDisplayName\n      userPrincipalName\n      devicesCount\n    }\n    requestId\n    clientRequestId\n  }\n}": types.UpdateUserStatusDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation UpdateUserStatuses($inputs: [UpdateDeviceConfigurationUserStatusInput!]!) {\n  updateDeviceConfigurationUserStatuses(inputs: $inputs) {\n    userStatus {\n      id\n      status\n    }\n    error {\n      code\n      message\n      status\n      retryAfterSeconds\n    }\n  }\n}"): (typeof documents)["mutation UpdateUserStatuses($inputs: [UpdateDeviceConfigurationUserStatusInput!]!) {\n  updateDeviceConfigurationUserStatuses(inputs: $inputs) {\n    userStatus {\n      id\n      status\n    }\n    error {\n      code\n      message\n      status\n      retryAfterSeconds\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query GetUserStatus($path: UserStatusPath! = DEVICE_CONFIGURATION, $deviceConfigurationId: ID!, $userStatusId: ID!) {\n  deviceConfigurationUserStatus(\n    path: $path\n    deviceConfigurationId: $deviceConfigurationId\n    userStatusId: $userStatusId\n  ) {\n    id\n    status\n    lastReportedDateTime\n    userDisplayName\n    userPrincipalName\n    devicesCount\n  }\n}"): (typeof documents)["query GetUserStatus($path: UserStatusPath! = DEVICE_CONFIGURATION, $deviceConfigurationId: ID!, $userStatusId: ID!) {\n  deviceConfigurationUserStatus(\n    path: $path\n    deviceConfigurationId: $deviceConfigurationId\n    userStatusId: $userStatusId\n  ) {\n    id\n    status\n    lastReportedDateTime\n    userDisplayName\n    userPrincipalName\n    devicesCount\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ListUserStatuses($deviceConfigurationId: ID!, $first: Int, $after: String, $status: ComplianceStatus) {\n  deviceConfigurationUserStatuses(\n    deviceConfigurationId: $deviceConfigurationId\n    first: $first\n    after: $after\n    status: $status\n  ) {\n    nodes {\n      id\n      status\n      userPrincipalName\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query ListUserStatuses($deviceConfigurationId: ID!, $first: Int, $after: String, $status: ComplianceStatus) {\n  deviceConfigurationUserStatuses(\n    deviceConfigurationId: $deviceConfigurationId\n    first: $first\n    after: $after\n    status: $status\n  ) {\n    nodes {\n      id\n      status\n      userPrincipalName\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation UpdateUserStatus($input: UpdateDeviceConfigurationUserStatusInput!) {\n  updateDeviceConfigurationUserStatus(input: $input) {\n    userStatus {\n      id\n      status\n      lastReportedDateTime\n      userDisplayName\n      userPrincipalName\n      devicesCount\n    }\n    requestId\n    clientRequestId\n  }\n}"): (typeof documents)["mutation UpdateUserStatus($input: UpdateDeviceConfigurationUserStatusInput!) {\n  updateDeviceConfigurationUserStatus(input: $input) {\n    userStatus {\n      id\n      status\n      lastReportedDateTime\n      userDisplayName\n      userPrincipalName\n      devicesCount\n    }\n    requestId\n    clientRequestId\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;